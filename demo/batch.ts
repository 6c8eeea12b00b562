/**
 * The requester's half of `npm start -- --batch N` (docs/BATCH.md): N real held-out MNIST digits as
 * ONE batch job — inputs file, commitments and root built and published, the job posted, followed
 * through claim → commit → sample proof → (challenge window) → paid, the outputs downloaded and
 * checked against the committed root, and a summary of inference throughput against proving time
 * and gas per sample.
 *
 * The provider side is whoever serves the BatchMarket: in `demo/main.ts` the in-process worker
 * (`bootWorker`, batch mode: claims the job, fetches and checks the inputs file from its `file://`
 * URI, runs all N samples, publishes the outputs file, commits, waits `SAMPLE_DELAY` blocks, proves
 * the k drawn samples, answers challenges); in `test/e2e/demo-batch.test.ts` the batch test helper.
 * This module only needs the chain (a provider and the requester's signer) and, on a dev chain, a
 * way to let time pass (`advanceTime`) so that the challenge window closes without waiting for it.
 */
import { formatUnits, type Provider, type Signer } from "ethers";
import {
  BatchClient,
  BatchStatus,
  ErrorCodes,
  ProofworkError,
  batchProofFor,
  buildBatchInputs,
  connectContracts,
  decodePredictions,
  encodeImageBytes,
  fetchArtifact,
  fetchBatchResults,
  publishBatchFile,
  readCircuit,
  resolveVerificationKey,
  type BatchJob,
  type CircuitRecord,
  type Deployment,
  type ModelArtifact,
} from "../sdk/node.ts";

export interface BatchDemoOptions {
  deployment: Deployment;
  circuit: CircuitRecord;
  model: ModelArtifact;
  requester: Signer;
  provider: Provider;
  /** N: digits in the job (from the start of the class-interleaved held-out set). */
  numSamples: number;
  /** k: samples proven on-chain. */
  sampleSize: number;
  /** Where the inputs file is published (its `file://` URL is the job's inputsURI). */
  datasetDir: string;
  /** Price of the whole batch (escrowed) and the provider's collateral, in token base units. */
  price: bigint;
  collateral: bigint;
  /** Lets `seconds` of chain time pass (a dev chain's `evm_increaseTime` + a block). */
  advanceTime?: (seconds: number) => Promise<unknown>;
  /** Give up after this long (TIMEOUT). */
  timeoutMs?: number;
  pollIntervalMs?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface BatchDemoSummary {
  jobId: bigint;
  numSamples: number;
  sampleSize: number;
  provenIndices: number[];
  correct: number;
  accuracy: number;
  /** Chain-observed phases (wall clock between the status changes the requester saw). */
  seconds: { requesterPrepare: number; claimToCommit: number; commitToProven: number; total: number };
  /** Whether the claim was seen apart from the commit (else `claimToCommit` runs from the post). */
  inferenceFrom: "claim" | "post";
  /** Samples per second from claim to commit (fetch + check inputs, inference, outputs tree, publish). */
  inferenceSamplesPerSecond: number;
  /** Seconds per proven sample (commit → proven, / k) and what proving all N would take at that rate. */
  provingSecondsPerSample: number;
  provingAllSecondsEstimate: number;
  gas: { post: bigint; claim: bigint; commit: bigint; prove: bigint; settle: bigint; total: bigint };
  gasPerSample: number;
  gasPerProvenSample: number;
  paid: { payout: bigint; fee: bigint; refund: bigint };
}

/** Runs one batch job of `numSamples` held-out digits end to end (requester side). */
export async function runBatchDemo(o: BatchDemoOptions): Promise<BatchDemoSummary> {
  const log = o.log ?? (() => undefined);
  const t0 = performance.now();
  const { heldOutInterleaved } = await import("../model/data.ts");
  const digits = heldOutInterleaved().slice(0, o.numSamples);
  if (digits.length < o.numSamples) {
    throw new ProofworkError(
      ErrorCodes.BAD_NUMBER,
      `--batch: the held-out set has ${digits.length} digits, not ${o.numSamples}`,
    );
  }
  // a sampling circuit (its record says its shape): Poseidon trees, no key in the terms
  const { key, treeDepth } = await batchProofFor(o.circuit, async () => {
    const registered = await readCircuit(connectContracts(o.deployment, o.provider).registry, o.circuit.id);
    return (
      await resolveVerificationKey(o.provider, registered, { fetch: fetchArtifact, vkeyUri: o.circuit.vkUri })
    ).vkey;
  });
  const inputs = await buildBatchInputs(
    digits.map((d) => encodeImageBytes(o.model, d.image)),
    undefined,
    treeDepth,
  );
  const published = publishBatchFile(inputs.inputsFile, inputs.inputsHash, { dir: o.datasetDir });
  const requesterPrepare = (performance.now() - t0) / 1000;
  log(
    `${inputs.numSamples} digits → inputs file ${published.uri} (${inputs.inputsFile.length.toLocaleString("en-US")} bytes), root ${inputs.inputsRoot.slice(0, 18)}… (${requesterPrepare.toFixed(1)}s)`,
  );

  const client = new BatchClient(o.deployment, o.requester, { confirmations: 1 });
  const posted = await client.postBatch({
    circuit: o.circuit.id,
    inputs,
    inputsURI: published.uri,
    key,
    sampleSize: o.sampleSize,
    maxChallenges: 4,
    pricing: { price: o.price },
    collateral: o.collateral,
    claimPeriod: 600,
    windows: { commit: 900, prove: 900, challenge: 60, answer: 600 },
  });
  log(`posted batch job ${posted.jobId}: N = ${o.numSamples}, k = ${o.sampleSize} (gas ${posted.gasUsed})`);

  const seen: Partial<Record<number, number>> = {};
  const onStatus = (j: BatchJob) => {
    seen[j.status] ??= performance.now();
    const extra =
      j.status === BatchStatus.Claimed
        ? ` by ${j.record.provider}`
        : j.status === BatchStatus.Committed
          ? ` — outputs ${j.outputsURI}`
          : j.status === BatchStatus.Proven
            ? ` — samples ${j.provenIndices?.join(", ")} proven in one transaction`
            : "";
    log(`  job ${j.jobId}: ${j.statusName}${extra}`);
  };
  const wait = { timeoutMs: o.timeoutMs ?? 900_000, pollIntervalMs: o.pollIntervalMs ?? 200, onStatus };
  let job = await client.waitForStatus(posted.jobId, [BatchStatus.Proven, BatchStatus.Paid], wait);
  if (job.status !== BatchStatus.Proven && job.status !== BatchStatus.Paid) {
    throw new ProofworkError(
      ErrorCodes.JOB_EXPIRED,
      `batch job ${posted.jobId} ended ${job.statusName} instead of being proven`,
    );
  }
  const tProven = performance.now();

  // the outputs: downloaded and checked against the committed root, then scored
  const { outputs } = await fetchBatchResults(job, { commitments: inputs.commitments });
  const predicted = outputs.map((r) => decodePredictions(o.model, r)[0]?.predicted ?? -1);
  const correct = predicted.filter((p, i) => p === digits[i]!.label).length;
  log(
    `outputs checked: keccak256 = outputsHash, tree root = the committed outputsRoot; accuracy ${correct}/${outputs.length}`,
  );

  // the challenge window: let it pass (at once on a dev chain), then pay unless someone already did
  if (job.status === BatchStatus.Proven) {
    const deadline = job.challengeDeadline ?? 0;
    const chainNow = async () => (await o.provider.getBlock("latest"))?.timestamp ?? 0;
    if (o.advanceTime !== undefined && (await chainNow()) <= deadline)
      await o.advanceTime(deadline - (await chainNow()) + 1);
    const started = Date.now();
    while ((await chainNow()) <= deadline) {
      if (Date.now() - started > wait.timeoutMs)
        throw new ProofworkError(
          ErrorCodes.TIMEOUT,
          `the challenge window of job ${posted.jobId} never closed`,
        );
      await new Promise((r) => setTimeout(r, wait.pollIntervalMs));
    }
    try {
      await client.settle(posted.jobId);
    } catch (e) {
      // a keeper (or the provider's worker) may have settled it first
      if ((await client.getBatchJob(posted.jobId)).status !== BatchStatus.Paid) throw e;
    }
    job = await client.getBatchJob(posted.jobId);
  }
  if (job.status !== BatchStatus.Paid || job.paid === undefined) {
    throw new ProofworkError(
      ErrorCodes.BATCH_STATE,
      `batch job ${posted.jobId} is ${job.statusName}, not Paid`,
    );
  }
  log(
    `  job ${job.jobId}: Paid — ${formatUnits(job.paid.payout, 18)} to the provider, ${formatUnits(job.paid.refund, 18)} refunded`,
  );

  // gas of the job's five transactions
  const gasOf = async (hash: string | undefined) => {
    if (hash === undefined) return 0n;
    const r = await o.provider.getTransactionReceipt(hash);
    return r?.gasUsed ?? 0n;
  };
  const gas = {
    post: posted.gasUsed,
    claim: await gasOf(job.txs.claimed),
    commit: await gasOf(job.txs.committed),
    prove: await gasOf(job.txs.proven),
    settle: await gasOf(job.txs.final),
    total: 0n,
  };
  gas.total = gas.post + gas.claim + gas.commit + gas.prove + gas.settle;
  const tPosted = seen[BatchStatus.Open] ?? t0;
  const tClaimed = seen[BatchStatus.Claimed] ?? tPosted;
  const tCommitted = seen[BatchStatus.Committed] ?? tClaimed;
  const claimToCommit = Math.max(1e-3, (tCommitted - tClaimed) / 1000);
  const commitToProven = Math.max(1e-3, (tProven - tCommitted) / 1000);
  const provingSecondsPerSample = commitToProven / o.sampleSize;
  return {
    jobId: posted.jobId,
    numSamples: o.numSamples,
    sampleSize: o.sampleSize,
    provenIndices: job.provenIndices ?? [],
    correct,
    accuracy: correct / o.numSamples,
    seconds: {
      requesterPrepare,
      claimToCommit,
      commitToProven,
      total: (performance.now() - t0) / 1000,
    },
    inferenceFrom: seen[BatchStatus.Claimed] !== undefined ? "claim" : "post",
    inferenceSamplesPerSecond: o.numSamples / claimToCommit,
    provingSecondsPerSample,
    provingAllSecondsEstimate: provingSecondsPerSample * o.numSamples,
    gas,
    gasPerSample: Number(gas.total) / o.numSamples,
    gasPerProvenSample: Number(gas.total) / o.sampleSize,
    paid: { payout: job.paid.payout, fee: job.paid.fee, refund: job.paid.refund },
  };
}

/** The summary's lines (what `npm start -- --batch N` prints). */
export function batchSummaryLines(s: BatchDemoSummary): string[] {
  const n = (v: number | bigint) => v.toLocaleString("en-US");
  return [
    `  batch job          ${s.jobId}: ${n(s.numSamples)} held-out digits, ${s.sampleSize} proven on-chain (indices ${s.provenIndices.join(", ")})`,
    `  accuracy           ${n(s.correct)}/${n(s.numSamples)} (${(s.accuracy * 100).toFixed(1)}%), every output checked against the committed root`,
    `  inference          ${n(s.numSamples)} samples ${s.inferenceFrom} → commit in ${s.seconds.claimToCommit.toFixed(1)}s: ${n(Math.round(s.inferenceSamplesPerSecond))} samples/s (${s.inferenceFrom === "post" ? "discover, claim, " : ""}fetch, check, run, tree, publish)`,
    `  proving            ${s.sampleSize} samples commit → proven in ${s.seconds.commitToProven.toFixed(1)}s (${s.provingSecondsPerSample.toFixed(2)}s each; all ${n(s.numSamples)} would take ~${n(Math.round(s.provingAllSecondsEstimate))}s, ${(s.numSamples / s.sampleSize).toFixed(0)}× more)`,
    `  gas                post ${n(s.gas.post)} + claim ${n(s.gas.claim)} + commit ${n(s.gas.commit)} + prove ${n(s.gas.prove)} + settle ${n(s.gas.settle)} = ${n(s.gas.total)}`,
    `  gas per sample     ${s.gasPerSample.toFixed(1)} (${n(Math.round(s.gasPerProvenSample))} per proven sample)`,
    `  paid               ${formatUnits(s.paid.payout, 18)} PWT to the provider (fee ${formatUnits(s.paid.fee, 18)}), ${formatUnits(s.paid.refund, 18)} refunded`,
  ];
}
