/**
 * Turns built circuits (`build/circuits/<name>/manifest.json`, written by the circuit pipeline) into
 * registry entries and deployment-record entries: ids, verifier selector, artifact hashes and URIs.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ZeroHash } from "ethers";
import { type CircuitRecord, circuitIdOf, snarkjsSelector } from "../sdk/deployments.ts";
import { readBuiltCircuit } from "../sdk/node/build-manifest.ts";
import { exportVerificationKey, missingKeyCoordinates, sameKey } from "../sdk/keys.ts";
import type { VerificationKey } from "../sdk/proof.ts";
import { ErrorCodes, ProofworkError } from "../sdk/errors.ts";
import type { CircuitRegistration } from "./modules/proofwork.ts";

/** Number of private inputs recorded in an r1cs header (= input bytes for proofwork job circuits). */
export function r1csPrivateInputs(file: string): number {
  const buf = readFileSync(file);
  if (buf.toString("latin1", 0, 4) !== "r1cs") {
    throw new ProofworkError(ErrorCodes.CIRCUIT_NOT_BUILT, `${file} is not an r1cs file`);
  }
  const nSections = buf.readUInt32LE(8);
  let off = 12;
  for (let s = 0; s < nSections; s++) {
    const type = buf.readUInt32LE(off);
    const size = Number(buf.readBigUInt64LE(off + 4));
    const body = off + 12;
    if (type === 1) {
      const n8 = buf.readUInt32LE(body);
      const p = body + 4 + n8; // after field size and prime
      return buf.readUInt32LE(p + 12); // nWires, nPubOut, nPubIn, nPrvIn
    }
    off = body + size;
  }
  throw new ProofworkError(ErrorCodes.CIRCUIT_NOT_BUILT, `${file} has no r1cs header`);
}

export interface PreparedCircuit {
  registration: CircuitRegistration;
  record: Omit<CircuitRecord, "verifier">;
}

const hex32 = (h: string) => (h.startsWith("0x") ? h : `0x${h}`);

/**
 * Reads a built circuit and prepares its registration. `artifactBaseUri` (default the `file://` URL
 * of the build dir) + `<name>/` is where providers fetch `<name>.wasm` and `<name>.zkey`.
 */
export function prepareCircuit(name: string, buildDir: string, artifactBaseUri?: string): PreparedCircuit {
  const dir = resolve(buildDir, name);
  const m = readBuiltCircuit(name, buildDir);
  if (m.zkeySha256 === undefined || m.vkeySha256 === undefined || m.verifierContract === undefined) {
    throw new ProofworkError(
      ErrorCodes.CIRCUIT_NOT_BUILT,
      `circuit "${name}" was built without keys (build it with a profile that sets it up)`,
    );
  }
  const base = (artifactBaseUri ?? pathToFileURL(resolve(buildDir)).href).replace(/\/?$/, "/");
  const artifactsURI = `${base}${name}/`;
  const zkeyHash = hex32(m.zkeySha256);
  const circuitId = circuitIdOf(name, zkeyHash);
  const registration: CircuitRegistration = {
    name,
    id: circuitId,
    verifierContract: m.verifierContract,
    selector: snarkjsSelector(m.nPublic),
    numPublic: m.nPublic,
    // the content hash of the model artifact published with the circuit (zero: no model)
    modelCommitment: m.model?.artifactHash ?? ZeroHash,
    zkeyHash,
    wasmHash: hex32(m.wasmSha256),
    artifactsURI,
  };
  const r1cs = join(dir, `${name}.r1cs`);
  // a sampling circuit takes no single job's input (its private inputs are K samples and paths)
  const inputBytes =
    m.sampling !== undefined ? 0 : (m.inputBytes ?? (existsSync(r1cs) ? r1csPrivateInputs(r1cs) : 0));
  return {
    registration,
    record: {
      id: circuitId,
      name,
      numPublic: m.nPublic,
      inputBytes,
      constraints: m.constraints,
      vkHash: hex32(m.vkeySha256),
      zkeyHash,
      wasmHash: registration.wasmHash,
      zkeyUri: `${artifactsURI}${name}.zkey`,
      wasmUri: `${artifactsURI}${name}.wasm`,
      vkUri: `${artifactsURI}verification_key.json`,
      ...(m.model !== undefined
        ? { modelUri: `${artifactsURI}model.json`, modelHash: m.model.artifactHash }
        : {}),
      ...(m.sampling !== undefined ? { sampling: m.sampling } : {}),
    },
  };
}

/**
 * Refuses to register a verifier that does not embed the verification key of the zkey whose hash
 * is registered (e.g. a verifier from one build folder paired with another build's zkey), or a
 * published key that is not the zkey's. `verifierBytecode` is the verifier's deployed bytecode.
 */
export async function checkVerifierMatchesZkey(
  name: string,
  buildDir: string,
  verifierBytecode: string,
): Promise<void> {
  const m = readBuiltCircuit(name, buildDir);
  if (m.zkey === undefined || m.vkey === undefined) {
    throw new ProofworkError(ErrorCodes.CIRCUIT_NOT_BUILT, `circuit "${name}" has no keys`);
  }
  const fromZkey = await exportVerificationKey(new Uint8Array(readFileSync(m.zkey)));
  const missing = missingKeyCoordinates(verifierBytecode, fromZkey);
  if (missing.length > 0) {
    throw new ProofworkError(
      ErrorCodes.ARTIFACT_MISMATCH,
      `the ${m.verifierContract} verifier does not embed the verification key of ${m.zkey} (${missing.length} coordinates differ): rebuild the circuit so verifier and zkey come from one setup`,
    );
  }
  const published = JSON.parse(readFileSync(m.vkey, "utf8")) as VerificationKey;
  if (!sameKey(published, fromZkey)) {
    throw new ProofworkError(
      ErrorCodes.ARTIFACT_MISMATCH,
      `${m.vkey} is not the verification key of ${m.zkey}: rebuild the circuit`,
    );
  }
}
