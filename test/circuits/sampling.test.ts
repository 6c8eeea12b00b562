/**
 * Batch jobs, design 2 (docs/BATCH.md): a model's sampling circuit — K slots, each the model on a
 * sample whose input commitment and output leaf sit at the slot's packed index of two fixed-depth
 * Poseidon trees — built small here (K = 2, depth 4, the converted small MLP) from the same
 * generator as the bench's K = 16, depth 20. The SDK's trees and witness input (sdk/sampling.ts)
 * satisfy it; a faked output, another sample's input, a wrong index or a wrong path do not; a real
 * Groth16 proof verifies against its four public signals and fails for another index set.
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as snarkjs from "snarkjs";
import { TEST_BUILD_DIR, samplingSpecFor } from "../../circuits/model-gen.ts";
import { ROOT, buildCircuit, type BuiltCircuit } from "../../circuits/pipeline.ts";
import { ARTIFACTS } from "../../model/artifacts.ts";
import { heldOutInterleaved } from "../../model/data.ts";
import { commitInput } from "../../sdk/commitment.ts";
import { encodeImageBytes } from "../../sdk/model/encode.ts";
import type { ModelArtifactV2 } from "../../sdk/model/format.ts";
import { loadArtifact } from "../../sdk/node/model-files.ts";
import {
  packIndices,
  poseidonPath,
  referenceOutputs,
  samplingCircuitInput,
  samplingTrees,
  type PoseidonTree,
} from "../../sdk/sampling.ts";
import { calculateWitness, parseWtns, witnessPublicSignals } from "../../worker/prover/wtns.ts";
import { expectRejects } from "../helpers/assert.ts";

const K = 2;
const DEPTH = 4;
const N = 11;

describe("circuits/sampling: one proof over K sampled outputs (design 2)", function () {
  let a: ModelArtifactV2;
  let built: BuiltCircuit;
  let inputs: Uint8Array[];
  let commitments: bigint[];
  let outputs: bigint[][];
  let trees: { inputs: PoseidonTree; outputs: PoseidonTree };

  before(async function () {
    a = loadArtifact(path.join(ROOT, ARTIFACTS["mlp-small"]));
    built = await buildCircuit(
      { ...samplingSpecFor(a, { slots: K, depth: DEPTH, setup: true }), name: "sampling_test_s2d4" },
      {
        log: () => {},
        outDir: TEST_BUILD_DIR,
        contractsDir: mkdtempSync(path.join(tmpdir(), "pw-sampling-")),
      },
    );
    inputs = heldOutInterleaved()
      .slice(0, N)
      .map((d) => encodeImageBytes(a, d.image));
    commitments = await Promise.all(inputs.map((b) => commitInput(b)));
    outputs = inputs.map((b) => referenceOutputs(a, b));
    trees = await samplingTrees(a, commitments, outputs, DEPTH);
  });

  const input = (over: Partial<Parameters<typeof samplingCircuitInput>[1]> = {}) =>
    samplingCircuitInput(a, {
      jobKey: 777n,
      slots: K,
      trees,
      sample: (i) => inputs[i]!,
      indices: [9, 2],
      ...over,
    });

  it("test_sampling_honestSlots_satisfyTheCircuit_publicSignalsAreJobKeyRootsAndPackedIndices", async function () {
    const ci = input();
    const w = parseWtns(await calculateWitness(built.wasm, ci.input));
    expect(w.values[0]).to.equal(1n);
    expect(witnessPublicSignals(w, built.nPublic)).to.deep.equal(ci.publicSignals);
    expect(ci.publicSignals).to.deep.equal([777n, trees.inputs.root, trees.outputs.root, 9n | (2n << 4n)]);
    // k < K: the last index repeats
    const one = input({ indices: [10] });
    expect(one.publicSignals[3]).to.equal(10n | (10n << 4n));
    await calculateWitness(built.wasm, one.input);
  });

  it("test_sampling_eachForgery_hasNoWitness", async function () {
    // a faked output of sample 9 committed in the outputs tree: the circuit computes the true one
    const faked = outputs.map((o, i) => (i === 9 ? [o[0]! + 1n, ...o.slice(1)] : o));
    const fakedTrees = await samplingTrees(a, commitments, faked, DEPTH);
    await expectRejects(calculateWitness(built.wasm, input({ trees: fakedTrees }).input), /witness/);
    // …while a fake that sampling missed still proves (what challenges are for)
    await calculateWitness(built.wasm, input({ trees: fakedTrees, indices: [3, 2] }).input);

    const honest = input().input;
    // another sample's bytes in slot 0 (its commitment is not the leaf at index 9)
    await expectRejects(
      calculateWitness(built.wasm, input({ sample: (i) => inputs[i === 9 ? 8 : i]! }).input),
      /witness/,
    );
    // the public index says 8 while the paths are 9's
    await expectRejects(
      calculateWitness(built.wasm, { ...honest, indices: packIndices([8, 2], DEPTH) }),
      /witness/,
    );
    // a sibling changed on the outputs path
    const bent = (honest.outputPaths as bigint[][]).map((p) => [...p]);
    bent[1]![2] = bent[1]![2]! + 1n;
    await expectRejects(calculateWitness(built.wasm, { ...honest, outputPaths: bent }), /witness/);
    // bits above the packed indices (a second encoding of the same indices) are refused
    await expectRejects(
      calculateWitness(built.wasm, { ...honest, indices: [(honest.indices as bigint[])[0]! | (1n << 8n)] }),
      /witness/,
    );
    // the path helper itself: the leaf's sibling at level 0
    expect(poseidonPath(trees.inputs, 9)[0]).to.equal(commitments[8]);
  });

  it("test_sampling_realProof_verifiesWithItsFourSignals_notWithOtherIndices", async function () {
    const ci = input();
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      ci.input as unknown as snarkjs.CircuitSignals,
      built.wasm,
      built.zkey!,
    );
    expect(publicSignals).to.deep.equal(ci.publicSignals.map(String));
    const vkey = JSON.parse(readFileSync(built.vkey!, "utf8")) as object;
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).to.equal(true);
    const other = [...publicSignals];
    other[3] = packIndices([9, 3], DEPTH)[0]!.toString();
    expect(await snarkjs.groth16.verify(vkey, other, proof)).to.equal(false);
  });
});
