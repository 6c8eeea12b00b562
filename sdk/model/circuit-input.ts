/**
 * The witness-generator input and public signals of a generated model circuit
 * (circuits/model-gen.ts): public `jobKey`, `inputCommitment`, `outputs[BATCH · E]` (packed outputs
 * from the bigint reference) and the private job input `bytes`. Browser-safe.
 */
import { commitInput } from "../commitment.ts";
import { ErrorCodes, ProofworkError } from "../errors.ts";
import { assertField } from "../field.ts";
import { inputSize, type ModelArtifactV2 } from "./format.ts";
import { inferBatch, publicOutputs } from "./reference.ts";

/** Signal name → value(s), as circom witness calculators take them (any circuit's input). */
export type CircuitSignals = Record<string, bigint | bigint[] | bigint[][]>;

/** A model circuit's input signals (scalars and flat arrays). */
export type ModelCircuitSignals = Record<string, bigint | bigint[]>;

export interface ModelJob {
  jobKey: bigint;
  /** job input bytes: `batch × inputSize` */
  bytes: Uint8Array;
  /** defaults to the commitment of `bytes` */
  inputCommitment?: bigint;
  /** defaults to the reference's packed outputs */
  outputs?: bigint[];
}

export interface ModelCircuitInput {
  input: ModelCircuitSignals;
  /** [jobKey, inputCommitment, ...outputs] — what the proof carries */
  publicSignals: bigint[];
  /** the reference outputs behind `outputs`, one row per sample */
  values: bigint[][];
}

export async function modelCircuitInput(
  a: ModelArtifactV2,
  batch: number,
  job: ModelJob,
): Promise<ModelCircuitInput> {
  if (job.bytes.length !== batch * inputSize(a)) {
    throw new ProofworkError(
      ErrorCodes.INPUT_INVALID,
      `job input has ${job.bytes.length} bytes; circuit takes ${batch} × ${inputSize(a)}`,
    );
  }
  assertField(job.jobKey, "jobKey");
  const values = inferBatch(a, job.bytes);
  const outputs = job.outputs ?? publicOutputs(a, values);
  const inputCommitment = job.inputCommitment ?? (await commitInput(job.bytes));
  return {
    input: { jobKey: job.jobKey, inputCommitment, outputs, bytes: Array.from(job.bytes, (b) => BigInt(b)) },
    publicSignals: [job.jobKey, inputCommitment, ...outputs],
    values,
  };
}
