/**
 * Groth16 proof encoding between snarkjs and the contracts (docs/ARCHITECTURE.md):
 * `uint256[8] = [a0, a1, b00, b01, b10, b11, c0, c1]` in `exportSolidityCallData` order, i.e. with
 * the G2 coordinate pairs of `pi_b` swapped.
 */
import * as snarkjs from "snarkjs";
import type { Groth16Proof } from "snarkjs";
import { ErrorCodes, ProofworkError } from "./errors.ts";
import { FIELD_MODULUS } from "./field.ts";

/**
 * The proof as the market's `submit` takes it: `[a0, a1, b00, b01, b10, b11, c0, c1]`, in the order
 * of snarkjs `exportSolidityCallData` (each G2 coordinate pair swapped for the EVM precompile).
 */
export type OnChainProof = [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];

/** snarkjs proof → on-chain `uint256[8]`. */
export function encodeProof(p: Groth16Proof): OnChainProof {
  const n = (s: string | undefined): bigint => {
    if (s === undefined) throw new ProofworkError(ErrorCodes.PROOF_INVALID, "malformed snarkjs proof");
    return BigInt(s);
  };
  const b = p.pi_b;
  return [
    n(p.pi_a[0]),
    n(p.pi_a[1]),
    n(b[0]?.[1]),
    n(b[0]?.[0]),
    n(b[1]?.[1]),
    n(b[1]?.[0]),
    n(p.pi_c[0]),
    n(p.pi_c[1]),
  ];
}

/** On-chain `uint256[8]` → snarkjs proof (affine points, projective z = 1). */
export function decodeProof(words: readonly bigint[]): Groth16Proof {
  if (words.length !== 8) {
    throw new ProofworkError(ErrorCodes.PROOF_INVALID, `a proof has 8 words, got ${words.length}`);
  }
  const s = words.map((w) => w.toString());
  return {
    pi_a: [s[0]!, s[1]!, "1"],
    pi_b: [
      [s[3]!, s[2]!],
      [s[5]!, s[4]!],
      ["1", "0"],
    ],
    pi_c: [s[6]!, s[7]!, "1"],
    protocol: "groth16",
    curve: "bn128",
  };
}

/** A snarkjs verification key (the JSON `zkey export verificationkey` writes). */
export interface VerificationKey {
  protocol: string;
  curve: string;
  nPublic: number;
  [k: string]: unknown;
}

/** Checks a proof with snarkjs against `vkey` and the public signals (no network). */
export async function verifyGroth16(
  vkey: VerificationKey,
  publicSignals: readonly bigint[],
  proof: readonly bigint[],
): Promise<boolean> {
  if (publicSignals.length !== vkey.nPublic) {
    throw new ProofworkError(
      ErrorCodes.PROOF_INVALID,
      `verification key expects ${vkey.nPublic} public signals, got ${publicSignals.length}`,
    );
  }
  if (publicSignals.some((v) => v < 0n || v >= FIELD_MODULUS)) return false;
  return snarkjs.groth16.verify(
    vkey,
    publicSignals.map((v) => v.toString()),
    decodeProof(proof),
  );
}

/** Releases snarkjs' curve worker threads so the process can exit. */
export async function releaseSnarkjs(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } };
  if (g.curve_bn128) {
    await g.curve_bn128.terminate();
    delete g.curve_bn128;
  }
}
