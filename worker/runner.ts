/**
 * The execute/prove back end of the pipeline, behind one small interface so the pipeline does not
 * care which inference engine or prover pool runs a job.
 *
 * `bindingRunner` serves circuits whose witness is just the job binding and the input bytes
 * (`{jobKey, inputCommitment, bytes}`, no outputs — the `binding_test` circuit); it proves in the
 * prover pool's threads (worker/prover). The TF.js executor and the threaded prover pool (worker/executor,
 * worker/prover) plug in through the same interface.
 */
import type { CircuitArtifacts } from "./artifacts.ts";
import * as snarkjs from "snarkjs";
import { encodeProof } from "../sdk/node.ts";
import type { ProverPool } from "./prover/pool.ts";

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
  /**
   * Checks, before claiming, that the witness of this input can be computed (the input fits the
   * circuit). Rejects when it cannot. Optional: without it only the hash/commitment checks apply.
   */
  preflight?(circuit: CircuitArtifacts, witness: Record<string, unknown>): Promise<void>;
  /**
   * The model's integer outputs (logits) of `n` samples (`n × inputSize` bytes) in one executor
   * call: what a batch job streams its dataset through (worker/batch). Only model runners have it.
   */
  infer?(circuit: CircuitArtifacts, bytes: Uint8Array): Promise<{ logits: bigint[][]; backend: string }>;
  /** Proves the witness (off the main thread in production runners). */
  prove(circuit: CircuitArtifacts, witness: Record<string, unknown>): Promise<ProofResult>;
  /** Releases threads / models. */
  close(): Promise<void>;
}

/** Proves with a (given or own) pool of long-lived prover threads. */
export async function proveWithPool(
  pool: ProverPool,
  circuit: CircuitArtifacts,
  witness: Record<string, unknown>,
): Promise<ProofResult> {
  const r = await pool.prove(
    { name: circuit.name, wasm: circuit.wasmPath, zkey: circuit.zkeyPath },
    witness as Record<string, bigint | bigint[]>,
  );
  return {
    proof: [...r.calldata.proof],
    outputs: r.calldata.outputs,
    publicSignals: r.publicSignals.map((s) => BigInt(s)),
  };
}

/** Computes the witness in memory (~tens of ms); rejects when an input or constraint is wrong. */
export async function computeWitness(
  circuit: CircuitArtifacts,
  witness: Record<string, unknown>,
): Promise<void> {
  const wtns = { type: "mem" } as unknown as string;
  await snarkjs.wtns.calculate(witness as snarkjs.CircuitSignals, circuit.wasmPath, wtns);
}

/** Proves in this process with snarkjs (the curve's own worker threads do the heavy lifting). */
export async function proveInProcess(
  circuit: CircuitArtifacts,
  witness: Record<string, unknown>,
): Promise<ProofResult> {
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(
    witness as snarkjs.CircuitSignals,
    circuit.wasmPath,
    circuit.zkeyPath,
  );
  const signals = (publicSignals as string[]).map((s) => BigInt(s));
  return { proof: encodeProof(proof), outputs: signals.slice(2), publicSignals: signals };
}

/**
 * Runner for binding-only circuits (no model, no outputs). Proves in `pool` (long-lived prover
 * threads) when given, else in-process.
 */
export function bindingRunner(opts: { pool?: ProverPool } = {}): JobRunner {
  return {
    async execute(_circuit, input, binding) {
      return {
        outputs: [],
        witness: {
          jobKey: binding.jobKey,
          inputCommitment: binding.inputCommitment,
          bytes: [...input].map((b) => BigInt(b)),
        },
      };
    },
    preflight: (circuit, witness) => computeWitness(circuit, witness),
    prove: (circuit, witness) =>
      opts.pool ? proveWithPool(opts.pool, circuit, witness) : proveInProcess(circuit, witness),
    async close() {},
  };
}
