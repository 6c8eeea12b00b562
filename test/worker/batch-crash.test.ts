/**
 * Batch jobs survive a crash at every durable boundary (worker/hooks.ts `batch.*`): the worker is
 * stopped at once exactly there (its task dies at the boundary, nothing after it happens in that
 * process) and a new worker on the same data directory takes over. Job A is driven through a
 * chain of such crashes along the challenge path (claim tx stored → claimed → outputs persisted →
 * commit tx stored → committed → randomness recorded → prove tx stored → proven → answer tx
 * stored → answered); job B along the settle path. The chain is the judge: each step happened
 * exactly once, every transaction the provider signed was mined once, and it was paid in full.
 */
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet, ZeroHash, parseEther, type Contract } from "ethers";
import { network } from "hardhat";
import { releaseCurves } from "../../circuits/pipeline.ts";
import { circuitIdFor } from "../../deploy/devnet/protocol.ts";
import { BatchStatus } from "../../sdk/batch.ts";
import { poseidonTree, rootHex } from "../../sdk/sampling.ts";
import type { Boundary, WorkerHooks } from "../../worker/hooks.ts";
import { BatchStore, Store, type BatchState, type WorkerHandle } from "../../worker/index.ts";
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

const SAMPLING_CIRCUIT = "mnist_mlp_small_s4d10";
const PRICE = parseEther("20");
const BOND = parseEther("1");
const payout = PRICE - (PRICE * 100n) / 10_000n;

/** Where job A's worker is killed, in turn, and the state its store must hold afterwards. */
const CHALLENGE_PATH: [Boundary, BatchState][] = [
  ["batch.claim.persisted", "claiming"],
  ["batch.claimed", "claimed"],
  ["batch.outputsPersisted", "executed"],
  ["batch.commit.persisted", "committing"],
  ["batch.committed", "committed"],
  ["batch.sampled", "sampled"],
  ["batch.prove.persisted", "proving"],
  ["batch.proven", "proven"],
  ["batch.answer.persisted", "answering"],
  ["batch.answered", "paid"],
];

const SETTLE_PATH: [Boundary, BatchState][] = [
  ["batch.settle.persisted", "settling"],
  ["batch.settled", "paid"],
];

let ds: BatchDataset;

describe("worker batch mode: crash at every durable boundary", function () {
  this.timeout(300_000);

  before(async function () {
    ds = subset(await loadBatchDataset(64), 64);
  });
  after(releaseCurves);

  /** A worker harness on `p` whose workers crash at a chosen boundary, on one data directory. */
  function harness(p: Awaited<ReturnType<typeof batchProtocol>>) {
    const key = p.providerKeys[0]!;
    const address = new Wallet(key).address;
    const dataDir = mkdtempSync(join(tmpdir(), "pw-batch-crash-"));
    const token = p.token as Contract;
    const balance = async () => BigInt((await token.getFunction("balanceOf")(address)) as bigint);
    const box: { w?: WorkerHandle; crashed: boolean } = { crashed: false };

    /** Runs a worker that crashes at `boundary`; `during` runs while it is up (e.g. the requester's challenge). */
    const crashAt = async (boundary: Boundary, during?: () => Promise<void>): Promise<void> => {
      box.crashed = false;
      const hooks: WorkerHooks = {
        at: (b) => {
          if (b !== boundary || box.crashed) return;
          box.crashed = true;
          void box.w!.stop(0);
          throw new Error(`injected crash at ${b}`);
        },
      };
      // every step records the randomness first (margin 0), so `batch.sampled` is reached
      box.w = await startBatchWorker(p, key, { dataDir, hooks, batchSampleMarginBlocks: 0 });
      await during?.();
      await waitMining(
        p,
        () => box.w,
        () => box.crashed,
        `crash at ${boundary}`,
      );
      await box.w.done;
    };
    return { key, address, dataDir, balance, box, crashAt };
  }

  /** Job A: posted with `over`, crashed at every boundary of the challenge path, paid once. */
  async function challengePath(
    ethers: Awaited<ReturnType<typeof network.create>>["ethers"],
    p: Awaited<ReturnType<typeof batchProtocol>>,
    h: ReturnType<typeof harness>,
    over: Parameters<typeof postBatchJob>[2] = {},
  ): Promise<bigint> {
    const { key, address, dataDir, balance, crashAt } = h;
    const nonceA = await p.provider.getTransactionCount(address);
    const balanceA = await balance();
    const a = (await postBatchJob(p, ds, over)).jobId;
    for (const [boundary, state] of CHALLENGE_PATH) {
      await crashAt(boundary, async () => {
        if (boundary !== "batch.answer.persisted") return;
        const terms = await batchTermsOf(p.batchMarket, a);
        const record = await batchRecordOf(p.batchMarket, a);
        const { indices } = await drawnIndices(ethers, p.batchMarket, a, terms, record.sampleBlock);
        const doubted = [...Array(64).keys()].filter((i) => !indices.includes(i)).slice(0, 2);
        await (await p.batchMarket.challenge(a, terms, record, doubted)).wait();
      });
      expect(await withRestartedStore(dataDir, key, p, a), `state after a crash at ${boundary}`).to.equal(
        state,
      );
    }
    expect(Number((await p.batchMarket.getBatch(a)).status)).to.equal(BatchStatus.Paid);
    const m = p.batchMarket;
    const f = m.filters;
    const once = [
      await m.queryFilter(f.BatchClaimed(a)),
      await m.queryFilter(f.BatchCommitted(a)),
      await m.queryFilter(f.BatchSampled(a)),
      await m.queryFilter(f.BatchProven(a)),
      await m.queryFilter(f.BatchAnswered(a)),
      await m.queryFilter(f.BatchPaid(a)),
    ].map((l) => l.length);
    expect(once, "claimed, committed, sampled, proven, answered, paid").to.deep.equal([1, 1, 1, 1, 1, 1]);
    // claim, commit, sample, prove, answer: five transactions signed, each mined once
    expect((await p.provider.getTransactionCount(address)) - nonceA).to.equal(5);
    expect((await balance()) - balanceA).to.equal(payout + 2n * BOND);
    return a;
  }

  it("test_batch_crashAtEachBoundaryInTurn_paidOnceNothingLost", async function () {
    const { ethers } = await network.create();
    const p = await batchProtocol(ethers.provider);
    const h = harness(p);
    const { key, address, dataDir, balance, box, crashAt } = h;
    const a = await challengePath(ethers, p, h);

    // job B: the settle path (proven by an uninterrupted worker, then crashes around the settle)
    const balanceB = await balance();
    const b = (await postBatchJob(p, ds)).jobId;
    for (const [boundary, state] of SETTLE_PATH) {
      await crashAt(boundary, async () => {
        if (boundary !== "batch.settle.persisted") return;
        await waitMining(
          p,
          () => box.w,
          () => box.w!.batch!.get(b)?.state === "proven",
          "B proven",
        );
        await advance(p, HOUR + 1);
      });
      expect(await withRestartedStore(dataDir, key, p, b), `B after a crash at ${boundary}`).to.equal(state);
    }
    expect(Number((await p.batchMarket.getBatch(b)).status)).to.equal(BatchStatus.Paid);
    expect((await balance()) - balanceB).to.equal(payout);
    const settled = await p.batchMarket.queryFilter(p.batchMarket.filters.BatchPaid(b));
    expect(settled).to.have.length(1);

    // a last clean start finds nothing to do and sends nothing
    const nonce = await p.provider.getTransactionCount(address);
    const last = await startBatchWorker(p, key, { dataDir });
    try {
      expect(last.batch!.get(a)!.state).to.equal("paid");
      expect(last.batch!.get(b)!.state).to.equal("paid");
      expect(last.batch!.get(a)!.earned).to.equal(payout + 2n * BOND);
    } finally {
      await last.stop();
    }
    expect(await p.provider.getTransactionCount(address)).to.equal(nonce);
  });

  it("test_batch_samplingCircuitJob_crashAtEachBoundaryInTurn_paidOnceNothingLost", async function () {
    // the same path for a sampling-circuit job: Poseidon trees rebuilt from the persisted files
    // after each restart, proveSampled and answerSampled sent once
    const { ethers } = await network.create();
    const p = await batchProtocol(ethers.provider, { name: SAMPLING_CIRCUIT, numPublic: 4 });
    await challengePath(ethers, p, harness(p), {
      circuitId: circuitIdFor(SAMPLING_CIRCUIT),
      keyHash: ZeroHash,
      slots: 4,
      treeDepth: 10,
      inputsRoot: rootHex((await poseidonTree(ds.commitments, 10)).root),
      sampleSize: 6,
    });
  });
});

/** The job's state as a restarted worker's store holds it (read through a short-lived worker-free store). */
async function withRestartedStore(
  dataDir: string,
  key: string,
  p: { provider: { getNetwork(): Promise<{ chainId: bigint }> } },
  jobId: bigint,
): Promise<BatchState | undefined> {
  const chainId = (await p.provider.getNetwork()).chainId;
  const store = Store.open(
    join(dataDir, `worker-${chainId}-${new Wallet(key).address.toLowerCase()}.sqlite`),
  );
  try {
    return new BatchStore(store, Date.now).get(jobId)?.state;
  } finally {
    store.close();
  }
}
