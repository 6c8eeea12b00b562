/**
 * Node-only file helpers of the SDK: hashing files, fetching artifact URIs (file:// and http(s)),
 * and reading/writing deployment records. The browser-safe format code is in `sdk/deployments.ts`
 * and `sdk/artifacts.ts`.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { fetchHttp, type ArtifactFetcher } from "../artifacts.ts";
import {
  deploymentFileName,
  parseDeployment,
  type Deployment,
  type DeploymentInput,
} from "../deployments.ts";
import { ErrorCodes, ProofworkError, errorMessage } from "../errors.ts";

/** Streaming sha256 of a file, as a 0x-prefixed bytes32 hex string (the form the registry stores). */
export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  await pipeline(createReadStream(path), h);
  return `0x${h.digest("hex")}`;
}

/** Reads an artifact URI: `file://` URLs and absolute paths from disk, http(s) with `fetch`. */
export const fetchArtifact: ArtifactFetcher = async (uri) => {
  if (uri.startsWith("file://") || uri.startsWith("/")) {
    const path = uri.startsWith("file://") ? fileURLToPath(uri) : uri;
    try {
      return new Uint8Array(await readFile(path));
    } catch (e) {
      throw new ProofworkError(
        ErrorCodes.ARTIFACT_FETCH_FAILED,
        `cannot read ${uri}: ${errorMessage(e)}`,
        { uri },
        { cause: e },
      );
    }
  }
  return fetchHttp(uri);
};

/** The default path of the record for `chainId` inside `dir`. */
export function deploymentPath(dir: string, chainId: number | bigint): string {
  return join(dir, deploymentFileName(chainId));
}

/** Reads a record file. DEPLOYMENT_NOT_FOUND (with the fix) when missing or malformed. */
export function readDeployment(path: string): Deployment {
  const abs = resolve(path);
  if (!existsSync(abs)) {
    throw new ProofworkError(
      ErrorCodes.DEPLOYMENT_NOT_FOUND,
      `no deployment record at ${path}: run \`proofwork deploy\` for this chain or pass --deployment <file>`,
      { path },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(abs, "utf8"));
  } catch (e) {
    throw new ProofworkError(
      ErrorCodes.DEPLOYMENT_NOT_FOUND,
      `deployment record ${path} is not valid JSON: ${errorMessage(e)}`,
      {
        path,
      },
    );
  }
  return parseDeployment(json, `deployment record ${path}`);
}

/**
 * Finds the record for a chain: an explicit file if given (checked against the chain id),
 * else `<dir>/<chainId>[.local].json`.
 */
export function findDeployment(opts: {
  file?: string | undefined;
  dir: string;
  chainId: bigint | number;
}): Deployment {
  const path = opts.file ?? deploymentPath(opts.dir, opts.chainId);
  const d = readDeployment(path);
  if (BigInt(d.chainId) !== BigInt(opts.chainId)) {
    throw new ProofworkError(
      ErrorCodes.WRONG_CHAIN,
      `deployment record ${path} is for chain ${d.chainId}, but the RPC endpoint is on chain ${opts.chainId}`,
    );
  }
  return d;
}

/** Writes a record atomically (validated first). Returns the path written. */
export function writeDeployment(path: string, record: DeploymentInput): string {
  const d = parseDeployment(record);
  const abs = resolve(path);
  mkdirSync(dirname(abs), { recursive: true });
  const tmp = `${abs}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(d, null, 2)}\n`);
  renameSync(tmp, abs);
  return abs;
}
