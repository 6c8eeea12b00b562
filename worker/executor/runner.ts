/**
 * JobRunner for circuits compiled from a model: inference with the TF.js executor on the model the
 * circuit proves (fetched with its artifacts, its hash checked against the registry — no code per
 * model), outputs packed one field element per sample, witness input
 * `{jobKey, inputCommitment, outputs, bytes}`, proof in the prover pool's threads. Circuits without
 * a model go to `fallback` (e.g. `bindingRunner`), or fail with CIRCUIT_UNKNOWN.
 */
import { ErrorCodes, ProofworkError, packedOutputs, type ModelArtifact } from "../../sdk/node.ts";
import type { CircuitArtifacts } from "../artifacts.ts";
import type { ProverPool } from "../prover/pool.ts";
import { proveWithPool, type JobRunner } from "../runner.ts";
import type { BackendName, ExecutorLogger } from "./backend.ts";
import { createExecutor, type Executor } from "./executor.ts";

export interface ModelRunnerOptions {
  pool: ProverPool;
  backend?: BackendName;
  logger?: ExecutorLogger;
  fallback?: JobRunner;
}

/** Samples per proof of a model circuit: one packed output per sample. */
export function batchOf(circuit: Pick<CircuitArtifacts, "numPublic">): number {
  return circuit.numPublic - 2;
}

export function modelRunner(opts: ModelRunnerOptions): JobRunner {
  // one executor per model (by content hash): several models are served at once
  const executors = new Map<string, Promise<Executor>>();
  const executorFor = (model: ModelArtifact): Promise<Executor> => {
    let ex = executors.get(model.weightsHash);
    if (!ex) {
      ex = createExecutor(model, {
        ...(opts.backend ? { backend: opts.backend } : {}),
        ...(opts.logger ? { logger: opts.logger } : {}),
      });
      executors.set(model.weightsHash, ex);
    }
    return ex;
  };
  const unknown = (circuit: CircuitArtifacts): never => {
    throw new ProofworkError(ErrorCodes.CIRCUIT_UNKNOWN, `no runner for circuit ${circuit.name}`);
  };

  return {
    async execute(circuit, input, binding) {
      if (circuit.model === undefined) {
        return opts.fallback ? opts.fallback.execute(circuit, input, binding) : unknown(circuit);
      }
      const ex = await executorFor(circuit.model);
      const batch = batchOf(circuit);
      if (input.length !== batch * ex.model.inputSize) {
        throw new ProofworkError(
          ErrorCodes.INPUT_INVALID,
          `${circuit.name} takes ${batch} × ${ex.model.inputSize} bytes, job input has ${input.length}`,
        );
      }
      const { logits } = await ex.infer(input);
      const outputs = packedOutputs(ex.model, logits);
      return {
        outputs,
        witness: {
          jobKey: binding.jobKey,
          inputCommitment: binding.inputCommitment,
          outputs,
          bytes: Array.from(input, (b) => BigInt(b)),
        },
      };
    },
    prove(circuit, witness) {
      if (circuit.model === undefined) {
        return opts.fallback ? opts.fallback.prove(circuit, witness) : Promise.resolve(unknown(circuit));
      }
      return proveWithPool(opts.pool, circuit, witness);
    },
    async close() {
      for (const ex of executors.values()) (await ex).dispose();
      executors.clear();
      await opts.fallback?.close();
    },
  };
}
