import { AbiCoder, getAddress, keccak256 } from "ethers";
import { ErrorCodes, ProofworkError } from "./errors.ts";

/** BN254 scalar field modulus (the field circom and the Groth16 verifier work in). */
export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Throws FIELD_OVERFLOW unless 0 ≤ v < r. */
export function assertField(v: bigint, what = "value"): bigint {
  if (v < 0n || v >= FIELD_MODULUS) {
    throw new ProofworkError(ErrorCodes.FIELD_OVERFLOW, `${what} is not a BN254 field element: ${v}`);
  }
  return v;
}

/**
 * The job binding key, exactly as JobMarket computes it:
 * `uint256(keccak256(abi.encode(chainId, market, jobId, provider))) % r`.
 */
export function computeJobKey(chainId: bigint, market: string, jobId: bigint, provider: string): bigint {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ["uint256", "address", "uint256", "address"],
    [chainId, getAddress(market), jobId, getAddress(provider)],
  );
  return BigInt(keccak256(encoded)) % FIELD_MODULUS;
}
