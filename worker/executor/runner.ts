/**
 * JobRunner for the MNIST MLP job circuits (`mnist_mlp_<instance>_b<batch>`): inference with the
 * TF.js executor (integer-exact, identical to sdk/quant.ts), outputs packed one element per sample,
 * witness input `{jobKey, inputCommitment, outputs, bytes}`, proof in the prover pool's threads.
 * Circuits it does not know go to `fallback` (e.g. `bindingRunner`), or fail with CIRCUIT_UNKNOWN.
 */
import { loadMlpModel, type MlpInstance } from "../../circuits/mlp-gen.ts";
import { ErrorCodes, ProofworkError } from "../../sdk/errors.ts";
import type { ModelArtifact } from "../../sdk/model.ts";
import { packedOutputs } from "../../sdk/quant.ts";
import type { CircuitArtifacts } from "../artifacts.ts";
import type { ProverPool } from "../prover/pool.ts";
import { proveWithPool, type JobRunner } from "../runner.ts";
import type { BackendName, ExecutorLogger } from "./backend.ts";
import { createExecutor, type Executor } from "./executor.ts";

const NAME = /^mnist_mlp_(full|small)_b(\d+)$/;

/** The model instance and batch size a circuit name stands for, or undefined. */
export function parseMlpCircuitName(name: string): { instance: MlpInstance; batch: number } | undefined {
  const m = NAME.exec(name);
  return m ? { instance: m[1] as MlpInstance, batch: Number(m[2]) } : undefined;
}

export interface MlpRunnerOptions {
  pool: ProverPool;
  backend?: BackendName;
  logger?: ExecutorLogger;
  fallback?: JobRunner;
  /** Models by instance (default: the committed artifacts). */
  models?: Partial<Record<MlpInstance, ModelArtifact>>;
}

export function mlpRunner(opts: MlpRunnerOptions): JobRunner {
  const executors = new Map<MlpInstance, Promise<Executor>>();
  const executorFor = (instance: MlpInstance): Promise<Executor> => {
    let ex = executors.get(instance);
    if (!ex) {
      const model = opts.models?.[instance] ?? loadMlpModel(instance);
      ex = createExecutor(model, {
        ...(opts.backend ? { backend: opts.backend } : {}),
        ...(opts.logger ? { logger: opts.logger } : {}),
      });
      executors.set(instance, ex);
    }
    return ex;
  };
  const unknown = (circuit: CircuitArtifacts): never => {
    throw new ProofworkError(ErrorCodes.CIRCUIT_UNKNOWN, `no runner for circuit ${circuit.name}`);
  };

  return {
    async execute(circuit, input, binding) {
      const parsed = parseMlpCircuitName(circuit.name);
      if (!parsed) return opts.fallback ? opts.fallback.execute(circuit, input, binding) : unknown(circuit);
      const ex = await executorFor(parsed.instance);
      if (input.length !== parsed.batch * ex.model.inputSize) {
        throw new ProofworkError(
          ErrorCodes.INPUT_INVALID,
          `${circuit.name} takes ${parsed.batch} × ${ex.model.inputSize} bytes, job input has ${input.length}`,
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
      if (!parseMlpCircuitName(circuit.name)) {
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
