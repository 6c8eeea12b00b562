/**
 * Input encoding per an artifact's input spec: source images → the model's input bytes, float
 * tensors → bytes, and batches. Browser-safe. (Image file decoding and resizing are the caller's.)
 */
import { ErrorCodes, ProofworkError } from "../errors.ts";
import { inputSize, type InputSpec, type ModelArtifactV2 } from "./format.ts";

const bad = (msg: string): never => {
  throw new ProofworkError(ErrorCodes.INPUT_INVALID, msg);
};

/** The shape of the image a requester provides (before `input.source`), e.g. [28, 28, 1]. */
export function sourceShape(input: InputSpec): number[] {
  return input.source.kind === "avgpool2x2" ? [...input.source.from] : [...input.shape];
}

/** 2×2 average pooling of an H×W×1 image: `floor((a + b + c + d + 2) / 4)` (round half up). */
export function avgPool2x2Bytes(image: Uint8Array, h: number, w: number): Uint8Array {
  if (image.length !== h * w) bad(`expected ${h * w} pixels, got ${image.length}`);
  const out = new Uint8Array((h / 2) * (w / 2));
  for (let r = 0; r < h / 2; r++) {
    for (let c = 0; c < w / 2; c++) {
      const i = 2 * r * w + 2 * c;
      out[r * (w / 2) + c] = (image[i]! + image[i + 1]! + image[i + w]! + image[i + w + 1]! + 2) >> 2;
    }
  }
  return out;
}

/**
 * One source image (bytes, row-major HWC, shape `sourceShape(input)`) → one sample's input bytes.
 */
export function encodeImageBytes(a: Pick<ModelArtifactV2, "input">, image: Uint8Array): Uint8Array {
  const src = a.input.source;
  if (src.kind === "avgpool2x2") return avgPool2x2Bytes(image, src.from[0], src.from[1]);
  if (image.length !== inputSize(a))
    bad(`expected ${inputSize(a)} bytes (shape ${a.input.shape}), got ${image.length}`);
  return Uint8Array.from(image);
}

/**
 * A float tensor as the float model would see it → input bytes: `round((v − offset) / scale)`,
 * which must land in [0, 255] (values outside are an error, not clamped).
 */
export function encodeFloatTensor(a: Pick<ModelArtifactV2, "input">, values: ArrayLike<number>): Uint8Array {
  const n = inputSize(a);
  if (values.length !== n) bad(`expected ${n} values (shape ${a.input.shape}), got ${values.length}`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const b = Math.round((values[i]! - a.input.offset) / a.input.scale);
    if (!(b >= 0 && b <= 255)) bad(`value ${values[i]} at ${i} is outside the input range (byte ${b})`);
    out[i] = b;
  }
  return out;
}

/** Job input bytes for a batch of source images (samples concatenated). */
export function encodeImageBatch(a: Pick<ModelArtifactV2, "input">, images: Uint8Array[]): Uint8Array {
  const n = inputSize(a);
  const out = new Uint8Array(n * images.length);
  images.forEach((im, k) => out.set(encodeImageBytes(a, im), k * n));
  return out;
}

/** The float input values of one sample's bytes (what the float model is fed). */
export function bytesToFloat(a: Pick<ModelArtifactV2, "input">, bytes: Uint8Array): Float32Array {
  return Float32Array.from(bytes, (b) => b * a.input.scale + a.input.offset);
}
