/**
 * Whether a posted batch job is worth claiming (pure; the driver gathers the facts): the circuit
 * is served and active, its verifying key is the job's (sample proofs) or its signal count fits
 * the job's sampling shape (a sampling circuit), the price meets the floor, the collateral
 * fits the free stake, N is within the operator's maximum, and every window leaves room for the
 * work. The inputs file is fetched and checked against its hash and root separately, before any
 * claim (worker/batch/data.ts).
 */
import { SAMPLE_DELAY, isSamplingJob, samplingNumPublic, type BatchTerms } from "../../sdk/node.ts";

export type BatchRefusal =
  | "unknown_circuit"
  | "circuit_inactive"
  | "artifacts_mismatch"
  | "artifacts_unavailable"
  | "not_a_model_circuit"
  | "not_a_sampling_circuit"
  | "key_mismatch"
  | "too_many_samples"
  | "price_too_low"
  | "insufficient_stake"
  | "claim_deadline_passed"
  | "window_too_short"
  | "inputs_unavailable"
  | "inputs_hash_mismatch"
  | "inputs_malformed"
  | "inputs_root_mismatch";

export type BatchDecision =
  { accept: true } | { accept: false; reason: BatchRefusal; retryable: boolean; detail: string };

export interface BatchFacts {
  terms: BatchTerms;
  /** The job's verifying key hash as the worker derives it from the verified zkey (sample proofs). */
  keyHash: string;
  /** The registered circuit's public signal count (a sampling circuit's must fit the job's shape). */
  circuitNumPublic: number;
  price: bigint;
  nowSec: number;
  freeStake: bigint;
  minPrice: bigint;
  maxSamples: number;
  /** Expected inference throughput, samples per second. */
  samplesPerSecond: number;
  /** Expected seconds to prove one sample. */
  proofSeconds: number;
  /** Slack every window must leave above the expected work, seconds. */
  marginSec: number;
  claimLatencySec: number;
}

/** The decision for a batch job whose circuit is served (circuit problems are refused before). */
export function evaluateBatch(f: BatchFacts): BatchDecision {
  const { terms: t } = f;
  const no = (reason: BatchRefusal, retryable: boolean, detail: string): BatchDecision => ({
    accept: false,
    reason,
    retryable,
    detail,
  });
  if (isSamplingJob(t)) {
    // a sampling-circuit job (docs/BATCH.md "Design 2"): no key in its terms; the circuit's signal
    // count must fit its shape (the shape itself is checked by a witness before the claim)
    const want = samplingNumPublic(t);
    if (f.circuitNumPublic !== want)
      return no(
        "not_a_sampling_circuit",
        false,
        `${t.slots} slots over depth ${t.treeDepth} need ${want} public signals, the circuit has ${f.circuitNumPublic}`,
      );
  } else if (f.keyHash.toLowerCase() !== t.keyHash.toLowerCase())
    return no("key_mismatch", false, `job key ${t.keyHash}, circuit's ${f.keyHash}`);
  if (t.numSamples > f.maxSamples)
    return no("too_many_samples", false, `${t.numSamples} samples, this worker takes ${f.maxSamples}`);
  if (f.nowSec + f.claimLatencySec >= t.claimDeadline)
    return no("claim_deadline_passed", false, `claim deadline ${t.claimDeadline}`);
  if (f.price < f.minPrice) {
    // a rising auction may reach the floor later
    const later = t.maxPrice >= f.minPrice;
    return no("price_too_low", later, `price ${f.price} below the floor ${f.minPrice}`);
  }
  if (f.freeStake < t.collateral)
    return no("insufficient_stake", true, `free stake ${f.freeStake} below collateral ${t.collateral}`);
  const run = t.numSamples / f.samplesPerSecond + f.marginSec;
  if (t.commitWindow < run)
    return no(
      "window_too_short",
      false,
      `commit window ${t.commitWindow}s, running takes ~${Math.ceil(run)}s`,
    );
  // the sample block comes SAMPLE_DELAY blocks after the commit (~12 s each on Ethereum)
  const prove = SAMPLE_DELAY * 12 + t.sampleSize * f.proofSeconds + f.marginSec;
  if (t.proveWindow < prove)
    return no(
      "window_too_short",
      false,
      `prove window ${t.proveWindow}s, proving takes ~${Math.ceil(prove)}s`,
    );
  const answer = t.maxChallenges * f.proofSeconds + f.marginSec;
  if (t.maxChallenges > 0 && t.answerWindow < answer)
    return no(
      "window_too_short",
      false,
      `answer window ${t.answerWindow}s, answering takes ~${Math.ceil(answer)}s`,
    );
  return { accept: true };
}
