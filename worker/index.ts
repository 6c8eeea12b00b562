/**
 * Public surface of the provider worker: `startWorker` (the long-running prover node). Provider
 * account actions (stake, unstake, withdraw, register, status) live in the SDK (`sdk/provider.ts`),
 * the one layer shared by the CLI, the worker, deploy scripts and tests.
 */
import { join } from "node:path";
import { getAddress, type Signer } from "ethers";
import { ArtifactManager, type CircuitHint } from "./artifacts.ts";
import { ChainReader, type Addresses } from "./chain.ts";
import { ChainClock, systemClock, type Clock } from "./clock.ts";
import { DEFAULT_SETTINGS, type WorkerContext, type WorkerSettings } from "./context.ts";
import { noHooks, type WorkerHooks } from "./hooks.ts";
import { createLogger, type Logger } from "./log.ts";
import { createMetrics, startMetricsServer, type MetricsServer, type WorkerMetrics } from "./metrics.ts";
import { Pipeline, type WorkerPhase } from "./pipeline.ts";
import { bindingRunner, type JobRunner } from "./runner.ts";
import { Store } from "./store.ts";
import type { BatchStore } from "./batch/store.ts";
import { DEFAULT_FEE_POLICY } from "./fees.ts";
import { TxSender, type RpcProvider } from "./tx.ts";

export {
  bootWorker,
  createRunner,
  circuitHints,
  runUntilSignal,
  workerOptionsFromConfig,
} from "./bootstrap.ts";
export type { BootOptions, BootedWorker } from "./bootstrap.ts";
export type { WorkerHooks, Boundary } from "./hooks.ts";
export { BOUNDARIES, noHooks } from "./hooks.ts";
export type { WorkerSettings } from "./context.ts";
export type { JobRunner } from "./runner.ts";
export { bindingRunner } from "./runner.ts";
export { Store } from "./store.ts";
export { BatchStore, BATCH_STATES, type BatchRow, type BatchState } from "./batch/store.ts";

export interface WorkerDeps {
  provider: RpcProvider;
  /** The provider's key (must be able to sign transactions locally: a Wallet). */
  signer: Signer;
  addresses: Addresses;
  /** First block to scan (deployment record's start block). */
  startBlock: number;
  runner?: JobRunner;
  clock?: Clock;
  log?: Logger;
  metrics?: WorkerMetrics;
  hooks?: WorkerHooks;
  /** Off-chain artifact hints by circuit id (lower-case), e.g. from the deployment record. */
  circuitHints?: Map<string, CircuitHint>;
}

export interface WorkerOptions extends Partial<Omit<WorkerSettings, "fees">> {
  dataDir: string;
  fees?: Partial<WorkerSettings["fees"]>;
  /** Store file (default `<dataDir>/worker-<chainId>-<address>.sqlite`). */
  storePath?: string;
  /** Port of /metrics and /healthz (undefined or null = no server, 0 = any free port). */
  metricsPort?: number | null;
  metricsHost?: string;
}

export interface WorkerHandle {
  address: string;
  chainId: bigint;
  store: Store;
  /** Batch jobs' rows (null when batch mode is off or the deployment has no BatchMarket). */
  batch: BatchStore | null;
  metrics: WorkerMetrics;
  /** Bound metrics port, when serving. */
  metricsPort: number | null;
  phase(): WorkerPhase;
  health(): { ok: boolean } & Record<string, unknown>;
  /** Resolves when the worker stopped (by `stop` or a fatal error). */
  done: Promise<void>;
  /** Two-phase stop: no new jobs; in-flight ones finish within `graceMs` or are parked. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts the provider worker. */
export async function startWorker(deps: WorkerDeps, options: WorkerOptions): Promise<WorkerHandle> {
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? createLogger();
  const metrics = deps.metrics ?? createMetrics();
  const hooks = deps.hooks ?? noHooks;
  const address = getAddress(await deps.signer.getAddress());
  const chainId = (await deps.provider.getNetwork()).chainId;
  const { fees, storePath, metricsPort, metricsHost, ...rest } = options;
  const settings: WorkerSettings = {
    ...DEFAULT_SETTINGS,
    ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
    startBlock: deps.startBlock,
    dataDir: options.dataDir,
    fees: { ...DEFAULT_FEE_POLICY, ...fees },
  };
  const store = Store.open(
    storePath ?? join(options.dataDir, `worker-${chainId}-${address.toLowerCase()}.sqlite`),
    { now: () => clock.now() },
  );
  const reader = new ChainReader(deps.provider, deps.addresses, deps.startBlock, address);
  const tx = new TxSender(
    { provider: deps.provider, signer: deps.signer, store, clock, log, metrics, hooks },
    settings.fees,
  );
  const ctx: WorkerContext = {
    provider: deps.provider,
    signer: deps.signer,
    address,
    chainId,
    reader,
    store,
    clock,
    chainClock: new ChainClock(clock),
    log,
    metrics,
    hooks,
    tx,
    artifacts: new ArtifactManager({ reader, log, dataDir: options.dataDir, hints: deps.circuitHints }),
    runner: deps.runner ?? bindingRunner(),
    settings,
  };
  await tx.init();
  // chain time before anything judges a deadline (resumed jobs are checked at once): a dev chain's
  // clock can lag the wall clock by more than an execution window
  const head = await deps.provider.getBlock("latest");
  if (head) ctx.chainClock.observe(head.timestamp);
  const pipeline = new Pipeline(ctx);
  let server: MetricsServer | null = null;
  if (metricsPort !== undefined && metricsPort !== null) {
    server = await startMetricsServer(metrics, pipeline, { port: metricsPort, host: metricsHost });
  }
  log.info(
    { address, chainId: chainId.toString(), market: deps.addresses.market, metricsPort: server?.port },
    "worker started",
  );
  const loop = pipeline.start();
  let stopping: Promise<void> | null = null;
  const shutdown = (graceMs?: number): Promise<void> => {
    stopping ??= (async () => {
      await pipeline.stop(graceMs);
      await server?.close();
      await ctx.runner.close();
      store.close();
      log.info("worker stopped");
    })();
    return stopping;
  };
  const done = loop.then(() => shutdown());
  return {
    address,
    chainId,
    store,
    batch: pipeline.batch?.store ?? null,
    metrics,
    metricsPort: server?.port ?? null,
    phase: () => pipeline.phase,
    health: () => pipeline.health(),
    done,
    stop: shutdown,
  };
}
export { quietKnownWarnings } from "./warnings.ts";
export { createLogger, type Logger } from "./log.ts";
// Lower-level parts for benchmarks and embedders (executor, prover, metrics).
export {
  BACKEND_ORDER,
  registerBackendMetric,
  selectBackend,
  type BackendChoice,
  type BackendName,
  type WebGpuOptions,
} from "./executor/backend.ts";
export {
  createModelExecutor,
  defaultChunk,
  type ModelExecutor,
  type ModelInferenceResult,
} from "./executor/model-executor.ts";
export { batchOf, modelRunner } from "./executor/runner.ts";
export { createProverPool, type ProverPool } from "./prover/pool.ts";
export { calculateWitness } from "./prover/wtns.ts";
export { createMetrics, type WorkerMetrics } from "./metrics.ts";
export { silentLogger } from "./log.ts";
