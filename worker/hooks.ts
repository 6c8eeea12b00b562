/**
 * Fault-injection seams. The worker calls `hooks.at(boundary, ctx)` at every durable boundary of a
 * job's life (right after the store write that makes it durable, or right before a broadcast). The
 * production default does nothing; a reliability test passes hooks that crash, delay or stop the
 * worker exactly there, and checks that a restarted worker finishes every job exactly once.
 */

export const BOUNDARIES = [
  /** a JobPosted log was stored as a `discovered` job (and the cursor advanced with it). */
  "monitor.cursorSaved",
  /** the signed claim tx is stored, not yet broadcast. */
  "claim.persisted",
  /** the claim tx was handed to the node. */
  "claim.broadcast",
  /** the claim tx's receipt was read; nothing about it is stored yet. */
  "claim.mined",
  /** our claim is confirmed and the job is `claimed`. */
  "claim.confirmed",
  /** inference is about to start. */
  "execute.start",
  /** outputs are stored (`executed`). */
  "execute.done",
  /** proving is about to start (the job is in a prover thread from here). */
  "prove.start",
  /** the proof is stored (`proved`). */
  "prove.done",
  /** the signed submit tx is stored (`submitting`), not yet broadcast. */
  "submit.persisted",
  /** the submit tx was handed to the node. */
  "submit.broadcast",
  /** the submit tx's receipt was read; nothing about it is stored yet. */
  "submit.mined",
  /** the submit receipt is in and the job is `completed`. */
  "submit.confirmed",
  /** payment observed and recorded (`settled`). */
  "settle.done",
] as const;

export type Boundary = (typeof BOUNDARIES)[number];

export interface HookContext {
  jobId?: bigint;
  txHash?: string;
}

export interface WorkerHooks {
  at(boundary: Boundary, ctx: HookContext): void | Promise<void>;
}

/** The production hooks: nothing. */
export const noHooks: WorkerHooks = { at: () => undefined };
