/**
 * Durable worker state in SQLite (`node:sqlite`, built into Node ≥ 22.5; no native addon).
 *
 * Tables: `jobs` (one row per job the worker has heard of, its state machine position and every
 * artefact needed to resume), `txs` (every transaction the worker signed, stored *before* it is
 * broadcast), `seen_events` (log de-duplication), `transitions` (audit trail), `meta` (cursor and
 * small key/values). WAL mode + `synchronous=FULL`: a committed write survives a crash.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type SQLInputValue, type SQLOutputValue } from "node:sqlite";
import { ProofworkError, errorMessage } from "../sdk/node.ts";
import { termsFromJson, termsToJson, type JobTerms } from "../sdk/node.ts";
import { WorkerErrorCodes } from "./errors.ts";
import { assertTransition, isJobState, type JobState } from "./state.ts";

export interface JobRow {
  jobId: bigint;
  state: JobState;
  circuitId: string | null;
  /** Refusal reason (state `refused`) or failure code (state `failed`). */
  reason: string | null;
  /** For `refused`: whether the job may become acceptable later (price ramp, capacity, stake). */
  retryable: boolean;
  /** Job input bytes (hex) from the posting transaction's calldata, or fetched from its URI. */
  inputHex: string | null;
  inputURI: string | null;
  /** The job's terms as emitted in JobPosted (passed back to claim/submit/collect). */
  terms: JobTerms | null;
  /** Hash of the transaction that posted the job (its calldata holds the inline input). */
  postTx: string | null;
  /** Unix seconds: last moment to claim. */
  claimDeadline: number | null;
  /** Unix seconds: proof must be submitted by then (known once claimed). */
  deadline: number | null;
  price: bigint | null;
  collateral: bigint | null;
  outputs: bigint[] | null;
  /** Proof calldata `uint256[8]`. */
  proof: bigint[] | null;
  attempts: number;
  earned: bigint | null;
  gasSpent: bigint;
  error: string | null;
  postedBlock: number | null;
  createdAt: number;
  updatedAt: number;
}

export type JobPatch = Partial<Omit<JobRow, "jobId" | "state" | "createdAt" | "updatedAt">>;

export type TxKind =
  | "claim"
  | "submit"
  | "collect"
  | "stake"
  | "unstake"
  | "withdraw"
  | "register"
  | "approve"
  | "other"
  // batch jobs (worker/batch): stored with no job id (batch ids are another market's numbering)
  | "batch-claim"
  | "batch-commit"
  | "batch-sample"
  | "batch-prove"
  | "batch-answer"
  | "batch-settle";
export type TxStatus = "pending" | "mined" | "reverted" | "dropped";

export interface TxRow {
  hash: string;
  jobId: bigint | null;
  kind: TxKind;
  nonce: number;
  raw: string;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  status: TxStatus;
  sentAt: number;
  gasUsed: bigint | null;
  effectiveGasPrice: bigint | null;
  blockNumber: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  job_id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  circuit_id TEXT,
  reason TEXT,
  retryable INTEGER NOT NULL DEFAULT 0,
  input_hex TEXT,
  input_uri TEXT,
  terms TEXT,
  post_tx TEXT,
  claim_deadline INTEGER,
  deadline INTEGER,
  price TEXT,
  collateral TEXT,
  outputs TEXT,
  proof TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  earned TEXT,
  gas_spent TEXT NOT NULL DEFAULT '0',
  error TEXT,
  posted_block INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE TABLE IF NOT EXISTS txs (
  hash TEXT PRIMARY KEY,
  job_id TEXT,
  kind TEXT NOT NULL,
  nonce INTEGER NOT NULL,
  raw TEXT NOT NULL,
  max_fee TEXT NOT NULL,
  max_prio TEXT NOT NULL,
  status TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  gas_used TEXT,
  gas_price TEXT,
  block_number INTEGER
);
CREATE INDEX IF NOT EXISTS txs_status ON txs(status);
CREATE INDEX IF NOT EXISTS txs_job ON txs(job_id, kind);
CREATE TABLE IF NOT EXISTS collect_batches (
  tx_hash TEXT NOT NULL, job_id TEXT NOT NULL,
  PRIMARY KEY (tx_hash, job_id)
);
CREATE INDEX IF NOT EXISTS collect_batches_job ON collect_batches(job_id);
CREATE TABLE IF NOT EXISTS seen_events (
  tx_hash TEXT NOT NULL, log_index INTEGER NOT NULL, block_number INTEGER NOT NULL,
  PRIMARY KEY (tx_hash, log_index)
);
CREATE TABLE IF NOT EXISTS transitions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL, from_state TEXT, to_state TEXT NOT NULL, at INTEGER NOT NULL, note TEXT
);
`;

// 2: job terms + posting transaction (the market stores only a commitment to the terms).
const SCHEMA_VERSION = "2";

type Row = Record<string, SQLOutputValue>;

function str(v: SQLOutputValue | undefined): string | null {
  return v === null || v === undefined ? null : String(v);
}
function num(v: SQLOutputValue | undefined): number | null {
  return v === null || v === undefined ? null : Number(v);
}
function big(v: SQLOutputValue | undefined): bigint | null {
  return v === null || v === undefined ? null : BigInt(String(v));
}
function bigList(v: SQLOutputValue | undefined): bigint[] | null {
  if (v === null || v === undefined) return null;
  return (JSON.parse(String(v)) as string[]).map((x) => BigInt(x));
}

function toJob(r: Row): JobRow {
  const state = String(r.state);
  if (!isJobState(state)) {
    throw new ProofworkError(WorkerErrorCodes.STORE_FAILED, `unknown job state in store: ${state}`);
  }
  return {
    jobId: BigInt(String(r.job_id)),
    state,
    circuitId: str(r.circuit_id),
    reason: str(r.reason),
    retryable: Number(r.retryable) === 1,
    inputHex: str(r.input_hex),
    inputURI: str(r.input_uri),
    terms: r.terms === null || r.terms === undefined ? null : termsFromJson(String(r.terms)),
    postTx: str(r.post_tx),
    claimDeadline: num(r.claim_deadline),
    deadline: num(r.deadline),
    price: big(r.price),
    collateral: big(r.collateral),
    outputs: bigList(r.outputs),
    proof: bigList(r.proof),
    attempts: Number(r.attempts),
    earned: big(r.earned),
    gasSpent: BigInt(String(r.gas_spent)),
    error: str(r.error),
    postedBlock: num(r.posted_block),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function toTx(r: Row): TxRow {
  return {
    hash: String(r.hash),
    jobId: big(r.job_id),
    kind: String(r.kind) as TxKind,
    nonce: Number(r.nonce),
    raw: String(r.raw),
    maxFeePerGas: BigInt(String(r.max_fee)),
    maxPriorityFeePerGas: BigInt(String(r.max_prio)),
    status: String(r.status) as TxStatus,
    sentAt: Number(r.sent_at),
    gasUsed: big(r.gas_used),
    effectiveGasPrice: big(r.gas_price),
    blockNumber: num(r.block_number),
  };
}

/** Column name and SQL value for each patchable JobRow field. */
function patchColumns(p: JobPatch): [string, SQLInputValue][] {
  const out: [string, SQLInputValue][] = [];
  const bigOrNull = (v: bigint | null | undefined): SQLInputValue =>
    v === null || v === undefined ? null : v.toString();
  const listOrNull = (v: bigint[] | null | undefined): SQLInputValue =>
    v === null || v === undefined ? null : JSON.stringify(v.map((x) => x.toString()));
  if ("circuitId" in p) out.push(["circuit_id", p.circuitId ?? null]);
  if ("reason" in p) out.push(["reason", p.reason ?? null]);
  if ("retryable" in p) out.push(["retryable", p.retryable ? 1 : 0]);
  if ("inputHex" in p) out.push(["input_hex", p.inputHex ?? null]);
  if ("inputURI" in p) out.push(["input_uri", p.inputURI ?? null]);
  if ("terms" in p) out.push(["terms", p.terms ? termsToJson(p.terms) : null]);
  if ("postTx" in p) out.push(["post_tx", p.postTx ?? null]);
  if ("claimDeadline" in p) out.push(["claim_deadline", p.claimDeadline ?? null]);
  if ("deadline" in p) out.push(["deadline", p.deadline ?? null]);
  if ("price" in p) out.push(["price", bigOrNull(p.price)]);
  if ("collateral" in p) out.push(["collateral", bigOrNull(p.collateral)]);
  if ("outputs" in p) out.push(["outputs", listOrNull(p.outputs)]);
  if ("proof" in p) out.push(["proof", listOrNull(p.proof)]);
  if ("attempts" in p) out.push(["attempts", p.attempts ?? 0]);
  if ("earned" in p) out.push(["earned", bigOrNull(p.earned)]);
  if ("gasSpent" in p) out.push(["gas_spent", (p.gasSpent ?? 0n).toString()]);
  if ("error" in p) out.push(["error", p.error ?? null]);
  if ("postedBlock" in p) out.push(["posted_block", p.postedBlock ?? null]);
  return out;
}

export interface StoreOptions {
  /** Wall clock in ms (injected for tests). */
  now?: () => number;
}

/** The worker's durable state. Synchronous (node:sqlite is), so a write has happened when it returns. */
export class Store {
  private readonly db: DatabaseSync;
  private readonly now: () => number;
  private depth = 0;

  private constructor(db: DatabaseSync, now: () => number) {
    this.db = db;
    this.now = now;
  }

  /** Opens (creating if needed) the store at `path` (`:memory:` for tests). */
  static open(path: string, opts: StoreOptions = {}): Store {
    let db: DatabaseSync;
    try {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      db = new DatabaseSync(path);
      db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
      db.exec(SCHEMA);
    } catch (e) {
      throw new ProofworkError(
        WorkerErrorCodes.STORE_FAILED,
        `cannot open worker store ${path}: ${errorMessage(e)}`,
        {
          path,
        },
        { cause: e },
      );
    }
    const store = new Store(db, opts.now ?? Date.now);
    const v = store.getMeta("schema_version");
    if (v === null) store.setMeta("schema_version", SCHEMA_VERSION);
    else if (v !== SCHEMA_VERSION) {
      db.close();
      throw new ProofworkError(
        WorkerErrorCodes.STORE_FAILED,
        `worker store ${path} has schema ${v}, expected ${SCHEMA_VERSION}`,
      );
    }
    return store;
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  get isOpen(): boolean {
    return this.db.isOpen;
  }

  /**
   * The database, for a module that keeps tables of its own in the same file (worker/batch/store.ts);
   * its writes join `transaction` like every other write.
   */
  get database(): DatabaseSync {
    return this.db;
  }

  /** Runs `fn` in one SQLite transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    if (this.depth > 0) {
      this.depth++;
      try {
        return fn();
      } finally {
        this.depth--;
      }
    }
    this.db.exec("BEGIN IMMEDIATE");
    this.depth = 1;
    try {
      const r = fn();
      this.db.exec("COMMIT");
      return r;
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw e;
    } finally {
      this.depth = 0;
    }
  }

  // ---------------------------------------------------------------- meta / cursor

  getMeta(key: string): string | null {
    const r = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key);
    return r ? String(r.value) : null;
  }

  setMeta(key: string, value: string): void {
    this.db
      .prepare(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      )
      .run(key, value);
  }

  /** Last block whose logs were fully processed, or null before the first poll. */
  getCursor(name = "monitor"): number | null {
    const v = this.getMeta(`cursor:${name}`);
    return v === null ? null : Number(v);
  }

  setCursor(block: number, name = "monitor"): void {
    this.setMeta(`cursor:${name}`, String(block));
  }

  // ---------------------------------------------------------------- events

  /** Records a log as seen; returns false when it was seen before (duplicate). */
  markEventSeen(txHash: string, logIndex: number, blockNumber: number): boolean {
    const r = this.db
      .prepare("INSERT OR IGNORE INTO seen_events(tx_hash, log_index, block_number) VALUES (?, ?, ?)")
      .run(txHash.toLowerCase(), logIndex, blockNumber);
    return Number(r.changes) === 1;
  }

  /** Forgets seen events below `block` (keeps the table small; the cursor already covers them). */
  pruneEvents(belowBlock: number): void {
    this.db.prepare("DELETE FROM seen_events WHERE block_number < ?").run(belowBlock);
  }

  // ---------------------------------------------------------------- jobs

  /** Inserts a job in state `discovered`; returns false if the job is already known. */
  insertJob(jobId: bigint, patch: JobPatch = {}): boolean {
    const t = this.now();
    const r = this.db
      .prepare(
        "INSERT OR IGNORE INTO jobs(job_id, state, created_at, updated_at) VALUES (?, 'discovered', ?, ?)",
      )
      .run(jobId.toString(), t, t);
    if (Number(r.changes) !== 1) return false;
    this.db
      .prepare("INSERT INTO transitions(job_id, from_state, to_state, at) VALUES (?, NULL, 'discovered', ?)")
      .run(jobId.toString(), t);
    if (Object.keys(patch).length > 0) this.updateJob(jobId, patch);
    return true;
  }

  getJob(jobId: bigint): JobRow | null {
    const r = this.db.prepare("SELECT * FROM jobs WHERE job_id = ?").get(jobId.toString());
    return r ? toJob(r) : null;
  }

  /** Jobs in any of `states`, oldest first. */
  listJobs(states: readonly JobState[]): JobRow[] {
    if (states.length === 0) return [];
    const q = `SELECT * FROM jobs WHERE state IN (${states.map(() => "?").join(",")}) ORDER BY created_at, CAST(job_id AS INTEGER)`;
    return this.db
      .prepare(q)
      .all(...states)
      .map(toJob);
  }

  countJobs(states: readonly JobState[]): number {
    if (states.length === 0) return 0;
    const r = this.db
      .prepare(`SELECT COUNT(*) AS n FROM jobs WHERE state IN (${states.map(() => "?").join(",")})`)
      .get(...states);
    return Number(r?.n ?? 0);
  }

  /** Updates fields without changing state. */
  updateJob(jobId: bigint, patch: JobPatch): void {
    const cols = patchColumns(patch);
    if (cols.length === 0) return;
    const sets = cols.map(([c]) => `${c} = ?`).join(", ");
    this.db
      .prepare(`UPDATE jobs SET ${sets}, updated_at = ? WHERE job_id = ?`)
      .run(...cols.map(([, v]) => v), this.now(), jobId.toString());
  }

  /**
   * Moves a job to `to` (checked against the state machine) and applies `patch` atomically.
   * Returns the updated row.
   */
  transition(jobId: bigint, to: JobState, patch: JobPatch = {}, note?: string): JobRow {
    return this.transaction(() => {
      const cur = this.getJob(jobId);
      if (!cur) throw new ProofworkError(WorkerErrorCodes.STORE_FAILED, `job ${jobId} is not in the store`);
      assertTransition(jobId, cur.state, to);
      const t = this.now();
      this.db
        .prepare("UPDATE jobs SET state = ?, updated_at = ? WHERE job_id = ?")
        .run(to, t, jobId.toString());
      this.updateJob(jobId, patch);
      this.db
        .prepare("INSERT INTO transitions(job_id, from_state, to_state, at, note) VALUES (?, ?, ?, ?, ?)")
        .run(jobId.toString(), cur.state, to, t, note ?? null);
      const next = this.getJob(jobId);
      if (!next) throw new ProofworkError(WorkerErrorCodes.STORE_FAILED, `job ${jobId} vanished`);
      return next;
    });
  }

  /** The audit trail of one job: `[from, to, note]` in order. */
  history(jobId: bigint): { from: string | null; to: string; at: number; note: string | null }[] {
    return this.db
      .prepare("SELECT from_state, to_state, at, note FROM transitions WHERE job_id = ? ORDER BY id")
      .all(jobId.toString())
      .map((r) => ({ from: str(r.from_state), to: String(r.to_state), at: Number(r.at), note: str(r.note) }));
  }

  /** Adds gas paid (wei) to a job's running total. */
  addGasSpent(jobId: bigint, wei: bigint): void {
    const cur = this.getJob(jobId);
    if (cur) this.updateJob(jobId, { gasSpent: cur.gasSpent + wei });
  }

  /** Total earnings (wei) over settled jobs. */
  totalEarned(): bigint {
    const rows = this.db
      .prepare("SELECT earned FROM jobs WHERE state = 'settled' AND earned IS NOT NULL")
      .all();
    return rows.reduce((acc, r) => acc + BigInt(String(r.earned)), 0n);
  }

  // ---------------------------------------------------------------- transactions

  /** Stores a signed transaction before it is broadcast. */
  insertTx(tx: Omit<TxRow, "status" | "gasUsed" | "effectiveGasPrice" | "blockNumber">): void {
    this.db
      .prepare(
        "INSERT INTO txs(hash, job_id, kind, nonce, raw, max_fee, max_prio, status, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
      )
      .run(
        tx.hash.toLowerCase(),
        tx.jobId === null ? null : tx.jobId.toString(),
        tx.kind,
        tx.nonce,
        tx.raw,
        tx.maxFeePerGas.toString(),
        tx.maxPriorityFeePerGas.toString(),
        tx.sentAt,
      );
  }

  getTx(hash: string): TxRow | null {
    const r = this.db.prepare("SELECT * FROM txs WHERE hash = ?").get(hash.toLowerCase());
    return r ? toTx(r) : null;
  }

  /** Marks a transaction's outcome. */
  finishTx(
    hash: string,
    status: Exclude<TxStatus, "pending">,
    receipt?: { gasUsed: bigint; effectiveGasPrice: bigint; blockNumber: number },
  ): void {
    this.db
      .prepare("UPDATE txs SET status = ?, gas_used = ?, gas_price = ?, block_number = ? WHERE hash = ?")
      .run(
        status,
        receipt ? receipt.gasUsed.toString() : null,
        receipt ? receipt.effectiveGasPrice.toString() : null,
        receipt ? receipt.blockNumber : null,
        hash.toLowerCase(),
      );
  }

  /** Every transaction not yet known mined or dropped, by nonce. */
  pendingTxs(): TxRow[] {
    return this.db
      .prepare("SELECT * FROM txs WHERE status = 'pending' ORDER BY nonce, sent_at")
      .all()
      .map(toTx);
  }

  /** All transactions (any status) for a job and kind, oldest first. */
  txsFor(jobId: bigint, kind: TxKind): TxRow[] {
    return this.db
      .prepare("SELECT * FROM txs WHERE job_id = ? AND kind = ? ORDER BY sent_at, nonce")
      .all(jobId.toString(), kind)
      .map(toTx);
  }

  /** Records the jobs a (batched) collect transaction pays (call inside its store transaction). */
  addCollectBatch(hash: string, jobIds: readonly bigint[]): void {
    const stmt = this.db.prepare("INSERT OR IGNORE INTO collect_batches(tx_hash, job_id) VALUES (?, ?)");
    for (const id of jobIds) stmt.run(hash.toLowerCase(), id.toString());
  }

  /** The jobs a collect transaction pays. */
  collectBatchJobs(hash: string): bigint[] {
    return this.db
      .prepare("SELECT job_id FROM collect_batches WHERE tx_hash = ? ORDER BY job_id")
      .all(hash.toLowerCase())
      .map((r) => BigInt(String(r.job_id)));
  }

  /** Every collect transaction (any status) that included `jobId`, oldest first. */
  collectTxsOf(jobId: bigint): TxRow[] {
    return this.db
      .prepare(
        "SELECT t.* FROM txs t JOIN collect_batches b ON b.tx_hash = t.hash WHERE b.job_id = ? ORDER BY t.sent_at, t.nonce",
      )
      .all(jobId.toString())
      .map(toTx);
  }

  /** All transactions sharing a nonce (an original and its fee bumps). */
  txsWithNonce(nonce: number): TxRow[] {
    return this.db.prepare("SELECT * FROM txs WHERE nonce = ? ORDER BY sent_at").all(nonce).map(toTx);
  }

  /** The last `limit` transactions recorded mined (succeeded or reverted) below `nonce`, newest first. */
  minedTxsBelow(nonce: number, limit: number): TxRow[] {
    return this.db
      .prepare(
        "SELECT * FROM txs WHERE status IN ('mined', 'reverted') AND nonce < ? ORDER BY nonce DESC LIMIT ?",
      )
      .all(nonce, limit)
      .map(toTx);
  }

  /** Highest nonce the store has ever signed with, or -1. */
  maxNonce(): number {
    const r = this.db.prepare("SELECT MAX(nonce) AS n FROM txs").get();
    return r?.n === null || r?.n === undefined ? -1 : Number(r.n);
  }

  /** Sum of gas paid (wei) by mined/reverted transactions. */
  totalGasSpent(): bigint {
    const rows = this.db.prepare("SELECT gas_used, gas_price FROM txs WHERE gas_used IS NOT NULL").all();
    return rows.reduce((acc, r) => acc + BigInt(String(r.gas_used)) * BigInt(String(r.gas_price ?? "0")), 0n);
  }
}
