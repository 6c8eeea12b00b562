/**
 * What every stage receives: its dependencies (provider, signer, store, clock, logger, metrics,
 * hooks) and the operator's settings. Built once by `startWorker`; tests build their own.
 */
import type { Signer } from "ethers";
import type { ArtifactManager } from "./artifacts.ts";
import type { ChainReader } from "./chain.ts";
import type { ChainClock, Clock } from "./clock.ts";
import type { WorkerHooks } from "./hooks.ts";
import type { Logger } from "./log.ts";
import type { WorkerMetrics } from "./metrics.ts";
import type { JobRunner } from "./runner.ts";
import type { Store } from "./store.ts";
import type { FeePolicy, RpcProvider, TxSender } from "./tx.ts";

export interface WorkerSettings {
  /** Main loop period. */
  pollIntervalMs: number;
  /** eth_getLogs block range cap. */
  logChunkSize: number;
  /** Blocks behind the head the monitor stays. */
  confirmations: number;
  /** Blocks re-read below the cursor on start. */
  lookbackBlocks: number;
  /** First block to scan (deployment start block). */
  startBlock: number;
  /** Most jobs held (claiming → submitting) at once. */
  maxConcurrentJobs: number;
  /** Jobs proven at once (prover slots). */
  proverConcurrency: number;
  /** Lowest acceptable price (token base units). */
  minPrice: bigint;
  /** Slack the execution window must leave above the expected work, seconds. */
  claimMarginSeconds: number;
  /** Expected execute+prove time of a circuit before it was measured, seconds. */
  defaultWorkSeconds: number;
  /** Time reserved for getting the submit transaction mined, seconds. */
  submitReserveSeconds: number;
  /** Time a claim takes to be mined, seconds. */
  claimLatencySeconds: number;
  /** Phase-2 shutdown grace: in-flight jobs get this long to finish before they are parked. */
  shutdownGraceMs: number;
  /** Largest input fetched from an input URI, bytes. */
  maxInputBytes: number;
  /** Data directory (store, artifacts). */
  dataDir: string;
  fees: FeePolicy;
}

export const DEFAULT_SETTINGS: Omit<WorkerSettings, "dataDir" | "fees" | "startBlock"> = {
  pollIntervalMs: 1000,
  logChunkSize: 1000,
  confirmations: 0,
  lookbackBlocks: 64,
  maxConcurrentJobs: 2,
  proverConcurrency: 1,
  minPrice: 0n,
  claimMarginSeconds: 30,
  defaultWorkSeconds: 20,
  submitReserveSeconds: 15,
  claimLatencySeconds: 5,
  shutdownGraceMs: 30_000,
  maxInputBytes: 1 << 20,
};

export interface WorkerContext {
  provider: RpcProvider;
  signer: Signer;
  /** Provider (worker) address. */
  address: string;
  chainId: bigint;
  reader: ChainReader;
  store: Store;
  clock: Clock;
  chainClock: ChainClock;
  log: Logger;
  metrics: WorkerMetrics;
  hooks: WorkerHooks;
  tx: TxSender;
  artifacts: ArtifactManager;
  runner: JobRunner;
  settings: WorkerSettings;
}
