/**
 * The one way the provider worker starts — used by `npm run worker` (worker/main.ts),
 * `proofwork worker start`, the demo and the tests: configuration (sdk/node/config.ts, the only
 * place with defaults) → chain connection → deployment record → job runner (TF.js executor +
 * long-lived prover threads, with a witness preflight before every claim) → `startWorker`.
 * Anything a caller already has (an in-process chain, a signer, a logger, fault hooks) it passes in.
 */
import { Wallet, type Provider, type Signer } from "ethers";
import {
  confirmationsFor,
  connectChain,
  findDeployment,
  requirePrivateKey,
  type Config,
  type Deployment,
} from "../sdk/node.ts";
import type { ArtifactHint } from "../sdk/node.ts";
import type { Clock } from "./clock.ts";
import { settingsFromConfig } from "./context.ts";
import { registerBackendMetric, type BackendChoice, type BackendName } from "./executor/backend.ts";
import type { WorkerHooks } from "./hooks.ts";
import { createLogger, type Logger } from "./log.ts";
import { bindingRunner, computeWitness, type JobRunner } from "./runner.ts";
import { startWorker, type WorkerHandle, type WorkerOptions } from "./index.ts";

/** The job runner of a configuration: model circuits on the TF.js executor, binding-only ones
 * directly, both proving in `proverThreads` long-lived threads; plus the backend it runs on. */
export async function createRunner(
  config: Pick<Config, "executorBackend" | "proverThreads"> &
    Partial<Pick<Config, "webgpuFlags" | "webgpuFeatureLevel">>,
  log?: Pick<Logger, "info">,
): Promise<JobRunner & { backend(): string | undefined; backendChoice(): BackendChoice | undefined }> {
  const { modelRunner } = await import("./executor/runner.ts");
  const { createProverPool } = await import("./prover/pool.ts");
  const pool = createProverPool({ threads: config.proverThreads });
  let backendName: string | undefined;
  let choice: BackendChoice | undefined;
  const backend: BackendName | undefined =
    config.executorBackend === "auto" ? undefined : config.executorBackend;
  const inner = modelRunner({
    pool,
    ...(backend !== undefined ? { backend } : {}),
    webgpu: {
      ...(config.webgpuFlags !== undefined ? { dawnFlags: config.webgpuFlags } : {}),
      ...(config.webgpuFeatureLevel !== undefined ? { featureLevel: config.webgpuFeatureLevel } : {}),
    },
    logger: {
      // the executor's one line per model: which backend runs, and why each one ahead was skipped
      info: (fields, msg) => {
        if ("backend" in fields) backendName = String(fields.backend);
        if ("attempts" in fields) choice = fields as BackendChoice;
        log?.info(fields, msg);
      },
    },
    fallback: bindingRunner({ pool }),
  });
  return {
    execute: (circuit, input, binding) => inner.execute(circuit, input, binding),
    // every circuit's witness is computed once before claiming: a job whose input the circuit
    // cannot take is refused, never claimed and slashed
    preflight: (circuit, witness) => computeWitness(circuit, witness),
    prove: (circuit, witness) => inner.prove(circuit, witness),
    infer: (circuit, bytes) => inner.infer!(circuit, bytes),
    backend: () => backendName,
    backendChoice: () => choice,
    async close() {
      await inner.close();
      await pool.terminate();
    },
  };
}

/** Off-chain artifact hints by circuit id (lower-case) from the deployment record. */
export function circuitHints(d: Deployment): Map<string, ArtifactHint & { inputBytes?: number }> {
  return new Map(
    Object.values(d.circuits).map((c) => [
      c.id.toLowerCase(),
      { name: c.name, wasmUri: c.wasmUri, zkeyUri: c.zkeyUri, inputBytes: c.inputBytes },
    ]),
  );
}

/** Worker options from the configuration (the chain id decides the default confirmations). */
export function workerOptionsFromConfig(config: Config, chainId: bigint): WorkerOptions {
  const { maxFeePerGas, confirmations, ...settings } = settingsFromConfig(config);
  return {
    ...settings,
    confirmations: confirmationsFor(confirmations, chainId),
    metricsPort: config.metricsPort === 0 ? null : config.metricsPort,
    metricsHost: config.workerMetricsHost,
    fees: { maxFeePerGas },
  };
}

export interface BootOptions {
  config: Config;
  /** An existing chain connection (e.g. the in-process chain); default: `connectChain(config)`. */
  provider?: Provider;
  /** Default: a Wallet of `config.privateKey` on the provider. */
  signer?: Signer;
  /** Default: the record for the chain (`findDeployment`). */
  deployment?: Deployment;
  /** Default: `createRunner(config)`. */
  runner?: JobRunner;
  /** Default: JSON lines on stderr at `config.logLevel`. */
  log?: Logger;
  hooks?: WorkerHooks;
  clock?: Clock;
  /** Option overrides on top of the configuration (tests and the demo). */
  options?: Partial<WorkerOptions>;
}

export interface BootedWorker {
  handle: WorkerHandle;
  deployment: Deployment;
  chainId: bigint;
  runner: JobRunner & { backend?(): string | undefined; backendChoice?(): BackendChoice | undefined };
}

/** Starts the worker as configured. */
export async function bootWorker(b: BootOptions): Promise<BootedWorker> {
  const { config } = b;
  let provider = b.provider;
  let chainId: bigint;
  if (provider === undefined) {
    const connection = await connectChain(config);
    provider = connection.provider;
    chainId = connection.chainId;
  } else {
    chainId = (await provider.getNetwork()).chainId;
  }
  const signer = b.signer ?? new Wallet(requirePrivateKey(config), provider);
  const deployment =
    b.deployment ?? findDeployment({ file: config.deploymentFile, dir: config.deploymentsDir, chainId });
  const log = b.log ?? createLogger({ level: config.logLevel, destination: process.stderr });
  const runner: BootedWorker["runner"] = b.runner ?? (await createRunner(config, log));
  const handle = await startWorker(
    {
      provider,
      signer,
      addresses: deployment.contracts,
      startBlock: deployment.startBlock,
      circuitHints: circuitHints(deployment),
      log,
      runner,
      ...(b.hooks !== undefined ? { hooks: b.hooks } : {}),
      ...(b.clock !== undefined ? { clock: b.clock } : {}),
    },
    { ...workerOptionsFromConfig(config, chainId), ...b.options },
  );
  const backendChoice = runner.backendChoice?.bind(runner);
  if (backendChoice !== undefined) registerBackendMetric(handle.metrics.registry, backendChoice);
  return { handle, deployment, chainId, runner };
}

/**
 * Stops the worker on SIGINT/SIGTERM in two phases (the first signal lets in-flight jobs finish
 * within the grace period; a second one stops now) and resolves when it has stopped.
 */
export async function runUntilSignal(
  handle: WorkerHandle,
  graceMs: number,
  onSignal: (signal: NodeJS.Signals, count: number) => void = () => undefined,
): Promise<void> {
  let signals = 0;
  const stop = (sig: NodeJS.Signals) => {
    signals++;
    onSignal(sig, signals);
    void handle.stop(signals === 1 ? graceMs : 0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    await handle.done;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}
