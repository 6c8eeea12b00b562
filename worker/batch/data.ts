/**
 * A batch job's data on the worker's disk (docs/BATCH.md, "Data"): the inputs file fetched from
 * the job's `inputsURI` and checked against `inputsHash` and `inputsRoot` before any claim; the
 * whole dataset streamed through the executor in chunks (each chunk spot-checked against the
 * bigint reference the circuit constrains); the outputs file written to the job's directory and
 * published before the commit that names it. Every rule (leaves, trees, files) is the SDK's.
 */
import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, rename, writeFile, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { keccak256 } from "ethers";
import {
  decodeOutputsFile,
  encodeOutputsFile,
  inputOfFile,
  type BatchTerms,
  ErrorCodes,
  ProofworkError,
  commitInput,
  errorMessage,
  inferSample,
  inputSize,
  publicOutputs,
  referenceOutputs,
  samplingCircuitInput,
  samplingOutputsTree,
  batchInputsTree,
  batchOutputsTree,
  type ModelArtifact,
  type BatchTree,
} from "../../sdk/node.ts";
import { fetchUri, type CircuitArtifacts } from "../artifacts.ts";
import type { Logger } from "../log.ts";
import type { WorkerMetrics } from "../metrics.ts";
import { computeWitness, type JobRunner } from "../runner.ts";
import type { BatchRefusal } from "./evaluate.ts";

/**
 * A checked inputs file with its samples' commitments and tree (`BatchTree`: the keccak `tree` of a
 * sample-proof job, or the `poseidon` tree of a sampling-circuit job).
 */
export interface BatchInputs extends BatchTree {
  file: Uint8Array;
  inputBytes: number;
  commitments: bigint[];
}

export type InputsCheck =
  { ok: true; inputs: BatchInputs } | { ok: false; reason: BatchRefusal; retryable: boolean; detail: string };

/** `<dataDir>/batch/<chainId>-<jobId>/`: a job's files. */
export function jobDir(dataDir: string, chainId: bigint, jobId: bigint): string {
  return join(dataDir, "batch", `${chainId}-${jobId}`);
}

/** A URI, `file://` URL or plain path (relative to the working directory) as `fetchUri` takes it. */
function fetchable(uri: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) return uri;
  return isAbsolute(uri) ? uri : resolve(uri);
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/**
 * The job's inputs file (fetched once into its directory), checked: `keccak256(file) ==
 * inputsHash`, `N × inputBytes` long, and the tree of its samples' commitments has root
 * `inputsRoot`. A failure says why (a coded refusal reason); nothing is claimed then.
 */
export async function loadInputs(
  dir: string,
  uri: string,
  terms: BatchTerms,
  model: ModelArtifact,
): Promise<InputsCheck> {
  const dest = join(dir, "inputs.bin");
  await mkdir(dir, { recursive: true });
  if (!(await exists(dest))) {
    try {
      await fetchUri(fetchable(uri), dest);
    } catch (e) {
      return { ok: false, reason: "inputs_unavailable", retryable: true, detail: errorMessage(e) };
    }
  }
  const file = new Uint8Array(await readFile(dest));
  const hash = keccak256(file);
  if (hash !== terms.inputsHash.toLowerCase()) {
    return {
      ok: false,
      reason: "inputs_hash_mismatch",
      retryable: false,
      detail: `keccak256 of ${uri} is ${hash}, the job says ${terms.inputsHash}`,
    };
  }
  const inputBytes = inputSize(model);
  if (file.length !== terms.numSamples * inputBytes) {
    return {
      ok: false,
      reason: "inputs_malformed",
      retryable: false,
      detail: `${file.length} bytes, ${terms.numSamples} samples of ${inputBytes} bytes expected`,
    };
  }
  const commitments: bigint[] = [];
  for (let i = 0; i < terms.numSamples; i++)
    commitments.push(await commitInput(inputOfFile(file, inputBytes, i)));
  const trees = await batchInputsTree(commitments, terms.treeDepth);
  if (trees.root !== terms.inputsRoot.toLowerCase()) {
    return {
      ok: false,
      reason: "inputs_root_mismatch",
      retryable: false,
      detail: `the inputs' commitments have root ${trees.root}, the job says ${terms.inputsRoot}`,
    };
  }
  return { ok: true, inputs: { file, inputBytes, commitments, ...trees } };
}

/**
 * Runs all N samples through the executor, `chunk` at a time, spot-checking one sample of each
 * chunk (chosen by `salt`) against the bigint reference; returns each sample's public outputs.
 * Progress goes to the log, throughput to the metrics.
 */
export async function runBatch(o: {
  jobId: bigint;
  runner: JobRunner;
  circuit: CircuitArtifacts;
  inputs: BatchInputs;
  chunk: number;
  salt: bigint;
  log: Logger;
  metrics: WorkerMetrics;
  signal?: AbortSignal;
}): Promise<bigint[][]> {
  const model = o.circuit.model;
  if (model === undefined || o.runner.infer === undefined) {
    throw new ProofworkError(ErrorCodes.CIRCUIT_UNKNOWN, `${o.circuit.name} is not a model circuit`);
  }
  const n = o.inputs.commitments.length;
  const s = o.inputs.inputBytes;
  const out: bigint[][] = [];
  const started = Date.now();
  let backend = "";
  for (let at = 0; at < n; at += o.chunk) {
    if (o.signal?.aborted) throw new ProofworkError(ErrorCodes.WORKER_STOPPING, "worker is stopping");
    const end = Math.min(n, at + o.chunk);
    const t0 = Date.now();
    const r = await o.runner.infer(o.circuit, o.inputs.file.subarray(at * s, end * s));
    backend = r.backend;
    if (r.logits.length !== end - at) {
      throw new ProofworkError(
        ErrorCodes.EXECUTION_FAILED,
        `${r.logits.length} results for ${end - at} samples`,
      );
    }
    const check = Number(o.salt % BigInt(end - at));
    const ref = inferSample(model, inputOfFile(o.inputs.file, s, at + check));
    if (ref.some((v, k) => v !== r.logits[check]![k])) {
      throw new ProofworkError(
        ErrorCodes.EXECUTOR_MISMATCH,
        `${backend} outputs for sample ${at + check} differ from the circuit's reference (${r.logits[check]!.join(",")} vs ${ref.join(",")})`,
      );
    }
    for (const l of r.logits) out.push(publicOutputs(model, [l]));
    const secs = Math.max(1e-3, (Date.now() - t0) / 1000);
    o.metrics.batchSamples.inc(end - at);
    o.metrics.batchSamplesPerSecond.set((end - at) / secs);
    o.log.info(
      {
        jobId: o.jobId.toString(),
        done: end,
        total: n,
        samplesPerSecond: Math.round((end - at) / secs),
        backend,
      },
      "batch progress",
    );
  }
  const total = Math.max(1e-3, (Date.now() - started) / 1000);
  o.log.info(
    {
      jobId: o.jobId.toString(),
      samples: n,
      seconds: total,
      samplesPerSecond: Math.round(n / total),
      backend,
    },
    "batch inference done",
  );
  return out;
}

/** The outputs file, its hash and the outputs tree of a run (keccak or Poseidon, as the inputs'; its root is committed). */
export interface BatchOutputs extends BatchTree {
  file: Uint8Array;
  hash: string;
  outputs: bigint[][];
}

/** The outputs file and tree of a job whose trees have `treeDepth` (0: keccak). */
export async function buildOutputs(
  commitments: readonly bigint[],
  outputs: bigint[][],
  treeDepth: number,
): Promise<BatchOutputs> {
  const file = encodeOutputsFile(outputs);
  return {
    file,
    hash: keccak256(file),
    outputs,
    ...(await batchOutputsTree(commitments, outputs, treeDepth)),
  };
}

/**
 * Whether `circuit` is a sampling circuit of the job's shape (before a claim): the witness of one
 * chunk — sample 0 in every slot, its reference outputs in a one-leaf outputs tree of the job's
 * depth, the real inputs tree — computes. A circuit of other slots or depth, or not a sampling
 * circuit at all, fails here instead of at proving time.
 */
export async function checkSamplingCircuit(
  circuit: CircuitArtifacts,
  inputs: BatchInputs,
  slots: number,
): Promise<{ ok: true } | { ok: false; detail: string }> {
  const depth = inputs.poseidon?.depth ?? 0;
  try {
    const model = circuit.model!;
    const bytes = inputOfFile(inputs.file, inputs.inputBytes, 0);
    const outputs = await samplingOutputsTree(
      [inputs.commitments[0]!],
      [referenceOutputs(model, bytes)],
      depth,
    );
    const { input } = samplingCircuitInput(model, {
      jobKey: 1n,
      slots,
      trees: { inputs: inputs.poseidon!, outputs },
      sample: () => bytes,
      indices: [0],
    });
    await computeWitness(circuit, input);
    return { ok: true };
  } catch (e) {
    return {
      ok: false,
      detail: `${circuit.name} is not a sampling circuit of ${slots} slots over trees of depth ${depth}: ${errorMessage(e)}`,
    };
  }
}

/** Writes the outputs file into the job's directory (atomically: temp file, then rename). */
export async function persistOutputs(dir: string, file: Uint8Array): Promise<string> {
  await mkdir(dir, { recursive: true });
  const dest = join(dir, "outputs.bin");
  await writeFile(`${dest}.part`, file, { flush: true });
  await rename(`${dest}.part`, dest);
  return dest;
}

/** The persisted outputs of a job (after a restart), checked against the stored hash. */
export async function readOutputs(
  dir: string,
  commitments: readonly bigint[],
  perSample: number,
  hash: string,
  treeDepth: number,
): Promise<BatchOutputs> {
  const file = new Uint8Array(await readFile(join(dir, "outputs.bin")));
  if (keccak256(file) !== hash.toLowerCase()) {
    throw new ProofworkError(
      ErrorCodes.EXECUTION_FAILED,
      `the stored outputs file of ${dir} is not the committed one`,
    );
  }
  return buildOutputs(commitments, decodeOutputsFile(file, perSample), treeDepth);
}

/**
 * Publishes the persisted outputs file: copies it into `publishDir` under a content-addressed
 * name and returns its URI (`baseUri` + name, or the copy's `file://` URL).
 */
export async function publishOutputs(
  source: string,
  publishDir: string,
  baseUri: string | undefined,
  chainId: bigint,
  jobId: bigint,
  hash: string,
): Promise<string> {
  await mkdir(publishDir, { recursive: true });
  const name = `batch-${chainId}-${jobId}-${hash.slice(2, 18)}.bin`;
  const dest = join(publishDir, name);
  await copyFile(source, `${dest}.part`);
  await rename(`${dest}.part`, dest);
  if (baseUri === undefined) return pathToFileURL(dest).href;
  return baseUri.endsWith("/") ? `${baseUri}${name}` : `${baseUri}/${name}`;
}

/** sha256 of a buffer (logs). */
export const sha256Hex = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
