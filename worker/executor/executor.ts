/**
 * Quantized MLP inference with TF.js, integer-exact on every backend.
 *
 * All values are integers carried in float32: inputs 0..255, int8 weights, integer biases, and the
 * model's static bounds (sdk/model.ts `modelBounds`, checked when the artifact is parsed) keep every
 * accumulator and every partial sum below 2^24, so float32 matmul/add are exact whatever the
 * summation order. Rescaling multiplies by 2^-shift (exact: a power of two) and floors. The result
 * is therefore identical to the bigint reference (sdk/quant.ts), which tests assert on each backend.
 */
import * as tf from "@tensorflow/tfjs";
import { ErrorCodes, ProofworkError } from "../../sdk/node.ts";
import type { ModelArtifact } from "../../sdk/node.ts";
import { argmax } from "../../sdk/node.ts";
import {
  selectBackend,
  useBackend,
  type BackendChoice,
  type BackendName,
  type ExecutorLogger,
} from "./backend.ts";

export interface ExecutorOptions {
  /** Run this backend or fail (default: best available). */
  backend?: BackendName;
  logger?: ExecutorLogger;
  /** Samples per TF.js call (bounds memory for big batches). Default 2,048. */
  chunk?: number;
}

export interface InferenceResult {
  /** per sample, the integer logits */
  logits: bigint[][];
  /** per sample, argmax (ties → lowest index) */
  predictions: number[];
}

export interface Executor {
  readonly backend: BackendChoice;
  readonly model: ModelArtifact;
  /** Runs the model on job input bytes (`n × inputSize`). */
  infer(bytes: Uint8Array): Promise<InferenceResult>;
  /** Frees the weight tensors. */
  dispose(): void;
}

export async function createExecutor(model: ModelArtifact, opts: ExecutorOptions = {}): Promise<Executor> {
  const choice = await selectBackend({
    ...(opts.backend ? { force: opts.backend } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  const chunk = opts.chunk ?? 2048;
  // Weights as [in, out] float32 (exact int8 values), biases [out]; kept for the executor's life.
  const layers = model.layers.map((l) => ({
    w: tf.tensor2d(
      Float32Array.from(
        { length: l.inputs * l.outputs },
        (_, k) => l.weights[k % l.outputs]![Math.floor(k / l.outputs)]!,
      ),
      [l.inputs, l.outputs],
    ),
    b: tf.tensor1d(Float32Array.from(l.bias)),
    scale: 2 ** -l.shift,
    shift: l.shift,
    relu: l.relu,
  }));

  const runChunk = (x: Float32Array, n: number): Float32Array =>
    tf.tidy(() => {
      let h: tf.Tensor2D = tf.tensor2d(x, [n, model.inputSize]);
      for (const l of layers) {
        h = tf.add(tf.matMul(h, l.w), l.b) as tf.Tensor2D;
        if (l.shift > 0) h = tf.floor(tf.mul(h, l.scale)) as tf.Tensor2D;
        if (l.relu) h = tf.relu(h) as tf.Tensor2D;
      }
      return h.dataSync() as Float32Array;
    });

  return {
    backend: choice,
    model,
    async infer(bytes) {
      if (bytes.length === 0 || bytes.length % model.inputSize !== 0) {
        throw new ProofworkError(
          ErrorCodes.INPUT_INVALID,
          `input of ${bytes.length} bytes is not a whole number of ${model.inputSize}-byte samples`,
        );
      }
      await useBackend(choice);
      const n = bytes.length / model.inputSize;
      const nOut = model.layers[model.layers.length - 1]!.outputs;
      const logits: bigint[][] = [];
      for (let s = 0; s < n; s += chunk) {
        const m = Math.min(chunk, n - s);
        const out = runChunk(
          Float32Array.from(bytes.subarray(s * model.inputSize, (s + m) * model.inputSize)),
          m,
        );
        for (let k = 0; k < m; k++) {
          const row: bigint[] = [];
          for (let j = 0; j < nOut; j++) {
            const v = out[k * nOut + j]!;
            if (!Number.isInteger(v)) {
              throw new ProofworkError(
                ErrorCodes.MODEL_INVALID,
                `backend ${choice.backend} produced a non-integer logit ${v}`,
              );
            }
            row.push(BigInt(v));
          }
          logits.push(row);
        }
      }
      return { logits, predictions: logits.map(argmax) };
    },
    dispose() {
      for (const l of layers) tf.dispose([l.w, l.b]);
    },
  };
}
