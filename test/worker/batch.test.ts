/**
 * The worker's batch mode end to end on the in-process chain (real EVM, real TF.js inference on
 * the wasm backend, real Groth16 proofs of `mnist_mlp_small_b1`, real held-out MNIST digits): a
 * posted batch is fetched and checked, run, committed, sampled, proven and settled, the provider
 * paid; the requester's outputs file verifies against the root and equals the reference. A
 * challenge is answered automatically and pays the bonds; data that does not match the job's
 * commitments is refused with its reason and never claimed.
 */
import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEther, type Contract } from "ethers";
import { network } from "hardhat";
import { BatchStatus } from "../../sdk/batch.ts";
import { decodePublicOutputs } from "../../sdk/node.ts";
import { jobDir } from "../../worker/batch/data.ts";
import type { WorkerHandle } from "../../worker/index.ts";
import { releaseCurves } from "../../circuits/pipeline.ts";
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
  requesterOutputs,
  startBatchWorker,
  subset,
  waitMining,
} from "../helpers/batch-worker.ts";

const PRICE = parseEther("20");
const FEE_BPS = 100n;
const BOND = parseEther("1");

let ds: BatchDataset;

async function balance(p: { token: Contract }, who: string): Promise<bigint> {
  return BigInt((await p.token.getFunction("balanceOf")(who)) as bigint);
}

describe("worker batch mode (in-process chain, real inference and proofs)", function () {
  this.timeout(300_000);

  before(async function () {
    ds = await loadBatchDataset(1000);
  });
  after(releaseCurves);

  it("test_batch_e2e_thousandDigitsRunCommittedSampledProvenAndPaid", async function () {
    const { ethers } = await network.create();
    const p = await batchProtocol(ethers.provider);
    const box: { w?: WorkerHandle } = {};
    const dataDir = mkdtempSync(join(tmpdir(), "pw-batch-worker-"));
    box.w = await startBatchWorker(p, p.providerKeys[0]!, { dataDir });
    const w = box.w;
    try {
      const before = await balance(p, w.address);
      // a plain path as the inputs URI (the worker also takes file:// and http(s)://)
      const { jobId } = await postBatchJob(p, ds, { uri: (path) => path });
      await waitMining(
        p,
        () => box.w,
        () => w.batch!.get(jobId)?.state === "proven",
        "batch proven",
      );
      const row = w.batch!.get(jobId)!;
      expect(row.outputsRoot).to.match(/^0x[0-9a-f]{64}$/);
      // the requester: the published file verifies against the committed hash and root, and its
      // outputs are the bigint reference's for every one of the 1,000 digits
      const view = await requesterOutputs(p.batchMarket, jobId, ds.commitments);
      expect(view.root).to.equal(row.outputsRoot);
      expect(view.outputs).to.deep.equal(ds.outputs);
      const predictions = view.outputs.map((o) => decodePublicOutputs(ds.artifact, o).predictions[0]);
      expect(predictions).to.have.length(1000);
      // the proven samples are the ones the SDK derives from the sample block
      const terms = await batchTermsOf(p.batchMarket, jobId);
      const record = await batchRecordOf(p.batchMarket, jobId);
      const { indices } = await drawnIndices(ethers, p.batchMarket, jobId, terms, record.sampleBlock);
      const proven = (await p.batchMarket.queryFilter(p.batchMarket.filters.BatchProven(jobId))).at(-1)!;
      expect(proven.args.indices.map(Number)).to.deep.equal(indices);

      // the challenge window passes; the worker settles and is paid
      await advance(p, HOUR + 1);
      await waitMining(
        p,
        () => box.w,
        () => w.batch!.get(jobId)?.state === "paid",
        "batch paid",
      );
      expect(Number((await p.batchMarket.getBatch(jobId)).status)).to.equal(BatchStatus.Paid);
      const payout = PRICE - (PRICE * FEE_BPS) / 10_000n;
      expect((await balance(p, w.address)) - before).to.equal(payout);
      expect(w.batch!.get(jobId)!.earned).to.equal(payout);
      // the job's working files (inputs copy, outputs) are gone; the published outputs stay
      expect(existsSync(jobDir(dataDir, 31337n, jobId)), "job directory removed once paid").to.equal(false);
      expect(existsSync(new URL(view.uri)), "published outputs kept").to.equal(true);
      // claim, commit, prove and settle were paid for and accounted to the job
      expect(w.batch!.get(jobId)!.gasSpent > 0n).to.equal(true);
      const text = await w.metrics.registry.metrics();
      expect(text).to.match(/proofwork_batch_samples_total 1000/);
      expect(text).to.match(/proofwork_batch_samples_per_second \d/);
    } finally {
      await w.stop();
    }
  });

  it("test_batch_challenge_answeredAutomaticallyAndBondsPaid", async function () {
    const { ethers } = await network.create();
    const p = await batchProtocol(ethers.provider);
    const small = subset(ds, 64);
    const box: { w?: WorkerHandle } = {};
    box.w = await startBatchWorker(p, p.providerKeys[0]!);
    const w = box.w;
    try {
      const before = await balance(p, w.address);
      const { jobId } = await postBatchJob(p, small);
      await waitMining(
        p,
        () => box.w,
        () => w.batch!.get(jobId)?.state === "proven",
        "batch proven",
      );
      const terms = await batchTermsOf(p.batchMarket, jobId);
      const record = await batchRecordOf(p.batchMarket, jobId);
      const { indices: drawn } = await drawnIndices(ethers, p.batchMarket, jobId, terms, record.sampleBlock);
      // two indices sampling did not draw
      const doubted = [...Array(64).keys()].filter((i) => !drawn.includes(i)).slice(-2);
      await (await p.batchMarket.challenge(jobId, terms, record, doubted)).wait();
      await waitMining(
        p,
        () => box.w,
        () => w.batch!.get(jobId)?.state === "paid",
        "challenge answered",
      );
      const answered = await p.batchMarket.queryFilter(p.batchMarket.filters.BatchAnswered(jobId));
      expect(answered).to.have.length(1);
      expect(Number((await p.batchMarket.getBatch(jobId)).status)).to.equal(BatchStatus.Paid);
      const payout = PRICE - (PRICE * FEE_BPS) / 10_000n + 2n * BOND;
      expect((await balance(p, w.address)) - before).to.equal(payout);
      expect(w.batch!.history(jobId).map((h) => h.to)).to.include.members([
        "challenged",
        "answering",
        "paid",
      ]);
    } finally {
      await w.stop();
    }
  });

  it("test_batch_inputsNotMatchingTheJob_refusedWithReasonNeverClaimed", async function () {
    const { ethers } = await network.create();
    const p = await batchProtocol(ethers.provider);
    const small = subset(ds, 16);
    const box: { w?: WorkerHandle } = {};
    const dataDir = mkdtempSync(join(tmpdir(), "pw-batch-worker-"));
    // the inputs of one job sit behind a server that fails (503) until told otherwise
    const fetchedAt: number[] = [];
    let serving: Uint8Array | null = null;
    const server = createServer((_req, res) => {
      fetchedAt.push(performance.now());
      if (serving === null) res.writeHead(503).end();
      else res.writeHead(200, { "content-length": serving.length }).end(serving);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const RETRY_BASE_MS = 250;
    box.w = await startBatchWorker(p, p.providerKeys[0]!, { dataDir, batchRetryBaseMs: RETRY_BASE_MS });
    const w = box.w;
    try {
      // the file changed after posting: its hash is not the job's
      const changed = await postBatchJob(p, small);
      const bytes = small.inputsFile.slice();
      bytes[3] = (bytes[3]! + 1) % 256;
      writeFileSync(changed.inputsPath, bytes);
      // the right file, posted with another dataset's root
      const wrongRoot = await postBatchJob(p, small, { inputsRoot: subset(ds, 17).inputs_.root });
      // nothing at the URI
      const missing = await postBatchJob(p, small, { uri: () => "file:///nonexistent/proofwork/inputs.bin" });
      const flaky = await postBatchJob(p, small, { uri: () => `http://127.0.0.1:${port}/inputs.bin` });
      const good = await postBatchJob(p, small);
      await waitMining(
        p,
        () => box.w,
        () => w.batch!.get(good.jobId)?.state === "proven",
        "good job proven",
      );
      await waitMining(
        p,
        () => box.w,
        () => [changed, wrongRoot, missing].every((j) => w.batch!.get(j.jobId)?.state === "refused"),
        "refusals",
      );
      expect(w.batch!.get(changed.jobId)!.reason).to.equal("inputs_hash_mismatch");
      expect(w.batch!.get(wrongRoot.jobId)!.reason).to.equal("inputs_root_mismatch");
      expect(w.batch!.get(missing.jobId)!.reason).to.equal("inputs_unavailable");
      for (const j of [changed, wrongRoot, missing])
        expect(Number((await p.batchMarket.getBatch(j.jobId)).status)).to.equal(BatchStatus.Open);
      // refused for good: the fetched files are removed (in the background of the refusal)
      await waitMining(
        p,
        () => box.w,
        () => [changed, wrongRoot].every((j) => !existsSync(jobDir(dataDir, 31337n, j.jobId))),
        "the refused jobs' files removed",
        10_000,
      );

      // an unreachable dataset is retried with a doubling backoff, not fetched again every tick:
      // the n-th wait is at least base × 2^(n-1)
      await waitMining(
        p,
        () => box.w,
        () => fetchedAt.length >= 5 && w.batch!.get(flaky.jobId)?.state === "refused",
        "four retries of the unreachable dataset",
      );
      expect(w.batch!.get(flaky.jobId)!.reason).to.equal("inputs_unavailable");
      expect(w.batch!.get(flaky.jobId)!.retryable).to.equal(true);
      for (let n = 1; n < 5; n++) {
        const gap = fetchedAt[n]! - fetchedAt[n - 1]!;
        expect(gap, `wait before retry ${n}`).to.be.at.least(RETRY_BASE_MS * 2 ** (n - 1) - 5);
      }
      // once the dataset is served the job is claimed and proven
      serving = new Uint8Array(readFileSync(flaky.inputsPath));
      await waitMining(
        p,
        () => box.w,
        () => w.batch!.get(flaky.jobId)?.state === "proven",
        "the retried job proven",
      );
      expect(w.phase()).to.equal("running");
    } finally {
      await w.stop();
      server.close();
    }
  });
});
