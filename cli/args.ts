/**
 * Parsers for CLI arguments: every user mistake becomes a coded ProofworkError with one readable
 * line (BAD_NUMBER, BAD_ADDRESS, BAD_ARGUMENT, UNKNOWN_NETWORK).
 */
import { existsSync, readFileSync } from "node:fs";
import { getBytes, isHexString, parseUnits } from "ethers";
import { NETWORKS, type NetworkName, type Pricing } from "../sdk/node.ts";
import { ErrorCodes, ProofworkError } from "../sdk/node.ts";
export { parseAddress, parseJobId } from "../sdk/node.ts";

/** A token amount in whole tokens with optional decimals ("10", "0.5") → base units. */
export function parseAmount(v: string, decimals: number, what = "amount"): bigint {
  if (!/^\s*\d+(\.\d+)?\s*$/.test(v)) {
    throw new ProofworkError(
      ErrorCodes.BAD_NUMBER,
      `${what} must be a non-negative number of tokens (e.g. 10 or 0.5), got "${v}"`,
    );
  }
  try {
    return parseUnits(v.trim(), decimals);
  } catch {
    throw new ProofworkError(ErrorCodes.BAD_NUMBER, `${what} has more than ${decimals} decimals: "${v}"`);
  }
}

/** A non-negative integer within bounds. */
export function parseInteger(v: string, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\s*\d+\s*$/.test(v))
    throw new ProofworkError(ErrorCodes.BAD_NUMBER, `${what} must be an integer, got "${v}"`);
  const n = Number(v.trim());
  if (n < min || n > max)
    throw new ProofworkError(ErrorCodes.BAD_NUMBER, `${what} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** A network name (UNKNOWN_NETWORK listing the known ones). */
export function parseNetwork(v: string): NetworkName {
  if (!(NETWORKS as readonly string[]).includes(v)) {
    throw new ProofworkError(
      ErrorCodes.UNKNOWN_NETWORK,
      `unknown network "${v}" (known: ${NETWORKS.join(", ")})`,
    );
  }
  return v as NetworkName;
}

/** Input bytes from `0x…` hex or a file path. */
export function readInput(v: string): Uint8Array {
  if (v.startsWith("0x")) {
    if (!isHexString(v))
      throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, `input is not valid hex: "${v.slice(0, 20)}…"`);
    return getBytes(v);
  }
  if (!existsSync(v)) throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, `input file not found: ${v}`);
  return new Uint8Array(readFileSync(v));
}

/** Comma-separated list. */
export function parseList(v: string): string[] {
  return v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** `key=value` pairs for Ignition parameters (integers become bigints, the rest stay strings). */
export function parseParam(
  v: string,
  acc: Record<string, string | bigint> = {},
): Record<string, string | bigint> {
  const i = v.indexOf("=");
  if (i <= 0) throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, `--param expects key=value, got "${v}"`);
  const key = v.slice(0, i);
  const value = v.slice(i + 1);
  acc[key] = /^\d+$/.test(value) ? BigInt(value) : value;
  return acc;
}

/** The pricing flags of `job post` (single and batch). */
export interface PricingFlags {
  price?: string;
  minPrice?: string;
  maxPrice?: string;
  ramp?: string;
  collateral?: string;
  claimPeriod: string;
}

/** Fixed price (`--price`) or reverse Dutch auction (`--min-price`, `--max-price`, `--ramp`), never both. */
export function parsePricing(opts: PricingFlags, decimals: number): Pricing {
  if (opts.price !== undefined) {
    if (opts.minPrice !== undefined || opts.maxPrice !== undefined) {
      throw new ProofworkError(
        ErrorCodes.BAD_ARGUMENT,
        "give either --price or --min-price/--max-price/--ramp, not both",
      );
    }
    return { price: parseAmount(opts.price, decimals, "--price") };
  }
  if (opts.minPrice !== undefined && opts.maxPrice !== undefined && opts.ramp !== undefined) {
    return {
      minPrice: parseAmount(opts.minPrice, decimals, "--min-price"),
      maxPrice: parseAmount(opts.maxPrice, decimals, "--max-price"),
      rampDuration: parseInteger(opts.ramp, "--ramp", 1),
    };
  }
  throw new ProofworkError(
    ErrorCodes.BAD_ARGUMENT,
    "give a --price, or --min-price, --max-price and --ramp for an auction",
  );
}
