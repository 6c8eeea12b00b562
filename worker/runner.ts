/**
 * The execute/prove back end of the pipeline, behind one small interface so the pipeline does not
 * care which inference engine or prover pool runs a job.
 *
 * `bindingRunner` serves circuits whose witness is just the job binding and the input bytes
 * (`{jobKey, inputCommitment, bytes}`, no outputs — the `binding_test` circuit); it proves with
 * snarkjs in this process. The TF.js executor and the threaded prover pool (worker/executor,
 * worker/prover) plug in through the same interface.
 */
import * as snarkjs from "snarkjs";
import { toSolidityProof } from "../sdk/groth16.ts";
import type { CircuitArtifacts } from "./artifacts.ts";

export interface JobBinding {
  jobKey: bigint;
  inputCommitment: bigint;
}

export interface ExecutionResult {
  /** Public outputs (public signals 2..). */
  outputs: bigint[];
  /** The circuit's witness input (handed to `prove`). */
  witness: Record<string, unknown>;
}

export interface ProofResult {
  /** `uint256[8]` for `submit`. */
  proof: bigint[];
  /** Outputs as the proof's public signals state them. */
  outputs: bigint[];
  /** Public signals as proven (for self-checks). */
  publicSignals: bigint[];
}

export interface JobRunner {
  /** Runs inference on the input and builds the circuit's witness input. */
  execute(circuit: CircuitArtifacts, input: Uint8Array, binding: JobBinding): Promise<ExecutionResult>;
  /** Proves the witness (off the main thread in production runners). */
  prove(circuit: CircuitArtifacts, witness: Record<string, unknown>): Promise<ProofResult>;
  /** Releases threads / models. */
  close(): Promise<void>;
}

/** Runner for binding-only circuits (no model, no outputs). */
export function bindingRunner(): JobRunner {
  return {
    async execute(_circuit, input, binding) {
      return {
        outputs: [],
        witness: {
          jobKey: binding.jobKey.toString(),
          inputCommitment: binding.inputCommitment.toString(),
          bytes: [...input].map(String),
        },
      };
    },
    async prove(circuit, witness) {
      const { proof, publicSignals } = await snarkjs.groth16.fullProve(witness as snarkjs.CircuitSignals, circuit.wasmPath, circuit.zkeyPath);
      const signals = (publicSignals as string[]).map((s) => BigInt(s));
      return { proof: toSolidityProof(proof), outputs: signals.slice(2), publicSignals: signals };
    },
    async close() {},
  };
}
