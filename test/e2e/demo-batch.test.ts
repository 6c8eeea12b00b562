/**
 * The requester half of `npm start -- --batch N` (demo/batch.ts) on the in-process chain, with the
 * provider side played by the batch test helper (real `mnist_mlp_small_b1` proofs) instead of the
 * worker: 128 real held-out digits posted as one batch job, claimed, committed, 4 drawn samples
 * proven, the outputs checked against the root by the demo, the challenge window fast-forwarded,
 * settled; the summary's figures are the chain's (gas from the receipts) and the model's accuracy.
 * Needs `npx tsx circuits/build.ts --profile test`.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { keccak256, parseEther } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";
import { batchSummaryLines, runBatchDemo } from "../../demo/batch.ts";
import { connectNetwork, deployProofwork, getHre } from "../../deploy/index.ts";
import {
  ProviderAccount,
  connectContracts,
  decodePredictions,
  encodeOutputsFile,
  releaseSnarkjs,
  type BatchMarket,
  type Deployment,
} from "../../sdk/node.ts";
import {
  BATCH_CIRCUIT,
  batchRecordOf,
  batchTermsOf,
  committedTree,
  drawnIndices,
  loadBatchDataset,
  sampleProofs,
  type BatchDataset,
} from "../helpers/batch.ts";

const N = 128;
const K = 4;

describe("demo --batch (requester side; provider = the batch test helper, real proofs)", function () {
  this.timeout(600_000);
  let conn: NetworkConnection;
  let deployment: Deployment;
  let dir: string;
  let ds: BatchDataset;

  before(async () => {
    ds = await loadBatchDataset(N);
    dir = mkdtempSync(join(tmpdir(), "proofwork-demo-batch-"));
    const hre = await getHre();
    conn = await connectNetwork(hre, { network: "hardhat" });
    ({ deployment } = await deployProofwork(conn, {
      circuits: [BATCH_CIRCUIT],
      networkName: "hardhat",
      writeRecord: false,
    }));
  });

  after(async () => {
    await releaseSnarkjs();
    await conn?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** The provider: waits for the job, claims, commits the true outputs, proves the drawn samples. */
  async function serve(market: BatchMarket, jobId: bigint): Promise<void> {
    while ((await market.nextJobId()) <= jobId) await new Promise((r) => setTimeout(r, 50));
    const terms = await batchTermsOf(market, jobId);
    await (await market.claim(jobId, terms)).wait();
    const file = encodeOutputsFile(ds.outputs);
    const path = join(dir, "outputs.bin");
    writeFileSync(path, file);
    let record = await batchRecordOf(market, jobId);
    await (
      await market.commit(
        jobId,
        terms,
        record.claimedAt,
        committedTree(ds).root,
        keccak256(file),
        pathToFileURL(path).href,
      )
    ).wait();
    record = await batchRecordOf(market, jobId);
    await conn.networkHelpers.mine(5);
    const { indices, header } = await drawnIndices(conn.ethers, market, jobId, terms, record.sampleBlock);
    const jobKey = await market.jobKey(jobId, record.provider);
    const proofs = await sampleProofs(ds, jobKey, indices, committedTree(ds), ds.outputs);
    await (await market.prove(jobId, terms, record, header, ds.key, proofs)).wait();
  }

  it("test_demoBatch_postedProvenCheckedPaid_summaryFromChain", async () => {
    const [, requester, providerSigner] = await conn.ethers.getSigners();
    const p = new ProviderAccount(deployment, providerSigner!);
    await p.faucet(parseEther("1000"));
    await p.stake(parseEther("500"));
    await p.register({
      gpuModel: "cpu",
      memoryMB: 1024,
      backends: ["cpu"],
      maxConcurrentJobs: 2,
      metadataURI: "",
    });
    await new ProviderAccount(deployment, requester!).faucet(parseEther("1000"));
    const market = connectContracts(deployment, providerSigner!).batchMarket!;
    const jobId = await market.nextJobId();
    const lines: string[] = [];
    // both sides at once; a failure of either fails the test at once (no dangling rejection)
    const [, summary] = await Promise.all([
      serve(market, jobId),
      runBatchDemo({
        deployment,
        circuit: deployment.circuits[BATCH_CIRCUIT]!,
        model: ds.artifact,
        requester: requester!,
        provider: conn.ethers.provider,
        numSamples: N,
        sampleSize: K,
        datasetDir: join(dir, "datasets"),
        price: parseEther("50"),
        collateral: parseEther("100"),
        advanceTime: (s) => conn.networkHelpers.time.increase(s),
        pollIntervalMs: 50,
        timeoutMs: 300_000,
        log: (l) => lines.push(l),
      }),
    ]);

    expect(summary.jobId).to.equal(jobId);
    expect(summary.numSamples).to.equal(N);
    expect(summary.provenIndices).to.have.length(K);
    // accuracy from the outputs the demo downloaded and checked = the reference model's on the digits
    const { heldOutInterleaved } = await import("../../model/data.ts");
    const labels = heldOutInterleaved()
      .slice(0, N)
      .map((s) => s.label);
    const correct = ds.outputs.filter(
      (r, i) => decodePredictions(ds.artifact, r)[0]!.predicted === labels[i],
    ).length;
    expect(summary.correct).to.equal(correct);
    expect(summary.accuracy).to.be.greaterThan(0.8);
    // gas: each of the five transactions, from their receipts
    const b = connectContracts(deployment, conn.ethers.provider).batchMarket!;
    const gasOfEvent = async (ev: "BatchClaimed" | "BatchCommitted" | "BatchProven" | "BatchPaid") => {
      const log = (await b.queryFilter(b.filters[ev](jobId))).at(-1)!;
      return (await conn.ethers.provider.getTransactionReceipt(log.transactionHash))!.gasUsed;
    };
    expect(summary.gas.claim).to.equal(await gasOfEvent("BatchClaimed"));
    expect(summary.gas.commit).to.equal(await gasOfEvent("BatchCommitted"));
    expect(summary.gas.prove).to.equal(await gasOfEvent("BatchProven"));
    expect(summary.gas.settle).to.equal(await gasOfEvent("BatchPaid"));
    const total =
      summary.gas.post + summary.gas.claim + summary.gas.commit + summary.gas.prove + summary.gas.settle;
    expect(summary.gas.total).to.equal(total);
    expect(summary.gasPerSample).to.equal(Number(total) / N);
    // paid: price − fee to the provider (fee fixed in the terms), nothing refunded at a fixed price
    const terms = await batchTermsOf(market, jobId);
    const fee = (parseEther("50") * BigInt(terms.feeBps)) / 10_000n;
    expect(summary.paid).to.deep.equal({ payout: parseEther("50") - fee, fee, refund: 0n });
    const printed = batchSummaryLines(summary).join("\n");
    expect(printed).to.contain(`accuracy           ${correct}/${N}`);
    expect(printed).to.match(/gas per sample {5}\d+\.\d/);
    expect(lines.some((l) => l.includes("outputs checked"))).to.equal(true);
  });
});
