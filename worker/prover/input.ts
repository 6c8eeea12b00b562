/**
 * The witness-generator input of an MLP job circuit (circuits/mlp-gen.ts): public `jobKey`,
 * `inputCommitment`, `outputs[BATCH]` (packed logits, from the quantized reference) and the private
 * job input `bytes`.
 */
import { commitInput } from "../../sdk/node.ts";
import { ErrorCodes, ProofworkError } from "../../sdk/node.ts";
import { assertField } from "../../sdk/node.ts";
import type { ModelArtifact } from "../../sdk/node.ts";
import { inferBatch, packedOutputs } from "../../sdk/node.ts";

/** Signal name → value(s), as circom witness calculators take them (bigints are accepted). */
export type CircuitInput = Record<string, bigint | bigint[]>;

export interface MlpJob {
  jobKey: bigint;
  /** job input bytes: `batch × model.inputSize` */
  bytes: Uint8Array;
  /** defaults to the commitment of `bytes` */
  inputCommitment?: bigint;
  /** defaults to the reference's packed logits */
  outputs?: bigint[];
}

export interface MlpCircuitInput {
  input: CircuitInput;
  /** public signals the proof will carry: [jobKey, inputCommitment, ...outputs] */
  publicSignals: bigint[];
  /** the logits behind `outputs` (reference), one row per sample */
  logits: bigint[][];
}

export async function mlpCircuitInput(
  model: ModelArtifact,
  batch: number,
  job: MlpJob,
): Promise<MlpCircuitInput> {
  if (job.bytes.length !== batch * model.inputSize) {
    throw new ProofworkError(
      ErrorCodes.INPUT_INVALID,
      `job input has ${job.bytes.length} bytes; circuit takes ${batch} × ${model.inputSize}`,
    );
  }
  assertField(job.jobKey, "jobKey");
  const logits = inferBatch(model, job.bytes);
  const outputs = job.outputs ?? packedOutputs(model, logits);
  const inputCommitment = job.inputCommitment ?? (await commitInput(job.bytes));
  return {
    input: {
      jobKey: job.jobKey,
      inputCommitment,
      outputs,
      bytes: Array.from(job.bytes, (b) => BigInt(b)),
    },
    publicSignals: [job.jobKey, inputCommitment, ...outputs],
    logits,
  };
}
