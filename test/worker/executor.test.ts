/**
 * TF.js executor: backend selection (structured reason, logged), and integer results identical to
 * the bigint reference on every backend present (the 200-digit full-circuit comparison lives in
 * test/circuits/mlp.test.ts).
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import * as snarkjs from "snarkjs";
import { loadBuiltCircuit } from "../../circuits/pipeline.ts";
import { commitInput } from "../../sdk/commitment.ts";
import { decodeProof } from "../../sdk/proof.ts";
import { batchOf, modelRunner } from "../../worker/executor/runner.ts";
import { createProverPool } from "../../worker/prover/pool.ts";
import { loadMlpModel } from "../../circuits/mlp-gen.ts";
import { heldOutInterleaved } from "../../model/data.ts";
import { isProofworkError } from "../../sdk/errors.ts";
import { encodeBatch, inferBatch } from "../../sdk/quant.ts";
import { BACKEND_ORDER, selectBackend, type BackendName } from "../../worker/executor/backend.ts";
import { createExecutor } from "../../worker/executor/executor.ts";

function capture() {
  const lines: { fields: object; msg?: string }[] = [];
  return { lines, logger: { info: (fields: object, msg?: string) => lines.push({ fields, msg }) } };
}

async function available(): Promise<BackendName[]> {
  const out: BackendName[] = [];
  for (const b of BACKEND_ORDER) {
    try {
      await selectBackend({ force: b });
      out.push(b);
    } catch {
      // not installed here
    }
  }
  return out;
}

describe("worker/executor: TF.js quantized inference", function () {
  it("test_selectBackend_autoPicksFirstAvailableAndLogsWhy", async function () {
    const have = await available();
    expect(have).to.include.members(["wasm", "cpu"]);
    const { lines, logger } = capture();
    const choice = await selectBackend({ logger });
    expect(choice.backend).to.equal(have[0]);
    expect(choice.forced).to.equal(false);
    // Every backend ahead of the chosen one was tried and has a recorded reason.
    const skipped = BACKEND_ORDER.slice(0, BACKEND_ORDER.indexOf(choice.backend));
    expect(choice.attempts.filter((a) => !a.ok).map((a) => a.backend)).to.deep.equal(skipped);
    for (const a of choice.attempts.filter((x) => !x.ok)) expect(a.error?.length).to.be.greaterThan(0);
    expect(lines).to.have.length(1);
    expect(lines[0]!.msg).to.contain(`"${choice.backend}"`);
    expect(lines[0]!.fields).to.include({ backend: choice.backend, forced: false });
  });

  it("test_selectBackend_forcedUnavailableBackendIsCodedError", async function () {
    const have = await available();
    const missing = BACKEND_ORDER.filter((b) => !have.includes(b));
    if (missing.length === 0) this.skip();
    let err: unknown;
    try {
      await selectBackend({ force: missing[0]! });
    } catch (e) {
      err = e;
    }
    expect(isProofworkError(err, "BACKEND_UNAVAILABLE"), String(err)).to.equal(true);
  });

  it("test_infer_everyAvailableBackendEqualsReference_bothModels", async function () {
    const digits = heldOutInterleaved().slice(0, 200);
    for (const inst of ["small", "full"] as const) {
      const model = loadMlpModel(inst);
      const bytes = encodeBatch(
        model.preprocess,
        digits.map((d) => d.image),
      );
      const ref = inferBatch(model, bytes).map((l) => l.join(","));
      for (const backend of await available()) {
        const ex = await createExecutor(model, { backend, chunk: 64 });
        const got = await ex.infer(bytes);
        ex.dispose();
        expect(
          got.logits.map((l) => l.join(",")),
          `${inst} on ${backend}`,
        ).to.deep.equal(ref);
        expect(got.predictions).to.have.length(200);
      }
    }
  });

  it("test_infer_extremeInputsStayExact", async function () {
    // All-255 and alternating 0/255 inputs push accumulators toward their static bounds.
    const model = loadMlpModel("full");
    const hi = new Uint8Array(model.inputSize).fill(255);
    const alt = Uint8Array.from({ length: model.inputSize }, (_, i) => (i % 2 ? 255 : 0));
    const bytes = new Uint8Array([...hi, ...alt, ...new Uint8Array(model.inputSize)]);
    const ref = inferBatch(model, bytes).map((l) => l.join(","));
    for (const backend of ["wasm", "cpu"] as const) {
      const ex = await createExecutor(model, { backend });
      expect(
        (await ex.infer(bytes)).logits.map((l) => l.join(",")),
        backend,
      ).to.deep.equal(ref);
      ex.dispose();
    }
  });

  it("test_infer_rejectsPartialSample", async function () {
    const ex = await createExecutor(loadMlpModel("small"), { backend: "cpu" });
    let err: unknown;
    try {
      await ex.infer(new Uint8Array(195));
    } catch (e) {
      err = e;
    }
    expect(isProofworkError(err, "INPUT_INVALID")).to.equal(true);
    ex.dispose();
  });
});

describe("worker/executor/runner: model JobRunner", function () {
  it("test_modelRunner_executeAndProveSmallCircuit", async function () {
    expect(batchOf({ numPublic: 6 })).to.equal(4);

    const built = await loadBuiltCircuit("mnist_mlp_small_b1");
    const pool = createProverPool({ threads: 1 });
    const runner = modelRunner({ pool, backend: "wasm" });
    try {
      const model = loadMlpModel("small");
      // the model the build published next to the circuit, hashed as the registry commits to it
      expect(built.modelHash).to.equal(model.weightsHash);
      const input = encodeBatch(model.preprocess, [heldOutInterleaved()[9]!.image]);
      const circuit = {
        circuitId: "0x01",
        name: built.name,
        wasmPath: built.wasm,
        zkeyPath: built.zkey!,
        numPublic: 3,
        model,
      };
      const binding = { jobKey: 5n, inputCommitment: await commitInput(input) };
      const exec = await runner.execute(circuit, input, binding);
      expect(exec.outputs).to.have.length(1);
      const proof = await runner.prove(circuit, exec.witness);
      expect(proof.publicSignals).to.deep.equal([5n, binding.inputCommitment, ...exec.outputs]);
      const vkey = JSON.parse(readFileSync(built.vkey!, "utf8")) as object;
      expect(
        await snarkjs.groth16.verify(vkey, proof.publicSignals.map(String), decodeProof(proof.proof)),
      ).to.equal(true);
      let err: unknown;
      try {
        // a circuit without a model, and no fallback runner
        await runner.execute({ ...circuit, name: "other", model: undefined }, input, binding);
      } catch (e) {
        err = e;
      }
      expect(isProofworkError(err, "CIRCUIT_UNKNOWN")).to.equal(true);
    } finally {
      await runner.close();
      await pool.terminate();
    }
  });
});
