/**
 * The job runner the CLI worker and the demo plug into `startWorker`: the worker's MNIST MLP runner
 * (TF.js executor + long-lived snarkjs prover threads) with the binding-only runner as fallback,
 * plus the name of the TF.js backend it ended up on (for the demo's summary).
 */
import type { Config } from "../sdk/config.ts";
import type { Deployment } from "../sdk/deployments.ts";
import type { BackendName } from "../worker/executor/backend.ts";
import { bindingRunner, type JobRunner } from "../worker/runner.ts";

export interface RunnerInfo {
  /** The TF.js backend in use, once an executor was created. */
  backend(): string | undefined;
}

/** The runner for `config` (backend choice, prover threads); `close` also stops the prover threads. */
export async function createRunner(
  config: Pick<Config, "executorBackend" | "proverThreads">,
  _deployment?: Deployment,
): Promise<JobRunner & RunnerInfo> {
  const { mlpRunner } = await import("../worker/executor/runner.ts");
  const { createProverPool } = await import("../worker/prover/pool.ts");
  const pool = createProverPool({ threads: config.proverThreads });
  let backendName: string | undefined;
  const backend: BackendName | undefined =
    config.executorBackend === "auto" ? undefined : config.executorBackend;
  const inner = mlpRunner({
    pool,
    ...(backend !== undefined ? { backend } : {}),
    logger: {
      info: (fields) => {
        if ("backend" in fields) backendName = String(fields.backend);
      },
    },
    fallback: bindingRunner(),
  });
  return {
    execute: (circuit, input, binding) => inner.execute(circuit, input, binding),
    prove: (circuit, witness) => inner.prove(circuit, witness),
    backend: () => backendName,
    async close() {
      await inner.close();
      await pool.terminate();
    },
  };
}
