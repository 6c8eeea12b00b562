/**
 * An event-sourced index of the market — what an explorer or a dApp needs to list jobs by status,
 * requester and provider, show a job's timeline, and aggregate providers and totals — built from
 * `JobMarket` and `CircuitRegistry` events with chunked `eth_getLogs`.
 *
 * - **Resumable**: `snapshot()` returns the whole state (bigints inside: persist it with a bigint-aware
 *   JSON replacer); `MarketIndex.restore(snapshot)` continues from it.
 * - **Reorg-aware**: the hash of the last indexed block is kept; when the chain no longer has it,
 *   the index drops the last `reorgDepth` blocks' worth of events and replays them.
 * - **Final only if asked**: `confirmations` keeps the index that many blocks behind the head.
 *
 * Browser-safe (ethers only). The state is derived from events alone: a job's status here is the
 * status its events imply (`Open` is also returned for a job past its claim deadline — use
 * `isExpired` with chain time for that).
 */
import { getAddress, type Log, type Provider } from "ethers";
import { guard, marketInterface, registryInterface } from "./contracts.ts";
import { decodeTerms, type JobTerms } from "./terms.ts";
import { JobStatus, statusName, type JobStatusCode, type JobStatusName } from "./jobs.ts";
import { claimedPrice } from "./terms.ts";

/** One lifecycle step of a job, with where it happened. */
export interface TimelineEntry {
  event:
    "JobPosted" | "JobClaimed" | "JobCompleted" | "JobPaid" | "JobCancelled" | "JobReclaimed" | "JobSlashed";
  blockNumber: number;
  txHash: string;
  /** Event fields worth showing (amounts as decimal strings). */
  details: Record<string, string>;
}

/** A job as the index knows it. */
export interface IndexedJob {
  jobId: string;
  status: JobStatusName;
  terms: JobTerms;
  inputURI: string;
  provider?: string;
  price?: string;
  deadline?: number;
  jobKey?: string;
  outputs?: string[];
  payout?: string;
  fee?: string;
  timeline: TimelineEntry[];
}

export interface ProviderStats {
  address: string;
  claimed: number;
  completed: number;
  slashed: number;
  earned: string;
}

export interface CircuitEntry {
  circuitId: string;
  active: boolean;
  numPublic: number;
  verifier: string;
  artifactsURI: string;
  modelCommitment: string;
  zkeyHash: string;
}

export interface IndexSnapshot {
  version: 1;
  market: string;
  registry: string;
  /** Next block to index. */
  nextBlock: number;
  /** Hash of block `nextBlock - 1` (reorg detection). */
  lastHash: string | null;
  jobs: Record<string, IndexedJob>;
  circuits: Record<string, CircuitEntry>;
}

export interface IndexOptions {
  market: string;
  registry: string;
  /** First block to index (the deployment's start block). */
  fromBlock: number;
  /** Largest block range per `eth_getLogs` (default 1000). */
  chunkSize?: number;
  /** Blocks behind the head (default 0). */
  confirmations?: number;
  /** Blocks replayed when a reorg is detected (default 64). */
  reorgDepth?: number;
}

export interface JobFilter {
  status?: JobStatusName | JobStatusName[];
  requester?: string;
  provider?: string;
  circuitId?: string;
}

const plain = (v: unknown): string => (typeof v === "bigint" ? v.toString() : String(v));

export class MarketIndex {
  private state: IndexSnapshot;
  private readonly chunkSize: number;
  private readonly confirmations: number;
  private readonly reorgDepth: number;
  private readonly fromBlock: number;

  constructor(
    readonly provider: Provider,
    options: IndexOptions,
    snapshot?: IndexSnapshot,
  ) {
    this.chunkSize = options.chunkSize ?? 1000;
    this.confirmations = options.confirmations ?? 0;
    this.reorgDepth = options.reorgDepth ?? 64;
    this.fromBlock = options.fromBlock;
    this.state = snapshot ?? {
      version: 1,
      market: getAddress(options.market),
      registry: getAddress(options.registry),
      nextBlock: options.fromBlock,
      lastHash: null,
      jobs: {},
      circuits: {},
    };
  }

  /** Continues from a snapshot (same contracts). */
  static restore(provider: Provider, options: IndexOptions, snapshot: IndexSnapshot): MarketIndex {
    return new MarketIndex(provider, options, snapshot);
  }

  /** The whole state (to persist and `restore`). */
  snapshot(): IndexSnapshot {
    return structuredClone(this.state);
  }

  /** The next block the index will read (everything before it is indexed). */
  get nextBlock(): number {
    return this.state.nextBlock;
  }

  /** Reads new events up to the head (minus confirmations); returns how many were applied. */
  async sync(): Promise<number> {
    const head =
      (await guard("reading the block number", () => this.provider.getBlockNumber())) - this.confirmations;
    if (this.state.lastHash !== null && this.state.nextBlock > 0) {
      const last = await guard("reading a block", () => this.provider.getBlock(this.state.nextBlock - 1));
      if (last === null || last.hash !== this.state.lastHash) await this.rewind();
    }
    let applied = 0;
    while (this.state.nextBlock <= head) {
      const from = this.state.nextBlock;
      const to = Math.min(head, from + this.chunkSize - 1);
      const logs = await guard("querying market events", () =>
        this.provider.getLogs({
          address: [this.state.market, this.state.registry],
          fromBlock: from,
          toBlock: to,
        }),
      );
      logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
      for (const log of logs) if (this.apply(log)) applied++;
      const block = await guard("reading a block", () => this.provider.getBlock(to));
      this.state.nextBlock = to + 1;
      this.state.lastHash = block?.hash ?? null;
    }
    return applied;
  }

  /** A reorg removed the last indexed block: rebuild from `reorgDepth` blocks earlier. */
  private async rewind(): Promise<void> {
    const keepBefore = Math.max(this.fromBlock, this.state.nextBlock - this.reorgDepth);
    const events: Log[] = [];
    const replayFrom = this.fromBlock;
    // Rebuild everything before `keepBefore` from the events themselves (the index is derived
    // state): re-read them, which also covers jobs whose later events were removed.
    for (let from = replayFrom; from < keepBefore; from += this.chunkSize) {
      const to = Math.min(keepBefore - 1, from + this.chunkSize - 1);
      events.push(
        ...(await guard("querying market events", () =>
          this.provider.getLogs({
            address: [this.state.market, this.state.registry],
            fromBlock: from,
            toBlock: to,
          }),
        )),
      );
    }
    this.state.jobs = {};
    this.state.circuits = {};
    events.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
    for (const log of events) this.apply(log);
    this.state.nextBlock = keepBefore;
    const block = keepBefore > 0 ? await this.provider.getBlock(keepBefore - 1) : null;
    this.state.lastHash = block?.hash ?? null;
  }

  private apply(log: Log): boolean {
    const address = getAddress(log.address);
    const iface = address === this.state.market ? marketInterface : registryInterface;
    let ev;
    try {
      ev = iface.parseLog({ topics: [...log.topics], data: log.data });
    } catch {
      return false;
    }
    if (ev === null) return false;
    const a = ev.args;
    const at = (event: TimelineEntry["event"], details: Record<string, string>): TimelineEntry => ({
      event,
      blockNumber: log.blockNumber,
      txHash: log.transactionHash,
      details,
    });
    if (ev.name === "CircuitRegistered") {
      const c = a.getValue("circuit") as {
        verifier: string;
        numPublic: bigint;
        artifactsURI: string;
        modelCommitment: string;
        zkeyHash: string;
      };
      const id = String(a.getValue("circuitId"));
      this.state.circuits[id] = {
        circuitId: id,
        active: true,
        numPublic: Number(c.numPublic),
        verifier: c.verifier,
        artifactsURI: c.artifactsURI,
        modelCommitment: c.modelCommitment,
        zkeyHash: c.zkeyHash,
      };
      return true;
    }
    if (ev.name === "CircuitActiveSet" || ev.name === "ArtifactsURISet") {
      const c = this.state.circuits[String(a.getValue("circuitId"))];
      if (c === undefined) return false;
      if (ev.name === "CircuitActiveSet") c.active = Boolean(a.getValue("active"));
      else c.artifactsURI = String(a.getValue("artifactsURI"));
      return true;
    }
    const jobId = plain(a.getValue("jobId"));
    if (ev.name === "JobPosted") {
      const terms = decodeTerms(a.getValue("terms") as object);
      this.state.jobs[jobId] = {
        jobId,
        status: "Open",
        terms,
        inputURI: String(a.getValue("inputURI")),
        timeline: [at("JobPosted", { requester: terms.requester, maxPrice: terms.maxPrice.toString() })],
      };
      return true;
    }
    const job = this.state.jobs[jobId];
    if (job === undefined) return false;
    switch (ev.name) {
      case "JobClaimed": {
        job.status = "Claimed";
        job.provider = getAddress(String(a.getValue("provider")));
        job.price = plain(a.getValue("price"));
        job.deadline = Number(a.getValue("deadline"));
        job.jobKey = plain(a.getValue("jobKey"));
        job.timeline.push(
          at("JobClaimed", { provider: job.provider, price: job.price, deadline: String(job.deadline) }),
        );
        break;
      }
      case "JobCompleted":
        job.status = "Completed";
        job.outputs = (a.getValue("outputs") as bigint[]).map(plain);
        job.timeline.push(at("JobCompleted", { outputs: job.outputs.join(",") }));
        break;
      case "JobPaid":
        job.status = "Paid";
        job.payout = plain(a.getValue("payout"));
        job.fee = plain(a.getValue("fee"));
        job.timeline.push(
          at("JobPaid", { payout: job.payout, fee: job.fee, refund: plain(a.getValue("refund")) }),
        );
        break;
      case "JobCancelled":
        job.status = "Cancelled";
        job.timeline.push(at("JobCancelled", { refund: plain(a.getValue("refund")) }));
        break;
      case "JobReclaimed":
        job.status = "Reclaimed";
        job.timeline.push(at("JobReclaimed", { refund: plain(a.getValue("refund")) }));
        break;
      case "JobSlashed":
        job.status = "Slashed";
        job.timeline.push(
          at("JobSlashed", {
            toRequester: plain(a.getValue("toRequester")),
            bounty: plain(a.getValue("bounty")),
            toTreasury: plain(a.getValue("toTreasury")),
          }),
        );
        break;
      default:
        return false;
    }
    return true;
  }

  /** One job, or undefined when not indexed. */
  job(jobId: bigint | string): IndexedJob | undefined {
    return this.state.jobs[String(jobId)];
  }

  /** Jobs matching the filter, newest first. */
  jobs(filter: JobFilter = {}): IndexedJob[] {
    const statuses = filter.status === undefined ? undefined : ([] as JobStatusName[]).concat(filter.status);
    const same = (x: string | undefined, y: string | undefined) =>
      y === undefined || (x !== undefined && x.toLowerCase() === y.toLowerCase());
    return Object.values(this.state.jobs)
      .filter(
        (j) =>
          (statuses === undefined || statuses.includes(j.status)) &&
          same(j.terms.requester, filter.requester) &&
          same(j.provider, filter.provider) &&
          same(j.terms.circuitId, filter.circuitId),
      )
      .sort((x, y) => Number(BigInt(y.jobId) - BigInt(x.jobId)));
  }

  /** Per provider: claims, completions, slashes and earnings. */
  providers(): ProviderStats[] {
    const by = new Map<string, ProviderStats>();
    for (const j of Object.values(this.state.jobs)) {
      if (j.provider === undefined) continue;
      const s = by.get(j.provider) ?? {
        address: j.provider,
        claimed: 0,
        completed: 0,
        slashed: 0,
        earned: "0",
      };
      s.claimed++;
      if (j.status === "Completed" || j.status === "Paid") s.completed++;
      if (j.status === "Slashed") s.slashed++;
      if (j.payout !== undefined) s.earned = (BigInt(s.earned) + BigInt(j.payout)).toString();
      by.set(j.provider, s);
    }
    return [...by.values()].sort((a, b) => b.completed - a.completed);
  }

  /** Registered circuits. */
  circuits(): CircuitEntry[] {
    return Object.values(this.state.circuits);
  }

  /** Market totals: jobs by status, volume paid to providers, fees. */
  totals(): { jobs: number; byStatus: Record<JobStatusName, number>; volume: string; fees: string } {
    const byStatus = Object.fromEntries(
      Object.values(JobStatus).map((c) => [statusName(c as JobStatusCode), 0]),
    ) as Record<JobStatusName, number>;
    let volume = 0n;
    let fees = 0n;
    for (const j of Object.values(this.state.jobs)) {
      byStatus[j.status]++;
      if (j.payout !== undefined) volume += BigInt(j.payout);
      if (j.fee !== undefined) fees += BigInt(j.fee);
    }
    return {
      jobs: Object.keys(this.state.jobs).length,
      byStatus,
      volume: volume.toString(),
      fees: fees.toString(),
    };
  }

  /** The price a claimed job was claimed at, from its terms (for display). */
  static claimedPrice(job: IndexedJob): bigint | undefined {
    return job.deadline === undefined ? undefined : claimedPrice(job.terms, job.deadline);
  }
}
