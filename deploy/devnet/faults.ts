/**
 * Shared pieces of the reliability tests and the soak benchmark: the fault-injecting worker as a
 * separate process, on-chain transaction counting, and store inspection (read-only, by a second
 * SQLite handle).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet, getAddress, type Provider } from "ethers";
import { JobStatus, marketInterface } from "../../sdk/node.ts";
import { Store } from "../../worker/index.ts";
import type { Protocol } from "./protocol.ts";
import { ROOT, startChild, type Child } from "./node.ts";

export const FAULT_WORKER = join(ROOT, "deploy", "devnet", "fault-worker.ts");

/** Starts `deploy/devnet/fault-worker.ts` as its own process (SIGKILL goes to its group). */
export function startFaultWorker(env: Record<string, string>): Child {
  return startChild(join(ROOT, "node_modules", ".bin", "tsx"), [FAULT_WORKER], env);
}

export interface WorkerEnvOptions {
  rpcUrl: string;
  fallbackUrls?: string[];
  key: string;
  deploymentFile: string;
  dataDir?: string;
  extra?: Record<string, string>;
}

export function workerEnv(o: WorkerEnvOptions): Record<string, string> {
  return {
    PROOFWORK_RPC_URL: o.rpcUrl,
    PROOFWORK_RPC_FALLBACK_URLS: (o.fallbackUrls ?? []).join(","),
    PROOFWORK_PRIVATE_KEY: o.key,
    PROOFWORK_DEPLOYMENT: o.deploymentFile,
    PROOFWORK_DATA_DIR: o.dataDir ?? mkdtempSync(join(tmpdir(), "pw-rel-")),
    PROOFWORK_METRICS_PORT: "0",
    PROOFWORK_POLL_INTERVAL_MS: "200",
    PROOFWORK_WORKER_COLLECT_MAX_AGE_MS: "0",
    PROOFWORK_CLAIM_MARGIN_SECONDS: "10",
    PROOFWORK_LOG_LEVEL: process.env.RELIABILITY_LOG_LEVEL ?? "warn",
    PROOFWORK_WORKER_SHUTDOWN_GRACE_MS: "5000",
    // the fault hooks must not be inherited by accident
    PROOFWORK_FAULT_KILL_AT: "",
    PROOFWORK_FAULT_KILL_RATE: "0",
    ...o.extra,
  };
}

/** Path of the worker's store for `key` (worker/index.ts naming). */
export function storePath(dataDir: string, key: string): string {
  return join(dataDir, `worker-31337-${new Wallet(key).address.toLowerCase()}.sqlite`);
}

/** Opens the store, runs `fn`, closes it (for a worker that is not running, or read-only looks). */
export function withStore<T>(path: string, fn: (s: Store) => T): T {
  const s = Store.open(path);
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

export interface MarketTxCount {
  /** function name → jobId (decimal) → number of mined txs (successful or not) */
  byFn: Map<string, Map<string, number>>;
  total: number;
  /** `collect` transactions (each pays one or more jobs: the worker batches them). */
  collects: number;
}

/** Counts the mined transactions `from` sent to the market from `fromBlock` on, by function and job. */
export async function countMarketTxs(
  provider: Provider,
  market: string,
  from: string,
  fromBlock: number,
): Promise<MarketTxCount> {
  const head = await provider.getBlockNumber();
  const byFn = new Map<string, Map<string, number>>();
  let total = 0;
  let collects = 0;
  const want = getAddress(from);
  for (let n = fromBlock; n <= head; n++) {
    const block = await provider.getBlock(n, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (getAddress(tx.from) !== want || tx.to === null || getAddress(tx.to) !== getAddress(market))
        continue;
      total++;
      const parsed = marketInterface.parseTransaction({ data: tx.data });
      const fn = parsed?.name ?? tx.data.slice(0, 10);
      if (fn === "collect") collects++;
      // collect(provider, jobs) counts once for each job it pays
      const jobIds =
        parsed?.name === "collect"
          ? (parsed.args[1] as { jobId: bigint }[]).map((j) => String(j.jobId))
          : [parsed && parsed.args.length > 0 ? String(parsed.args[0]) : "?"];
      const m = byFn.get(fn) ?? new Map<string, number>();
      for (const jobId of jobIds) m.set(jobId, (m.get(jobId) ?? 0) + 1);
      byFn.set(fn, m);
    }
  }
  return { byFn, total, collects };
}

export function txCount(c: MarketTxCount, fn: string, jobId: bigint): number {
  return c.byFn.get(fn)?.get(jobId.toString()) ?? 0;
}

/** Proven on-chain: completed, or completed and paid out by `collect`. */
export const PROVEN: number[] = [JobStatus.Completed, JobStatus.Paid];

export async function chainStatus(p: Protocol, jobId: bigint): Promise<number> {
  return Number(((await p.market.getFunction("getJob")(jobId)) as { status: bigint }).status);
}

/** The store state a job's chain status allows, for a worker that took the job. */
export function consistent(storeState: string | undefined, status: number): boolean {
  switch (status) {
    case JobStatus.Paid:
      return storeState === "settled" || storeState === "completed";
    case JobStatus.Completed:
      // proven; the worker's collect (settle) has not landed yet
      return storeState === "completed";
    case JobStatus.Slashed:
      return storeState === "failed";
    case JobStatus.Claimed:
      return storeState !== "settled" && storeState !== "completed";
    default:
      return storeState !== "settled" && storeState !== "completed" && storeState !== "claimed";
  }
}
