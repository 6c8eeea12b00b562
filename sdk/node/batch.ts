/**
 * Node-only half of the requester's batch side (docs/BATCH.md; the rules are `sdk/batch.ts`, the
 * client `sdk/batch-client.ts`): reading a dataset from disk (a folder of pictures, a `.npy` or
 * JSON tensor) into per-sample input bytes, publishing an inputs file (a content-addressed file in
 * a directory served at a base URI, like circuit artifacts), and downloading a batch file from its
 * URI (`file://`, a path, http(s)) with progress.
 */
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { extname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ErrorCodes, ProofworkError, errorMessage } from "../errors.ts";
import type { ModelArtifactV2 } from "../model/format.ts";
import { inputSize } from "../model/format.ts";
import { encodeTensor, parseNpy, tensorFromJson } from "../model/inputs.ts";
import { encodePicture } from "../images.ts";
import { checkBatchInputs, verifyBatchOutputs, type BatchJob, type ProgressFn } from "../batch-client.ts";
import { batchInputsRoot, batchOutputsPerSample } from "../sampling.ts";
import { inputFileKind, readPicture } from "./inputs.ts";

const PICTURE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg"]);

/**
 * A dataset on disk → one input-bytes array per sample for `model`: a folder of PNG/JPEG pictures
 * (sorted by file name; each encoded as a single job's picture input, `encodePicture`), or a `.npy`/`.json` tensor whose
 * leading dimension is the samples. DATASET_INVALID with the reason otherwise.
 */
export function readBatchDataset(path: string, model: Pick<ModelArtifactV2, "input">): Uint8Array[] {
  if (!existsSync(path)) throw new ProofworkError(ErrorCodes.DATASET_INVALID, `no dataset at ${path}`);
  const per = inputSize(model);
  let bytes: Uint8Array;
  try {
    if (statSync(path).isDirectory()) {
      const files = readdirSync(path)
        .filter((f) => PICTURE_EXTENSIONS.has(extname(f).toLowerCase()))
        .sort();
      if (files.length === 0) {
        throw new ProofworkError(ErrorCodes.DATASET_INVALID, `${path} holds no .png or .jpg pictures`);
      }
      // each picture as a single job's picture input is encoded (`encodePicture`: digit or resize mode)
      const parts = files.map((f) => encodePicture(model, readPicture(join(path, f))));
      bytes = new Uint8Array(parts.length * per);
      parts.forEach((p, i) => bytes.set(p, i * per));
    } else {
      const kind = inputFileKind(path);
      if (kind !== "npy" && kind !== "json") {
        throw new ProofworkError(
          ErrorCodes.DATASET_INVALID,
          `${path}: a dataset is a folder of pictures, a .npy or .json tensor, or mnist:test[:N]`,
        );
      }
      const raw = new Uint8Array(readFileSync(path));
      const tensor =
        kind === "npy" ? parseNpy(raw) : tensorFromJson(JSON.parse(new TextDecoder().decode(raw)));
      bytes = encodeTensor(model, tensor);
    }
  } catch (e) {
    if (e instanceof ProofworkError && e.code === ErrorCodes.DATASET_INVALID) throw e;
    throw new ProofworkError(ErrorCodes.DATASET_INVALID, `${path}: ${errorMessage(e)}`, {}, { cause: e });
  }
  const out: Uint8Array[] = [];
  for (let o = 0; o < bytes.length; o += per) out.push(bytes.subarray(o, o + per));
  return out;
}

/**
 * Publishes an inputs file: writes `<dir>/<inputsHash>.inputs.bin` (atomically; content-addressed,
 * so the same dataset is written once) and returns its URI, `<baseUri><name>` (default base: the
 * `file://` URL of `dir`, which a provider on the same machine reads; serve `dir` over http(s) and
 * set the base URI for others).
 */
export function publishBatchFile(
  file: Uint8Array,
  hash: string,
  o: { dir: string; baseUri?: string | undefined; suffix?: string },
): { path: string; uri: string } {
  const name = `${hash.replace(/^0x/, "")}${o.suffix ?? ".inputs.bin"}`;
  const dir = resolve(o.dir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  if (!existsSync(path) || statSync(path).size !== file.length) {
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, file);
    renameSync(tmp, path);
  }
  const base = (o.baseUri ?? pathToFileURL(dir).href).replace(/\/?$/, "/");
  return { path, uri: `${base}${name}` };
}

/** At most this many bytes are downloaded for one batch file unless the caller says otherwise. */
export const MAX_BATCH_FILE_BYTES = 4 * 2 ** 30;

/**
 * Downloads a batch file (inputs or outputs) from `uri`: `file://` URLs and paths from disk,
 * `http(s)://` with `fetch`, streaming either and calling `onProgress(bytes, total)` (total 0 when
 * the server sends no length). ARTIFACT_FETCH_FAILED with the URI and reason otherwise.
 */
export async function downloadBatchFile(
  uri: string,
  o: { onProgress?: ProgressFn; maxBytes?: number; signal?: AbortSignal } = {},
): Promise<Uint8Array> {
  const max = o.maxBytes ?? MAX_BATCH_FILE_BYTES;
  const fail = (why: string, cause?: unknown): never => {
    throw new ProofworkError(
      ErrorCodes.ARTIFACT_FETCH_FAILED,
      `cannot download ${uri}: ${why}`,
      { uri },
      cause === undefined ? undefined : { cause },
    );
  };
  if (uri === "") fail("the job published no URI");
  const chunks: Uint8Array[] = [];
  let received = 0;
  const add = (c: Uint8Array, total: number) => {
    received += c.length;
    if (received > max) fail(`larger than ${max} bytes`);
    chunks.push(c);
    o.onProgress?.(received, total);
  };
  if (/^https?:\/\//i.test(uri)) {
    let res: Response;
    try {
      res = await fetch(uri, o.signal ? { signal: o.signal } : {});
    } catch (e) {
      return fail(errorMessage(e), e);
    }
    if (!res.ok || res.body === null) return fail(`HTTP ${res.status} ${res.statusText}`);
    const total = Number(res.headers.get("content-length") ?? 0);
    try {
      for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) add(c, total);
    } catch (e) {
      if (e instanceof ProofworkError) throw e;
      return fail(errorMessage(e), e);
    }
  } else {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !uri.startsWith("file://"))
      fail("only file://, paths and http(s):// are supported");
    let path: string;
    try {
      path = uri.startsWith("file://") ? fileURLToPath(uri) : resolve(uri);
    } catch (e) {
      return fail(errorMessage(e), e);
    }
    let total = 0;
    try {
      total = statSync(path).size;
    } catch (e) {
      return fail(errorMessage(e), e);
    }
    try {
      for await (const c of createReadStream(path, { highWaterMark: 1 << 20 }))
        add(new Uint8Array(c as Buffer), total);
    } catch (e) {
      if (e instanceof ProofworkError) throw e;
      return fail(errorMessage(e), e);
    }
  }
  const out = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * A batch job's results, checked. The inputs' commitments (part of every output leaf) are either
 * given (`commitments`, e.g. `readCommitmentsFile` of the posting machine) and checked to form the
 * posted `inputsRoot`, or computed from the inputs file (downloaded from `inputsURI`, or read from
 * `inputsUri`) checked against the posted `inputsHash` and `inputsRoot`. Then the outputs file is
 * downloaded and checked against the committed `outputsHash` and `outputsRoot`
 * (`verifyBatchOutputs`). BATCH_STATE before a commit; DATASET_INVALID / OUTPUTS_MISMATCH when a
 * file is not the job's.
 */
export async function fetchBatchResults(
  job: BatchJob,
  o: {
    inputsUri?: string | undefined;
    /** The inputs' commitments when known (`readCommitmentsFile`): checked against the inputs root, no download. */
    commitments?: bigint[] | undefined;
    /** Read the outputs file from here instead of the committed `outputsURI` (a mirror, a local copy). */
    outputsUri?: string | undefined;
    progress?: (step: "inputs" | "commitments" | "outputs") => { fn: ProgressFn; done: () => void };
  } = {},
): Promise<{ commitments: bigint[]; outputs: bigint[][] }> {
  if (job.outputsURI === undefined || job.outputsHash === undefined) {
    throw new ProofworkError(
      ErrorCodes.BATCH_STATE,
      `batch job ${job.jobId} is ${job.statusName}: its provider has not committed outputs yet`,
      { jobId: job.jobId },
    );
  }
  const step = async <T>(name: "inputs" | "commitments" | "outputs", f: (p?: ProgressFn) => Promise<T>) => {
    const bar = o.progress?.(name);
    try {
      return await f(bar?.fn);
    } finally {
      bar?.done();
    }
  };
  let commitments: bigint[];
  if (o.commitments !== undefined) {
    // the output leaves bind the commitments, not the input bytes: commitments whose tree is the
    // posted inputsRoot are exactly the committed ones, so the inputs file is not needed
    const root = await batchInputsRoot(o.commitments, job.terms.treeDepth);
    if (o.commitments.length !== job.terms.numSamples || root !== job.terms.inputsRoot.toLowerCase()) {
      throw new ProofworkError(
        ErrorCodes.DATASET_INVALID,
        `the given input commitments' tree root ${root} is not the job's inputsRoot ${job.terms.inputsRoot}`,
      );
    }
    commitments = o.commitments;
  } else {
    const file = await step("inputs", (p) =>
      downloadBatchFile(o.inputsUri ?? job.inputsURI, p ? { onProgress: p } : {}),
    );
    commitments = (await step("commitments", (p) => checkBatchInputs(job.terms, file, p))).commitments;
  }
  const outputsFile = await step("outputs", (p) =>
    downloadBatchFile(o.outputsUri ?? job.outputsURI!, p ? { onProgress: p } : {}),
  );
  const outputs = await verifyBatchOutputs({
    file: outputsFile,
    outputsHash: job.outputsHash,
    outputsRoot: job.record.outputsRoot,
    commitments,
    perSample: batchOutputsPerSample(job.terms, { fileBytes: outputsFile.length }),
    treeDepth: job.terms.treeDepth,
  });
  return { commitments, outputs };
}

/** The input commitments of a dataset as a file: 32 bytes each, big-endian, in index order. */
export function encodeCommitmentsFile(commitments: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(32 * commitments.length);
  commitments.forEach((c, i) => {
    let v = c;
    for (let b = 31; b >= 0; b--) {
      out[32 * i + b] = Number(v & 0xffn);
      v >>= 8n;
    }
  });
  return out;
}

/**
 * The commitments file `publishBatchFile` wrote for `inputsHash` in `dir` at post
 * (`<inputsHash>.commitments.bin`), or undefined when there is none (posted elsewhere).
 */
export function readCommitmentsFile(dir: string, inputsHash: string): bigint[] | undefined {
  const path = join(resolve(dir), `${inputsHash.replace(/^0x/, "")}.commitments.bin`);
  if (!existsSync(path)) return undefined;
  const bytes = readFileSync(path);
  if (bytes.length % 32 !== 0) return undefined;
  const out: bigint[] = [];
  for (let o = 0; o < bytes.length; o += 32)
    out.push(BigInt(`0x${bytes.subarray(o, o + 32).toString("hex") || "0"}`));
  return out;
}
