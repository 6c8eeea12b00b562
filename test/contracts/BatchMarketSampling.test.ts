/**
 * BatchMarket's sampling-circuit jobs (docs/BATCH.md "Design 2", `slots > 0`) on the in-process
 * chain with REAL Groth16 proofs of the built `mnist_mlp_small_s4d10` circuit (4 samples per proof,
 * Poseidon trees of depth 10) over real held-out digits, checked by its generated verifier as
 * registered: post (and every shape it refuses), claim, commit of the Poseidon outputs root, k = 6
 * drawn indices proven by ⌈6 / 4⌉ = 2 proofs in one `proveSampled`, a challenge of two more answered
 * by one proof, payment with the bonds; and what a wrong proof, count, system or job key gets.
 */
import { expect } from "chai";
import { ZeroHash, keccak256 } from "ethers";
import { network } from "hardhat";
import { loadCommittedModel } from "../../circuits/manifest.ts";
import { loadBuiltCircuit, releaseCurves, type BuiltCircuit } from "../../circuits/pipeline.ts";
import {
  BatchStatus,
  batchCommitment,
  type BatchRecord,
  type BatchStatusValue,
  type BatchTerms,
  type PostBatchParams,
} from "../../sdk/batch.ts";
import type { OnChainProof } from "../../sdk/proof.ts";
import {
  packIndices,
  rootHex,
  samplingChunks,
  samplingNumPublic,
  samplingTrees,
  type PoseidonTree,
} from "../../sdk/sampling.ts";
import type { ModelArtifactV2 } from "../../sdk/model/format.ts";
import {
  batchRecordOf,
  batchTermsOf,
  drawnIndices,
  fakeOutputs,
  loadBatchDataset,
  samplingProofs,
  type BatchDataset,
} from "../helpers/batch.ts";
import { E18, HOUR, R, deployProtocol, emptyCircuit, now } from "./fixtures.ts";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time, mine } = networkHelpers;

const CIRCUIT = "mnist_mlp_small_s4d10";
const SLOTS = 4;
const DEPTH = 10;
const N = 20;
const K = 6;
const PRICE = 100n * E18;
const COLLATERAL = 200n * E18;
const BOND = 2n * E18;
const SAMPLE_DELAY = 4;
const SAMPLING_ID = ethers.id(`proofwork/${CIRCUIT}`);
const SINGLE_ID = ethers.id("proofwork/mnist_mlp_small_b1");

let ds: BatchDataset;
let a: ModelArtifactV2;
let built: BuiltCircuit;
let trees: { inputs: PoseidonTree; outputs: PoseidonTree };

describe("BatchMarket sampling-circuit jobs (real proofs of mnist_mlp_small_s4d10)", function () {
  before(async function () {
    ds = await loadBatchDataset(N);
    a = loadCommittedModel("mnist-mlp-small");
    built = await loadBuiltCircuit(CIRCUIT);
    if (!built.zkey)
      throw new Error(`${CIRCUIT} has no keys: run \`npx tsx circuits/build.ts --profile test\``);
    trees = await samplingTrees(a, ds.commitments, ds.outputs, DEPTH);
  });
  after(releaseCurves);

  async function fixture() {
    const p = await deployProtocol(ethers);
    const sampling = await ethers.deployContract("MnistMlpSmallS4d10Verifier");
    const numPublic = samplingNumPublic({ slots: SLOTS, treeDepth: DEPTH });
    await p.registry.registerCircuit(
      SAMPLING_ID,
      emptyCircuit(await sampling.getAddress(), await p.registry.snarkjsSelector(numPublic), numPublic),
    );
    const single = await ethers.deployContract("MnistMlpSmallB1Verifier");
    await p.registry.registerCircuit(
      SINGLE_ID,
      emptyCircuit(await single.getAddress(), await p.registry.snarkjsSelector(3), 3),
    );
    return p;
  }
  type P = Awaited<ReturnType<typeof fixture>>;

  function params(t: number, over: Partial<PostBatchParams> = {}): PostBatchParams {
    return {
      circuitId: SAMPLING_ID,
      keyHash: ZeroHash,
      slots: SLOTS,
      treeDepth: DEPTH,
      inputsRoot: rootHex(trees.inputs.root),
      inputsHash: keccak256(ds.inputsFile),
      inputsURI: "file:///batches/digits.bin",
      numSamples: N,
      sampleSize: K,
      maxChallenges: 3,
      challengeBond: BOND,
      minPrice: PRICE,
      maxPrice: PRICE,
      rampDuration: 0,
      collateral: COLLATERAL,
      claimDeadline: t + HOUR,
      commitWindow: HOUR,
      proveWindow: HOUR,
      challengeWindow: HOUR,
      answerWindow: HOUR,
      ...over,
    };
  }

  interface Job {
    p: P;
    jobId: bigint;
    terms: BatchTerms;
    record: BatchRecord;
    jobKey: bigint;
    outputs: PoseidonTree;
  }

  /** Posts, claims and commits the outputs tree built from `outputs` (default: the true ones). */
  async function committed(outputs: bigint[][] = ds.outputs): Promise<Job> {
    const p = await loadFixture(fixture);
    await p.batchMarket.connect(p.requester).postBatch(params(await now(networkHelpers)));
    const jobId = (await p.batchMarket.nextJobId()) - 1n;
    const terms = await batchTermsOf(p.batchMarket, jobId);
    await p.batchMarket.connect(p.provider).claim(jobId, terms);
    let record = await batchRecordOf(p.batchMarket, jobId);
    const tree = (await samplingTrees(a, ds.commitments, outputs, DEPTH)).outputs;
    await p.batchMarket
      .connect(p.provider)
      .commit(jobId, terms, record.claimedAt, rootHex(tree.root), keccak256("0x01"), "file:///out.bin");
    record = await batchRecordOf(p.batchMarket, jobId);
    await mine(SAMPLE_DELAY);
    const jobKey = await p.batchMarket.jobKey(jobId, p.provider.address);
    return { p, jobId, terms, record, jobKey, outputs: tree };
  }

  /** Real proofs of `indices` for the job, one per chunk of 4 (over the true trees unless given). */
  async function proofs(j: Job, indices: readonly number[], jobKey = j.jobKey): Promise<OnChainProof[]> {
    return samplingProofs(ds, built, {
      jobKey,
      slots: SLOTS,
      trees: { inputs: trees.inputs, outputs: j.outputs },
      indices,
    });
  }

  async function expectStatus(j: Job, status: BatchStatusValue) {
    const slot = await j.p.batchMarket.getBatch(j.jobId);
    expect(Number(slot.status)).to.equal(status);
    expect(slot.commitment).to.equal(batchCommitment(j.terms, status, j.record));
  }

  it("test_postBatch_samplingShape_inTheTerms_andEveryMisfitShapeReverts", async function () {
    const p = await loadFixture(fixture);
    const b = p.batchMarket.connect(p.requester);
    const t = await now(networkHelpers);
    const numPublic = samplingNumPublic({ slots: SLOTS, treeDepth: DEPTH });
    expect(numPublic).to.equal(4);
    const bad = async (over: Partial<PostBatchParams>, slots: number, depth: number, np: number) =>
      expect(b.postBatch(params(t, over)))
        .to.be.revertedWithCustomError(p.batchMarket, "Batch__InvalidSampling")
        .withArgs(slots, depth, np);
    // a key hash with a sampling circuit (its registered verifier checks the proofs)
    await bad({ keyHash: "0x" + "ab".repeat(32) }, SLOTS, DEPTH, numPublic);
    // more samples than the tree holds, a depth past 32, no depth, too many slots
    await bad({ numSamples: 1025, sampleSize: 6 }, SLOTS, DEPTH, numPublic);
    await bad({ treeDepth: 33 }, SLOTS, 33, numPublic);
    await bad({ treeDepth: 0 }, SLOTS, 0, numPublic);
    await bad({ slots: 65 }, 65, DEPTH, numPublic);
    // a public signal count that is not the shape's: 30 slots of depth 10 need 3 + ⌈30/24⌉ = 5
    await bad({ slots: 30 }, 30, DEPTH, numPublic);
    // the model's single-sample circuit (3 signals) named as a sampling circuit
    await bad({ circuitId: SINGLE_ID }, SLOTS, DEPTH, 3);
    // an inputs root outside the field has no proof
    await bad({ inputsRoot: toHex32(R) }, SLOTS, DEPTH, numPublic);
    // a sample-proof job names no depth
    await bad({ circuitId: SINGLE_ID, slots: 0, treeDepth: 5, keyHash: "0x" + "ab".repeat(32) }, 0, 5, 3);

    await b.postBatch(params(t));
    const terms = await batchTermsOf(p.batchMarket, (await p.batchMarket.nextJobId()) - 1n);
    expect(terms.slots).to.equal(SLOTS);
    expect(terms.treeDepth).to.equal(DEPTH);
    expect(terms.numPublic).to.equal(numPublic);
    expect(terms.keyHash).to.equal(ZeroHash);
  });

  it("test_proveSampled_twoRealProofsForSixDrawnIndices_thenChallengeAnsweredByOneProof_paysWithBonds", async function () {
    const j = await committed();
    const { indices, header } = await drawnIndices(
      ethers,
      j.p.batchMarket,
      j.jobId,
      j.terms,
      j.record.sampleBlock,
    );
    expect(samplingChunks(indices, SLOTS).map((c) => c.length)).to.deep.equal([4, 2]);
    const drawnProofs = await proofs(j, indices);
    const b = j.p.batchMarket.connect(j.p.provider);

    // the other system's entry point, a wrong count, the chunks swapped, another job's key
    await expect(b.prove(j.jobId, j.terms, j.record, header, ds.key, []))
      .to.be.revertedWithCustomError(j.p.batchMarket, "Batch__WrongProofSystem")
      .withArgs(j.jobId);
    await expect(b.proveSampled(j.jobId, j.terms, j.record, header, [drawnProofs[0]!]))
      .to.be.revertedWithCustomError(j.p.batchMarket, "Batch__WrongProofCount")
      .withArgs(1, 2);
    await expect(b.proveSampled(j.jobId, j.terms, j.record, header, [drawnProofs[1]!, drawnProofs[0]!]))
      .to.be.revertedWithCustomError(j.p.batchMarket, "Batch__InvalidProof")
      .withArgs(j.jobId);
    const otherKey = await proofs(j, indices.slice(0, SLOTS), j.jobKey + 1n);
    await expect(b.proveSampled(j.jobId, j.terms, j.record, header, [otherKey[0]!, drawnProofs[1]!]))
      .to.be.revertedWithCustomError(j.p.batchMarket, "Batch__InvalidProof")
      .withArgs(j.jobId);
    await expectStatus(j, BatchStatus.Committed);

    await expect(b.proveSampled(j.jobId, j.terms, j.record, header, drawnProofs))
      .to.emit(j.p.batchMarket, "BatchProven")
      .withArgs(
        j.jobId,
        j.p.provider.address,
        (r: string) => r.length === 66,
        indices,
        (d: bigint) => d > 0n,
      );
    j.record = await batchRecordOf(j.p.batchMarket, j.jobId);
    await expectStatus(j, BatchStatus.Proven);

    // the requester doubts two indices sampling did not draw
    const doubted = [...Array(N).keys()].filter((i) => !indices.includes(i)).slice(0, 2);
    await j.p.batchMarket.connect(j.p.requester).challenge(j.jobId, j.terms, j.record, doubted);
    j.record = await batchRecordOf(j.p.batchMarket, j.jobId);
    await expectStatus(j, BatchStatus.Challenged);
    const answer = await proofs(j, j.record.challenged);
    expect(answer).to.have.length(1);
    await expect(b.answer(j.jobId, j.terms, j.record, ds.key, []))
      .to.be.revertedWithCustomError(j.p.batchMarket, "Batch__WrongProofSystem")
      .withArgs(j.jobId);
    await expect(b.answerSampled(j.jobId, j.terms, j.record, drawnProofs.slice(0, 1)))
      .to.be.revertedWithCustomError(j.p.batchMarket, "Batch__InvalidProof")
      .withArgs(j.jobId);

    const before = await j.p.token.balanceOf(j.p.provider.address);
    await expect(b.answerSampled(j.jobId, j.terms, j.record, answer))
      .to.emit(j.p.batchMarket, "BatchAnswered")
      .withArgs(j.jobId, j.p.provider.address, 2n * BOND);
    const fee = (PRICE * BigInt(j.terms.feeBps)) / 10_000n;
    expect((await j.p.token.balanceOf(j.p.provider.address)) - before).to.equal(PRICE - fee + 2n * BOND);
    expect(Number((await j.p.batchMarket.getBatch(j.jobId)).status)).to.equal(BatchStatus.Paid);
    expect(await j.p.batchMarket.totalEscrowed()).to.equal(0n);
  });

  it("test_proveSampled_fakedDrawnOutput_hasNoWitness_andTheTrueTreesProofIsRejected_thenSlashed", async function () {
    // learn the draw of a commit at this block height, then fake the first drawn index's output
    const probe = await committed();
    const { indices } = await drawnIndices(
      ethers,
      probe.p.batchMarket,
      probe.jobId,
      probe.terms,
      probe.record.sampleBlock,
    );
    const j = await committed(fakeOutputs(ds.outputs, [indices[0]!]));
    const { indices: again, header } = await drawnIndices(
      ethers,
      j.p.batchMarket,
      j.jobId,
      j.terms,
      j.record.sampleBlock,
    );
    expect(again).to.deep.equal(indices);
    // the circuit recomputes the model: no witness exists for the faked output leaf
    let failed = false;
    await proofs(j, indices).catch(() => (failed = true));
    expect(failed, "a faked drawn output must not be provable").to.equal(true);
    // proofs over the honest outputs tree do not verify against the committed (faked) root
    const honest = await proofs({ ...j, outputs: trees.outputs }, indices);
    await expect(
      j.p.batchMarket.connect(j.p.provider).proveSampled(j.jobId, j.terms, j.record, header, honest),
    )
      .to.be.revertedWithCustomError(j.p.batchMarket, "Batch__InvalidProof")
      .withArgs(j.jobId);
    await time.increase(HOUR + 1);
    await expect(j.p.batchMarket.connect(j.p.requester).slashExpired(j.jobId, j.terms, j.record)).to.emit(
      j.p.batchMarket,
      "BatchSlashed",
    );
  });

  it("test_proveSampled_mockVerifier_packsIndicesAcrossTwoSignalsAsTheSdk", async function () {
    // A unit test of the packing alone (MockVerifier in MatchSignals mode, not a proof): 10 slots
    // of depth 31 take ⌊248 / 31⌋ = 8 indices per signal, so the 10 drawn indices span two
    // signals; the contract must hand the verifier exactly the SDK's packIndices.
    const p = await loadFixture(fixture);
    const mock = await ethers.deployContract("MockVerifier");
    const shape = { slots: 10, treeDepth: 31 };
    const numPublic = samplingNumPublic(shape);
    expect(numPublic).to.equal(5);
    const id = ethers.id("proofwork/mock-sampling-s10d31");
    await p.registry.registerCircuit(
      id,
      emptyCircuit(await mock.getAddress(), await p.registry.snarkjsSelector(numPublic), numPublic),
    );
    await p.batchMarket
      .connect(p.requester)
      .postBatch(params(await now(networkHelpers), { circuitId: id, ...shape, sampleSize: 10 }));
    const jobId = (await p.batchMarket.nextJobId()) - 1n;
    const terms = await batchTermsOf(p.batchMarket, jobId);
    await p.batchMarket.connect(p.provider).claim(jobId, terms);
    let record = await batchRecordOf(p.batchMarket, jobId);
    const outputsRoot = rootHex(trees.outputs.root);
    await p.batchMarket
      .connect(p.provider)
      .commit(jobId, terms, record.claimedAt, outputsRoot, keccak256("0x01"), "file:///out.bin");
    record = await batchRecordOf(p.batchMarket, jobId);
    await mine(SAMPLE_DELAY);
    const { indices, header } = await drawnIndices(ethers, p.batchMarket, jobId, terms, record.sampleBlock);
    const jobKey = await p.batchMarket.jobKey(jobId, p.provider.address);
    const signals = (packed: bigint[]) => [jobKey, trees.inputs.root, trees.outputs.root, ...packed];
    const dummy = [[1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]];
    const b = p.batchMarket.connect(p.provider);
    // another order packs to other signals: refused
    await mock.expectSignals(signals(packIndices([...indices].reverse(), 31)));
    await expect(b.proveSampled(jobId, terms, record, header, dummy))
      .to.be.revertedWithCustomError(p.batchMarket, "Batch__InvalidProof")
      .withArgs(jobId);
    const packed = packIndices(indices, 31);
    expect(packed).to.have.length(2);
    await mock.expectSignals(signals(packed));
    await expect(b.proveSampled(jobId, terms, record, header, dummy)).to.emit(p.batchMarket, "BatchProven");
  });
});

function toHex32(v: bigint): string {
  return "0x" + v.toString(16).padStart(64, "0");
}
