/**
 * Circuit artifacts as the registry publishes them: the on-chain record of a circuit, where its
 * files live, fetching them (any `fetch`), and hashing them. Browser-safe (WebCrypto, `fetch`);
 * `sdk/node/files.ts` adds `file://` URIs for Node.
 *
 * URI convention: a circuit's `artifactsURI` names a directory (ending in `/`) whose last path
 * segment is the circuit's build name `<name>`; it holds
 *   `<name>.wasm`             witness generator        (sha256 = registry `wasmHash`)
 *   `<name>.zkey`             Groth16 proving key      (sha256 = registry `zkeyHash`)
 *   `verification_key.json`   snarkjs verification key (trusted through the verifier, see keys.ts)
 *   `model.json`              the model artifact, for circuits compiled from a model
 *                             (its content hash = registry `modelCommitment`)
 */
import { ZeroHash } from "ethers";
import { guard, type CircuitRegistry } from "./contracts.ts";
import { ErrorCodes, ProofworkError, errorMessage } from "./errors.ts";

/** A circuit as the registry records it. */
export interface CircuitInfo {
  circuitId: string;
  verifier: string;
  selector: string;
  numPublic: number;
  active: boolean;
  /** Content hash of the model the circuit proves (zero for circuits not compiled from a model). */
  modelCommitment: string;
  zkeyHash: string;
  wasmHash: string;
  artifactsURI: string;
}

/** The registry's record of `circuitId` (CIRCUIT_UNKNOWN when not registered). */
export async function readCircuit(registry: CircuitRegistry, circuitId: string): Promise<CircuitInfo> {
  const c = await guard(`reading circuit ${circuitId}`, () =>
    registry.getCircuit(circuitId).catch((e: unknown) => {
      if (/UnknownCircuit/.test(errorMessage(e)) || /Registry__UnknownCircuit/.test(String(e))) {
        throw new ProofworkError(ErrorCodes.CIRCUIT_UNKNOWN, `circuit ${circuitId} is not registered`);
      }
      throw e;
    }),
  );
  return {
    circuitId,
    verifier: c.verifier,
    selector: c.selector,
    numPublic: Number(c.numPublic),
    active: c.active,
    modelCommitment: c.modelCommitment,
    zkeyHash: c.zkeyHash,
    wasmHash: c.wasmHash,
    artifactsURI: c.artifactsURI,
  };
}

/** Whether a circuit was compiled from a model (its registry entry commits to one). */
export function hasModel(c: Pick<CircuitInfo, "modelCommitment">): boolean {
  return c.modelCommitment !== ZeroHash;
}

/** Explicit file locations that take precedence over the convention (deployment-record hints). */
export interface ArtifactHint {
  name?: string;
  wasmUri?: string;
  zkeyUri?: string;
  vkeyUri?: string;
  modelUri?: string;
}

/** Where a circuit's files are, from its `artifactsURI` (see the module comment). */
export function artifactUris(
  artifactsURI: string,
  hint: ArtifactHint = {},
): { name: string; wasm: string; zkey: string; vkey: string; model: string } {
  const dir = artifactsURI.endsWith("/") ? artifactsURI.slice(0, -1) : artifactsURI;
  const name = hint.name ?? dir.slice(dir.lastIndexOf("/") + 1);
  return {
    name,
    wasm: hint.wasmUri ?? `${dir}/${name}.wasm`,
    zkey: hint.zkeyUri ?? `${dir}/${name}.zkey`,
    vkey: hint.vkeyUri ?? `${dir}/verification_key.json`,
    model: hint.modelUri ?? `${dir}/model.json`,
  };
}

/** Reads the bytes at a URI. The SDK's default handles http(s); Node adds file:// (sdk/node). */
export type ArtifactFetcher = (uri: string) => Promise<Uint8Array>;

/** Fetches http(s) URIs with the platform's `fetch` (ARTIFACT_FETCH_FAILED on any failure). */
export const fetchHttp: ArtifactFetcher = async (uri) => {
  if (!/^https?:\/\//i.test(uri)) {
    throw new ProofworkError(
      ErrorCodes.ARTIFACT_FETCH_FAILED,
      `cannot fetch ${uri}: only http(s):// URIs can be fetched here`,
      { uri },
    );
  }
  try {
    const res = await fetch(uri);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    throw new ProofworkError(
      ErrorCodes.ARTIFACT_FETCH_FAILED,
      `cannot fetch ${uri}: ${errorMessage(e)}`,
      { uri },
      { cause: e },
    );
  }
};

/** sha256 of `bytes` as 0x-prefixed hex (WebCrypto: browsers and Node). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return `0x${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
