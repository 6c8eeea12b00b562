/**
 * A cheating provider, through the worker's test-only fault hook (`batchOutputs`): it fakes a
 * fraction f = 1/4 of each batch's outputs (N = 64, k = 4) over many jobs. A faked sample cannot
 * be proven, so the worker logs it and lets the deadline pass; anyone then slashes the job. The
 * share of jobs caught must match the protocol's detection probability (SDK
 * `exactDetectionProbability`, hypergeometric) within a binomial bound, and each job must be caught
 * exactly when its drawn indices (SDK `sampleIndices` from the sample block) hit a faked one. A
 * requester challenging a faked index that sampling missed gets the provider slashed as well.
 */
import { expect } from "chai";
import { keccak256, toBeHex } from "ethers";
import { network } from "hardhat";
import { releaseCurves } from "../../circuits/pipeline.ts";
import { BatchStatus, exactDetectionProbability, sampleIndices } from "../../sdk/batch.ts";
import type { WorkerHandle } from "../../worker/index.ts";
import {
  batchRecordOf,
  batchTermsOf,
  drawnIndices,
  fakeOutputs,
  loadBatchDataset,
  type BatchDataset,
} from "../helpers/batch.ts";
import {
  HOUR,
  advance,
  batchProtocol,
  postBatchJob,
  startBatchWorker,
  waitMining,
} from "../helpers/batch-worker.ts";

const N = 64;
const K = 4;
const FAKED = 16; // f = 0.25
const JOBS = 12;

/** P(X = x) for X ~ Binomial(n, p). */
function binomialPmf(n: number, p: number, x: number): number {
  let c = 1;
  for (let i = 0; i < x; i++) c = (c * (n - i)) / (i + 1);
  return c * p ** x * (1 - p) ** (n - x);
}

/** The central range of Binomial(n, p) leaving at most `tail` on each side. */
function binomialRange(n: number, p: number, tail: number): [number, number] {
  let lo = 0;
  let below = 0;
  while (below + binomialPmf(n, p, lo) <= tail) below += binomialPmf(n, p, lo++);
  let hi = n;
  let above = 0;
  while (above + binomialPmf(n, p, hi) <= tail) above += binomialPmf(n, p, hi--);
  return [lo, hi];
}

/** The `count` indices job `jobId` fakes (seeded by the job id, drawn by the SDK's sampler). */
const fakedOf = (jobId: bigint, count: number): number[] =>
  sampleIndices(keccak256(toBeHex(jobId, 32)), N, count);

let ds: BatchDataset;

describe("worker batch mode: a provider faking outputs is caught", function () {
  this.timeout(400_000);

  before(async function () {
    ds = await loadBatchDataset(N);
  });
  after(releaseCurves);

  it("test_batch_fakingFractionOfOutputs_slashedAtTheDetectionRate_andChallengeCatchesAMissedFake", async function () {
    const { ethers } = await network.create();
    const p = await batchProtocol(ethers.provider);
    /** Faked indices by job id: JOBS jobs with f = 1/4, then two faking a single output. */
    const plan = new Map<bigint, number[]>();
    const box: { w?: WorkerHandle } = {};
    box.w = await startBatchWorker(p, p.providerKeys[0]!, {
      maxConcurrentJobs: 4,
      hooks: {
        at: () => undefined,
        batchOutputs: (jobId, outputs) => fakeOutputs(outputs, plan.get(jobId) ?? []),
      },
    });
    const w = box.w;
    try {
      const jobs: bigint[] = [];
      for (let j = 0; j < JOBS + 2; j++) {
        const jobId = await p.batchMarket.nextJobId();
        plan.set(jobId, fakedOf(jobId, j < JOBS ? FAKED : 1));
        jobs.push((await postBatchJob(p, ds)).jobId);
      }
      const settledOrFailed = () =>
        jobs.every((id) => ["proven", "failed"].includes(w.batch!.get(id)?.state ?? ""));
      await waitMining(p, () => box.w, settledOrFailed, "every job proven or given up", 300_000);

      // caught exactly when a drawn index is a faked one
      const caught: bigint[] = [];
      const missed: bigint[] = [];
      for (const id of jobs) {
        const terms = await batchTermsOf(p.batchMarket, id);
        const record = await batchRecordOf(p.batchMarket, id);
        const { indices } = await drawnIndices(ethers, p.batchMarket, id, terms, record.sampleBlock);
        const hit = indices.some((i) => plan.get(id)!.includes(i));
        const row = w.batch!.get(id)!;
        expect(row.state, `job ${id}: drawn ${indices.join(",")} faked ${plan.get(id)!.join(",")}`).to.equal(
          hit ? "failed" : "proven",
        );
        if (hit) {
          expect(row.reason).to.equal("unprovable");
          caught.push(id);
        } else missed.push(id);
      }
      // the rate: within the central 99.9% of Binomial(JOBS, p) with the exact detection probability
      const prob = exactDetectionProbability(N, FAKED, K);
      const [lo, hi] = binomialRange(JOBS, prob, 0.0005);
      const caughtAtQuarter = caught.filter((id) => jobs.indexOf(id) < JOBS).length;
      expect(caughtAtQuarter, `caught ${caughtAtQuarter}/${JOBS}, p = ${prob.toFixed(3)}`).to.be.within(
        lo,
        hi,
      );

      // a faked output sampling missed: the requester challenges it, the worker cannot answer
      expect(missed.length, "jobs whose faked outputs sampling missed").to.be.greaterThan(0);
      const target = missed[missed.length - 1];
      const terms = await batchTermsOf(p.batchMarket, target!);
      const record = await batchRecordOf(p.batchMarket, target!);
      const fake = plan.get(target!)![0]!;
      await (await p.batchMarket.challenge(target!, terms, record, [fake])).wait();
      await waitMining(
        p,
        () => box.w,
        () => w.batch!.get(target!)?.state === "failed",
        "challenge not answerable",
      );
      expect(w.batch!.get(target!)!.reason).to.equal("unprovable");

      // past every deadline: anyone slashes the given-up jobs; the honest-looking rest is settled
      await advance(p, 2 * HOUR + 2);
      for (const id of [...caught, target!]) {
        const t = await batchTermsOf(p.batchMarket, id);
        const r = await batchRecordOf(p.batchMarket, id);
        await (await p.batchMarket.slashExpired(id, t, r)).wait();
        expect(Number((await p.batchMarket.getBatch(id)).status), `job ${id}`).to.equal(BatchStatus.Slashed);
        const [ev] = await p.batchMarket.queryFilter(p.batchMarket.filters.BatchSlashed(id));
        expect(ev!.args.toRequester + ev!.args.bounty + ev!.args.toTreasury).to.equal(t.collateral);
      }
      const rest = missed.filter((id) => id !== target);
      await waitMining(
        p,
        () => box.w,
        () => rest.every((id) => w.batch!.get(id)?.state === "paid"),
        "rest paid",
      );
      for (const id of rest)
        expect(Number((await p.batchMarket.getBatch(id)).status)).to.equal(BatchStatus.Paid);
      expect(w.phase()).to.equal("running");
    } finally {
      await w.stop();
    }
  });
});
