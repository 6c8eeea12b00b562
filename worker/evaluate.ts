/**
 * Evaluate stage: decides whether to claim an open job, from the contract state read now (events
 * are only hints). Every refusal has a reason (a metric label) and says whether the job may become
 * acceptable later (the price ramps up, stake or capacity frees) or never will.
 */
import { keccak256 } from "ethers";
import { commitInput } from "../sdk/node.ts";
import { errorMessage } from "../sdk/node.ts";
import type { CircuitCheck } from "./artifacts.ts";
import { JobStatus, type Job } from "../sdk/node.ts";

export const REFUSAL_REASONS = [
  "not_open",
  "unknown_circuit",
  "circuit_inactive",
  "artifacts_mismatch",
  "artifacts_unavailable",
  "input_missing",
  "input_hash_mismatch",
  "input_malformed",
  "commitment_mismatch",
  "price_too_low",
  "claim_deadline_passed",
  "deadline_unachievable",
  "insufficient_stake",
  "at_capacity",
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** Reasons that can change while the job stays open: re-evaluated every tick. */
export const RETRYABLE_REASONS: ReadonlySet<RefusalReason> = new Set<RefusalReason>([
  "price_too_low",
  "insufficient_stake",
  "at_capacity",
  "artifacts_unavailable",
]);

export type Decision =
  { accept: true } | { accept: false; reason: RefusalReason; retryable: boolean; detail: string };

export type InputCheck =
  | { ok: true; bytes: Uint8Array }
  | {
      ok: false;
      reason: "input_missing" | "input_hash_mismatch" | "input_malformed" | "commitment_mismatch";
      detail: string;
    };

/**
 * Checks a job's input bytes against the job record: present, keccak256 equal to the stored
 * `inputHash`, the size the circuit takes, and Poseidon commitment equal to `inputCommitment`.
 */
export async function checkInput(
  bytes: Uint8Array | null,
  job: Job,
  inputBytes?: number,
): Promise<InputCheck> {
  if (bytes === null || bytes.length === 0)
    return {
      ok: false,
      reason: "input_missing",
      detail: "no input bytes in the event and none fetched from the URI",
    };
  const h = keccak256(bytes);
  if (h.toLowerCase() !== job.terms.inputHash.toLowerCase()) {
    return {
      ok: false,
      reason: "input_hash_mismatch",
      detail: `keccak256(input) ${h} != stored ${job.terms.inputHash}`,
    };
  }
  if (inputBytes !== undefined && bytes.length !== inputBytes) {
    return {
      ok: false,
      reason: "input_malformed",
      detail: `input is ${bytes.length} bytes, the circuit takes ${inputBytes}`,
    };
  }
  let c: bigint;
  try {
    c = await commitInput(bytes);
  } catch (e) {
    return { ok: false, reason: "input_malformed", detail: errorMessage(e) };
  }
  if (c !== job.terms.inputCommitment) {
    return {
      ok: false,
      reason: "commitment_mismatch",
      detail: `commitment of the input ${c} != job's ${job.terms.inputCommitment}`,
    };
  }
  return { ok: true, bytes };
}

export interface EvaluationContext {
  job: Job;
  circuit: CircuitCheck;
  input: InputCheck;
  /** `currentPrice(jobId)` now. */
  price: bigint;
  /** Chain time, seconds. */
  nowSec: number;
  freeStake: bigint;
  /** Jobs this worker holds claimed and unfinished. */
  activeJobs: number;
  maxConcurrentJobs: number;
  minPrice: bigint;
  /** Expected execute + prove + submit time for this circuit, seconds. */
  expectedWorkSec: number;
  /** Slack the execution window must leave above the expected work, seconds. */
  marginSec: number;
  /** Seconds a claim takes to land (the claim must be mined before `claimDeadline`). */
  claimLatencySec: number;
}

function refuse(reason: RefusalReason, detail: string): Decision {
  return { accept: false, reason, retryable: RETRYABLE_REASONS.has(reason), detail };
}

/** The claim decision. Pure: all inputs were read by the caller. Cheapest, most final checks first. */
export function evaluateJob(x: EvaluationContext): Decision {
  const { job } = x;
  if (job.status !== JobStatus.Open) return refuse("not_open", `status ${job.status}`);
  if (x.nowSec + x.claimLatencySec > job.terms.claimDeadline) {
    return refuse("claim_deadline_passed", `claim deadline ${job.terms.claimDeadline}, now ${x.nowSec}`);
  }
  if (!x.circuit.ok) return refuse(x.circuit.reason, x.circuit.detail);
  if (!x.input.ok) return refuse(x.input.reason, x.input.detail);
  const slack = job.terms.executionWindow - x.expectedWorkSec;
  if (slack < x.marginSec) {
    return refuse(
      "deadline_unachievable",
      `window ${job.terms.executionWindow}s, expected work ${x.expectedWorkSec.toFixed(1)}s, margin ${x.marginSec}s`,
    );
  }
  if (x.price < x.minPrice) {
    if (job.terms.maxPrice < x.minPrice)
      return {
        accept: false,
        reason: "price_too_low",
        retryable: false,
        detail: `max price ${job.terms.maxPrice} < minimum ${x.minPrice}`,
      };
    return refuse("price_too_low", `price ${x.price} < minimum ${x.minPrice}`);
  }
  if (job.terms.collateral > x.freeStake)
    return refuse("insufficient_stake", `collateral ${job.terms.collateral} > free stake ${x.freeStake}`);
  if (x.activeJobs >= x.maxConcurrentJobs)
    return refuse("at_capacity", `${x.activeJobs}/${x.maxConcurrentJobs} jobs in progress`);
  return { accept: true };
}
