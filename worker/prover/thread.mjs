// Prover thread (worker_threads): keeps each circuit's witness wasm and proving key in memory and
// answers `prove` messages with a Groth16 proof. Plain ESM JavaScript on purpose: it must load in a
// worker without a TypeScript loader, whatever runs the parent (tsx, Hardhat's mocha, a bundle).
// Protocol (see prover/pool.ts):
//   in:  { type: "prove", id, circuit: { wasm, zkey }, input }  |  { type: "close" }
//   out: { id, ok: true, proof, publicSignals, witnessMs, proveMs }
//      | { id, ok: false, code: "WITNESS_FAILED" | "PROOF_FAILED", message }
import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import threads from "node:worker_threads";

const { parentPort } = threads;

// snarkjs' field library (ffjavascript) loads the `web-worker` shim, which decides at import time
// whether it is running as one of *its own* helper workers by reading `isMainThread`; in any other
// worker thread it crashes ("Cannot destructure property 'mod' of workerData"). This thread is a
// parent to ffjavascript's helpers, so present it as one before loading snarkjs. (The helpers it
// spawns are separate isolates and see their real `isMainThread`.)
threads.isMainThread = true;
const snarkjs = await import("snarkjs");

// The witness calculator snarkjs itself uses (its dependency `circom_runtime`); with it each circuit's
// wasm is compiled once per thread instead of once per job. Fallback: snarkjs.wtns.calculate.
const runtime = await import("circom_runtime").catch(() => undefined);

/** circuit key (wasm path + zkey path) → { wasm: Uint8Array, zkey: Uint8Array } */
const loaded = new Map();

async function load(circuit) {
  const key = `${circuit.wasm}\0${circuit.zkey}`;
  let c = loaded.get(key);
  if (!c) {
    const [wasm, zkey] = await Promise.all([readFile(circuit.wasm), readFile(circuit.zkey)]);
    c = { wasm: new Uint8Array(wasm), zkey: new Uint8Array(zkey), calculator: undefined };
    if (runtime) c.calculator = await runtime.WitnessCalculatorBuilder(c.wasm);
    loaded.set(key, c);
  }
  return c;
}

function firstLine(e) {
  const s = e instanceof Error ? e.message : String(e);
  return s.split("\n").find((l) => l.trim().length > 0) ?? s;
}

async function prove(msg) {
  let c;
  try {
    c = await load(msg.circuit);
  } catch (e) {
    return {
      id: msg.id,
      ok: false,
      code: "PROOF_FAILED",
      message: `cannot load circuit files: ${firstLine(e)}`,
    };
  }
  const t0 = performance.now();
  const wtns = { type: "mem" };
  try {
    if (c.calculator) wtns.data = await c.calculator.calculateWTNSBin(msg.input, true);
    else await snarkjs.wtns.calculate(msg.input, { type: "mem", data: c.wasm }, wtns);
  } catch (e) {
    // A failed run may leave the wasm instance mid-computation: start the next job on a fresh one.
    if (c.calculator) c.calculator = await runtime.WitnessCalculatorBuilder(c.wasm);
    return {
      id: msg.id,
      ok: false,
      code: "WITNESS_FAILED",
      message: `witness generation failed: ${firstLine(e)}`,
    };
  }
  const t1 = performance.now();
  try {
    const { proof, publicSignals } = await snarkjs.groth16.prove({ type: "mem", data: c.zkey }, wtns);
    return {
      id: msg.id,
      ok: true,
      proof,
      publicSignals,
      witnessMs: t1 - t0,
      proveMs: performance.now() - t1,
    };
  } catch (e) {
    return { id: msg.id, ok: false, code: "PROOF_FAILED", message: `groth16 prove failed: ${firstLine(e)}` };
  }
}

parentPort.on("message", (msg) => {
  if (msg.type === "prove") {
    prove(msg).then((r) => parentPort.postMessage(r));
  } else if (msg.type === "close") {
    const curve = globalThis.curve_bn128;
    Promise.resolve(curve ? curve.terminate() : undefined).finally(() => parentPort.close());
  }
});
