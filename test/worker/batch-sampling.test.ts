/**
 * The worker on sampling-circuit batch jobs (docs/BATCH.md "Design 2", `slots > 0`) end to end on
 * the in-process chain: real TF.js inference over 200 held-out digits, the Poseidon outputs tree
 * committed, the 6 drawn samples proven by ⌈6 / 4⌉ = 2 real proofs of `mnist_mlp_small_s4d10` in
 * one `proveSampled`, a challenge of two more answered automatically (`answerSampled`, one proof),
 * paid with the bonds; the requester's outputs verify against the committed Poseidon root; a
 * prover failure on the way is retried, not taken for an unprovable sample. A job whose trees do
 * not fit the circuit (another depth) is refused before any claim.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ZeroHash, parseEther, type Contract } from "ethers";
import { network } from "hardhat";
import { circuitIdFor } from "../../deploy/devnet/protocol.ts";
import { BatchStatus } from "../../sdk/batch.ts";
import { verifyBatchOutputs } from "../../sdk/batch-client.ts";
import { poseidonTree, rootHex, samplingChunks, samplingNumPublic } from "../../sdk/sampling.ts";
import type { WorkerHandle } from "../../worker/index.ts";
import { releaseCurves } from "../../circuits/pipeline.ts";
import {
  batchRecordOf,
  batchTermsOf,
  drawnIndices,
  loadBatchDataset,
  type BatchDataset,
} from "../helpers/batch.ts";
import { batchProtocol, postBatchJob, startBatchWorker, waitMining } from "../helpers/batch-worker.ts";

const CIRCUIT = "mnist_mlp_small_s4d10";
const SHAPE = { slots: 4, treeDepth: 10 };
const N = 200;
const PRICE = parseEther("20");
const FEE_BPS = 100n;
const BOND = parseEther("1");

let ds: BatchDataset;

async function balance(p: { token: Contract }, who: string): Promise<bigint> {
  return BigInt((await p.token.getFunction("balanceOf")(who)) as bigint);
}

describe("worker batch mode on sampling-circuit jobs (real inference and proofs)", function () {
  this.timeout(300_000);

  before(async function () {
    ds = await loadBatchDataset(N);
  });
  after(releaseCurves);

  /** Posting overrides of a sampling-circuit job over `ds` with trees of `depth`. */
  async function sampling(depth = SHAPE.treeDepth) {
    return {
      circuitId: circuitIdFor(CIRCUIT),
      keyHash: ZeroHash,
      slots: SHAPE.slots,
      treeDepth: depth,
      inputsRoot: rootHex((await poseidonTree(ds.commitments, depth)).root),
      sampleSize: 6,
    };
  }

  it("test_samplingJob_runCommittedProvenByTwoProofs_challengeAnswered_paidWithBonds", async function () {
    const { ethers } = await network.create();
    const p = await batchProtocol(ethers.provider, { name: CIRCUIT, numPublic: samplingNumPublic(SHAPE) });
    const box: { w?: WorkerHandle } = {};
    // the prover fails once (a crashed pool, not a bad witness): the job is tried again, not failed
    let proverFailures = 0;
    box.w = await startBatchWorker(p, p.providerKeys[0]!, {
      wrapRunner: (r) => ({
        ...r,
        prove: async (circuit, witness) => {
          if (proverFailures++ === 0) throw new Error("prover pool crashed");
          return r.prove(circuit, witness);
        },
      }),
    });
    const w = box.w;
    try {
      const before = await balance(p, w.address);
      const { jobId } = await postBatchJob(p, ds, await sampling());
      await waitMining(
        p,
        () => box.w,
        () => w.batch!.get(jobId)?.state === "proven",
        "sampling job proven",
      );
      expect(proverFailures, "the failed proof was made again").to.be.greaterThan(2);
      expect(w.batch!.history(jobId).some((h) => h.to === "failed")).to.equal(false);
      const terms = await batchTermsOf(p.batchMarket, jobId);
      const record = await batchRecordOf(p.batchMarket, jobId);
      expect(terms.slots).to.equal(4);
      // the drawn indices, proven in two chunks; the committed root is the Poseidon tree's
      const { indices } = await drawnIndices(ethers, p.batchMarket, jobId, terms, record.sampleBlock);
      expect(samplingChunks(indices, 4)).to.have.length(2);
      const proven = (await p.batchMarket.queryFilter(p.batchMarket.filters.BatchProven(jobId))).at(-1)!;
      expect(proven.args.indices.map(Number)).to.deep.equal(indices);
      const committed = (await p.batchMarket.queryFilter(p.batchMarket.filters.BatchCommitted(jobId))).at(
        -1,
      )!;
      const file = new Uint8Array(readFileSync(fileURLToPath(committed.args.outputsURI)));
      const outputs = await verifyBatchOutputs({
        file,
        outputsHash: committed.args.outputsHash,
        outputsRoot: committed.args.outputsRoot,
        commitments: ds.commitments,
        perSample: 1,
        treeDepth: SHAPE.treeDepth,
      });
      expect(outputs).to.deep.equal(ds.outputs);

      // the requester doubts two indices sampling did not draw: answered by one proof, then paid
      const doubted = [...Array(N).keys()].filter((i) => !indices.includes(i)).slice(-2);
      await (await p.batchMarket.challenge(jobId, terms, record, doubted)).wait();
      await waitMining(
        p,
        () => box.w,
        () => w.batch!.get(jobId)?.state === "paid",
        "sampling job answered and paid",
      );
      expect(Number((await p.batchMarket.getBatch(jobId)).status)).to.equal(BatchStatus.Paid);
      const answered = (await p.batchMarket.queryFilter(p.batchMarket.filters.BatchAnswered(jobId))).at(-1)!;
      expect(answered.args.bonds).to.equal(2n * BOND);
      const payout = PRICE - (PRICE * FEE_BPS) / 10_000n;
      expect((await balance(p, w.address)) - before).to.equal(payout + 2n * BOND);
    } finally {
      await w.stop();
    }
  });

  it("test_samplingJob_treesOfAnotherDepth_refusedBeforeAnyClaim", async function () {
    const { ethers } = await network.create();
    const p = await batchProtocol(ethers.provider, { name: CIRCUIT, numPublic: samplingNumPublic(SHAPE) });
    const box: { w?: WorkerHandle } = {};
    box.w = await startBatchWorker(p, p.providerKeys[0]!);
    const w = box.w;
    try {
      // depth 11 has the same signal count (3 + ⌈4 / 22⌉ = 4) but not the circuit's paths
      const { jobId } = await postBatchJob(p, ds, await sampling(11));
      await waitMining(
        p,
        () => box.w,
        () => w.batch!.get(jobId)?.state === "refused",
        "sampling job of another depth refused",
      );
      const row = w.batch!.get(jobId)!;
      expect(row.reason).to.equal("not_a_sampling_circuit");
      expect(row.detail).to.contain("depth 11");
      expect(Number((await p.batchMarket.getBatch(jobId)).status)).to.equal(BatchStatus.Open);
    } finally {
      await w.stop();
    }
  });
});
