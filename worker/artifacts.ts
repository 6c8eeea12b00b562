/**
 * Circuit artifacts stage: for each registered circuit, fetch the witness wasm and the proving key
 * from the URI recorded on-chain (file:// or http(s)://) into the data dir, check their sha256
 * against the registry's `wasmHash`/`zkeyHash`, and — for a circuit compiled from a model — fetch
 * the model artifact and check its content hash against the registry's `modelCommitment`: the
 * executor runs exactly the model the circuit proves. A circuit whose files do not match is
 * refused. Verified files are reused across restarts (re-hashed on first use).
 *
 * URI convention (sdk/artifacts.ts `artifactUris`): `artifactsURI` names a directory holding
 * `<name>.wasm`, `<name>.zkey`, `verification_key.json` and `model.json`. Hints from the
 * deployment record (explicit URIs) take precedence; the hashes are checked against the chain
 * either way.
 */
import { createWriteStream, existsSync } from "node:fs";
import { copyFile, mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { fileURLToPath } from "node:url";
import {
  ProofworkError,
  artifactUris,
  errorMessage,
  fetchArtifact,
  hasModel,
  parseArtifact,
  sha256File,
  type ArtifactHint,
  type CircuitInfo,
  type ModelArtifact,
} from "../sdk/node.ts";
import type { ChainReader } from "./chain.ts";
import { WorkerErrorCodes } from "./errors.ts";
import type { Logger } from "./log.ts";

/** What the prover needs to serve one circuit. */
export interface CircuitArtifacts {
  circuitId: string;
  name: string;
  wasmPath: string;
  zkeyPath: string;
  numPublic: number;
  /** Input bytes per job the circuit takes, when known (deployment record). */
  inputBytes?: number;
  /** The model the circuit proves (checked against the registry's `modelCommitment`). */
  model?: ModelArtifact;
}

/** Off-chain hints for a circuit (from the deployment record). */
export interface CircuitHint extends ArtifactHint {
  inputBytes?: number;
}

export type CircuitCheck =
  | { ok: true; circuit: CircuitArtifacts; onchain: CircuitInfo }
  | {
      ok: false;
      reason: "unknown_circuit" | "circuit_inactive" | "artifacts_mismatch" | "artifacts_unavailable";
      detail: string;
    };

export { sha256File };

/** Copies or downloads `uri` to `dest` (through a temp file, so `dest` is never half-written). */
export async function fetchUri(uri: string, dest: string, fetchImpl: typeof fetch = fetch): Promise<void> {
  const tmp = `${dest}.part`;
  try {
    if (uri.startsWith("file://")) {
      await copyFile(fileURLToPath(uri), tmp);
    } else if (/^https?:\/\//i.test(uri)) {
      const res = await fetchImpl(uri);
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(tmp));
    } else if (uri.startsWith("/")) {
      await copyFile(uri, tmp);
    } else {
      throw new Error("unsupported URI scheme (file://, http://, https://)");
    }
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new ProofworkError(
      WorkerErrorCodes.ARTIFACT_FETCH_FAILED,
      `cannot fetch ${uri}: ${errorMessage(e)}`,
      { uri },
      { cause: e },
    );
  }
}

export interface ArtifactDeps {
  reader: ChainReader;
  log: Logger;
  /** Root of the worker's data dir; artifacts go to `<dataDir>/circuits/<circuitId>/`. */
  dataDir: string;
  hints?: Map<string, CircuitHint>;
  fetchImpl?: typeof fetch;
}

/** Fetches, verifies and caches circuit artifacts; one check per circuit until invalidated. */
export class ArtifactManager {
  private readonly cache = new Map<string, Promise<CircuitCheck>>();

  constructor(private readonly deps: ArtifactDeps) {}

  /** Forgets a circuit (registry event: URI changed, (de)activated). */
  invalidate(circuitId: string): void {
    this.cache.delete(circuitId.toLowerCase());
  }

  /** The circuit's verified artifacts, or why it cannot be served. */
  check(circuitId: string): Promise<CircuitCheck> {
    const key = circuitId.toLowerCase();
    let p = this.cache.get(key);
    if (!p) {
      p = this.load(circuitId).then((r) => {
        // transient failures are retried on the next check; mismatches are sticky until invalidated
        if (!r.ok && (r.reason === "artifacts_unavailable" || r.reason === "circuit_inactive"))
          this.cache.delete(key);
        return r;
      });
      this.cache.set(key, p);
    }
    return p;
  }

  private async load(circuitId: string): Promise<CircuitCheck> {
    const { reader, log, dataDir } = this.deps;
    let onchain: CircuitInfo;
    try {
      onchain = await reader.getCircuit(circuitId);
    } catch (e) {
      return { ok: false, reason: "unknown_circuit", detail: errorMessage(e).split("\n")[0] ?? "" };
    }
    if (/^0x0+$/.test(onchain.verifier))
      return { ok: false, reason: "unknown_circuit", detail: "not registered" };
    if (!onchain.active) return { ok: false, reason: "circuit_inactive", detail: "circuit deactivated" };
    const hint = this.deps.hints?.get(circuitId.toLowerCase()) ?? {};
    const uris = artifactUris(onchain.artifactsURI, hint);
    const dir = join(dataDir, "circuits", circuitId.toLowerCase());
    await mkdir(dir, { recursive: true });
    const wasmPath = join(dir, `${uris.name}.wasm`);
    const zkeyPath = join(dir, `${uris.name}.zkey`);
    let model: ModelArtifact | undefined;
    try {
      await this.ensureFile(uris.wasm, wasmPath, onchain.wasmHash);
      await this.ensureFile(uris.zkey, zkeyPath, onchain.zkeyHash);
      if (hasModel(onchain)) model = await this.fetchModel(uris.model, onchain.modelCommitment);
    } catch (e) {
      const mismatch = e instanceof ProofworkError && e.code === WorkerErrorCodes.ARTIFACT_MISMATCH;
      log.error(
        { circuitId, err: errorMessage(e) },
        mismatch
          ? "circuit artifacts do not match the registry: refusing the circuit"
          : "cannot fetch circuit artifacts",
      );
      return {
        ok: false,
        reason: mismatch ? "artifacts_mismatch" : "artifacts_unavailable",
        detail: errorMessage(e),
      };
    }
    log.info({ circuitId, name: uris.name }, "circuit artifacts verified");
    const circuit: CircuitArtifacts = {
      circuitId,
      name: uris.name,
      wasmPath,
      zkeyPath,
      numPublic: onchain.numPublic,
    };
    if (hint.inputBytes !== undefined) circuit.inputBytes = hint.inputBytes;
    if (model !== undefined) circuit.model = model;
    return { ok: true, circuit, onchain };
  }

  /** Fetches and validates the model artifact; its content hash must be the registry's. */
  private async fetchModel(uri: string, commitment: string): Promise<ModelArtifact> {
    const raw = await fetchArtifact(uri);
    let model: ModelArtifact;
    try {
      model = parseArtifact(JSON.parse(new TextDecoder().decode(raw)));
    } catch (e) {
      throw new ProofworkError(
        WorkerErrorCodes.ARTIFACT_MISMATCH,
        `the model at ${uri} is not a valid model artifact: ${errorMessage(e)}`,
      );
    }
    // parseArtifact recomputed the hash from the content: `model.hash` is what the file holds
    const h = model.hash;
    if (h.toLowerCase() !== commitment.toLowerCase()) {
      throw new ProofworkError(
        WorkerErrorCodes.ARTIFACT_MISMATCH,
        `the model at ${uri} hashes to ${h}, the registry commits to ${commitment}`,
        { uri, got: h, want: commitment },
      );
    }
    return model;
  }

  private async ensureFile(uri: string, dest: string, expected: string): Promise<void> {
    const want = expected.toLowerCase();
    if (existsSync(dest) && (await sha256File(dest)) === want) return;
    await fetchUri(uri, dest, this.deps.fetchImpl);
    const got = await sha256File(dest);
    if (got !== want) {
      await rm(dest, { force: true });
      throw new ProofworkError(
        WorkerErrorCodes.ARTIFACT_MISMATCH,
        `sha256 of ${uri} is ${got}, the registry says ${want}`,
        { uri, got, want },
      );
    }
  }
}
