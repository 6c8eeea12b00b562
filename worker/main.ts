/**
 * Stand-alone entry point of the provider worker: `tsx worker/main.ts` (or `npm run worker`).
 * Reads the configuration from the environment / `.env` (sdk/config.ts), finds the deployment
 * record for the chain, runs until SIGINT/SIGTERM, then stops in two phases (a second signal skips
 * the grace period). Logs are JSON lines on stderr (pretty on a terminal).
 *
 * Jobs run on the MNIST MLP runner (TF.js executor, worker/executor) with binding-only circuits as
 * fallback, proving in a pool of `PROOFWORK_PROVER_THREADS` long-lived prover threads.
 */
import { Wallet } from "ethers";
import { loadConfig, requirePrivateKey } from "../sdk/config.ts";
import { connectChain } from "../sdk/contracts.ts";
import { findDeployment } from "../sdk/deployments.ts";
import { errorMessage, isProofworkError } from "../sdk/errors.ts";
import { mlpRunner } from "./executor/runner.ts";
import { startWorker, workerOptionsFromConfig } from "./index.ts";
import { createLogger } from "./log.ts";
import { createProverPool } from "./prover/pool.ts";
import { bindingRunner, type JobRunner } from "./runner.ts";

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({
    level: config.logLevel,
    destination: process.stderr.isTTY ? undefined : process.stderr,
  });
  const key = requirePrivateKey(config);
  const { provider, chainId } = await connectChain(config);
  const deployment = findDeployment({ file: config.deploymentFile, dir: config.deploymentsDir, chainId });
  const hints = new Map(
    Object.values(deployment.circuits).map((c) => [
      c.id.toLowerCase(),
      { name: c.name, wasmUri: c.wasmUri, zkeyUri: c.zkeyUri, inputBytes: c.inputBytes },
    ]),
  );
  const pool = createProverPool({ threads: config.proverThreads });
  const jobs = mlpRunner({
    pool,
    fallback: bindingRunner({ pool }),
    ...(config.executorBackend === "auto" ? {} : { backend: config.executorBackend }),
  });
  const witnessCheck = bindingRunner();
  const runner: JobRunner = {
    execute: (c, i, b) => jobs.execute(c, i, b),
    prove: (c, w) => jobs.prove(c, w),
    // binding-only circuits get a witness check before claiming (MLP inputs are size-checked in execute)
    preflight: async (c, w) => {
      if (!c.name.startsWith("mnist_mlp_")) await witnessCheck.preflight?.(c, w);
    },
    close: async () => {
      await jobs.close();
      await pool.terminate();
    },
  };
  const handle = await startWorker(
    {
      runner,
      provider,
      signer: new Wallet(key, provider),
      addresses: deployment.contracts,
      startBlock: deployment.startBlock,
      circuitHints: hints,
      log,
    },
    workerOptionsFromConfig(config),
  );
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    log.warn(
      { signal: sig, graceMs: signals === 1 ? config.workerShutdownGraceMs : 0 },
      "shutdown requested",
    );
    void handle.stop(signals === 1 ? config.workerShutdownGraceMs : 0);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.stderr.write(
    `proofwork worker ${handle.address} on chain ${chainId}${handle.metricsPort !== null ? `, metrics :${handle.metricsPort}` : ""}\n`,
  );
  await handle.done;
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(
      isProofworkError(e) ? `${e.toLine()}\n` : `${e instanceof Error ? e.stack : errorMessage(e)}\n`,
    );
    process.exit(1);
  },
);
