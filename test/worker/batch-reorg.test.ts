/**
 * Reorgs of a batch job's transactions, made with `evm_snapshot`/`evm_revert` on the in-process
 * chain from the worker's own hooks (real inference and proofs, as test/worker/batch.test.ts):
 * (1) the block holding the worker's commit disappears after the worker recorded it — the same
 * signed commit is sent again, the job is sampled from the re-mined commit's sample block and
 * proven once; (2) the block holding its prove disappears after it recorded the job proven — the
 * same prove is sent again, and the job is settled and paid once; (3) one reorg removes both its
 * commit and the sample that followed — both are sent again in nonce order (no gap holds the
 * sample back), the job is committed anew and proven once. Before, the worker waited on a chain
 * that no longer had its step until the deadline slashed it.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { parseEther, type Contract } from "ethers";
import { releaseCurves } from "../../circuits/pipeline.ts";
import { BatchStatus } from "../../sdk/batch.ts";
import type { WorkerHooks } from "../../worker/hooks.ts";
import type { WorkerHandle, WorkerOptions } from "../../worker/index.ts";
import {
  batchRecordOf,
  batchTermsOf,
  drawnIndices,
  loadBatchDataset,
  type BatchDataset,
} from "../helpers/batch.ts";
import {
  HOUR,
  advance,
  batchProtocol,
  postBatchJob,
  startBatchWorker,
  subset,
  waitMining,
} from "../helpers/batch-worker.ts";

let ds: BatchDataset;

/** Hooks that snapshot at `persisted` and, once `recorded` is reached, revert to it (once). */
function reorgAt(
  ethers: { provider: { send(m: string, a: unknown[]): Promise<unknown> } },
  persisted: "batch.commit.persisted" | "batch.prove.persisted",
  recorded: "batch.committed" | "batch.sampled" | "batch.proven",
  box: { w?: WorkerHandle; jobId?: bigint; tx?: string | null; reverted?: boolean },
): WorkerHooks {
  let snapshot: string | undefined;
  return {
    at: async (b) => {
      if (b === persisted && snapshot === undefined)
        snapshot = (await ethers.provider.send("evm_snapshot", [])) as string;
      if (b === recorded && box.reverted !== true && snapshot !== undefined) {
        box.tx = box.w!.batch!.get(box.jobId!)!.pendingTx;
        expect(await ethers.provider.send("evm_revert", [snapshot])).to.equal(true);
        box.reverted = true;
      }
    },
  };
}

type Box = { w?: WorkerHandle; jobId?: bigint; tx?: string | null; reverted?: boolean };
type Ethers = Awaited<ReturnType<typeof network.create>>["ethers"];
type P = Awaited<ReturnType<typeof batchProtocol>>;

/** A fresh protocol and a worker whose hooks reorg once from `persisted` back when `recorded` is reached. */
async function reorgingWorker(
  persisted: Parameters<typeof reorgAt>[1],
  recorded: Parameters<typeof reorgAt>[2],
  over: Partial<WorkerOptions> = {},
): Promise<{ ethers: Ethers; p: P; box: Box; w: WorkerHandle }> {
  const { ethers } = await network.create();
  const p = await batchProtocol(ethers.provider);
  const box: Box = {};
  box.jobId = await p.batchMarket.nextJobId();
  box.w = await startBatchWorker(p, p.providerKeys[0]!, {
    hooks: reorgAt(ethers, persisted, recorded, box),
    ...over,
  });
  return { ethers, p, box, w: box.w };
}

/** `waitMining`, failing with the job's state history. */
async function waitFor(p: P, box: Box, jobId: bigint, cond: () => boolean | Promise<boolean>, what: string) {
  await waitMining(p, () => box.w, cond, what).catch((e: unknown) => {
    throw new Error(`${String(e)}: ${JSON.stringify(box.w!.batch!.history(jobId))}`);
  });
}

/** Whether the job's history holds a note matching `re`. */
const noted = (w: WorkerHandle, jobId: bigint, re: RegExp) =>
  w.batch!.history(jobId).some((h) => re.test(h.note ?? ""));

/**
 * One commit on chain; the worker's sample block is the (re-mined) commit's; one proof, of the
 * indices the SDK derives from that block.
 */
async function expectCommittedAndProvenOnce(ethers: Ethers, p: P, w: WorkerHandle, jobId: bigint) {
  const commits = await p.batchMarket.queryFilter(p.batchMarket.filters.BatchCommitted(jobId));
  expect(commits).to.have.length(1);
  const record = await batchRecordOf(p.batchMarket, jobId);
  expect(w.batch!.get(jobId)!.sampleBlock).to.equal(record.sampleBlock);
  const terms = await batchTermsOf(p.batchMarket, jobId);
  const { indices } = await drawnIndices(ethers, p.batchMarket, jobId, terms, record.sampleBlock);
  const proven = await p.batchMarket.queryFilter(p.batchMarket.filters.BatchProven(jobId));
  expect(proven).to.have.length(1);
  expect(proven[0]!.args.indices.map(Number)).to.deep.equal(indices);
  return commits[0]!;
}

describe("worker batch mode: reorgs of its own transactions", function () {
  this.timeout(300_000);

  before(async function () {
    ds = subset(await loadBatchDataset(32), 32);
  });
  after(releaseCurves);

  it("test_batchReorg_commitBlockRemoved_sameCommitResent_sampledFromTheNewBlock_provenOnce", async function () {
    const { ethers, p, box, w } = await reorgingWorker("batch.commit.persisted", "batch.committed");
    try {
      const { jobId } = await postBatchJob(p, ds);
      expect(jobId).to.equal(box.jobId);
      await waitFor(
        p,
        box,
        jobId,
        () => w.batch!.get(jobId)?.state === "proven",
        "proven after the commit was reorged out",
      );
      expect(box.reverted).to.equal(true);
      expect(noted(w, jobId, /commit 0x[0-9a-f]{64} reorged out: re-sent/)).to.equal(true);
      // one commit on chain: the same signed transaction, sent again; sampled from the re-mined
      // commit's sample block, as the SDK derives it
      const commit = await expectCommittedAndProvenOnce(ethers, p, w, jobId);
      expect(commit.transactionHash, "the same signed commit").to.equal(box.tx);
    } finally {
      await w.stop();
    }
  });

  it("test_batchReorg_commitAndSampleRemovedTogether_bothResentInNonceOrder_provenOnce", async function () {
    // margin 0: the worker records the randomness with its own sample transaction
    const { ethers, p, box, w } = await reorgingWorker("batch.commit.persisted", "batch.sampled", {
      batchSampleMarginBlocks: 0,
    });
    const nonce0 = await p.provider.getTransactionCount(w.address);
    try {
      const { jobId } = await postBatchJob(p, ds);
      await waitFor(
        p,
        box,
        jobId,
        () => w.batch!.get(jobId)?.state === "proven",
        "proven after the commit and the sample were reorged out",
      );
      expect(box.reverted).to.equal(true);
      expect(
        noted(
          w,
          jobId,
          /^commit 0x[0-9a-f]{64} and the batch-sample 0x[0-9a-f]{64} after it reorged out: both re-sent$/,
        ),
      ).to.equal(true);
      // one commit on chain, and the proof of the samples its (re-mined) sample block draws
      await expectCommittedAndProvenOnce(ethers, p, w, jobId);
      // no nonce was skipped: every transaction the worker signed is on chain
      const signed = await p.provider.getTransactionCount(w.address);
      expect(signed - nonce0).to.be.at.least(3); // claim, commit, (sample,) prove
      expect(await p.provider.getTransactionCount(w.address, "pending")).to.equal(signed);
    } finally {
      await w.stop();
    }
  });

  it("test_batchReorg_commitSampleAndProveRemovedTogether_committedAnewAndProvenOnce", async function () {
    const { ethers, p, box, w } = await reorgingWorker("batch.commit.persisted", "batch.proven", {
      batchSampleMarginBlocks: 0,
    });
    try {
      const { jobId } = await postBatchJob(p, ds);
      await waitFor(
        p,
        box,
        jobId,
        async () =>
          box.reverted === true &&
          noted(
            w,
            jobId,
            /^commit 0x[0-9a-f]{64} and the batch-prove 0x[0-9a-f]{64} after it reorged out: both re-sent$/,
          ) &&
          w.batch!.get(jobId)?.state === "proven" &&
          Number((await p.batchMarket.getBatch(jobId)).status) === BatchStatus.Proven,
        "proven again after commit, sample and prove were reorged out",
      );
      await expectCommittedAndProvenOnce(ethers, p, w, jobId);
      expect(await p.provider.getTransactionCount(w.address, "pending")).to.equal(
        await p.provider.getTransactionCount(w.address),
      );
    } finally {
      await w.stop();
    }
  });

  it("test_batchReorg_proveBlockRemoved_sameProveResent_thenSettledAndPaidOnce", async function () {
    const { p, box, w } = await reorgingWorker("batch.prove.persisted", "batch.proven");
    const token = p.token as Contract;
    const before = BigInt((await token.getFunction("balanceOf")(w.address)) as bigint);
    try {
      const { jobId } = await postBatchJob(p, ds);
      // (right after the revert the store still says proven: wait for the re-sent prove's record)
      await waitFor(
        p,
        box,
        jobId,
        async () =>
          box.reverted === true &&
          noted(w, jobId, /^prove 0x[0-9a-f]{64} reorged out: re-sent$/) &&
          w.batch!.get(jobId)?.state === "proven" &&
          Number((await p.batchMarket.getBatch(jobId)).status) === BatchStatus.Proven,
        "proven again after the prove was reorged out",
      );
      const proven = await p.batchMarket.queryFilter(p.batchMarket.filters.BatchProven(jobId));
      expect(proven).to.have.length(1);
      expect(proven[0]!.transactionHash, "the same signed prove").to.equal(box.tx);
      expect(Number((await p.batchMarket.getBatch(jobId)).status)).to.equal(BatchStatus.Proven);
      // the window passes: settled and paid once
      await advance(p, HOUR + 1);
      await waitMining(
        p,
        () => box.w,
        () => w.batch!.get(jobId)?.state === "paid",
        "paid",
      );
      const price = parseEther("20");
      const payout = price - (price * 100n) / 10_000n;
      expect(BigInt((await token.getFunction("balanceOf")(w.address)) as bigint) - before).to.equal(payout);
      expect(await p.batchMarket.queryFilter(p.batchMarket.filters.BatchPaid(jobId))).to.have.length(1);
    } finally {
      await w.stop();
    }
  });
});
