/**
 * What every stage receives: its dependencies (provider, signer, store, clock, logger, metrics,
 * hooks) and the operator's settings. Built once by `startWorker`; tests build their own.
 */
import type { Signer } from "ethers";
import { loadConfig, type Config } from "../sdk/node.ts";
import type { ArtifactManager } from "./artifacts.ts";
import type { ChainReader } from "./chain.ts";
import type { ChainClock, Clock } from "./clock.ts";
import type { WorkerHooks } from "./hooks.ts";
import type { Logger } from "./log.ts";
import type { WorkerMetrics } from "./metrics.ts";
import type { JobRunner } from "./runner.ts";
import type { Store } from "./store.ts";
import type { FeePolicy } from "./fees.ts";
import type { RpcProvider, TxSender } from "./tx.ts";

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
  /** Collect completed jobs' payments once this many are waiting … */
  collectBatchSize: number;
  /** … or once the oldest has waited this long (0: every job at once). */
  collectMaxAgeMs: number;
  /** Data directory (store, artifacts). */
  dataDir: string;
  fees: FeePolicy;
  /** Serve batch jobs (when the deployment has a BatchMarket). */
  batchEnabled: boolean;
  /** Lowest acceptable price of a whole batch job (token base units). */
  batchMinPrice: bigint;
  /** Largest batch (samples) taken. */
  batchMaxSamples: number;
  /** Samples per executor call. */
  batchChunkSize: number;
  /** Record the sample block's randomness (`sample`) first when proving starts this many blocks after it. */
  batchSampleMarginBlocks: number;
  /** Where outputs files are published (default `<dataDir>/batch/published`). */
  batchPublishDir: string | undefined;
  /** URI prefix the publish directory is served under (default its `file://` URL). */
  batchPublishBaseUri: string | undefined;
  /** Inference throughput assumed before one was measured, samples per second. */
  batchSamplesPerSecond: number;
  /** First backoff of a retryable batch refusal (doubles per attempt, capped at 64×), ms. */
  batchRetryBaseMs: number;
}

/** The settings a configuration gives (sdk/node/config.ts holds every default). */
export function settingsFromConfig(config: Config): Omit<
  WorkerSettings,
  "startBlock" | "fees" | "confirmations" | InternalSetting
> & {
  confirmations: number | undefined;
  maxFeePerGas: bigint;
} {
  return {
    dataDir: config.dataDir,
    pollIntervalMs: config.pollIntervalMs,
    logChunkSize: config.logChunkSize,
    confirmations: config.confirmations,
    maxConcurrentJobs: config.maxConcurrentJobs,
    proverConcurrency: config.proverThreads,
    minPrice: config.minPrice,
    claimMarginSeconds: config.claimMarginSeconds,
    lookbackBlocks: config.workerLookbackBlocks,
    shutdownGraceMs: config.workerShutdownGraceMs,
    collectBatchSize: config.workerCollectBatch,
    collectMaxAgeMs: config.workerCollectMaxAgeMs,
    maxFeePerGas: BigInt(config.workerMaxFeeGwei) * 10n ** 9n,
    batchEnabled: config.batchEnabled,
    batchMinPrice: config.batchMinPrice,
    batchMaxSamples: config.batchMaxSamples,
    batchChunkSize: config.batchChunkSize,
    batchSampleMarginBlocks: config.batchSampleMarginBlocks,
    batchPublishDir: config.batchPublishDir,
    batchPublishBaseUri: config.batchPublishBaseUri,
  };
}

/** Tuning that is not configuration (measured or protocol-derived allowances). */
type InternalSetting =
  | "defaultWorkSeconds"
  | "submitReserveSeconds"
  | "claimLatencySeconds"
  | "maxInputBytes"
  | "batchSamplesPerSecond"
  | "batchRetryBaseMs";

const FROM_DEFAULT_CONFIG = settingsFromConfig(loadConfig({}, { env: {}, envFile: false }));

/** Defaults of every setting: the configuration's defaults, plus the internal allowances. */
export const DEFAULT_SETTINGS: Omit<WorkerSettings, "dataDir" | "fees" | "startBlock"> = {
  pollIntervalMs: FROM_DEFAULT_CONFIG.pollIntervalMs,
  logChunkSize: FROM_DEFAULT_CONFIG.logChunkSize,
  // undefined in the configuration: 0 on local dev chains, 1 elsewhere (startWorker decides)
  confirmations: 0,
  lookbackBlocks: FROM_DEFAULT_CONFIG.lookbackBlocks,
  maxConcurrentJobs: FROM_DEFAULT_CONFIG.maxConcurrentJobs,
  proverConcurrency: FROM_DEFAULT_CONFIG.proverConcurrency,
  minPrice: FROM_DEFAULT_CONFIG.minPrice,
  claimMarginSeconds: FROM_DEFAULT_CONFIG.claimMarginSeconds,
  shutdownGraceMs: FROM_DEFAULT_CONFIG.shutdownGraceMs,
  collectBatchSize: FROM_DEFAULT_CONFIG.collectBatchSize,
  collectMaxAgeMs: FROM_DEFAULT_CONFIG.collectMaxAgeMs,
  defaultWorkSeconds: 20,
  submitReserveSeconds: 15,
  claimLatencySeconds: 5,
  maxInputBytes: 1 << 20,
  batchEnabled: FROM_DEFAULT_CONFIG.batchEnabled,
  batchMinPrice: FROM_DEFAULT_CONFIG.batchMinPrice,
  batchMaxSamples: FROM_DEFAULT_CONFIG.batchMaxSamples,
  batchChunkSize: FROM_DEFAULT_CONFIG.batchChunkSize,
  batchSampleMarginBlocks: FROM_DEFAULT_CONFIG.batchSampleMarginBlocks,
  batchPublishDir: FROM_DEFAULT_CONFIG.batchPublishDir,
  batchPublishBaseUri: FROM_DEFAULT_CONFIG.batchPublishBaseUri,
  batchSamplesPerSecond: 100,
  batchRetryBaseMs: 5_000,
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
