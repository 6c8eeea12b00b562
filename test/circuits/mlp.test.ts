/**
 * The generated MLP circuits against the bigint reference (sdk/quant.ts) and the TF.js executor:
 * on 200 real held-out digits, executor (wasm and cpu backends) == reference == the public outputs
 * of the compiled full circuit's witness. Needs `npm run circuits:build -- --profile test`.
 */
import { expect } from "chai";
import {
  generateMlpCircuit,
  loadMlpModel,
  mlpCircuitName,
  mlpCircuitSpec,
  mlpConstraintEstimate,
} from "../../circuits/mlp-gen.ts";
import { buildCircuit, loadBuiltCircuit, type BuiltCircuit } from "../../circuits/pipeline.ts";
import { heldOutInterleaved } from "../../model/data.ts";
import type { ModelArtifact } from "../../sdk/model.ts";
import { argmax, encodeBatch, inferBatch, unpackLogits } from "../../sdk/quant.ts";
import { createExecutor } from "../../worker/executor/executor.ts";
import { mlpCircuitInput } from "../../worker/prover/input.ts";
import { calculateWitness, checkWitness, parseWtns, witnessPublicSignals } from "../../worker/prover/wtns.ts";

const N_DIGITS = 200;

describe("circuits/mlp: generated circuit == reference == executor", function () {
  let full: ModelArtifact;
  let circuit: BuiltCircuit;

  before(async function () {
    full = loadMlpModel("full");
    circuit = await loadBuiltCircuit(mlpCircuitName(full, 1));
  });

  it("test_generator_isDeterministicAndDeclaresPublicSignalsInMarketOrder", function () {
    const a = generateMlpCircuit(full, { batch: 2 });
    expect(a).to.equal(generateMlpCircuit(full, { batch: 2 }));
    expect(a).to.contain(full.weightsHash);
    expect(a).to.contain("component main {public [jobKey, inputCommitment, outputs]} = MnistMlpFull(2);");
    // jobKey, inputCommitment, outputs declared in this order, before the private bytes.
    const order = [
      "signal input jobKey;",
      "signal input inputCommitment;",
      "signal input outputs[BATCH];",
      "signal input bytes[BATCH * IN];",
    ].map((s) => a.indexOf(s));
    expect(order.every((p, i) => p > 0 && (i === 0 || p > order[i - 1]!))).to.equal(true);
  });

  it("test_fullCircuit_constraintsPerSampleWithinBudget", function () {
    expect(circuit.nPublic).to.equal(3);
    expect(circuit.constraints).to.be.at.most(12_000);
    expect(mlpConstraintEstimate(full)).to.be.below(circuit.constraints);
  });

  it(`test_fullCircuit_${N_DIGITS}HeldOutDigits_executorWasmAndCpuEqualReferenceEqualCircuitOutputs`, async function () {
    const digits = heldOutInterleaved().slice(0, N_DIGITS);
    const bytes = encodeBatch(
      full.preprocess,
      digits.map((d) => d.image),
    );
    const reference = inferBatch(full, bytes);

    for (const backend of ["wasm", "cpu"] as const) {
      const ex = await createExecutor(full, { backend });
      expect(ex.backend.backend).to.equal(backend);
      const got = await ex.infer(bytes);
      ex.dispose();
      expect(
        got.logits.map((l) => l.join(",")),
        backend,
      ).to.deep.equal(reference.map((l) => l.join(",")));
    }

    const nClasses = full.layers.at(-1)!.outputs;
    let correct = 0;
    for (let k = 0; k < N_DIGITS; k++) {
      const sample = bytes.subarray(k * full.inputSize, (k + 1) * full.inputSize);
      const ci = await mlpCircuitInput(full, 1, { jobKey: BigInt(1000 + k), bytes: sample });
      const w = parseWtns(await calculateWitness(circuit.wasm, ci.input));
      const pub = witnessPublicSignals(w, circuit.nPublic);
      expect(pub.map(String)).to.deep.equal(ci.publicSignals.map(String));
      const logits = unpackLogits(pub[2]!, nClasses, full.outputBits);
      expect(logits.join(","), `digit ${k}`).to.equal(reference[k]!.join(","));
      if (argmax(logits) === digits[k]!.label) correct++;
    }
    // Sanity: the proven predictions are the model's (≥ 90% on held-out digits).
    expect(correct / N_DIGITS).to.be.at.least(0.9);
  });

  it("test_fullCircuit_honestWitnessSatisfiesEveryConstraint", async function () {
    const d = heldOutInterleaved()[7]!;
    const ci = await mlpCircuitInput(full, 1, { jobKey: 42n, bytes: d.image });
    expect(await checkWitness(circuit.r1cs, await calculateWitness(circuit.wasm, ci.input))).to.equal(true);
  });

  it("test_batchedCircuit_eachOutputIsItsSamplesPackedLogits", async function () {
    // Batch is a template parameter: a 3-sample small circuit (compile only, cached by content hash).
    const small = loadMlpModel("small");
    const built = await buildCircuit(mlpCircuitSpec("small", 3, false), { log: () => {} });
    expect(built.nPublic).to.equal(2 + 3);
    const digits = heldOutInterleaved().slice(20, 23);
    const bytes = encodeBatch(
      small.preprocess,
      digits.map((d) => d.image),
    );
    const ci = await mlpCircuitInput(small, 3, { jobKey: 9n, bytes });
    const pub = witnessPublicSignals(parseWtns(await calculateWitness(built.wasm, ci.input)), built.nPublic);
    expect(pub.map(String)).to.deep.equal(ci.publicSignals.map(String));
    const ref = inferBatch(small, bytes);
    for (let k = 0; k < 3; k++) expect(unpackLogits(pub[2 + k]!, 10, small.outputBits)).to.deep.equal(ref[k]);
    // Samples in another order are a different job: the commitment changes, so do the outputs' order.
    const swapped = encodeBatch(
      small.preprocess,
      [digits[1]!, digits[0]!, digits[2]!].map((d) => d.image),
    );
    const other = await mlpCircuitInput(small, 3, { jobKey: 9n, bytes: swapped });
    expect(other.publicSignals[1]).to.not.equal(ci.publicSignals[1]);
    expect(other.publicSignals.slice(2, 4)).to.deep.equal([ci.publicSignals[3], ci.publicSignals[2]]);
  });
});
