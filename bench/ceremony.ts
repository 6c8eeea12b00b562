/**
 * `npm run bench:ceremony [-- --powers 12,13,14,15,16] [--circuits mnist_mlp_full_b1,synthetic60k]
 *   [--baseline 12] [--baseline-keys] [--verify] [--threads N]`
 *
 * "Keys in seconds" (issue 12): the dev ceremony computed from its secrets (circuits/ceremony.ts)
 * against snarkjs' own local ceremony. Prints timings and writes bench/results-ceremony.json. Not a
 * test: nothing here is asserted (the correctness checks are test/circuits/ceremony.test.ts).
 *
 *   1. fast dev .ptau (prepared for phase 2) for each power;
 *   2. fast Groth16 keys (`zkey new` + one contribution, from the secrets) for each circuit, on the
 *      ptau of the circuit's power: the full MNIST MLP (7.7k constraints, 2^13) and a synthetic
 *      ~60k-constraint circuit (range checks + Poseidon, 2^16);
 *   3. `--baseline P,…`: snarkjs `powersoftau new` → `contribute` → `prepare phase2` at those powers
 *      (slow: 2^12 ≈ 1 min, 2^13 ≈ 5 min here); `--baseline-keys`: snarkjs `zkey new` + `zkey
 *      contribute` for each circuit on the fast ptau;
 *   4. `--verify`: snarkjs `powersoftau verify` of the largest ptau, `zkey verify` of each zkey
 *      against its r1cs and ptau, and a proof made and verified with each zkey (slow at 2^16).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import * as prettier from "prettier";
import * as snarkjs from "snarkjs";
import {
  DevCeremony,
  ROOT,
  buildCircuit,
  circuitPower,
  readR1cs,
  releaseCurves,
  specsFor,
  type CircuitSpec,
  type DevPtau,
} from "../circuits/index.ts";
import { loadConfig } from "../sdk/node.ts";

/** A synthetic circuit of ~60k constraints: 1,500 32-bit range checks and a chain of 50 Poseidon(2). */
export const SYNTHETIC_60K: CircuitSpec = {
  name: "bench_synthetic_60k",
  setup: false,
  description: "1,500 × Num2Bits(32) + 50 × Poseidon(2) (ceremony benchmark only)",
  source: () => `pragma circom 2.1.6;
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/poseidon.circom";

// Benchmark-only circuit sized like the issue-12 CNN (~60k constraints, a 2^16 domain).
template Synthetic(n, m) {
    signal input x[n];
    signal input seed;
    signal output out;
    // 32-bit range check of every input: 32 boolean constraints each.
    component rc[n];
    for (var i = 0; i < n; i++) {
        rc[i] = Num2Bits(32);
        rc[i].in <== x[i];
    }
    // A Poseidon chain over the seed and the inputs: dense constraints with large coefficients.
    component h[m];
    for (var j = 0; j < m; j++) {
        h[j] = Poseidon(2);
        h[j].inputs[0] <== j == 0 ? seed : h[j - 1].out;
        h[j].inputs[1] <== x[j % n];
    }
    out <== h[m - 1].out;
}

component main {public [seed]} = Synthetic(1500, 50);
`,
};

const SYNTHETIC_INPUT = {
  x: Array.from({ length: 1500 }, (_, i) => String((i * 2654435761) % 2 ** 32)),
  seed: "1",
};

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: console.error };

interface Row {
  step: string;
  power?: number;
  circuit?: string;
  constraints?: number;
  seconds: number;
  detail?: Record<string, number | boolean | string>;
}

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, (performance.now() - t0) / 1000];
}

function fmt(s: number): string {
  return s < 10 ? s.toFixed(2) : s.toFixed(1);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      powers: { type: "string", default: "12,13,14,15,16" },
      circuits: { type: "string", default: "mnist_mlp_full_b1,synthetic60k" },
      baseline: { type: "string", default: "" },
      "baseline-keys": { type: "boolean", default: false },
      verify: { type: "boolean", default: false },
      threads: { type: "string" },
      out: { type: "string", default: path.join(ROOT, "bench", "results-ceremony.json") },
    },
  });
  const config = loadConfig({});
  const powers = values.powers.split(",").filter(Boolean).map(Number);
  const circuitNames = values.circuits.split(",").filter(Boolean);
  const baseline = values.baseline.split(",").filter(Boolean).map(Number);
  const threads = values.threads ? Number(values.threads) : undefined;
  const dir = await mkdtemp(path.join(os.tmpdir(), "proofwork-bench-ceremony-"));
  const rows: Row[] = [];
  const print = (r: Row) => {
    rows.push(r);
    const what = r.circuit ? `${r.circuit} (${r.constraints} constraints, 2^${r.power})` : `2^${r.power}`;
    const detail = r.detail ? `  ${JSON.stringify(r.detail)}` : "";
    console.log(`${r.step.padEnd(34)} ${what.padEnd(44)} ${fmt(r.seconds).padStart(7)} s${detail}`);
  };

  // Circuits first (compile is cached by content hash; not part of any timing below).
  const circuits: { name: string; r1cs: string; wasm: string; constraints: number; power: number }[] = [];
  for (const name of circuitNames) {
    const spec = name === "synthetic60k" ? SYNTHETIC_60K : specsFor("all", [name])[0];
    if (!spec) throw new Error(`unknown circuit ${name}`);
    const built = await buildCircuit(
      { ...spec, setup: false },
      { cacheDir: config.cacheDir, outDir: path.join(dir, "build"), log: () => undefined },
    );
    const r1 = await readR1cs(built.r1cs);
    circuits.push({
      name: spec.name,
      r1cs: built.r1cs,
      wasm: built.wasm,
      constraints: built.constraints,
      power: circuitPower(r1),
    });
  }
  const ptauPowers = [...new Set([...powers, ...circuits.map((c) => c.power)])].sort((a, b) => a - b);

  console.log(
    `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}, Node ${process.version}`,
  );
  const [ceremony, openS] = await time(() => DevCeremony.open(Math.max(...ptauPowers), threads));
  print({ step: "fixed-base tables (per session)", power: Math.max(...ptauPowers), seconds: openS });
  const ptaus = new Map<number, DevPtau>();
  const zkeys = new Map<string, string>();
  try {
    for (const p of ptauPowers) {
      const [ptau, s] = await time(() => ceremony.ptau(p, path.join(dir, `dev${p}.ptau`)));
      ptaus.set(p, ptau);
      print({ step: "fast dev ptau (prepared)", power: p, seconds: s, detail: ceremony.timings });
    }
    for (const c of circuits) {
      const zkey = path.join(dir, `${c.name}.zkey`);
      const [, s] = await time(() => ceremony.zkey(ptaus.get(c.power)!, c.r1cs, zkey));
      zkeys.set(c.name, zkey);
      print({
        step: "fast zkey (new + contribution)",
        circuit: c.name,
        constraints: c.constraints,
        power: c.power,
        seconds: s,
        detail: ceremony.timings,
      });
    }
  } finally {
    await ceremony.close();
  }

  for (const p of baseline) {
    const curve = await (
      snarkjs as unknown as { curves: { getCurveFromName(n: string): Promise<unknown> } }
    ).curves.getCurveFromName("bn128");
    const f0 = path.join(dir, `b${p}_0.ptau`);
    const f1 = path.join(dir, `b${p}_1.ptau`);
    const f2 = path.join(dir, `b${p}_2.ptau`);
    const [, a] = await time(() => snarkjs.powersOfTau.newAccumulator(curve, p, f0));
    const [, b] = await time(() =>
      snarkjs.powersOfTau.contribute(f0, f1, "baseline", randomBytes(32).toString("hex")),
    );
    const [, c] = await time(() => snarkjs.powersOfTau.preparePhase2(f1, f2));
    print({
      step: "snarkjs ptau (new+contribute+prepare)",
      power: p,
      seconds: a + b + c,
      detail: { new: a, contribute: b, prepare: c },
    });
  }
  if (values["baseline-keys"]) {
    for (const c of circuits) {
      const z0 = path.join(dir, `${c.name}.b0.zkey`);
      const z1 = path.join(dir, `${c.name}.b1.zkey`);
      const ptau = ptaus.get(c.power)!.file;
      const [, a] = await time(() => snarkjs.zKey.newZKey(c.r1cs, ptau, z0));
      const [, b] = await time(() =>
        snarkjs.zKey.contribute(z0, z1, "baseline", randomBytes(32).toString("hex")),
      );
      print({
        step: "snarkjs zkey (new + contribute)",
        circuit: c.name,
        constraints: c.constraints,
        power: c.power,
        seconds: a + b,
        detail: { new: a, contribute: b },
      });
    }
  }

  if (values.verify) {
    const top = Math.max(...ptauPowers);
    const verify = snarkjs.powersOfTau.verify as unknown as (f: string, l: typeof quiet) => Promise<boolean>;
    const [ok, s] = await time(() => verify(ptaus.get(top)!.file, quiet));
    print({ step: "snarkjs powersoftau verify", power: top, seconds: s, detail: { ok } });
    for (const c of circuits) {
      const zkey = zkeys.get(c.name)!;
      const [zok, zs] = await time(() =>
        snarkjs.zKey.verifyFromR1cs(c.r1cs, ptaus.get(c.power)!.file, zkey, quiet),
      );
      print({
        step: "snarkjs zkey verify",
        circuit: c.name,
        constraints: c.constraints,
        power: c.power,
        seconds: zs,
        detail: { ok: zok },
      });
      if (c.name === SYNTHETIC_60K.name) {
        const [res, ps] = await time(() => snarkjs.groth16.fullProve(SYNTHETIC_INPUT, c.wasm, zkey));
        const vkey = await snarkjs.zKey.exportVerificationKey(zkey);
        const pok = await snarkjs.groth16.verify(vkey, res.publicSignals, res.proof);
        print({
          step: "snarkjs fullProve + verify",
          circuit: c.name,
          constraints: c.constraints,
          power: c.power,
          seconds: ps,
          detail: { ok: pok },
        });
      }
    }
  }

  const json = JSON.stringify({
    date: new Date().toISOString(),
    cores: os.cpus().length,
    loadavg: os.loadavg(),
    rows,
  });
  await writeFile(values.out, await prettier.format(json, { parser: "json" }));
  console.log(`wrote ${path.relative(ROOT, values.out)}`);
  await rm(dir, { recursive: true, force: true });
}

try {
  await main();
} finally {
  await releaseCurves();
}
