/**
 * Groth16 proof encoding shared by the prover, the SDK and tests.
 */
import type { Groth16Proof } from "snarkjs";
import { assertField } from "./field.ts";

/**
 * The proof as the market's `submit` takes it: `[a0, a1, b00, b01, b10, b11, c0, c1]`, in the order of
 * snarkjs `exportSolidityCallData` (each G2 coordinate pair swapped for the EVM precompile).
 */
export type SolidityProof = [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];

export function toSolidityProof(proof: Groth16Proof): SolidityProof {
  const b = (v: string | number | bigint) => BigInt(v);
  const [a, bb, c] = [proof.pi_a, proof.pi_b, proof.pi_c];
  return [b(a[0]!), b(a[1]!), b(bb[0]![1]!), b(bb[0]![0]!), b(bb[1]![1]!), b(bb[1]![0]!), b(c[0]!), b(c[1]!)];
}

/** Inverse of `toSolidityProof` (for re-verifying a proof read from a transaction). */
export function fromSolidityProof(p: readonly bigint[]): Groth16Proof {
  const s = (v: bigint) => v.toString();
  return {
    pi_a: [s(p[0]!), s(p[1]!), "1"],
    pi_b: [
      [s(p[3]!), s(p[2]!)],
      [s(p[5]!), s(p[4]!)],
      ["1", "0"],
    ],
    pi_c: [s(p[6]!), s(p[7]!), "1"],
    protocol: "groth16",
    curve: "bn128",
  };
}

/** Public signals (decimal strings from snarkjs) as checked field elements. */
export function publicSignalsToBigints(signals: readonly string[]): bigint[] {
  return signals.map((s, i) => assertField(BigInt(s), `public signal ${i}`));
}
