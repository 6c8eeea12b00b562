/**
 * Verification keys that travel: a circuit's key is published next to its wasm and zkey at the
 * registry's `artifactsURI`, and anyone can check that it is *the* key of the circuit without
 * trusting whoever serves it:
 *
 *   1. **embedded in the verifier** — every coordinate of the key (α, β, γ, δ and every IC point)
 *      is a constant in the bytecode of the circuit's registered verifier (`eth_getCode`): the key
 *      the market verifies with on-chain. A local verification with that key is exactly as strong
 *      as the on-chain one. Cheap; always done.
 *   2. **exported from the registered zkey** (`deep`) — the zkey at the artifacts URI hashes to the
 *      registry's `zkeyHash`, and the verification key snarkjs exports from it equals the published
 *      key. Downloads the proving key; ties the key to the proving key providers use.
 *
 * The same check guards deployment: a verifier is only registered with the zkey whose key it embeds.
 * Browser-safe.
 */
import * as snarkjs from "snarkjs";
import type { Provider } from "ethers";
import { artifactUris, fetchHttp, sha256Hex, type ArtifactFetcher, type CircuitInfo } from "./artifacts.ts";
import { guard } from "./contracts.ts";
import { ErrorCodes, ProofworkError, errorMessage } from "./errors.ts";
import type { VerificationKey } from "./proof.ts";

/** The affine coordinates of a key that a snarkjs Solidity verifier embeds as constants. */
export function keyCoordinates(vkey: VerificationKey): bigint[] {
  const g1 = (p: unknown): bigint[] => {
    const a = p as string[];
    return [BigInt(a[0]!), BigInt(a[1]!)];
  };
  const g2 = (p: unknown): bigint[] => {
    const a = p as string[][];
    return [BigInt(a[0]![0]!), BigInt(a[0]![1]!), BigInt(a[1]![0]!), BigInt(a[1]![1]!)];
  };
  try {
    const ic = vkey.IC as unknown[];
    return [
      ...g1(vkey.vk_alpha_1),
      ...g2(vkey.vk_beta_2),
      ...g2(vkey.vk_gamma_2),
      ...g2(vkey.vk_delta_2),
      ...ic.flatMap((p) => g1(p)),
    ];
  } catch (e) {
    throw new ProofworkError(ErrorCodes.PROOF_INVALID, `malformed verification key: ${errorMessage(e)}`);
  }
}

/** Every value pushed by a PUSH1..PUSH32 instruction of EVM bytecode. */
export function pushedConstants(code: string): Set<bigint> {
  const hex = code.startsWith("0x") ? code.slice(2) : code;
  const out = new Set<bigint>();
  for (let i = 0; i < hex.length;) {
    const op = parseInt(hex.slice(i, i + 2), 16);
    i += 2;
    if (op >= 0x60 && op <= 0x7f) {
      const n = op - 0x5f;
      const imm = hex.slice(i, i + 2 * n);
      if (imm.length === 2 * n) out.add(BigInt(`0x${imm}`));
      i += 2 * n;
    }
  }
  return out;
}

/**
 * Whether verifier bytecode embeds `vkey`: every coordinate of the key is one of its constants and
 * the key has as many IC points as the verifier's signal count needs. Returns the coordinates not
 * found (empty: embedded).
 */
export function missingKeyCoordinates(code: string, vkey: VerificationKey): bigint[] {
  const constants = pushedConstants(code);
  return keyCoordinates(vkey).filter((c) => !constants.has(c));
}

/** What was established about a verification key, and how. */
export interface KeyTrust {
  /** Where the key was fetched from. */
  uri: string;
  /** sha256 of the published key file (0x hex): the key's content address. */
  sha256: string;
  /** Every coordinate of the key is a constant of the registered verifier's code. */
  embeddedInVerifier: boolean;
  /** `deep` only: the zkey at the artifacts URI matches `zkeyHash` and exports exactly this key. */
  matchesRegisteredZkey?: boolean;
}

/** Exports the verification key of zkey bytes with snarkjs (in memory). */
export async function exportVerificationKey(zkey: Uint8Array): Promise<VerificationKey> {
  // snarkjs (fastfile) reads `{ type: "mem", data }` as an in-memory file.
  const file = { type: "mem", data: zkey } as unknown as string;
  return (await snarkjs.zKey.exportVerificationKey(file)) as VerificationKey;
}

/** Structural equality of two keys (protocol, curve, signal count and every point). */
export function sameKey(a: VerificationKey, b: VerificationKey): boolean {
  const norm = (k: VerificationKey) =>
    JSON.stringify([k.protocol, k.curve, k.nPublic, keyCoordinates(k).map(String)]);
  return norm(a) === norm(b);
}

export interface ResolveKeyOptions {
  /** Reads artifact URIs (default: http(s) with `fetch`; Node's `fetchArtifact` adds file://). */
  fetch?: ArtifactFetcher;
  /** Also check the key against the registered zkey (downloads the proving key). */
  deep?: boolean;
  /** Explicit key location (e.g. a deployment record's `vkUri`); default `<artifactsURI>verification_key.json`. */
  vkeyUri?: string;
}

/**
 * Fetches the verification key of a registered circuit and establishes its trust path (see the
 * module comment). ARTIFACT_MISMATCH when the key is not the verifier's (or not the zkey's).
 */
export async function resolveVerificationKey(
  provider: Provider,
  circuit: CircuitInfo,
  options: ResolveKeyOptions = {},
): Promise<{ vkey: VerificationKey; trust: KeyTrust }> {
  const fetchBytes = options.fetch ?? fetchHttp;
  const uris = artifactUris(circuit.artifactsURI, options.vkeyUri ? { vkeyUri: options.vkeyUri } : {});
  const raw = await fetchBytes(uris.vkey);
  let vkey: VerificationKey;
  try {
    vkey = JSON.parse(new TextDecoder().decode(raw)) as VerificationKey;
  } catch (e) {
    throw new ProofworkError(
      ErrorCodes.ARTIFACT_MISMATCH,
      `the verification key at ${uris.vkey} is not JSON: ${errorMessage(e)}`,
    );
  }
  if (vkey.nPublic !== circuit.numPublic) {
    throw new ProofworkError(
      ErrorCodes.ARTIFACT_MISMATCH,
      `the verification key at ${uris.vkey} has ${vkey.nPublic} public signals, the circuit ${circuit.numPublic}`,
    );
  }
  const code = await guard("reading the verifier's code", () => provider.getCode(circuit.verifier));
  const missing = missingKeyCoordinates(code, vkey);
  if (missing.length > 0) {
    throw new ProofworkError(
      ErrorCodes.ARTIFACT_MISMATCH,
      `the verification key at ${uris.vkey} is not the one the registered verifier ${circuit.verifier} embeds (${missing.length} coordinates differ)`,
    );
  }
  const trust: KeyTrust = { uri: uris.vkey, sha256: await sha256Hex(raw), embeddedInVerifier: true };
  if (options.deep === true) {
    const zkey = await fetchBytes(uris.zkey);
    const zkeyHash = await sha256Hex(zkey);
    if (zkeyHash.toLowerCase() !== circuit.zkeyHash.toLowerCase()) {
      throw new ProofworkError(
        ErrorCodes.ARTIFACT_MISMATCH,
        `the zkey at ${uris.zkey} has sha256 ${zkeyHash}, the registry says ${circuit.zkeyHash}`,
      );
    }
    if (!sameKey(await exportVerificationKey(zkey), vkey)) {
      throw new ProofworkError(
        ErrorCodes.ARTIFACT_MISMATCH,
        `the verification key at ${uris.vkey} is not the one exported from the registered zkey`,
      );
    }
    trust.matchesRegisteredZkey = true;
  }
  return { vkey, trust };
}
