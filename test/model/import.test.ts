/**
 * End-to-end model compiler on a model the repository has never seen: a short script saves a new
 * TF.js model (Conv2D + BatchNormalization + pooling + Dense, seeded random weights) with
 * `model.save` to a temp folder, then import → quantize (calibration bytes) → artifact → executor
 * (wasm, cpu) == bigint reference → generated circuit compiled → witness outputs == reference.
 * An unsupported layer (LSTM) is refused with a one-line error naming it and the supported list.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { expect } from "chai";
import {
  TEST_BUILD_DIR,
  circuitSpecFor,
  constraintEstimate,
  generateCircuit,
} from "../../circuits/model-gen.ts";
import { buildCircuit } from "../../circuits/pipeline.ts";
import { isProofworkError } from "../../sdk/errors.ts";
import { modelCircuitInput } from "../../sdk/model/circuit-input.ts";
import { importModel } from "../../sdk/node/model-import.ts";
import { loadLayersModelFile } from "../../sdk/node/model-files.ts";
import { floatForward } from "../../sdk/model/quantize.ts";
import { inferBatch } from "../../sdk/model/reference.ts";
import { SUPPORTED_LAYERS } from "../../sdk/model/topology.ts";
import { createModelExecutor } from "../../worker/executor/model-executor.ts";
import { calculateWitness, parseWtns, witnessPublicSignals } from "../../worker/prover/wtns.ts";
import { randomBytes, saveTinyCnn, saveUnsupported } from "./fixtures.ts";

describe("sdk/model/import: a new TF.js model end to end", function () {
  let dir: string;

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "proofwork-import-"));
    await saveTinyCnn(path.join(dir, "tiny"));
    await saveUnsupported(path.join(dir, "lstm"));
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("test_import_foldsBatchNormAndMatchesTfjsFloatModel", async function () {
    const calibration = Array.from({ length: 30 }, (_, i) => randomBytes(144, i + 1));
    const { graph, report, artifact } = importModel(path.join(dir, "tiny", "model.json"), {
      name: "tiny-cnn",
      calibration,
    });
    expect(report.notes.join("\n"))
      .to.match(/folded BatchNormalization/)
      .and.match(/ignored Dropout/);
    expect(artifact.layers.map((l) => l.kind)).to.deep.equal([
      "conv2d",
      "maxpool",
      "conv2d",
      "avgpool",
      "reshape",
      "dense",
      "dense",
    ]);
    const m = await loadLayersModelFile(path.join(dir, "tiny", "model.json"));
    for (const x of calibration.slice(0, 5)) {
      const f = Float32Array.from(x, (v) => v / 255);
      const want = (m.predict(tf.tensor4d(f, [1, 12, 12, 1])) as tf.Tensor).dataSync();
      const got = floatForward(graph, Float64Array.from(f));
      got.forEach((v, i) => expect(Math.abs(v - want[i]!)).to.be.below(1e-4));
    }
    m.dispose();
  });

  it("test_import_quantizeExecuteProve_witnessEqualsReferenceAndExecutors", async function () {
    const calibration = Array.from({ length: 30 }, (_, i) => randomBytes(144, i + 1));
    const labels = calibration.map((_, i) => i % 3);
    const { artifact, report } = importModel(path.join(dir, "tiny", "model.json"), {
      name: "tiny-cnn",
      calibration,
      labels,
    });
    // float vs quantized report on the labelled data
    expect(report.accuracy?.samples).to.equal(30);
    expect(report.accuracy!.disagreements).to.be.at.most(3);

    const inputs = Array.from({ length: 20 }, (_, i) => randomBytes(144, 500 + i));
    inputs.push(new Uint8Array(144).fill(255), new Uint8Array(144));
    const bytes = new Uint8Array(inputs.length * 144);
    inputs.forEach((x, i) => bytes.set(x, i * 144));
    const ref = inferBatch(artifact, bytes).map((r) => r.join(","));
    for (const backend of ["wasm", "cpu"] as const) {
      const ex = await createModelExecutor(artifact, { backend });
      expect(
        (await ex.infer(bytes)).logits.map((r) => r.join(",")),
        backend,
      ).to.deep.equal(ref);
      ex.dispose();
    }

    // generate and compile (compile only) through the build pipeline
    const spec = circuitSpecFor(artifact, { batch: 1 });
    const built = await buildCircuit(spec, { log: () => {}, outDir: TEST_BUILD_DIR });
    expect(built.model?.artifactHash).to.equal(artifact.hash);
    const est = constraintEstimate(artifact).reduce((s, c) => s + c.constraints, 0);
    expect(est).to.be.below(built.constraints);
    for (let k = 0; k < 6; k++) {
      const ci = await modelCircuitInput(artifact, 1, { jobKey: BigInt(k + 1), bytes: inputs[k]! });
      const pub = witnessPublicSignals(
        parseWtns(await calculateWitness(built.wasm, ci.input)),
        built.nPublic,
      );
      expect(pub.map(String)).to.deep.equal(ci.publicSignals.map(String));
    }
    // the generated source is a pure function of (artifact, batch)
    expect(generateCircuit(artifact, { batch: 1 })).to.equal(await spec.source());
  });

  it("test_import_unsupportedLayer_oneLineErrorNamingLayerAndSupportedList", function () {
    let err: unknown;
    try {
      importModel(path.join(dir, "lstm", "model.json"), { name: "bad", calibration: [new Uint8Array(16)] });
    } catch (e) {
      err = e;
    }
    expect(isProofworkError(err, "MODEL_UNSUPPORTED"), String(err)).to.equal(true);
    const line = (err as { toLine(): string }).toLine();
    expect(line.split("\n")).to.have.length(1);
    expect(line).to.contain('"lstm_1" (LSTM)');
    for (const l of SUPPORTED_LAYERS) expect(line).to.contain(l);
  });
});
