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
  // batch jobs (worker/batch, docs/BATCH.md); each state boundary follows its store write
  /** the signed batch claim tx is stored (`claiming`), not yet broadcast. */
  "batch.claim.persisted",
  /** a batch claim is confirmed (`claimed`). */
  "batch.claimed",
  /** the outputs file and tree root are on disk and published (`executed`). */
  "batch.outputsPersisted",
  /** the signed commit tx is stored, not yet broadcast. */
  "batch.commit.persisted",
  /** the commit is mined (`committed`, sample block known). */
  "batch.committed",
  /** the sample block's randomness is recorded on chain (`sampled`). */
  "batch.sampled",
  /** the signed prove tx (k proofs) is stored, not yet broadcast. */
  "batch.prove.persisted",
  /** the prove is mined (`proven`): the challenge window runs. */
  "batch.proven",
  /** the signed answer tx is stored, not yet broadcast. */
  "batch.answer.persisted",
  /** a challenge was answered (`paid`, with the bonds). */
  "batch.answered",
  /** the signed settle tx is stored (`settling`), not yet broadcast. */
  "batch.settle.persisted",
  /** the job was settled after its challenge window (`paid`). */
  "batch.settled",
] as const;

export type Boundary = (typeof BOUNDARIES)[number];

export interface HookContext {
  jobId?: bigint;
  txHash?: string;
}

export interface WorkerHooks {
  at(boundary: Boundary, ctx: HookContext): void | Promise<void>;
  /**
   * Test-only fault: rewrites a batch job's outputs before they are committed (a cheating
   * provider faking some of them). Production hooks leave it undefined.
   */
  batchOutputs?(jobId: bigint, outputs: bigint[][]): bigint[][];
}

/** The production hooks: nothing. */
export const noHooks: WorkerHooks = { at: () => undefined };
