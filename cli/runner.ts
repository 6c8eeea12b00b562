/**
 * The job runner the CLI worker and the demo plug into `startWorker`: MNIST MLP circuits run the
 * TF.js executor (worker/executor) and prove in the long-lived snarkjs thread pool
 * (worker/prover/pool); binding-only circuits use the worker's `bindingRunner`. Which model a
 * circuit runs comes from its name and sizes (cli/models.ts).
 */
import type { Config } from "../sdk/config.ts";
import type { Deployment } from "../sdk/deployments.ts";
import { ErrorCodes, ProofworkError } from "../sdk/errors.ts";
import type { ModelArtifact } from "../sdk/model.ts";
import { packedOutputs } from "../sdk/quant.ts";
import type { Executor } from "../worker/executor/executor.ts";
import type { CircuitInput } from "../worker/prover/input.ts";
import type { ProverPool } from "../worker/prover/pool.ts";
import { bindingRunner, type JobRunner } from "../worker/runner.ts";
import { modelForCircuit } from "./models.ts";

export interface RunnerInfo {
  /** The TF.js backend in use, once an executor was created. */
  backend(): string | undefined;
}

/** A runner dispatching per circuit between the MLP path and the binding-only path. */
export async function createRunner(
  config: Pick<Config, "executorBackend" | "proverThreads">,
  _deployment?: Deployment,
): Promise<JobRunner & RunnerInfo> {
  const binding = bindingRunner();
  const executors = new Map<string, Promise<Executor>>();
  let backendName: string | undefined;
  let pool: ProverPool | undefined;
  const mlpCircuits = new Set<string>();

  async function executorFor(model: ModelArtifact): Promise<Executor> {
    let ex = executors.get(model.name);
    if (ex === undefined) {
      const { createExecutor } = await import("../worker/executor/executor.ts");
      const backend = config.executorBackend === "auto" ? undefined : config.executorBackend;
      ex = createExecutor(model, backend === undefined ? {} : { backend });
      executors.set(model.name, ex);
    }
    const e = await ex;
    backendName = e.backend.backend;
    return e;
  }

  const modelOf = (c: { name: string; numPublic: number; inputBytes?: number }, inputLength: number) =>
    modelForCircuit({ name: c.name, numPublic: c.numPublic, inputBytes: c.inputBytes ?? inputLength });

  return {
    backend: () => backendName,
    async execute(circuit, input, job) {
      const model = modelOf(circuit, input.length);
      if (model === undefined) return binding.execute(circuit, input, job);
      const batch = circuit.numPublic - 2;
      if (input.length !== batch * model.inputSize) {
        throw new ProofworkError(
          ErrorCodes.INPUT_INVALID,
          `input has ${input.length} bytes; ${circuit.name} takes ${batch} × ${model.inputSize}`,
        );
      }
      const { logits } = await (await executorFor(model)).infer(input);
      const outputs = packedOutputs(model, logits);
      const { mlpCircuitInput } = await import("../worker/prover/input.ts");
      const ci = await mlpCircuitInput(model, batch, {
        jobKey: job.jobKey,
        bytes: input,
        inputCommitment: job.inputCommitment,
        outputs,
      });
      mlpCircuits.add(circuit.name);
      return { outputs, witness: ci.input };
    },
    async prove(circuit, witness) {
      if (!mlpCircuits.has(circuit.name)) return binding.prove(circuit, witness);
      if (pool === undefined) {
        const { createProverPool } = await import("../worker/prover/pool.ts");
        pool = createProverPool({ threads: config.proverThreads });
      }
      const r = await pool.prove(
        { name: circuit.name, wasm: circuit.wasmPath, zkey: circuit.zkeyPath },
        witness as CircuitInput,
      );
      return {
        proof: [...r.calldata.proof],
        outputs: r.calldata.outputs,
        publicSignals: r.publicSignals.map((s) => BigInt(s)),
      };
    },
    async close() {
      for (const ex of executors.values()) (await ex).dispose();
      executors.clear();
      await pool?.terminate();
      pool = undefined;
      await binding.close();
    },
  };
}
