/**
 * The one job model of the SDK, used by the requester client, the worker, the CLI, the market index
 * and the web app: the status enum and its predicates, the `Job` record (the on-chain slot + the
 * terms from `JobPosted` + the claimer), and `JobReader`, which rebuilds jobs from the chain with
 * the immutable parts (terms, claimer) cached.
 *
 * Browser-safe: plain ethers, no Node modules.
 */
import { ZeroAddress, getAddress, type EventLog, type Log, type Result } from "ethers";
import { guard, type JobMarket } from "./contracts.ts";
import { ErrorCodes, ProofworkError } from "./errors.ts";
import {
  claimCommitment,
  claimedPrice,
  decodeJobSlot,
  decodeTerms,
  type JobSlot,
  type JobTerms,
} from "./terms.ts";

// ---------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------

/** `IJobMarket.JobStatus`. */
export const JobStatus = {
  None: 0,
  Open: 1,
  Claimed: 2,
  Completed: 3,
  Cancelled: 4,
  Reclaimed: 5,
  Slashed: 6,
  Paid: 7,
} as const;
export type JobStatusCode = (typeof JobStatus)[keyof typeof JobStatus];

/** Status names, indexed by code. */
export const JOB_STATUS_NAMES = [
  "None",
  "Open",
  "Claimed",
  "Completed",
  "Cancelled",
  "Reclaimed",
  "Slashed",
  "Paid",
] as const;
export type JobStatusName = (typeof JOB_STATUS_NAMES)[number];

/** The name of a status code (`None` for an unknown one). */
export function statusName(code: number): JobStatusName {
  return JOB_STATUS_NAMES[code] ?? "None";
}

/** The code of a status name. */
export function statusCode(name: JobStatusName): JobStatusCode {
  return JobStatus[name];
}

/** Whether a job in this status has a claimer (claimed, proven, paid or slashed). */
export function hasClaimer(status: number): boolean {
  return (
    status === JobStatus.Claimed ||
    status === JobStatus.Completed ||
    status === JobStatus.Slashed ||
    status === JobStatus.Paid
  );
}

/** Whether the job was proven (its result is final): completed, or completed and paid. */
export function isProven(status: number): boolean {
  return status === JobStatus.Completed || status === JobStatus.Paid;
}

/** Whether nothing can happen to the job any more (paid, cancelled, reclaimed or slashed). */
export function isFinal(status: number): boolean {
  return (
    status === JobStatus.Paid ||
    status === JobStatus.Cancelled ||
    status === JobStatus.Reclaimed ||
    status === JobStatus.Slashed
  );
}

/**
 * Whether the job has run out of time at chain time `now` (seconds): open past its claim deadline
 * (anyone may `reclaim`), or claimed past its submit deadline (anyone may `slashExpired`).
 */
export function isExpired(job: Pick<Job, "status" | "deadline" | "terms">, now: number | bigint): boolean {
  const t = BigInt(now);
  if (job.status === JobStatus.Open) return t > BigInt(job.terms.claimDeadline);
  if (job.status === JobStatus.Claimed) return t > BigInt(job.deadline);
  return false;
}

// ---------------------------------------------------------------------------------------------
// The job record
// ---------------------------------------------------------------------------------------------

/**
 * A job: its on-chain slot (`IJobMarket.Job`), its immutable terms (from `JobPosted`) and its
 * claimer (from the stored commitment or `JobClaimed`; zero until claimed).
 */
export interface Job {
  jobId: bigint;
  status: JobStatusCode;
  statusName: JobStatusName;
  terms: JobTerms;
  /** Submit deadline (chain time, seconds); 0 until claimed. */
  deadline: number;
  /** The stored 26-byte commitment (terms → + claimer → + outputs). */
  commitment: string;
  /** The claimer; the zero address until claimed. */
  provider: string;
  /** Price fixed by the claim (0 until claimed). */
  price: bigint;
  /** Where the input may also be fetched (from `JobPosted`). */
  inputURI: string;
}

/** Builds a job from its slot, terms and claimer. */
export function jobFrom(jobId: bigint, slot: JobSlot, terms: JobTerms, provider: string, inputURI = ""): Job {
  const claimed = hasClaimer(slot.status);
  return {
    jobId,
    status: slot.status as JobStatusCode,
    statusName: statusName(slot.status),
    terms,
    deadline: slot.deadline,
    commitment: slot.commitment,
    provider: claimed ? provider : ZeroAddress,
    price: claimed ? claimedPrice(terms, slot.deadline) : 0n,
    inputURI,
  };
}

/** A job as plain JSON (bigints as decimal strings, terms flattened in), for CLI output and APIs. */
export function jobToJson(job: Job): Record<string, unknown> {
  const plain = (v: unknown): unknown => (typeof v === "bigint" ? v.toString() : v);
  const terms = Object.fromEntries(Object.entries(job.terms).map(([k, v]) => [k, plain(v)]));
  return {
    jobId: job.jobId.toString(),
    status: job.statusName,
    ...terms,
    deadline: job.deadline,
    commitment: job.commitment,
    provider: job.provider,
    price: job.price.toString(),
    inputURI: job.inputURI,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading jobs
// ---------------------------------------------------------------------------------------------

/** What `JobPosted` tells about a job. */
export interface PostedRecord {
  terms: JobTerms;
  inputURI: string;
  /** The posting transaction (its calldata holds the input bytes). */
  txHash: string;
  blockNumber: number;
}

export interface JobReaderOptions {
  /** First block to search for a job's logs (the deployment's start block). */
  fromBlock: number;
  /** Largest block range per `eth_getLogs` (default 1000). */
  logChunkSize?: number;
  /**
   * The reader's own address (a provider's worker): a job claimed by it is recognised from the
   * stored commitment alone, without reading `JobClaimed`.
   */
  self?: string;
}

/**
 * Logs of `event` with `args` from `fromBlock` on, in ranges of at most `chunk` blocks. With
 * `toBlock = "latest"` the last range ends at the node's head *as the node sees it at that call*:
 * the block number a provider reports may be cached for a polling interval, so a log mined a moment
 * ago is still found.
 */
export async function queryLogsChunked(
  contract: JobMarket,
  event: string,
  args: unknown[],
  fromBlock: number,
  toBlock: number | "latest",
  chunk: number,
): Promise<(EventLog | Log)[]> {
  const makeFilter = contract.filters[event as keyof JobMarket["filters"]] as unknown as (
    ...a: unknown[]
  ) => Parameters<JobMarket["queryFilter"]>[0];
  const filter = makeFilter(...args);
  const query = (from: number, to: number | "latest") =>
    guard(`querying ${event} logs`, () => contract.queryFilter(filter, from, to));
  let end = toBlock;
  if (toBlock === "latest") {
    const provider = contract.runner?.provider ?? null;
    if (provider === null)
      throw new ProofworkError(ErrorCodes.CONFIG_INVALID, "the contract has no provider");
    end = await guard("reading the block number", () => provider.getBlockNumber());
  }
  const out: (EventLog | Log)[] = [];
  for (let start = fromBlock; start <= (end as number); start += chunk) {
    out.push(...(await query(start, Math.min(end as number, start + chunk - 1))));
  }
  if (toBlock === "latest") out.push(...(await query(Math.max(fromBlock, (end as number) + 1), "latest")));
  return out;
}

/**
 * Rebuilds jobs from the chain: the slot by `getJob`, the terms from `JobPosted` and the claimer
 * from the commitment or `JobClaimed`, both cached (they never change; `forget` drops them when a
 * reorg re-posts an id).
 */
export class JobReader {
  private readonly posted = new Map<bigint, PostedRecord>();
  private readonly claimers = new Map<bigint, string>();
  readonly fromBlock: number;
  readonly logChunkSize: number;
  readonly self?: string;

  constructor(
    readonly market: JobMarket,
    options: JobReaderOptions,
  ) {
    this.fromBlock = options.fromBlock;
    this.logChunkSize = options.logChunkSize ?? 1000;
    if (options.self !== undefined) this.self = getAddress(options.self);
  }

  /** Records what is known of a job's post (from its `JobPosted` event, a receipt or a store). */
  remember(jobId: bigint, posted: Partial<PostedRecord> & { terms: JobTerms }): void {
    this.posted.set(jobId, { inputURI: "", txHash: "", blockNumber: 0, ...posted });
  }

  /** Forgets what is known of a job (a reorg re-posted its id). */
  forget(jobId: bigint): void {
    this.posted.delete(jobId);
    this.claimers.delete(jobId);
  }

  /**
   * The last log of `event` for a job, searched from `fromBlock` in chunks up to the node's head
   * (read per call, never from a cache: a log just mined must be found).
   */
  async lastEvent(event: string, jobId: bigint, fromBlock = this.fromBlock): Promise<EventLog | undefined> {
    const logs = await queryLogsChunked(this.market, event, [jobId], fromBlock, "latest", this.logChunkSize);
    return logs.filter((l): l is EventLog => "args" in l).pop();
  }

  /** The job's terms, input URI and posting transaction (JOB_NOT_FOUND when never posted). */
  async postedRecord(jobId: bigint): Promise<PostedRecord> {
    const known = this.posted.get(jobId);
    if (known !== undefined && known.txHash !== "") return known;
    const log = await this.lastEvent("JobPosted", jobId);
    if (log === undefined) {
      if (known !== undefined) return known;
      throw new ProofworkError(ErrorCodes.JOB_NOT_FOUND, `job ${jobId} does not exist (no JobPosted event)`);
    }
    const record: PostedRecord = {
      terms: decodeTerms(log.args.getValue("terms") as Result),
      inputURI: String(log.args.getValue("inputURI")),
      txHash: log.transactionHash,
      blockNumber: log.blockNumber,
    };
    this.posted.set(jobId, record);
    return record;
  }

  /** The job's terms (from memory or its `JobPosted` log). */
  async terms(jobId: bigint): Promise<JobTerms> {
    return (this.posted.get(jobId) ?? (await this.postedRecord(jobId))).terms;
  }

  /** The job's on-chain slot. */
  async slot(jobId: bigint): Promise<JobSlot> {
    const raw = await guard(`reading job ${jobId}`, () => this.market.getJob(jobId));
    return decodeJobSlot(raw);
  }

  /** The claimer of a claimed job: the reader itself when the commitment binds it, else `JobClaimed`. */
  async claimer(jobId: bigint, terms: JobTerms, commitment: string): Promise<string> {
    if (this.self !== undefined && claimCommitment(terms, this.self) === commitment) return this.self;
    const known = this.claimers.get(jobId);
    if (known !== undefined) return known;
    const log = await this.lastEvent("JobClaimed", jobId);
    if (log === undefined) {
      throw new ProofworkError(ErrorCodes.RPC_FAILED, `job ${jobId} is claimed but has no JobClaimed event`);
    }
    const provider = getAddress(String(log.args.getValue("provider")));
    this.claimers.set(jobId, provider);
    return provider;
  }

  /** The job (JOB_NOT_FOUND for an id never posted). */
  async getJob(jobId: bigint): Promise<Job> {
    const slot = await this.slot(jobId);
    if (slot.status === JobStatus.None) {
      throw new ProofworkError(ErrorCodes.JOB_NOT_FOUND, `job ${jobId} does not exist`);
    }
    const known = this.posted.get(jobId);
    const terms = known?.terms ?? (await this.terms(jobId));
    const provider = hasClaimer(slot.status)
      ? await this.claimer(jobId, terms, slot.commitment)
      : ZeroAddress;
    return jobFrom(jobId, slot, terms, provider, (known ?? this.posted.get(jobId))?.inputURI ?? "");
  }

  /** The price a claim would fix now (an open job). */
  async currentPrice(jobId: bigint): Promise<bigint> {
    const terms = await this.terms(jobId);
    return guard(`reading the price of job ${jobId}`, () => this.market.currentPrice(jobId, terms));
  }
}
