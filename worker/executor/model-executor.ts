/**
 * TF.js inference of any `proofwork-qmodel-v2` artifact, integer-exact on every backend.
 *
 * Every value is an integer carried in float32: input bytes, int8 weights, integer biases. The
 * artifact's static bounds (sdk/model/format.ts, checked by `parseArtifact`) keep every accumulator
 * and every partial sum below 2^24, so conv2d / matMul / the pooling sums are exact in any
 * summation order; rescaling multiplies by 2^-shift (exact, a power of two) and floors. The result
 * is the bigint reference's (sdk/model/reference.ts) bit for bit, which tests assert per backend.
 *
 *   conv2d   tf.pad (explicit zero padding) → tf.conv2d 'valid' → + bias → floor(· 2^-shift) → relu
 *   dense    tf.matMul → + bias → floor(· 2^-shift) → relu
 *   avgpool  tf.depthwiseConv2d with a ones filter (the exact window sum) → floor → relu
 *   maxpool  tf.maxPool 'valid'
 *   reshape  tf.reshape (row-major, the flat vector is unchanged)
 *
 */
import * as tf from "@tensorflow/tfjs";
import {
  ErrorCodes,
  ProofworkError,
  argmax,
  inputSize,
  parseArtifact,
  type ModelArtifactV2,
  type QLayer,
} from "../../sdk/node.ts";
import {
  selectBackend,
  useBackend,
  type BackendChoice,
  type BackendName,
  type ExecutorLogger,
  type WebGpuOptions,
} from "./backend.ts";

export interface ModelExecutorOptions {
  /** Run this backend or fail (default: best available). */
  backend?: BackendName;
  logger?: ExecutorLogger;
  /** How Dawn is asked for a WebGPU adapter when `webgpu` is tried (default: a GPU, core level). */
  webgpu?: WebGpuOptions;
  /** Samples per TF.js call (bounds memory for big batches). Default `defaultChunk(backend)`. */
  chunk?: number;
}

export interface ModelInferenceResult {
  /** per sample, the integer outputs (logits) */
  logits: bigint[][];
  /** per sample, argmax (ties → lowest index) */
  predictions: number[];
}

export interface ModelExecutor {
  readonly backend: BackendChoice;
  readonly model: ModelArtifactV2;
  /** Runs the model on job input bytes (`n × inputSize`). */
  infer(bytes: Uint8Array): Promise<ModelInferenceResult>;
  /** Frees the weight tensors. */
  dispose(): void;
}

/**
 * Samples per TF.js call when none is given: GPU backends get large chunks (one dispatch and one
 * read-back per chunk, 4,096 samples of the reference CNN: input and activations under 100 MB of float32), CPU
 * ones 512 (bounded memory, no gain beyond).
 */
export function defaultChunk(backend: BackendName): number {
  return backend === "tensorflow-gpu" || backend === "webgpu" ? 4096 : 512;
}

type Op = (x: tf.Tensor) => tf.Tensor;

/** The per-layer TF.js op and the constant tensors it holds. */
function compileLayer(l: QLayer): { op: Op; held: tf.Tensor[] } {
  const requant = (
    shift: number[] | number,
    relu: boolean,
    channels: number,
  ): { op: Op; held: tf.Tensor[] } => {
    const shifts = typeof shift === "number" ? new Array<number>(channels).fill(shift) : shift;
    const any = shifts.some((s) => s > 0);
    const scale = tf.tensor1d(Float32Array.from(shifts, (s) => 2 ** -s));
    return {
      op: (x) => {
        let y = any ? tf.floor(tf.mul(x, scale)) : x;
        if (relu) y = tf.relu(y);
        return y;
      },
      held: [scale],
    };
  };
  switch (l.kind) {
    case "conv2d": {
      const [kh, kw] = l.kernel;
      const [ic, oc] = [l.inShape[2]!, l.outShape[2]!];
      // artifact layout [oc][kh][kw][ic] → TF filter [kh][kw][ic][oc]
      const f = new Float32Array(kh * kw * ic * oc);
      for (let o = 0; o < oc; o++)
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++)
            for (let c = 0; c < ic; c++)
              f[((i * kw + j) * ic + c) * oc + o] = l.weights[((o * kh + i) * kw + j) * ic + c]!;
      const filter = tf.tensor4d(f, [kh, kw, ic, oc]);
      const bias = tf.tensor1d(Float32Array.from(l.bias));
      const rq = requant(l.shift, l.relu, oc);
      const [pt, pl, pb, pr] = l.pad;
      const padded = pt + pl + pb + pr > 0;
      return {
        op: (x) => {
          const xp = padded
            ? tf.pad(x as tf.Tensor4D, [
                [0, 0],
                [pt, pb],
                [pl, pr],
                [0, 0],
              ])
            : x;
          return rq.op(tf.add(tf.conv2d(xp as tf.Tensor4D, filter, l.strides, "valid"), bias));
        },
        held: [filter, bias, ...rq.held],
      };
    }
    case "dense": {
      const n = l.inShape[0]!;
      const m = l.outShape[0]!;
      const w = tf.tensor2d(
        Float32Array.from({ length: n * m }, (_, k) => l.weights[(k % m) * n + Math.floor(k / m)]!),
        [n, m],
      );
      const bias = tf.tensor1d(Float32Array.from(l.bias));
      const rq = requant(l.shift, l.relu, m);
      return { op: (x) => rq.op(tf.add(tf.matMul(x as tf.Tensor2D, w), bias)), held: [w, bias, ...rq.held] };
    }
    case "avgpool": {
      const c = l.inShape[2]!;
      const ones = tf.ones([l.pool[0], l.pool[1], c, 1]) as tf.Tensor4D;
      const rq = requant(l.shift, l.relu, c);
      return {
        op: (x) => rq.op(tf.depthwiseConv2d(x as tf.Tensor4D, ones, l.strides, "valid")),
        held: [ones, ...rq.held],
      };
    }
    case "maxpool":
      return { op: (x) => tf.maxPool(x as tf.Tensor4D, l.pool, l.strides, "valid"), held: [] };
    case "reshape":
      return { op: (x) => tf.reshape(x, [x.shape[0]!, ...l.outShape]), held: [] };
  }
}

export async function createModelExecutor(
  artifact: ModelArtifactV2,
  opts: ModelExecutorOptions = {},
): Promise<ModelExecutor> {
  // Exactness rests on the static bounds: never run an artifact that was not validated.
  const model = parseArtifact(artifact);
  const choice = await selectBackend({
    ...(opts.backend ? { force: opts.backend } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.webgpu ? { webgpu: opts.webgpu } : {}),
  });
  const chunk = opts.chunk ?? defaultChunk(choice.backend);
  const layers = model.layers.map(compileLayer);
  const nIn = inputSize(model);
  const nOut = model.output.classes;

  // read back asynchronously: the WebGPU backend cannot read synchronously in Node (no canvas)
  const runChunk = async (x: Float32Array, n: number): Promise<Float32Array> => {
    const out = tf.tidy(() => {
      let h: tf.Tensor = tf.tensor(x, [n, ...model.input.shape]);
      for (const l of layers) h = l.op(h);
      return h;
    });
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  };

  return {
    backend: choice,
    model,
    async infer(bytes) {
      if (bytes.length === 0 || bytes.length % nIn !== 0) {
        throw new ProofworkError(
          ErrorCodes.INPUT_INVALID,
          `input of ${bytes.length} bytes is not a whole number of ${nIn}-byte samples`,
        );
      }
      await useBackend(choice);
      const n = bytes.length / nIn;
      const logits: bigint[][] = [];
      for (let s = 0; s < n; s += chunk) {
        const m = Math.min(chunk, n - s);
        const out = await runChunk(Float32Array.from(bytes.subarray(s * nIn, (s + m) * nIn)), m);
        if (out.length !== m * nOut) {
          throw new ProofworkError(
            ErrorCodes.EXECUTION_FAILED,
            `executor produced ${out.length} values, expected ${m * nOut}`,
          );
        }
        for (let k = 0; k < m; k++) {
          const row: bigint[] = [];
          for (let j = 0; j < nOut; j++) {
            const v = out[k * nOut + j]!;
            if (!Number.isInteger(v)) {
              throw new ProofworkError(
                ErrorCodes.EXECUTION_FAILED,
                `backend ${choice.backend} produced a non-integer output ${v}`,
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
      for (const l of layers) tf.dispose(l.held);
    },
  };
}
