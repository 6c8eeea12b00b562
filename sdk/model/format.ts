/**
 * The `proofwork-qmodel-v2` model artifact: one integer model that the circuit generator, the bigint
 * reference, the TF.js executor and the SDK all read. Browser-safe (no `node:` imports); file
 * loading lives in `sdk/model/io.ts`.
 *
 * Tensors are flat, row-major HWC (channels last). A sample's input is `prod(input.shape)` bytes
 * (uint8); the float model saw `byte · input.scale + input.offset`. Layers:
 *
 *   conv2d   acc[y][x][o] = bias[o] + Σ_{i,j,c} W[o][i][j][c] · in[y·sh+i−padTop][x·sw+j−padLeft][c]
 *            (terms outside the input are absent: zero padding), then requantized (below)
 *   dense    acc[o] = bias[o] + Σ_i W[o][i] · in[i], then requantized
 *   avgpool  acc[y][x][c] = Σ_{window} in[…][c]  (an exact sum: the 1/area is left to the next
 *            layer's scale), then out = floor(acc / 2^shift), ReLU when `relu`
 *   maxpool  out[y][x][c] = max over the window
 *   reshape  the flat vector unchanged (Flatten / Reshape)
 *
 * Requantization: `out = floor(acc / 2^shift[o])`, then `max(out, 0)` when `relu` (per output
 * channel shift; 0 = no rescale). Output: the last layer's `classes` values, packed
 * `output.perElement` per field element, `output.bits` each with offset 2^(bits−1).
 *
 * Static bounds (`artifactBounds`) are worst-case intervals over every valid input (bytes 0..255),
 * by interval arithmetic; `parseArtifact` refuses an artifact whose accumulators or partial sums
 * could reach 2^24 (float32 exactness) or whose outputs could overflow `output.bits`.
 */
import { keccak256, toUtf8Bytes } from "ethers";
import { ErrorCodes, ProofworkError } from "../errors.ts";

/** Artifact format tag; bump when the meaning of a field changes. */
export const MODEL_FORMAT_V2 = "proofwork-qmodel-v2";

/** |accumulator| and |every partial sum| must stay below this (float32 has a 24-bit significand). */
export const ACC_LIMIT = 1n << 24n;

/** Largest field-element packing width: 253 bits < log2(BN254 r). */
export const PACK_LIMIT_BITS = 253;

/** How a requester's source image becomes the model's input bytes (done outside the circuit). */
export type InputSource =
  /** the input bytes are the image bytes, same shape */
  | { kind: "identity" }
  /** a 28×28×1 image 2×2-average-pooled to 14×14×1: `floor((a + b + c + d + 2) / 4)` */
  | { kind: "avgpool2x2"; from: [number, number, number] };

export interface InputSpec {
  /** per-sample tensor shape, e.g. [28, 28, 1] or [196] */
  shape: number[];
  /** one unsigned byte per element, row-major, channels last */
  encoding: "uint8-hwc";
  /** the float model's input value for byte `v` is `v · scale + offset` */
  scale: number;
  offset: number;
  source: InputSource;
}

interface LayerBase {
  inShape: number[];
  outShape: number[];
}

export interface Conv2dLayer extends LayerBase {
  kind: "conv2d";
  /** [kh, kw] */
  kernel: [number, number];
  /** [sh, sw] */
  strides: [number, number];
  /** zero padding [top, left, bottom, right] ('same' padding resolved at import) */
  pad: [number, number, number, number];
  /** int8, flat [outC][kh][kw][inC] */
  weights: number[];
  /** integer biases at the accumulator scale, [outC] */
  bias: number[];
  /** per output channel rescale, [outC] */
  shift: number[];
  relu: boolean;
}

export interface DenseLayer extends LayerBase {
  kind: "dense";
  /** int8, flat [out][in] */
  weights: number[];
  bias: number[];
  shift: number[];
  relu: boolean;
}

export interface AvgPoolLayer extends LayerBase {
  kind: "avgpool";
  pool: [number, number];
  strides: [number, number];
  /** the window sum is divided by 2^shift (floor); 0 = the plain sum, which costs no constraint */
  shift: number;
  relu: boolean;
}

export interface MaxPoolLayer extends LayerBase {
  kind: "maxpool";
  pool: [number, number];
  strides: [number, number];
}

export interface ReshapeLayer extends LayerBase {
  kind: "reshape";
}

export type QLayer = Conv2dLayer | DenseLayer | AvgPoolLayer | MaxPoolLayer | ReshapeLayer;
export type LayerKind = QLayer["kind"];

export interface OutputSpec {
  /** values per sample (the last layer's size) */
  classes: number;
  /** bits per packed value; value v is stored as v + 2^(bits−1) */
  bits: number;
  /** values per field element: floor(253 / bits); a sample takes ceil(classes / perElement) elements */
  perElement: number;
}

/** Per-layer summary of the static bounds, stored for readers (recomputed and checked on parse). */
export interface StoredBounds {
  /** hull of every output element's interval */
  out: [number, number];
  /** largest |accumulator or partial sum| in the layer */
  absMax: number;
}

export interface ModelArtifactV2 {
  format: typeof MODEL_FORMAT_V2;
  name: string;
  input: InputSpec;
  layers: QLayer[];
  output: OutputSpec;
  /** keccak256 of `canonicalArtifact` — the registry's model commitment */
  hash: string;
  /** derived, for readers: per layer (checked against `artifactBounds` on parse) */
  bounds: StoredBounds[];
  /** provenance: not hashed, not used by the arithmetic */
  meta?: Record<string, unknown>;
}

/** The model artifact (the one format every consumer reads). */
export type ModelArtifact = ModelArtifactV2;

/** The hashed part of an artifact. */
export type ArtifactCore = Pick<ModelArtifactV2, "name" | "input" | "layers" | "output">;

// ─────────────────────────────────────────────── shapes

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Output length of a strided window along one axis. */
export function windowOut(n: number, k: number, s: number, padBefore: number, padAfter: number): number {
  return Math.floor((n + padBefore + padAfter - k) / s) + 1;
}

/** [before, after] zero padding TF uses for 'same' along one axis. */
export function samePadding(n: number, k: number, s: number): [number, number] {
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Number of output channels of a layer (the last dimension of its output shape). */
export const channels = (l: QLayer): number => l.outShape[l.outShape.length - 1]!;

// ─────────────────────────────────────────────── canonical encoding and hash

/**
 * The canonical encoding: JSON with a fixed key order, integers as JSON numbers, floats (the input
 * scale/offset) as ECMAScript's shortest round-trip decimal. Anyone can recompute it from the
 * artifact file and compare with the on-chain model commitment.
 */
export function canonicalArtifact(a: ArtifactCore): string {
  const layer = (l: QLayer): unknown => {
    const base = { kind: l.kind, inShape: l.inShape, outShape: l.outShape };
    switch (l.kind) {
      case "conv2d":
        return {
          ...base,
          kernel: l.kernel,
          strides: l.strides,
          pad: l.pad,
          weights: l.weights,
          bias: l.bias,
          shift: l.shift,
          relu: l.relu,
        };
      case "dense":
        return { ...base, weights: l.weights, bias: l.bias, shift: l.shift, relu: l.relu };
      case "avgpool":
        return { ...base, pool: l.pool, strides: l.strides, shift: l.shift, relu: l.relu };
      case "maxpool":
        return { ...base, pool: l.pool, strides: l.strides };
      case "reshape":
        return base;
    }
  };
  const src = a.input.source;
  return JSON.stringify({
    format: MODEL_FORMAT_V2,
    name: a.name,
    input: {
      shape: a.input.shape,
      encoding: a.input.encoding,
      scale: a.input.scale,
      offset: a.input.offset,
      source: src.kind === "identity" ? { kind: src.kind } : { kind: src.kind, from: src.from },
    },
    layers: a.layers.map(layer),
    output: { classes: a.output.classes, bits: a.output.bits, perElement: a.output.perElement },
  });
}

/** keccak256 of the canonical encoding (0x-prefixed hex): the model commitment. */
export function artifactHash(a: ArtifactCore): string {
  return keccak256(toUtf8Bytes(canonicalArtifact(a)));
}

// ─────────────────────────────────────────────── static bounds

export interface Interval {
  lo: bigint;
  hi: bigint;
}

export interface LayerBounds {
  /** per output channel: hull of the accumulator (conv/dense/avgpool) or of the values (maxpool/reshape) */
  acc: Interval[];
  /** per output channel: bound on |any partial sum| of any accumulator of that channel */
  absMax: bigint[];
  /** per output element (flat HWC): interval of the layer's output */
  out: Interval[];
}

const babs = (v: bigint): bigint => (v < 0n ? -v : v);
const bmin = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const bmax = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const floorShift = (v: bigint, s: number): bigint => v >> BigInt(s);

function requantInterval(acc: Interval, shift: number, relu: boolean): Interval {
  const lo = floorShift(acc.lo, shift);
  const hi = floorShift(acc.hi, shift);
  return relu ? { lo: bmax(lo, 0n), hi: bmax(hi, 0n) } : { lo, hi };
}

/** Visits every output position of a windowed layer (conv/pool) with its in-range input taps. */
export function forEachWindow(
  inShape: readonly number[],
  outShape: readonly number[],
  kernel: readonly [number, number],
  strides: readonly [number, number],
  padTop: number,
  padLeft: number,
  visit: (y: number, x: number, taps: { i: number; j: number; iy: number; ix: number }[]) => void,
): void {
  const [h, w] = inShape as [number, number];
  const [oh, ow] = outShape as [number, number];
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const taps: { i: number; j: number; iy: number; ix: number }[] = [];
      for (let i = 0; i < kernel[0]; i++) {
        const iy = y * strides[0] + i - padTop;
        if (iy < 0 || iy >= h) continue;
        for (let j = 0; j < kernel[1]; j++) {
          const ix = x * strides[1] + j - padLeft;
          if (ix >= 0 && ix < w) taps.push({ i, j, iy, ix });
        }
      }
      visit(y, x, taps);
    }
  }
}

/**
 * Worst-case intervals of every layer from input bytes in [0, 255] (interval arithmetic over the
 * integer weights). These — not observed values — size the circuit's range checks and guarantee
 * float32 exactness. Per output channel the accumulator interval is the hull over positions, and
 * every element of a channel gets that channel's output interval (what the circuit checks).
 */
export function artifactBounds(a: Pick<ModelArtifactV2, "input" | "layers">): LayerBounds[] {
  let inp: Interval[] = Array.from({ length: size(a.input.shape) }, () => ({ lo: 0n, hi: 255n }));
  const result: LayerBounds[] = [];
  for (const l of a.layers) {
    const nOut = size(l.outShape);
    const oc = channels(l);
    const acc: Interval[] = Array.from({ length: oc }, () => ({ lo: 0n, hi: 0n }));
    const seen = new Array<boolean>(oc).fill(false);
    const absMax: bigint[] = new Array<bigint>(oc).fill(0n);
    const widen = (c: number, v: Interval, abs: bigint): void => {
      if (!seen[c]) acc[c] = { ...v };
      else acc[c] = { lo: bmin(acc[c]!.lo, v.lo), hi: bmax(acc[c]!.hi, v.hi) };
      seen[c] = true;
      absMax[c] = bmax(absMax[c]!, abs);
    };
    let out: Interval[];
    if (l.kind === "dense") {
      const n = size(l.inShape);
      for (let o = 0; o < oc; o++) {
        const b = BigInt(l.bias[o]!);
        let lo = b;
        let hi = b;
        let abs = babs(b);
        for (let i = 0; i < n; i++) {
          const w = BigInt(l.weights[o * n + i]!);
          const x = inp[i]!;
          const p = w * x.lo;
          const q = w * x.hi;
          lo += bmin(p, q);
          hi += bmax(p, q);
          abs += babs(w) * bmax(babs(x.lo), babs(x.hi));
        }
        widen(o, { lo, hi }, abs);
      }
      out = Array.from({ length: nOut }, (_, k) => requantInterval(acc[k]!, l.shift[k]!, l.relu));
    } else if (l.kind === "conv2d") {
      const ic = l.inShape[2]!;
      const [kh, kw] = l.kernel;
      forEachWindow(l.inShape, l.outShape, l.kernel, l.strides, l.pad[0], l.pad[1], (_y, _x, taps) => {
        for (let o = 0; o < oc; o++) {
          const b = BigInt(l.bias[o]!);
          let lo = b;
          let hi = b;
          let abs = babs(b);
          for (const t of taps) {
            for (let c = 0; c < ic; c++) {
              const w = BigInt(l.weights[((o * kh + t.i) * kw + t.j) * ic + c]!);
              const x = inp[(t.iy * l.inShape[1]! + t.ix) * ic + c]!;
              const p = w * x.lo;
              const q = w * x.hi;
              lo += bmin(p, q);
              hi += bmax(p, q);
              abs += babs(w) * bmax(babs(x.lo), babs(x.hi));
            }
          }
          widen(o, { lo, hi }, abs);
        }
      });
      out = Array.from({ length: nOut }, (_, k) => requantInterval(acc[k % oc]!, l.shift[k % oc]!, l.relu));
    } else if (l.kind === "avgpool" || l.kind === "maxpool") {
      const c = l.inShape[2]!;
      forEachWindow(l.inShape, l.outShape, l.pool, l.strides, 0, 0, (_y, _x, taps) => {
        for (let ch = 0; ch < c; ch++) {
          const xs = taps.map((t) => inp[(t.iy * l.inShape[1]! + t.ix) * c + ch]!);
          if (l.kind === "avgpool") {
            const lo = xs.reduce((s, x) => s + x.lo, 0n);
            const hi = xs.reduce((s, x) => s + x.hi, 0n);
            widen(
              ch,
              { lo, hi },
              xs.reduce((s, x) => s + bmax(babs(x.lo), babs(x.hi)), 0n),
            );
          } else {
            // The max gadget compares any two window values (and running maxima, which lie in the
            // same hull): the hull of the inputs sizes the comparisons and bounds the output.
            const all = xs.reduce((m, x) => ({ lo: bmin(m.lo, x.lo), hi: bmax(m.hi, x.hi) }), xs[0]!);
            widen(ch, all, bmax(babs(all.lo), babs(all.hi)));
          }
        }
      });
      out = Array.from({ length: nOut }, (_, k) =>
        l.kind === "avgpool" ? requantInterval(acc[k % c]!, l.shift, l.relu) : { ...acc[k % c]! },
      );
    } else {
      // reshape: the flat vector is unchanged; per-channel hull for the record
      out = inp.map((x) => ({ ...x }));
      out.forEach((x, k) => widen(k % oc, x, bmax(babs(x.lo), babs(x.hi))));
    }
    result.push({ acc, absMax, out });
    inp = out;
  }
  return result;
}

/** Smallest width b (≥ shift + 1) with −2^(b−1) ≤ lo and hi < 2^(b−1): the requant range check. */
export function signedBits(iv: Interval, shift = 0): number {
  let b = Math.max(1, shift + 1);
  while (iv.lo < -(1n << BigInt(b - 1)) || iv.hi >= 1n << BigInt(b - 1)) b++;
  return b;
}

/** Smallest W with hi − lo < 2^W: the width of a max comparison over values in [lo, hi]. */
export function diffBits(iv: Interval): number {
  let w = 1;
  while (iv.hi - iv.lo >= 1n << BigInt(w)) w++;
  return w;
}

/** Whether a layer's outputs pass through a requantization range check in the circuit. */
export function isRequantized(l: QLayer): boolean {
  if (l.kind === "conv2d" || l.kind === "dense") return l.relu || l.shift.some((s) => s > 0);
  if (l.kind === "avgpool") return l.relu || l.shift > 0;
  return false;
}

/** The stored per-layer summary of `artifactBounds`. */
export function summarizeBounds(bounds: LayerBounds[]): StoredBounds[] {
  return bounds.map((b) => {
    const lo = b.out.reduce((m, x) => bmin(m, x.lo), b.out[0]!.lo);
    const hi = b.out.reduce((m, x) => bmax(m, x.hi), b.out[0]!.hi);
    const abs = b.absMax.reduce(bmax, 0n);
    return { out: [Number(lo), Number(hi)], absMax: Number(abs) };
  });
}

// ─────────────────────────────────────────────── validation

const fail = (msg: string): never => {
  throw new ProofworkError(ErrorCodes.MODEL_INVALID, msg);
};
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
const isPos = (v: unknown): v is number => isInt(v) && v > 0;
const isShape = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every(isPos);
const eqShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);
const isPair = (v: unknown): v is [number, number] => Array.isArray(v) && v.length === 2 && v.every(isPos);

function checkInts(what: string, v: unknown, n: number, lo: number, hi: number): void {
  if (!Array.isArray(v) || v.length !== n) fail(`${what}: expected ${n} integers`);
  for (const x of v as unknown[])
    if (!isInt(x) || x < lo || x > hi) fail(`${what}: ${String(x)} is not an integer in [${lo}, ${hi}]`);
}

function checkLayer(l: QLayer, k: number, inShape: number[]): void {
  const at = `layer ${k} (${String(l.kind)})`;
  if (!isShape(l.inShape) || !eqShape(l.inShape, inShape))
    fail(`${at}: inShape ${JSON.stringify(l.inShape)} ≠ previous output ${JSON.stringify(inShape)}`);
  if (!isShape(l.outShape)) fail(`${at}: outShape invalid`);
  switch (l.kind) {
    case "conv2d": {
      if (l.inShape.length !== 3 || l.outShape.length !== 3) fail(`${at}: needs HWC shapes`);
      if (!isPair(l.kernel) || !isPair(l.strides)) fail(`${at}: kernel/strides invalid`);
      if (!Array.isArray(l.pad) || l.pad.length !== 4 || !l.pad.every((p) => isInt(p) && p >= 0))
        fail(`${at}: pad invalid`);
      const [h, w, c] = l.inShape as [number, number, number];
      const oh = windowOut(h, l.kernel[0], l.strides[0], l.pad[0], l.pad[2]);
      const ow = windowOut(w, l.kernel[1], l.strides[1], l.pad[1], l.pad[3]);
      const oc = l.outShape[2]!;
      if (l.outShape[0] !== oh || l.outShape[1] !== ow) fail(`${at}: outShape should be [${oh}, ${ow}, …]`);
      checkInts(`${at} weights`, l.weights, oc * l.kernel[0] * l.kernel[1] * c, -127, 127);
      checkInts(`${at} bias`, l.bias, oc, -(2 ** 40), 2 ** 40);
      checkInts(`${at} shift`, l.shift, oc, 0, 30);
      if (typeof l.relu !== "boolean") fail(`${at}: relu flag invalid`);
      break;
    }
    case "dense": {
      if (l.inShape.length !== 1 || l.outShape.length !== 1) fail(`${at}: needs 1-D shapes (Flatten first)`);
      const n = l.inShape[0]!;
      const m = l.outShape[0]!;
      checkInts(`${at} weights`, l.weights, m * n, -127, 127);
      checkInts(`${at} bias`, l.bias, m, -(2 ** 40), 2 ** 40);
      checkInts(`${at} shift`, l.shift, m, 0, 30);
      if (typeof l.relu !== "boolean") fail(`${at}: relu flag invalid`);
      break;
    }
    case "avgpool":
    case "maxpool": {
      if (l.inShape.length !== 3 || l.outShape.length !== 3) fail(`${at}: needs HWC shapes`);
      if (!isPair(l.pool) || !isPair(l.strides)) fail(`${at}: pool/strides invalid`);
      const [h, w, c] = l.inShape as [number, number, number];
      const oh = windowOut(h, l.pool[0], l.strides[0], 0, 0);
      const ow = windowOut(w, l.pool[1], l.strides[1], 0, 0);
      if (!eqShape(l.outShape, [oh, ow, c])) fail(`${at}: outShape should be [${oh}, ${ow}, ${c}]`);
      if (l.kind === "avgpool") {
        if (!isInt(l.shift) || l.shift < 0 || l.shift > 30) fail(`${at}: shift invalid`);
        if (typeof l.relu !== "boolean") fail(`${at}: relu flag invalid`);
      }
      break;
    }
    case "reshape":
      if (size(l.outShape) !== size(l.inShape)) fail(`${at}: reshape changes the size`);
      break;
    default:
      fail(`layer ${k}: unknown kind ${String((l as { kind: unknown }).kind)}`);
  }
}

/**
 * Checks an untrusted JSON value is a well-formed v2 artifact: shapes chain, int8 weights, integer
 * biases, every accumulator and partial sum below 2^24 in the worst case, outputs within
 * `output.bits`, the stored bounds and the content hash. Throws MODEL_INVALID.
 */
export function parseArtifact(json: unknown): ModelArtifactV2 {
  if (typeof json !== "object" || json === null) fail("model artifact is not an object");
  const a = json as ModelArtifactV2;
  if (a.format !== MODEL_FORMAT_V2) fail(`unsupported model format ${String(a.format)}`);
  if (typeof a.name !== "string" || !/^[A-Za-z][A-Za-z0-9_-]*$/.test(a.name))
    fail("name must be letters, digits, '-' or '_' (starting with a letter)");
  const inp = a.input;
  if (typeof inp !== "object" || inp === null || !isShape(inp.shape)) fail("input.shape invalid");
  if (inp.encoding !== "uint8-hwc") fail(`input.encoding ${String(inp.encoding)} unsupported`);
  if (!Number.isFinite(inp.scale) || inp.scale === 0 || !Number.isFinite(inp.offset))
    fail("input scale/offset invalid");
  if (inp.source?.kind === "avgpool2x2") {
    const f = inp.source.from;
    if (!isShape(f) || f.length !== 3 || f[2] !== 1 || size(inp.shape) !== (f[0]! / 2) * (f[1]! / 2))
      fail("input.source avgpool2x2 must map an H×W×1 image to (H/2)·(W/2) bytes");
  } else if (inp.source?.kind !== "identity") fail("input.source invalid");
  if (!Array.isArray(a.layers) || a.layers.length === 0) fail("model has no layers");
  let shape = inp.shape;
  a.layers.forEach((l, k) => {
    checkLayer(l, k, shape);
    shape = l.outShape;
  });
  const o = a.output;
  if (typeof o !== "object" || o === null) fail("output spec missing");
  if (o.classes !== size(shape)) fail(`output.classes ${o.classes} ≠ last layer size ${size(shape)}`);
  if (!isInt(o.bits) || o.bits < 2 || o.bits > PACK_LIMIT_BITS) fail("output.bits invalid");
  if (o.perElement !== Math.floor(PACK_LIMIT_BITS / o.bits))
    fail(`output.perElement must be floor(${PACK_LIMIT_BITS} / bits)`);
  const bounds = artifactBounds(a);
  bounds.forEach((b, k) => {
    for (const m of b.absMax)
      if (m >= ACC_LIMIT) fail(`layer ${k}: accumulator bound ${m} ≥ 2^24 (not exact in float32)`);
  });
  const half = 1n << BigInt(o.bits - 1);
  for (const v of bounds[bounds.length - 1]!.out)
    if (v.lo < -half || v.hi >= half) fail(`output range [${v.lo}, ${v.hi}] exceeds ${o.bits} bits`);
  if (JSON.stringify(a.bounds) !== JSON.stringify(summarizeBounds(bounds)))
    fail("stored bounds do not match the weights");
  const h = artifactHash(a);
  if (a.hash !== h) fail(`hash ${String(a.hash)} does not match the artifact (${h})`);
  return a;
}

/** Builds a complete artifact (bounds + hash) from its hashed core, and validates it. */
export function makeArtifact(core: ArtifactCore, meta?: Record<string, unknown>): ModelArtifactV2 {
  const bounds = summarizeBounds(artifactBounds(core));
  return parseArtifact({
    format: MODEL_FORMAT_V2,
    name: core.name,
    input: core.input,
    layers: core.layers,
    output: core.output,
    hash: artifactHash(core),
    bounds,
    ...(meta ? { meta } : {}),
  });
}

/** Output elements (public signals) per sample. */
export function outputElements(o: Pick<OutputSpec, "classes" | "perElement">): number {
  return Math.ceil(o.classes / o.perElement);
}

/** Input bytes per sample. */
export const inputSize = (a: Pick<ModelArtifactV2, "input">): number => size(a.input.shape);
