/**
 * TRAINING-SIDE ONLY: the v1 MLP arithmetic the trainer uses to pick quantization settings; the
 * converted v2 artifacts and sdk/model/reference.ts are what everything else uses (and tests check
 * the two agree on the held-out digits).
 *
 *   input preprocessing  (none | 2×2 average pooling, done by the requester's encoder)
 *   per layer            acc = W·x + b;  y = floor(acc / 2^shift);  y = max(y, 0) if relu
 *   output packing       packed = Σ_k (logit_k + 2^(bits-1)) · 2^(bits·k)   (one field element)
 *   prediction           argmax of the logits, ties → lowest index
 */
import { ErrorCodes, ProofworkError } from "../../sdk/index.ts";
import type { ModelArtifact, Preprocess } from "./format.ts";

/** MNIST image side and size. */
export const IMAGE_SIDE = 28;
export const IMAGE_SIZE = IMAGE_SIDE * IMAGE_SIDE;

/** `floor(v / 2^s)` for signed integers (arithmetic shift rounds toward −∞). */
export function floorShift(v: bigint, s: number): bigint {
  return v >> BigInt(s);
}

/**
 * 2×2 average pooling of one 28×28 image to 14×14, exactly:
 * `out[r][c] = floor((p[2r][2c] + p[2r][2c+1] + p[2r+1][2c] + p[2r+1][2c+1] + 2) / 4)`.
 */
export function avgPool2x2(image: Uint8Array): Uint8Array {
  if (image.length !== IMAGE_SIZE) {
    throw new ProofworkError(ErrorCodes.INPUT_INVALID, `expected ${IMAGE_SIZE} pixels, got ${image.length}`);
  }
  const half = IMAGE_SIDE / 2;
  const out = new Uint8Array(half * half);
  for (let r = 0; r < half; r++) {
    for (let c = 0; c < half; c++) {
      const i = 2 * r * IMAGE_SIDE + 2 * c;
      const sum = image[i]! + image[i + 1]! + image[i + IMAGE_SIDE]! + image[i + IMAGE_SIDE + 1]!;
      out[r * half + c] = (sum + 2) >> 2;
    }
  }
  return out;
}

/** The requester's encoder: one 28×28 image → the model's input bytes for one sample. */
export function encodeImage(preprocess: Preprocess, image: Uint8Array): Uint8Array {
  if (preprocess.kind === "avgpool2x2") return avgPool2x2(image);
  if (image.length !== IMAGE_SIZE) {
    throw new ProofworkError(ErrorCodes.INPUT_INVALID, `expected ${IMAGE_SIZE} pixels, got ${image.length}`);
  }
  return Uint8Array.from(image);
}

/** Encodes a batch of images into the job input bytes (samples concatenated, row-major). */
export function encodeBatch(preprocess: Preprocess, images: Uint8Array[]): Uint8Array {
  const parts = images.map((im) => encodeImage(preprocess, im));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Every intermediate of one sample (what the circuit's witness contains). */
export interface SampleTrace {
  /** per layer: the accumulators `W·x + b` */
  acc: bigint[][];
  /** per layer: the outputs after rescale (and ReLU); the last one holds the logits */
  out: bigint[][];
}

/** Runs one sample (its `inputSize` bytes) through the quantized model. */
export function traceSample(
  model: Pick<ModelArtifact, "inputSize" | "layers">,
  input: Uint8Array,
): SampleTrace {
  if (input.length !== model.inputSize) {
    throw new ProofworkError(
      ErrorCodes.INPUT_INVALID,
      `expected ${model.inputSize} input bytes, got ${input.length}`,
    );
  }
  let x: bigint[] = Array.from(input, (v) => BigInt(v));
  const trace: SampleTrace = { acc: [], out: [] };
  for (const layer of model.layers) {
    const acc: bigint[] = [];
    const out: bigint[] = [];
    for (let j = 0; j < layer.outputs; j++) {
      const row = layer.weights[j]!;
      let a = BigInt(layer.bias[j]!);
      for (let i = 0; i < layer.inputs; i++) a += BigInt(row[i]!) * x[i]!;
      acc.push(a);
      let y = floorShift(a, layer.shift);
      if (layer.relu && y < 0n) y = 0n;
      out.push(y);
    }
    trace.acc.push(acc);
    trace.out.push(out);
    x = out;
  }
  return trace;
}

/** The logits of one sample. */
export function inferSample(model: Pick<ModelArtifact, "inputSize" | "layers">, input: Uint8Array): bigint[] {
  const t = traceSample(model, input);
  return t.out[t.out.length - 1]!;
}

/** Splits job input bytes into samples and returns the logits of each. */
export function inferBatch(
  model: Pick<ModelArtifact, "inputSize" | "layers">,
  bytes: Uint8Array,
): bigint[][] {
  if (bytes.length === 0 || bytes.length % model.inputSize !== 0) {
    throw new ProofworkError(
      ErrorCodes.INPUT_INVALID,
      `job input of ${bytes.length} bytes is not a whole number of ${model.inputSize}-byte samples`,
    );
  }
  const out: bigint[][] = [];
  for (let o = 0; o < bytes.length; o += model.inputSize) {
    out.push(inferSample(model, bytes.subarray(o, o + model.inputSize)));
  }
  return out;
}

/** Packs one sample's signed logits into one field element: `Σ (v_k + 2^(bits-1)) · 2^(bits·k)`. */
export function packLogits(logits: bigint[], bits: number): bigint {
  const half = 1n << BigInt(bits - 1);
  let packed = 0n;
  for (let k = logits.length - 1; k >= 0; k--) {
    const v = logits[k]! + half;
    if (v < 0n || v >= 2n * half) {
      throw new ProofworkError(ErrorCodes.FIELD_OVERFLOW, `logit ${logits[k]} does not fit in ${bits} bits`);
    }
    packed = (packed << BigInt(bits)) | v;
  }
  return packed;
}

/** Inverse of `packLogits`; rejects values with bits beyond `n · bits`. */
export function unpackLogits(packed: bigint, n: number, bits: number): bigint[] {
  if (packed < 0n || packed >> BigInt(n * bits) !== 0n) {
    throw new ProofworkError(
      ErrorCodes.INPUT_INVALID,
      `packed output ${packed} is wider than ${n}×${bits} bits`,
    );
  }
  const half = 1n << BigInt(bits - 1);
  const mask = (1n << BigInt(bits)) - 1n;
  const out: bigint[] = [];
  for (let k = 0; k < n; k++) out.push(((packed >> BigInt(bits * k)) & mask) - half);
  return out;
}

/** Index of the largest logit; ties go to the lowest index. */
export function argmax(logits: readonly bigint[]): number {
  let best = 0;
  for (let k = 1; k < logits.length; k++) if (logits[k]! > logits[best]!) best = k;
  return best;
}

/** The public outputs of a job: one packed element per sample. */
export function packedOutputs(model: Pick<ModelArtifact, "outputBits">, logits: bigint[][]): bigint[] {
  return logits.map((l) => packLogits(l, model.outputBits));
}

/** What a requester reads from a job's public outputs: per sample, its logits and predicted class. */
export function decodeOutputs(
  model: Pick<ModelArtifact, "outputBits" | "layers">,
  outputs: readonly bigint[],
): { logits: bigint[][]; predictions: number[] } {
  const n = model.layers[model.layers.length - 1]!.outputs;
  const logits = outputs.map((o) => unpackLogits(o, n, model.outputBits));
  return { logits, predictions: logits.map(argmax) };
}
