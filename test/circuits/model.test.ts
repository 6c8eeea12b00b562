/**
 * Generated model circuits against their artifacts:
 *   - the weights in every built circuit equal the artifact exactly: the generated source is a pure
 *     function of the artifact (regenerated and compared with the sha256 the build manifest
 *     records), and the constants embedded in it decode back to the artifact's integers;
 *   - the reference CNN: ≤ 60,000 constraints per sample including commitment and binding, and on
 *     200 held-out digits executor (wasm and cpu) == bigint reference == the circuit's outputs.
 * Compile-only builds (no keys), cached by content hash.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import * as snarkjs from "snarkjs";
import {
  TEST_BUILD_DIR,
  circuitSpecFor,
  constraintEstimate,
  generateCircuit,
  sourceSha256,
} from "../../circuits/model-gen.ts";
import { ROOT, buildCircuit, type BuiltCircuit } from "../../circuits/pipeline.ts";
import { ARTIFACTS, type ArtifactName } from "../../model/artifacts.ts";
import { heldOutInterleaved } from "../../model/data.ts";
import { modelCircuitInput } from "../../sdk/model/circuit-input.ts";
import { encodeImageBatch } from "../../sdk/model/encode.ts";
import { artifactHash, inputSize, type ModelArtifactV2 } from "../../sdk/model/format.ts";
import { loadArtifact } from "../../sdk/node/model-files.ts";
import { argmax, inferBatch, unpackOutputs } from "../../sdk/model/reference.ts";
import { createModelExecutor } from "../../worker/executor/model-executor.ts";
import { calculateWitness, parseWtns, witnessPublicSignals } from "../../worker/prover/wtns.ts";

const N_DIGITS = 200;
const load = (n: ArtifactName): ModelArtifactV2 => loadArtifact(path.join(ROOT, ARTIFACTS[n]));

/** The integer arrays returned by `function <P>_<tag><k>()` in a generated source. */
function embedded(source: string, tag: string, k: number): number[] {
  const m = new RegExp(`function \\w+_${tag}${k}\\(\\) \\{\\s*return \\[([^\\]]*)\\];`).exec(source);
  if (!m) throw new Error(`no ${tag}${k} in the source`);
  return m[1]!.split(",").map((s) => Number(s.trim()));
}

describe("circuits/model: built circuits equal their artifacts", function () {
  for (const name of Object.keys(ARTIFACTS) as ArtifactName[]) {
    it(`test_${name}_builtCircuitSourceIsTheArtifactsAndEmbedsItsExactWeights`, async function () {
      const a = load(name);
      // anyone can recompute the model commitment from the artifact file
      expect(artifactHash(a)).to.equal(a.hash);
      const built = await buildCircuit(circuitSpecFor(a, { batch: 1 }), {
        log: () => {},
        outDir: TEST_BUILD_DIR,
      });
      const source = generateCircuit(a, { batch: 1 });
      expect(built.model).to.deep.equal({
        artifactHash: a.hash,
        generatedSourceSha256: sourceSha256(source),
      });
      expect(source).to.contain(a.hash);
      a.layers.forEach((l, k) => {
        if (l.kind !== "conv2d" && l.kind !== "dense") return;
        expect(embedded(source, "W", k), `layer ${k} weights`).to.deep.equal(l.weights);
        expect(embedded(source, "B", k), `layer ${k} bias`).to.deep.equal(l.bias);
        expect(embedded(source, "S", k), `layer ${k} shifts`).to.deep.equal(l.shift);
      });
    });
  }
});

describe("circuits/model: a generated circuit proves and verifies", function () {
  it("test_mlpSmallV2_groth16ProofOfGeneratedCircuitVerifiesWithItsPublicSignals", async function () {
    // The converted small MLP fits the test suite's 2^12 dev ceremony (keys: a few seconds, cached).
    const a = load("mlp-small");
    // (its own name: a keyed build also writes contracts/generated/<Name>Verifier.sol, and the v1
    // circuit of the same model is mnist_mlp_small_b1)
    const spec = { ...circuitSpecFor(a, { batch: 1, setup: true }), name: "model_test_mlp_small_b1" };
    const built = await buildCircuit(spec, {
      log: () => {},
      outDir: TEST_BUILD_DIR,
    });
    const bytes = encodeImageBatch(a, [heldOutInterleaved()[11]!.image]);
    const ci = await modelCircuitInput(a, 1, { jobKey: 4242n, bytes });
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      ci.input as unknown as snarkjs.CircuitSignals,
      built.wasm,
      built.zkey!,
    );
    expect(publicSignals).to.deep.equal(ci.publicSignals.map(String));
    const vkey = JSON.parse(readFileSync(built.vkey!, "utf8")) as object;
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).to.equal(true);
    const other = [...publicSignals];
    other[2] = (BigInt(other[2]!) + 1n).toString();
    expect(await snarkjs.groth16.verify(vkey, other, proof)).to.equal(false);
  });
});

describe("circuits/model: the reference CNN", function () {
  let cnn: ModelArtifactV2;
  let built: BuiltCircuit;

  before(async function () {
    cnn = load("cnn");
    built = await buildCircuit(circuitSpecFor(cnn, { batch: 1 }), { log: () => {}, outDir: TEST_BUILD_DIR });
  });

  it("test_cnn_atMost60kConstraintsPerSampleIncludingCommitmentAndBinding", function () {
    expect(built.nPublic).to.equal(3);
    expect(built.constraints).to.be.at.most(60_000);
    const layers = constraintEstimate(cnn).reduce((s, c) => s + c.constraints, 0);
    // the rest is the byte range checks (8 per byte), Poseidon and the binding
    const rest = built.constraints - layers;
    expect(rest).to.be.at.least(8 * inputSize(cnn));
    expect(rest).to.be.below(8 * inputSize(cnn) + 2_000);
  });

  it(`test_cnn_${N_DIGITS}HeldOutDigits_executorWasmAndCpuEqualReferenceEqualCircuitOutputs`, async function () {
    const digits = heldOutInterleaved().slice(0, N_DIGITS);
    const bytes = encodeImageBatch(
      cnn,
      digits.map((d) => d.image),
    );
    const reference = inferBatch(cnn, bytes);
    // plus inputs that push accumulators toward their static bounds: all 255, a checkerboard, all 0
    const n0 = inputSize(cnn);
    const extremes = new Uint8Array(3 * n0);
    extremes.fill(255, 0, n0);
    for (let i = 0; i < n0; i++) extremes[n0 + i] = (i + Math.floor(i / 28)) % 2 ? 255 : 0;
    const all = new Uint8Array([...bytes, ...extremes]);
    const allReference = inferBatch(cnn, all).map((l) => l.join(","));
    for (const backend of ["wasm", "cpu"] as const) {
      const ex = await createModelExecutor(cnn, { backend });
      const got = await ex.infer(all);
      ex.dispose();
      expect(
        got.logits.map((l) => l.join(",")),
        backend,
      ).to.deep.equal(allReference);
    }
    const n = inputSize(cnn);
    let correct = 0;
    for (let k = 0; k < N_DIGITS; k++) {
      const ci = await modelCircuitInput(cnn, 1, {
        jobKey: BigInt(1000 + k),
        bytes: bytes.subarray(k * n, (k + 1) * n),
      });
      const pub = witnessPublicSignals(
        parseWtns(await calculateWitness(built.wasm, ci.input)),
        built.nPublic,
      );
      expect(pub.map(String), `digit ${k}`).to.deep.equal(ci.publicSignals.map(String));
      const logits = unpackOutputs(pub.slice(2), cnn.output);
      expect(logits.join(","), `digit ${k}`).to.equal(reference[k]!.join(","));
      if (argmax(logits) === digits[k]!.label) correct++;
    }
    expect(correct / N_DIGITS).to.be.at.least(0.95);
  });
});
