/**
 * The job runner the CLI worker and the demo plug into `startWorker`: MNIST MLP circuits run the
 * TF.js executor (worker/executor) and prove with snarkjs; binding-only circuits use the worker's
 * `bindingRunner`. Which model a circuit runs comes from its name and sizes (cli/models.ts).
 */
import * as snarkjs from "snarkjs";
import type { Config } from "../sdk/config.ts";
import type { Deployment } from "../sdk/deployments.ts";
import { ErrorCodes, ProofworkError } from "../sdk/errors.ts";
import type { ModelArtifact } from "../sdk/model.ts";
import { encodeProof } from "../sdk/proof.ts";
import { packedOutputs } from "../sdk/quant.ts";
import type { Executor } from "../worker/executor/executor.ts";
import { bindingRunner, type JobRunner } from "../worker/runner.ts";
import { modelForCircuit } from "./models.ts";

export interface RunnerInfo {
  /** The TF.js backend in use, once an executor was created. */
  backend(): string | undefined;
}

/** A runner dispatching per circuit between the MLP path and the binding-only path. */
export async function createRunner(
  config: Pick<Config, "executorBackend">,
  _deployment?: Deployment,
): Promise<JobRunner & RunnerInfo> {
  const binding = bindingRunner();
  const executors = new Map<string, Promise<Executor>>();
  let backendName: string | undefined;

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
      const witness: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(ci.input))
        witness[k] = Array.isArray(v) ? v.map(String) : String(v);
      return { outputs, witness };
    },
    async prove(circuit, witness) {
      const { proof, publicSignals } = await snarkjs.groth16.fullProve(
        witness as snarkjs.CircuitSignals,
        circuit.wasmPath,
        circuit.zkeyPath,
      );
      const signals = (publicSignals as string[]).map((s) => BigInt(s));
      return { proof: [...encodeProof(proof)], outputs: signals.slice(2), publicSignals: signals };
    },
    async close() {
      for (const ex of executors.values()) (await ex).dispose();
      executors.clear();
      await binding.close();
    },
  };
}
