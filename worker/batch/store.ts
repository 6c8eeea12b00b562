/**
 * Durable state of batch jobs (docs/BATCH.md): one row per batch job the worker has heard of, in
 * the worker's SQLite file (its own table, written inside the same transactions as the `txs`
 * table, so a signed transaction and the state that points at it are stored together).
 *
 *   discovered ─┬─> refused ──(retryable reason, re-evaluated)──> discovered
 *               ├─> taken                (claimed by another, cancelled, reclaimed)
 *               └─> claiming ─┬─> taken  (claim reverted: lost the race)
 *                             └─> claimed ─> executed ─> committing ─> committed
 *   committed ─> sampling ─> sampled ─> proving ─> proven      (or committed ─> proving directly)
 *   proven ─┬─> settling ─> paid                    (challenge window over)
 *           └─> challenged ─> answering ─> paid     (every challenged index proven: + bonds)
 *   any owned state ─> failed                        (slashed, deadline passed, unprovable output)
 *
 * Durable boundaries: `claiming`/`committing`/`sampling`/`proving`/`settling`/`answering` store the
 * signed transaction's hash before it is broadcast (a restart re-sends the same bytes); `executed`
 * means the outputs file is on disk and published with its root; the record fields (claim time,
 * outputs root, sample block, randomness, challenged indices) are stored as each step fixes them.
 */
import type { SQLOutputValue } from "node:sqlite";
import { ProofworkError, type BatchTerms } from "../../sdk/node.ts";
import { WorkerErrorCodes } from "../errors.ts";
import type { Store } from "../store.ts";

export const BATCH_STATES = [
  "discovered",
  "refused",
  "taken",
  "claiming",
  "claimed",
  "executed",
  "committing",
  "committed",
  "sampling",
  "sampled",
  "proving",
  "proven",
  "challenged",
  "answering",
  "settling",
  "paid",
  "failed",
] as const;
export type BatchState = (typeof BATCH_STATES)[number];

/** States a batch task drives (the job is ours and not finished): `claiming` through `settling`. */
export const OWNED_BATCH_STATES: readonly BatchState[] = BATCH_STATES.slice(
  BATCH_STATES.indexOf("claiming"),
  BATCH_STATES.indexOf("settling") + 1,
);

/** Owned states that hold the worker's compute (a proven job only waits out its window). */
export const BUSY_BATCH_STATES: readonly BatchState[] = OWNED_BATCH_STATES.filter(
  (s) => s !== "proven" && s !== "settling",
);

const EDGES: Record<BatchState, readonly BatchState[]> = {
  discovered: ["refused", "taken", "claiming"],
  refused: ["discovered", "taken"],
  taken: ["discovered"],
  claiming: ["claimed", "taken", "discovered", "failed"],
  claimed: ["executed", "failed"],
  executed: ["committing", "failed"],
  committing: ["committed", "executed", "failed"],
  // (committed → committing/executed, sampled → sampling/committed/committing, proven →
  // proving/committing/…: a reorg removed the transaction(s) that led there; committed → sampled:
  // a re-sent sample mined)
  committed: ["sampling", "sampled", "proving", "committing", "executed", "failed"],
  sampling: ["sampled", "committed", "failed"],
  sampled: ["proving", "sampling", "committed", "committing", "failed"],
  proving: ["proven", "committed", "sampled", "failed"],
  proven: [
    "settling",
    "challenged",
    "paid",
    "proving",
    "committed",
    "sampled",
    "committing",
    "executed",
    "failed",
  ],
  challenged: ["answering", "failed"],
  answering: ["paid", "challenged", "failed"],
  settling: ["paid", "proven", "failed"],
  paid: [],
  failed: [],
};

export interface BatchRow {
  jobId: bigint;
  state: BatchState;
  terms: BatchTerms;
  inputsURI: string;
  postedBlock: number;
  /** Refusal reason (`refused`) or failure code (`failed`). */
  reason: string | null;
  retryable: boolean;
  detail: string | null;
  claimedAt: number | null;
  outputsRoot: string | null;
  outputsHash: string | null;
  outputsURI: string | null;
  sampleBlock: number | null;
  randomness: string | null;
  challenged: number[] | null;
  /**
   * The signed transaction of the step in flight (`…ing` states), kept in the state it led to
   * (`committed`, `sampled`, `proven`) so that it can be sent again if a reorg removes it.
   */
  pendingTx: string | null;
  earned: bigint | null;
  gasSpent: bigint;
  createdAt: number;
  updatedAt: number;
}

export type BatchPatch = Partial<Omit<BatchRow, "jobId" | "state" | "createdAt" | "updatedAt">>;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS batch_jobs (
  job_id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  terms TEXT NOT NULL,
  inputs_uri TEXT NOT NULL,
  posted_block INTEGER NOT NULL,
  reason TEXT,
  retryable INTEGER NOT NULL DEFAULT 0,
  detail TEXT,
  claimed_at INTEGER,
  outputs_root TEXT,
  outputs_hash TEXT,
  outputs_uri TEXT,
  sample_block INTEGER,
  randomness TEXT,
  challenged TEXT,
  pending_tx TEXT,
  earned TEXT,
  gas_spent TEXT NOT NULL DEFAULT '0',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS batch_jobs_state ON batch_jobs(state);
CREATE TABLE IF NOT EXISTS batch_transitions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL, from_state TEXT, to_state TEXT NOT NULL, at INTEGER NOT NULL, note TEXT
);
`;

const BIG_TERMS = ["challengeBond", "minPrice", "maxPrice", "collateral"] as const;

function termsToJson(t: BatchTerms): string {
  return JSON.stringify(t, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

function termsFromJson(s: string): BatchTerms {
  const o = JSON.parse(s) as Record<string, unknown>;
  for (const k of BIG_TERMS) o[k] = BigInt(String(o[k]));
  return o as unknown as BatchTerms;
}

type Row = Record<string, SQLOutputValue>;
const str = (v: SQLOutputValue | undefined): string | null =>
  v === null || v === undefined ? null : String(v);
const num = (v: SQLOutputValue | undefined): number | null =>
  v === null || v === undefined ? null : Number(v);

function toRow(r: Row): BatchRow {
  const state = String(r.state) as BatchState;
  if (!BATCH_STATES.includes(state)) {
    throw new ProofworkError(WorkerErrorCodes.STORE_FAILED, `unknown batch job state in store: ${state}`);
  }
  return {
    jobId: BigInt(String(r.job_id)),
    state,
    terms: termsFromJson(String(r.terms)),
    inputsURI: String(r.inputs_uri),
    postedBlock: Number(r.posted_block),
    reason: str(r.reason),
    retryable: Number(r.retryable) === 1,
    detail: str(r.detail),
    claimedAt: num(r.claimed_at),
    outputsRoot: str(r.outputs_root),
    outputsHash: str(r.outputs_hash),
    outputsURI: str(r.outputs_uri),
    sampleBlock: num(r.sample_block),
    randomness: str(r.randomness),
    challenged:
      r.challenged === null || r.challenged === undefined
        ? null
        : (JSON.parse(String(r.challenged)) as number[]),
    pendingTx: str(r.pending_tx),
    earned: r.earned === null || r.earned === undefined ? null : BigInt(String(r.earned)),
    gasSpent: BigInt(String(r.gas_spent)),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

const COLUMNS: Record<keyof BatchPatch, string> = {
  terms: "terms",
  inputsURI: "inputs_uri",
  postedBlock: "posted_block",
  reason: "reason",
  retryable: "retryable",
  detail: "detail",
  claimedAt: "claimed_at",
  outputsRoot: "outputs_root",
  outputsHash: "outputs_hash",
  outputsURI: "outputs_uri",
  sampleBlock: "sample_block",
  randomness: "randomness",
  challenged: "challenged",
  pendingTx: "pending_tx",
  earned: "earned",
  gasSpent: "gas_spent",
};

function sqlValue(key: keyof BatchPatch, v: unknown): string | number | null {
  if (v === null || v === undefined) return key === "gasSpent" ? "0" : key === "retryable" ? 0 : null;
  if (key === "terms") return termsToJson(v as BatchTerms);
  if (key === "challenged") return JSON.stringify(v);
  if (key === "retryable") return v ? 1 : 0;
  if (typeof v === "bigint") return v.toString();
  return v as string | number;
}

/** Batch job rows over the worker's store (same database, same transactions). */
export class BatchStore {
  constructor(
    readonly store: Store,
    private readonly now: () => number,
  ) {
    store.database.exec(SCHEMA);
  }

  private get db() {
    return this.store.database;
  }

  /** Inserts a newly seen job; false when it is known already. */
  insert(jobId: bigint, terms: BatchTerms, inputsURI: string, postedBlock: number): boolean {
    const t = this.now();
    const r = this.db
      .prepare(
        `INSERT OR IGNORE INTO batch_jobs (job_id, state, terms, inputs_uri, posted_block, created_at, updated_at)
         VALUES (?, 'discovered', ?, ?, ?, ?, ?)`,
      )
      .run(jobId.toString(), termsToJson(terms), inputsURI, postedBlock, t, t);
    if (Number(r.changes) > 0) this.log(jobId, null, "discovered", null);
    return Number(r.changes) > 0;
  }

  get(jobId: bigint): BatchRow | null {
    const r = this.db.prepare("SELECT * FROM batch_jobs WHERE job_id = ?").get(jobId.toString());
    return r ? toRow(r) : null;
  }

  list(states: readonly BatchState[]): BatchRow[] {
    if (states.length === 0) return [];
    return this.db
      .prepare(
        `SELECT * FROM batch_jobs WHERE state IN (${states.map(() => "?").join(",")}) ORDER BY CAST(job_id AS INTEGER)`,
      )
      .all(...states)
      .map(toRow);
  }

  count(states: readonly BatchState[]): number {
    return this.list(states).length;
  }

  update(jobId: bigint, patch: BatchPatch): void {
    const keys = (Object.keys(patch) as (keyof BatchPatch)[]).filter((k) => k in COLUMNS);
    if (keys.length === 0) return;
    this.db
      .prepare(
        `UPDATE batch_jobs SET ${keys.map((k) => `${COLUMNS[k]} = ?`).join(", ")}, updated_at = ? WHERE job_id = ?`,
      )
      .run(...keys.map((k) => sqlValue(k, patch[k])), this.now(), jobId.toString());
  }

  /** Moves a job along an edge of the batch state machine (throws ILLEGAL_TRANSITION otherwise). */
  transition(jobId: bigint, to: BatchState, patch: BatchPatch = {}, note?: string): BatchRow {
    return this.store.transaction(() => {
      const row = this.get(jobId);
      if (!row) throw new ProofworkError(WorkerErrorCodes.STORE_FAILED, `no batch job ${jobId} in store`);
      if (row.state !== to && !EDGES[row.state].includes(to)) {
        throw new ProofworkError(
          WorkerErrorCodes.ILLEGAL_TRANSITION,
          `batch job ${jobId}: ${row.state} → ${to} is not a transition`,
        );
      }
      this.update(jobId, patch);
      this.db
        .prepare("UPDATE batch_jobs SET state = ?, updated_at = ? WHERE job_id = ?")
        .run(to, this.now(), jobId.toString());
      if (row.state !== to) this.log(jobId, row.state, to, note ?? null);
      return this.get(jobId)!;
    });
  }

  /** The states a job went through, oldest first. */
  history(jobId: bigint): { from: string | null; to: string; note: string | null }[] {
    return this.db
      .prepare("SELECT from_state, to_state, note FROM batch_transitions WHERE job_id = ? ORDER BY id")
      .all(jobId.toString())
      .map((r) => ({ from: str(r.from_state), to: String(r.to_state), note: str(r.note) }));
  }

  private log(jobId: bigint, from: string | null, to: string, note: string | null): void {
    this.db
      .prepare(
        "INSERT INTO batch_transitions (job_id, from_state, to_state, at, note) VALUES (?, ?, ?, ?, ?)",
      )
      .run(jobId.toString(), from, to, this.now(), note);
  }
}
