/**
 * Pictures → MNIST digits: what a requester's drawing or photo becomes before the model's own
 * encoding (`encodeDigits` in sdk/mnist.ts) turns it into job input bytes. Any RGBA raster (a
 * canvas' `ImageData`, a decoded upload) is normalised the way MNIST's digits were made:
 *
 *   1. grey level per pixel (Rec. 601 luma, composited over white), inverted when the picture is a
 *      dark digit on a light background (decided from the border, or forced) — ink is bright;
 *   2. the ink's bounding box is cropped and scaled, keeping its aspect ratio, so that its longer
 *      side is 20 pixels (area averaging);
 *   3. it is placed in a 28×28 frame so that its centre of mass is at the centre;
 *   4. contrast is stretched so that the darkest ink is 255; values are rounded to bytes.
 *
 * Pure functions over arrays: browser-safe and testable in Node.
 */
import { ErrorCodes, ProofworkError } from "./errors.ts";
import { IMAGE_SIDE, IMAGE_SIZE, encodeDigits } from "./mnist.ts";
import { sourceShape } from "./model/encode.ts";
import type { ModelArtifact } from "./model/format.ts";
import { encodePictures, type RgbaImage } from "./model/inputs.ts";

export interface DigitOptions {
  /**
   * `auto` (default): invert when the picture's border is lighter than mid-grey (a dark digit on
   * paper); `true`/`false` force it.
   */
  invert?: boolean | "auto";
  /** Side of the box the digit is scaled into (MNIST: 20). */
  box?: number;
  /** Ink below this fraction of the strongest ink is ignored when finding the digit (default 0.1). */
  threshold?: number;
}

/** Grey level (0 = black, 255 = white) of every pixel, transparent pixels composited over white. */
export function grayscale(img: RgbaImage): Float64Array {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ProofworkError(ErrorCodes.INPUT_INVALID, `invalid image size ${width}×${height}`);
  }
  if (data.length !== width * height * 4) {
    throw new ProofworkError(
      ErrorCodes.INPUT_INVALID,
      `a ${width}×${height} RGBA image has ${width * height * 4} bytes, got ${data.length}`,
    );
  }
  const out = new Float64Array(width * height);
  for (let i = 0; i < out.length; i++) {
    const a = data[4 * i + 3]! / 255;
    const luma = 0.299 * data[4 * i]! + 0.587 * data[4 * i + 1]! + 0.114 * data[4 * i + 2]!;
    out[i] = luma * a + 255 * (1 - a);
  }
  return out;
}

/** Mean grey level of the outermost pixels (the background of a centred picture). */
function borderMean(gray: Float64Array, width: number, height: number): number {
  let sum = 0;
  let n = 0;
  for (let x = 0; x < width; x++) {
    sum += gray[x]! + gray[(height - 1) * width + x]!;
    n += 2;
  }
  for (let y = 1; y < height - 1; y++) {
    sum += gray[y * width]! + gray[y * width + width - 1]!;
    n += 2;
  }
  return sum / n;
}

/**
 * Area-average resampling of the `sw × sh` window at (`sx`, `sy`) of `src` (row-major, `srcWidth`
 * wide) to `dw × dh` pixels: each output pixel is the mean of the source area it covers, partial
 * pixels weighted by their covered fraction.
 */
function resampleArea(
  src: Float64Array,
  srcWidth: number,
  sx: number,
  sy: number,
  sw: number,
  sh: number,
  dw: number,
  dh: number,
): Float64Array {
  // weights[d] = list of [sourceIndex, weight] covering output index d along one axis
  const axis = (start: number, len: number, n: number): [number, number][][] => {
    const scale = len / n;
    const out: [number, number][][] = [];
    for (let d = 0; d < n; d++) {
      const a = start + d * scale;
      const b = a + scale;
      const cells: [number, number][] = [];
      for (let s = Math.floor(a); s < Math.ceil(b); s++) {
        const w = Math.min(b, s + 1) - Math.max(a, s);
        if (w > 1e-12) cells.push([s, w / scale]);
      }
      out.push(cells);
    }
    return out;
  };
  const wx = axis(sx, sw, dw);
  const wy = axis(sy, sh, dh);
  const out = new Float64Array(dw * dh);
  for (let dy = 0; dy < dh; dy++) {
    for (let dx = 0; dx < dw; dx++) {
      let v = 0;
      for (const [y, fy] of wy[dy]!) {
        const row = y * srcWidth;
        for (const [x, fx] of wx[dx]!) v += src[row + x]! * fx * fy;
      }
      out[dy * dw + dx] = v;
    }
  }
  return out;
}

/**
 * A picture as a 28×28 MNIST digit (784 bytes, ink 255 on 0, row-major). INPUT_INVALID when the
 * picture holds no ink.
 */
export function imageToDigit(img: RgbaImage, options: DigitOptions = {}): Uint8Array {
  const { width, height } = img;
  const gray = grayscale(img);
  const invert = options.invert ?? "auto";
  const darkOnLight = invert === "auto" ? borderMean(gray, width, height) > 127.5 : invert;
  const ink = new Float64Array(gray.length);
  let max = 0;
  for (let i = 0; i < ink.length; i++) {
    ink[i] = darkOnLight ? 255 - gray[i]! : gray[i]!;
    if (ink[i]! > max) max = ink[i]!;
  }
  // the background is rarely exactly 0: measure ink from the faintest tenth upward
  const floor = (options.threshold ?? 0.1) * max;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = ink[y * width + x]! > floor ? ink[y * width + x]! - floor : 0;
      ink[y * width + x] = v;
      if (v > 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0 || max <= 0) {
    throw new ProofworkError(ErrorCodes.INPUT_INVALID, "the image is empty: draw or upload a digit");
  }
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const box = options.box ?? 20;
  // longer side → `box` pixels, aspect ratio kept (at least one pixel on the shorter side)
  const scale = box / Math.max(bw, bh);
  const dw = Math.max(1, Math.round(bw * scale));
  const dh = Math.max(1, Math.round(bh * scale));
  const small = resampleArea(ink, width, x0, y0, bw, bh, dw, dh);

  // centre of mass of the scaled digit → the frame's centre
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      const v = small[y * dw + x]!;
      mass += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
    }
  }
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const ox = clamp(Math.round(IMAGE_SIDE / 2 - cx / mass), 0, IMAGE_SIDE - dw);
  const oy = clamp(Math.round(IMAGE_SIDE / 2 - cy / mass), 0, IMAGE_SIDE - dh);

  let peak = 0;
  for (const v of small) if (v > peak) peak = v;
  const out = new Uint8Array(IMAGE_SIZE);
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      out[(oy + y) * IMAGE_SIDE + ox + x] = Math.round((255 * small[y * dw + x]!) / peak);
    }
  }
  return out;
}

/**
 * Whether a model takes MNIST-style digits (its source image is 28×28 grey): pictures for it are
 * normalised as digits (`imageToDigit`) rather than merely resized.
 */
export function takesDigits(a: Pick<ModelArtifact, "input">): boolean {
  const s = sourceShape(a.input);
  const n = s.reduce((x, y) => x * y, 1);
  return n === IMAGE_SIZE && (s.length === 1 || s[s.length - 1] === 1);
}

export type PictureMode = "digit" | "resize";

/**
 * A picture → one sample's job input bytes for `a`: `digit` normalises it as an MNIST digit (then
 * the model's own encoding, e.g. 2×2 pooling), `resize` scales it to the model's image shape
 * (`pictureToSource`). Default: `digit` for models that take digits, else `resize`.
 */
export function encodePicture(
  a: Pick<ModelArtifact, "input">,
  img: RgbaImage,
  opts: { mode?: PictureMode; digit?: DigitOptions } = {},
): Uint8Array {
  const mode = opts.mode ?? (takesDigits(a) ? "digit" : "resize");
  if (mode === "digit") {
    if (!takesDigits(a)) {
      throw new ProofworkError(
        ErrorCodes.INPUT_INVALID,
        `the model's input (${sourceShape(a.input).join("×")}) is not a 28×28 digit: use the resize mode`,
      );
    }
    return encodeDigits(a, [imageToDigit(img, opts.digit)]);
  }
  return encodePictures(a, [img]);
}
