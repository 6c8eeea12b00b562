/**
 * The job state machine. Every job the worker has heard of is a row in the store with one of these
 * states; every change goes through `assertTransition`, so the store can never hold a job in a
 * state it could not have reached.
 *
 *   discovered ─┬─> refused ──(retryable reason, re-evaluated)──> discovered
 *               ├─> taken                  (someone else claimed it / it closed before we acted)
 *               └─> claiming ─┬─> lost     (claim reverted: lost the race)
 *                             └─> claimed ─> executed ─> proved ─> submitting ─> completed ─> settled
 *   claimed | executed | proved | submitting ─> failed   (deadline passed or unrecoverable error)
 *   completed ─> failed     (a reorg removed the submit and it could not be re-mined before the deadline)
 *   settled ─> completed    (a reorg removed the collect that paid it: collected again)
 *
 * Durable boundaries (the worker resumes from each after a crash):
 * - `claiming`: the signed claim tx (hash, nonce, raw) is stored *before* it is broadcast.
 * - `claimed`: the chain confirmed our claim; the execution deadline is known.
 * - `executed`: outputs stored; `proved`: proof calldata stored (proving is not repeated).
 * - `submitting`: the signed submit tx is stored before broadcast, so a restart re-sends the very
 *   same transaction (same nonce, same hash) instead of paying for a second one.
 * - `completed`: submit mined successfully; waits for a batched `collect` (by count or age);
 *   `settled`: the collect's `JobPaid` observed and earnings recorded.
 */
import { ProofworkError } from "../sdk/node.ts";
import { WorkerErrorCodes } from "./errors.ts";

export const JOB_STATES = [
  "discovered",
  "refused",
  "taken",
  "claiming",
  "lost",
  "claimed",
  "executed",
  "proved",
  "submitting",
  "completed",
  "settled",
  "failed",
] as const;

export type JobState = (typeof JOB_STATES)[number];

const TRANSITIONS: Record<JobState, readonly JobState[]> = {
  discovered: ["refused", "taken", "claiming"],
  refused: ["discovered", "taken"],
  // a hint said "someone else has it" but the chain says our claim won: the chain is the truth;
  // or a reorg replaced the job under that id (a new JobPosted): it is discovered again
  taken: ["claimed", "discovered"],
  claiming: ["claimed", "lost", "taken"],
  lost: [],
  claimed: ["executed", "failed"],
  executed: ["proved", "failed"],
  proved: ["submitting", "failed"],
  submitting: ["completed", "failed", "proved"],
  // a reorg removed the submit's block and the same signed submit could not be mined again in time
  completed: ["settled", "failed"],
  // a reorg removed the block of the collect that paid it: it waits for the next collect
  settled: ["completed"],
  failed: [],
};

/** States in which the job is ours to finish (claimed on-chain, not yet submitted successfully). */
export const ACTIVE_STATES: readonly JobState[] = ["claimed", "executed", "proved", "submitting"];
/** States from which nothing more happens. */
export const TERMINAL_STATES: readonly JobState[] = ["taken", "lost", "settled", "failed"];

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws ILLEGAL_TRANSITION unless `from → to` is an edge of the state machine. */
export function assertTransition(jobId: bigint, from: JobState, to: JobState): void {
  if (!canTransition(from, to)) {
    throw new ProofworkError(
      WorkerErrorCodes.ILLEGAL_TRANSITION,
      `job ${jobId}: illegal state transition ${from} -> ${to}`,
      { jobId: jobId.toString(), from, to },
    );
  }
}

export function isJobState(s: string): s is JobState {
  return (JOB_STATES as readonly string[]).includes(s);
}
