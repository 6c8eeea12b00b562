/**
 * Requester inputs → job input bytes, per a model artifact's input spec. Browser-safe (no file
 * access: decoding PNG/JPEG files is sdk/node/inputs.ts' job, a browser has canvas `ImageData`).
 *
 *   - tensors: a `.npy` array (`parseNpy`) or JSON (`tensorFromJson`: nested arrays, or
 *     `{ "shape": [...], "data": [...] }`), one sample or a batch (leading dimension);
 *     byte tensors (uint8, or integers within 0…255) are the input bytes, float tensors are what
 *     the float model would be fed and are encoded as `round((v − offset) / scale)` (an error,
 *     not a clamp, outside 0…255);
 *   - pictures (RGBA rasters): resized to the model's image shape with area averaging, grey
 *     (Rec. 601 luma) for one channel, RGB for three; transparent pixels over white; a flat input
 *     of s² bytes is an s×s grey image.
 *
 * Then the artifact's `input.source` transform (e.g. the small MLP's 2×2 pooling) gives the bytes.
 */
import { ErrorCodes, ProofworkError } from "../errors.ts";
import { encodeFloatTensor, encodeImageBytes, sourceShape } from "./encode.ts";
import { inputSize, size, type ModelArtifactV2 } from "./format.ts";

const bad = (msg: string): never => {
  throw new ProofworkError(ErrorCodes.INPUT_INVALID, msg);
};

/** An RGBA raster, row-major, 4 bytes per pixel (the shape of a canvas' `ImageData`). */
export interface RgbaImage {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

export type TensorKind = "uint8" | "int" | "float";

/** A dense row-major tensor. */
export interface Tensor {
  shape: number[];
  data: ArrayLike<number>;
  kind: TensorKind;
}

type ModelInput = Pick<ModelArtifactV2, "input">;

// ─────────────────────────────────────────────── .npy

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * Reads a NumPy `.npy` file (format 1.0–3.0, C order, little-endian or single-byte dtypes:
 * u1 i1 u2 i2 u4 i4 f4 f8, and bool).
 */
export function parseNpy(bytes: Uint8Array): Tensor {
  if (bytes.length < 10 || NPY_MAGIC.some((b, i) => bytes[i] !== b)) bad("not a .npy file (no NUMPY magic)");
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) bad(".npy header runs past the end of the file");
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    bad(`.npy header not understood: ${header.trim()}`);
  if (fortran === "True") bad(".npy arrays in Fortran order are not supported (save with C order)");
  const shape = shapeText!
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) bad(`.npy shape (${shapeText}) invalid`);
  const n = size(shape);
  const body = start + headerLen;
  const readers: Record<string, [number, (o: number) => number, TensorKind]> = {
    "|u1": [1, (o) => view.getUint8(o), "uint8"],
    "|b1": [1, (o) => view.getUint8(o), "uint8"],
    "|i1": [1, (o) => view.getInt8(o), "int"],
    "<u2": [2, (o) => view.getUint16(o, true), "int"],
    "<i2": [2, (o) => view.getInt16(o, true), "int"],
    "<u4": [4, (o) => view.getUint32(o, true), "int"],
    "<i4": [4, (o) => view.getInt32(o, true), "int"],
    "<f4": [4, (o) => view.getFloat32(o, true), "float"],
    "<f8": [8, (o) => view.getFloat64(o, true), "float"],
  };
  const r = readers[descr!];
  if (r === undefined)
    bad(`.npy dtype ${descr} is not supported (use one of ${Object.keys(readers).join(" ")})`);
  const [width, read, kind] = r!;
  if (body + n * width > bytes.length) bad(`.npy data is shorter than its shape (${shape.join("×")})`);
  if (kind === "uint8") return { shape, data: bytes.slice(body, body + n), kind };
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = read(body + i * width);
  return { shape, data, kind };
}

// ─────────────────────────────────────────────── JSON

/** A JSON tensor: nested arrays of numbers, or `{ shape, data }` with `data` flat. */
export function tensorFromJson(value: unknown): Tensor {
  let shape: number[];
  let flat: number[];
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const o = value as { shape?: unknown; data?: unknown };
    if (!Array.isArray(o.shape) || !Array.isArray(o.data))
      bad('a JSON tensor object needs "shape" and "data" arrays');
    shape = (o.shape as unknown[]).map((d) =>
      Number.isInteger(d) && (d as number) >= 0 ? (d as number) : bad(`shape entry ${String(d)} invalid`),
    );
    flat = (o.data as unknown[]).flat(Infinity) as number[];
    if (flat.length !== size(shape))
      bad(`"data" has ${flat.length} values, shape ${shape.join("×")} needs ${size(shape)}`);
  } else if (Array.isArray(value)) {
    shape = [];
    let level: unknown = value;
    while (Array.isArray(level)) {
      shape.push(level.length);
      level = level[0];
    }
    flat = value.flat(Infinity) as number[];
    if (flat.length !== size(shape)) bad("the JSON tensor is ragged (rows of different lengths)");
  } else {
    return bad("a JSON tensor is an array of numbers (nested) or { shape, data }");
  }
  let kind: TensorKind = "int";
  for (const [i, v] of flat.entries()) {
    if (typeof v !== "number" || !Number.isFinite(v)) bad(`value ${i} of the JSON tensor is not a number`);
    if (!Number.isInteger(v)) kind = "float";
  }
  return { shape, data: flat, kind };
}

// ─────────────────────────────────────────────── tensors → bytes

export interface EncodeTensorOptions {
  /**
   * How to read the values: `bytes` (0…255, the input bytes themselves), `floats` (the float
   * model's input values). Default: uint8 and in-range integer tensors are bytes, others floats.
   */
  as?: "bytes" | "floats";
}

/** A tensor of one sample or a batch (leading dimension) → job input bytes (samples concatenated). */
export function encodeTensor(a: ModelInput, t: Tensor, opts: EncodeTensorOptions = {}): Uint8Array {
  const src = sourceShape(a.input);
  const n = size(src);
  const total = t.data.length;
  if (total === 0 || total % n !== 0)
    bad(
      `a tensor of shape ${t.shape.join("×")} holds ${total} values, not a whole number of ${src.join("×")} samples`,
    );
  const samples = total / n;
  // the trailing dimensions must be one sample (in any factoring with the same size)
  let trail = 1;
  for (let d = t.shape.length - 1; d >= 0 && trail < n; d--) trail *= t.shape[d]!;
  if (trail !== n) bad(`tensor shape ${t.shape.join("×")} does not end with a ${src.join("×")} sample`);
  let inRange = true;
  for (let i = 0; i < total && inRange; i++) {
    const v = t.data[i]!;
    inRange = Number.isInteger(v) && v >= 0 && v <= 255;
  }
  const as = opts.as ?? (t.kind !== "float" && inRange ? "bytes" : "floats");
  if (as === "bytes" && !inRange) bad("byte tensors hold integers within 0…255 (pass floats to encode them)");
  const out = new Uint8Array(samples * inputSize(a));
  for (let s = 0; s < samples; s++) {
    const slice = Array.prototype.slice.call(t.data, s * n, (s + 1) * n) as number[];
    let image: Uint8Array;
    if (as === "bytes") image = Uint8Array.from(slice);
    else if (a.input.source.kind === "identity") image = encodeFloatTensor(a, slice);
    else image = encodeFloatTensor({ input: { ...a.input, shape: src } }, slice);
    out.set(encodeImageBytes(a, image), s * inputSize(a));
  }
  return out;
}

// ─────────────────────────────────────────────── pictures → bytes

/** The picture shape [H, W, C] of a model's source input (a flat s² input is s×s×1). */
export function imageShape(a: ModelInput): [number, number, number] {
  const s = sourceShape(a.input);
  if (s.length === 3 && (s[2] === 1 || s[2] === 3)) return [s[0]!, s[1]!, s[2]!];
  if (s.length === 2) return [s[0]!, s[1]!, 1];
  if (s.length === 1 && Number.isInteger(Math.sqrt(s[0]!))) return [Math.sqrt(s[0]!), Math.sqrt(s[0]!), 1];
  return bad(`the model's input (${s.join("×")}) is not an image: pass a tensor (.npy or .json)`);
}

/** Area-averaging resize of one channel plane (`src` w×h) to `dw`×`dh`. */
function resizePlane(src: Float64Array, w: number, h: number, dw: number, dh: number): Float64Array {
  const out = new Float64Array(dw * dh);
  const fx = w / dw;
  const fy = h / dh;
  for (let y = 0; y < dh; y++) {
    const y0 = y * fy;
    const y1 = y0 + fy;
    for (let x = 0; x < dw; x++) {
      const x0 = x * fx;
      const x1 = x0 + fx;
      let sum = 0;
      for (let sy = Math.floor(y0); sy < Math.min(h, Math.ceil(y1)); sy++) {
        const wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
        for (let sx = Math.floor(x0); sx < Math.min(w, Math.ceil(x1)); sx++) {
          const wx = Math.min(x1, sx + 1) - Math.max(x0, sx);
          sum += src[sy * w + sx]! * wx * wy;
        }
      }
      out[y * dw + x] = sum / (fx * fy);
    }
  }
  return out;
}

/**
 * A picture → the model's source image bytes (HWC), resized to its image shape: grey for one
 * channel, RGB for three; transparent pixels are composited over white.
 */
export function pictureToSource(a: ModelInput, img: RgbaImage): Uint8Array {
  const [h, w, c] = imageShape(a);
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
    bad(`invalid picture size ${width}×${height}`);
  if (data.length !== width * height * 4)
    bad(`a ${width}×${height} RGBA picture has ${width * height * 4} bytes, got ${data.length}`);
  const planes: Float64Array[] = [];
  const px = width * height;
  const over = (v: number, alpha: number): number => v * alpha + 255 * (1 - alpha);
  if (c === 1) {
    const g = new Float64Array(px);
    for (let i = 0; i < px; i++) {
      const luma = 0.299 * data[4 * i]! + 0.587 * data[4 * i + 1]! + 0.114 * data[4 * i + 2]!;
      g[i] = over(luma, data[4 * i + 3]! / 255);
    }
    planes.push(g);
  } else {
    for (let ch = 0; ch < 3; ch++) {
      const p = new Float64Array(px);
      for (let i = 0; i < px; i++) p[i] = over(data[4 * i + ch]!, data[4 * i + 3]! / 255);
      planes.push(p);
    }
  }
  const resized = planes.map((p) => resizePlane(p, width, height, w, h));
  const out = new Uint8Array(h * w * c);
  for (let i = 0; i < h * w; i++)
    for (let ch = 0; ch < c; ch++) out[i * c + ch] = Math.min(255, Math.max(0, Math.round(resized[ch]![i]!)));
  return out;
}

/** Pictures → job input bytes (one sample each, concatenated). */
export function encodePictures(a: ModelInput, pictures: RgbaImage[]): Uint8Array {
  const out = new Uint8Array(pictures.length * inputSize(a));
  pictures.forEach((p, k) => out.set(encodeImageBytes(a, pictureToSource(a, p)), k * inputSize(a)));
  return out;
}
