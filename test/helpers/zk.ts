/**
 * Test helpers for real Groth16 proofs of the binding_test circuit (built by `npm run circuits:build`).
 */
import { randomBytes } from "node:crypto";
import * as snarkjs from "snarkjs";
import { loadBuiltCircuit, type BuiltCircuit } from "../../circuits/pipeline.ts";
import { commitInput } from "../../sdk/commitment.ts";
import { encodeProof, type OnChainProof } from "../../sdk/proof.ts";

export const BINDING_TEST_BYTES = 62;

export interface BindingProof {
  circuit: BuiltCircuit;
  input: Uint8Array;
  jobKey: bigint;
  inputCommitment: bigint;
  proof: snarkjs.Groth16Proof;
  publicSignals: string[];
  solidityProof: OnChainProof;
}

/** Circuit input object for binding_test (values as decimal strings, as snarkjs expects). */
export function bindingWitnessInput(jobKey: bigint, commitment: bigint, bytes: readonly (number | bigint)[]) {
  return {
    jobKey: jobKey.toString(),
    inputCommitment: commitment.toString(),
    bytes: bytes.map((b) => b.toString()),
  };
}

/** A real proof that `input` (default: random bytes) commits to its Poseidon commitment under `jobKey`. */
export async function proveBinding(
  jobKey: bigint,
  input?: Uint8Array,
  circuitName = "binding_test",
): Promise<BindingProof> {
  const circuit = await loadBuiltCircuit(circuitName);
  const bytes = input ?? new Uint8Array(randomBytes(BINDING_TEST_BYTES));
  const inputCommitment = await commitInput(bytes);
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(
    bindingWitnessInput(jobKey, inputCommitment, [...bytes]),
    circuit.wasm,
    circuit.zkey!,
  );
  return {
    circuit,
    input: bytes,
    jobKey,
    inputCommitment,
    proof,
    publicSignals: publicSignals as string[],
    solidityProof: encodeProof(proof),
  };
}

/** Computes a witness in memory; rejects when a constraint or assertion fails. */
export async function calculateWitness(circuit: BuiltCircuit, input: Record<string, unknown>): Promise<void> {
  const wtns = { type: "mem" } as unknown as string;
  await snarkjs.wtns.calculate(input as snarkjs.CircuitSignals, circuit.wasm, wtns);
}
