/**
 * JobRunner for circuits compiled from a model (circuits/model-gen.ts): inference with the TF.js
 * executor on the model the circuit proves (fetched with its artifacts, its hash checked against the
 * registry — no code per model), outputs packed by the SDK's one codec (`publicOutputs`), witness
 * input from the SDK's `modelCircuitInput`, proof in the prover pool's threads. Circuits without a
 * model go to `fallback` (e.g. `bindingRunner`), or fail with CIRCUIT_UNKNOWN.
 *
 * Before proving, the executor's outputs for one sample per job are checked against the bigint
 * reference (sdk/model/reference.ts), which is what the circuit constrains: a backend that drifts
 * (e.g. TF32 matmuls on an Ampere+ GPU with NVIDIA_TF32_OVERRIDE unset) fails the job with
 * EXECUTOR_MISMATCH before any proving time is spent, instead of a witness assertion later.
 */
import {
  ErrorCodes,
  ProofworkError,
  inferSample,
  inputSize,
  outputElements,
  publicOutputs,
  type ModelArtifact,
} from "../../sdk/node.ts";
import type { CircuitArtifacts } from "../artifacts.ts";
import type { ProverPool } from "../prover/pool.ts";
import { proveWithPool, type JobRunner } from "../runner.ts";
import type { BackendName, ExecutorLogger, WebGpuOptions } from "./backend.ts";
import { createModelExecutor, type ModelExecutor } from "./model-executor.ts";

export interface ModelRunnerOptions {
  pool: ProverPool;
  backend?: BackendName;
  logger?: ExecutorLogger;
  /** How Dawn is asked for a WebGPU adapter (default: a GPU at the core feature level). */
  webgpu?: WebGpuOptions;
  fallback?: JobRunner;
  /** How executors are made (default `createModelExecutor`); tests inject a drifting one. */
  createExecutor?: typeof createModelExecutor;
}

/** Samples per proof of a model circuit: public signals are jobKey, inputCommitment, outputs. */
export function batchOf(
  circuit: Pick<CircuitArtifacts, "numPublic">,
  model: Pick<ModelArtifact, "output">,
): number {
  return (circuit.numPublic - 2) / outputElements(model.output);
}

export function modelRunner(opts: ModelRunnerOptions): JobRunner {
  // one executor per model (by content hash): several models are served at once
  const executors = new Map<string, Promise<ModelExecutor>>();
  const executorFor = (model: ModelArtifact): Promise<ModelExecutor> => {
    let ex = executors.get(model.hash);
    if (ex === undefined) {
      ex = (opts.createExecutor ?? createModelExecutor)(model, {
        ...(opts.backend ? { backend: opts.backend } : {}),
        ...(opts.logger ? { logger: opts.logger } : {}),
        ...(opts.webgpu ? { webgpu: opts.webgpu } : {}),
      });
      executors.set(model.hash, ex);
    }
    return ex;
  };
  const unknown = (circuit: CircuitArtifacts): never => {
    throw new ProofworkError(ErrorCodes.CIRCUIT_UNKNOWN, `no runner for circuit ${circuit.name}`);
  };

  return {
    async execute(circuit, input, binding) {
      const model = circuit.model;
      if (model === undefined) {
        return opts.fallback ? opts.fallback.execute(circuit, input, binding) : unknown(circuit);
      }
      const batch = batchOf(circuit, model);
      const n = inputSize(model);
      if (!Number.isInteger(batch) || batch < 1) {
        throw new ProofworkError(
          ErrorCodes.CIRCUIT_UNKNOWN,
          `${circuit.name}: ${circuit.numPublic} public signals do not fit model ${model.name}`,
        );
      }
      if (input.length !== batch * n) {
        throw new ProofworkError(
          ErrorCodes.INPUT_INVALID,
          `${circuit.name} takes ${batch} × ${n} bytes, job input has ${input.length}`,
        );
      }
      const ex = await executorFor(model);
      const { logits } = await ex.infer(input);
      // spot check: sample (jobKey mod batch) against the reference the circuit constrains
      const s = Number(binding.jobKey % BigInt(batch));
      const ref = inferSample(model, input.subarray(s * n, (s + 1) * n));
      if (ref.some((v, k) => v !== logits[s]![k])) {
        throw new ProofworkError(
          ErrorCodes.EXECUTOR_MISMATCH,
          `${ex.backend.backend} outputs for sample ${s} differ from the circuit's reference (${logits[s]!.join(",")} vs ${ref.join(",")})`,
        );
      }
      const outputs = publicOutputs(model, logits);
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
    async infer(circuit, bytes) {
      const model = circuit.model;
      if (model === undefined) return unknown(circuit);
      const ex = await executorFor(model);
      const { logits } = await ex.infer(bytes);
      return { logits, backend: ex.backend.backend };
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
