/**
 * Post-training quantization of a folded float graph (sdk/model/topology.ts) into a
 * `proofwork-qmodel-v2` artifact, from calibration inputs. Browser-safe.
 *
 *   - input: the bytes themselves (float value `byte · scale + offset`; the offset is folded into
 *     the first linear layer's bias)
 *   - conv/dense: the float weights on integer inputs, `w · s_in`, get a per-output-channel scale
 *     `s_w = max|w · s_in| / qmax` (qmax 127 unless the static bounds need less), int8 weights
 *     `round(w · s_in / s_w)`, integer biases `round(b / s_w)`
 *   - shifts: per output channel, the smallest `s` with `calibration max / 2^s ≤ target` (default
 *     127): activations use a 7–8 bit range on real data; the last layer keeps its accumulators
 *     (shift 0) as the logits
 *   - avgpool: the exact window sum (its 1/area goes into the next layer's input scale)
 *   - bounds: worst case over all bytes (artifactBounds); a layer whose accumulators could reach
 *     2^24 gets a smaller qmax until it fits
 */
import { ErrorCodes, ProofworkError } from "../errors.ts";
import {
  ACC_LIMIT,
  PACK_LIMIT_BITS,
  artifactBounds,
  forEachWindow,
  makeArtifact,
  signedBits,
  size,
  type InputSource,
  type ModelArtifactV2,
  type QLayer,
} from "./format.ts";
import type { FloatGraph, FloatLayer } from "./topology.ts";

export interface QuantizeOptions {
  name: string;
  /** calibration samples: input bytes, one Uint8Array of `prod(inputShape)` per sample */
  calibration: Uint8Array[];
  /** target for the calibration maximum of each requantized channel (default 127) */
  activationTarget?: number;
  /** how a source image maps to the input bytes (default identity) */
  source?: InputSource;
  /** extra provenance stored in `meta` */
  meta?: Record<string, unknown>;
}

export interface LayerReport {
  name: string;
  kind: string;
  outShape: number[];
  qmax?: number;
  shift?: number[];
  /** calibration max |activation| after requantization (per layer) */
  calibrationMax?: number;
  /** worst-case output interval */
  bound: [number, number];
}

// ─────────────────────────────────────────────── float inference (JS, float64)

/** Runs the folded float graph on one sample (float input values, flat HWC). */
export function floatForward(g: Pick<FloatGraph, "layers">, input: Float64Array): Float64Array {
  let x = input;
  for (const l of g.layers) x = floatLayer(l, x);
  return x;
}

function floatLayer(l: FloatLayer, x: Float64Array): Float64Array {
  const relu = (v: number): number => (v < 0 ? 0 : v);
  if (l.kind === "dense") {
    const n = size(l.inShape);
    const m = l.outShape[0]!;
    const y = new Float64Array(m);
    for (let o = 0; o < m; o++) {
      let a = l.bias[o]!;
      for (let i = 0; i < n; i++) a += l.weights[o * n + i]! * x[i]!;
      y[o] = l.relu ? relu(a) : a;
    }
    return y;
  }
  if (l.kind === "conv2d") {
    const [, w, ic] = l.inShape as [number, number, number];
    const oc = l.outShape[2]!;
    const [kh, kw] = l.kernel;
    const y = new Float64Array(size(l.outShape));
    let k = 0;
    forEachWindow(l.inShape, l.outShape, l.kernel, l.strides, l.pad[0], l.pad[1], (_y, _x, taps) => {
      for (let o = 0; o < oc; o++) {
        let a = l.bias[o]!;
        for (const t of taps)
          for (let c = 0; c < ic; c++)
            a += l.weights[((o * kh + t.i) * kw + t.j) * ic + c]! * x[(t.iy * w + t.ix) * ic + c]!;
        y[k++] = l.relu ? relu(a) : a;
      }
    });
    return y;
  }
  if (l.kind === "avgpool" || l.kind === "maxpool") {
    const [, w, c] = l.inShape as [number, number, number];
    const y = new Float64Array(size(l.outShape));
    let k = 0;
    forEachWindow(l.inShape, l.outShape, l.pool, l.strides, 0, 0, (_y, _x, taps) => {
      for (let ch = 0; ch < c; ch++) {
        const xs = taps.map((t) => x[(t.iy * w + t.ix) * c + ch]!);
        const v = l.kind === "avgpool" ? xs.reduce((s, a) => s + a, 0) / xs.length : Math.max(...xs);
        y[k++] = l.relu ? relu(v) : v;
      }
    });
    return y;
  }
  return x;
}

// ─────────────────────────────────────────────── fast integer evaluation (search only)

/**
 * The integer model in float64 (exact: every value is an integer far below 2^53). Used to search
 * quantization settings quickly; reported numbers come from the bigint reference.
 */
export function intForward(layers: readonly QLayer[], input: Float64Array): Float64Array {
  let x = input;
  for (const l of layers) x = intLayer(l, x);
  return x;
}

export function intLayer(l: QLayer, x: Float64Array): Float64Array {
  const rq = (a: number, s: number, relu: boolean): number => {
    const v = Math.floor(a / 2 ** s);
    return relu && v < 0 ? 0 : v;
  };
  if (l.kind === "dense") {
    const n = size(l.inShape);
    const m = l.outShape[0]!;
    const y = new Float64Array(m);
    for (let o = 0; o < m; o++) {
      let a = l.bias[o]!;
      for (let i = 0; i < n; i++) a += l.weights[o * n + i]! * x[i]!;
      y[o] = rq(a, l.shift[o]!, l.relu);
    }
    return y;
  }
  if (l.kind === "conv2d") {
    const [, w, ic] = l.inShape as [number, number, number];
    const oc = l.outShape[2]!;
    const [kh, kw] = l.kernel;
    const y = new Float64Array(size(l.outShape));
    let k = 0;
    forEachWindow(l.inShape, l.outShape, l.kernel, l.strides, l.pad[0], l.pad[1], (_y, _x, taps) => {
      for (let o = 0; o < oc; o++) {
        let a = l.bias[o]!;
        for (const t of taps)
          for (let c = 0; c < ic; c++)
            a += l.weights[((o * kh + t.i) * kw + t.j) * ic + c]! * x[(t.iy * w + t.ix) * ic + c]!;
        y[k++] = rq(a, l.shift[o]!, l.relu);
      }
    });
    return y;
  }
  if (l.kind === "avgpool" || l.kind === "maxpool") {
    const [, w, c] = l.inShape as [number, number, number];
    const y = new Float64Array(size(l.outShape));
    let k = 0;
    forEachWindow(l.inShape, l.outShape, l.pool, l.strides, 0, 0, (_y, _x, taps) => {
      for (let ch = 0; ch < c; ch++) {
        const xs = taps.map((t) => x[(t.iy * w + t.ix) * c + ch]!);
        y[k++] =
          l.kind === "avgpool"
            ? rq(
                xs.reduce((s, a) => s + a, 0),
                l.shift,
                l.relu,
              )
            : Math.max(...xs);
      }
    });
    return y;
  }
  return x;
}

// ─────────────────────────────────────────────── quantization

const fail = (msg: string): never => {
  throw new ProofworkError(ErrorCodes.MODEL_INVALID, msg);
};

/**
 * Quantizes `g` layer by layer: each layer's shifts are chosen on the calibration activations of
 * the already-quantized prefix (so quantization error does not compound unseen).
 */
export function quantizeGraph(
  g: FloatGraph,
  opts: QuantizeOptions,
): { artifact: ModelArtifactV2; layers: LayerReport[] } {
  if (opts.calibration.length === 0) fail("quantization needs at least one calibration sample");
  const nIn = size(g.inputShape);
  for (const c of opts.calibration)
    if (c.length !== nIn) fail(`calibration sample of ${c.length} bytes; the model takes ${nIn}`);
  const target = opts.activationTarget ?? 127;
  // Integer activations of the calibration set through the quantized prefix.
  let acts: Float64Array[] = opts.calibration.map((c) => Float64Array.from(c));
  // Float value of one integer unit of each element of the current tensor: value = int · scale (+ offset).
  let scale = new Float64Array(nIn).fill(g.inputScale);
  let offset = new Float64Array(nIn).fill(g.inputOffset);
  const layers: QLayer[] = [];
  const reports: LayerReport[] = [];
  const lastLinear = g.layers.reduce((k, l, i) => (l.kind === "conv2d" || l.kind === "dense" ? i : k), -1);
  const input = {
    shape: g.inputShape,
    encoding: "uint8-hwc" as const,
    scale: g.inputScale,
    offset: g.inputOffset,
    source: opts.source ?? { kind: "identity" as const },
  };

  g.layers.forEach((fl, k) => {
    if (fl.kind === "reshape") {
      layers.push({ kind: "reshape", inShape: fl.inShape, outShape: fl.outShape });
      reports.push({ name: fl.name, kind: "reshape", outShape: fl.outShape, bound: [0, 0] });
      return;
    }
    if (fl.kind === "maxpool") {
      if (offset.some((o) => o !== 0))
        fail(`layer "${fl.name}": MaxPooling2D on offset inputs is not supported`);
      layers.push({
        kind: "maxpool",
        inShape: fl.inShape,
        outShape: fl.outShape,
        pool: fl.pool,
        strides: fl.strides,
      });
      if (fl.relu) fail(`layer "${fl.name}": ReLU after max pooling should have been moved before it`);
      reports.push({ name: fl.name, kind: "maxpool", outShape: fl.outShape, bound: [0, 0] });
      const c = fl.inShape[2]!;
      scale = Float64Array.from({ length: size(fl.outShape) }, (_, i) => scale[i % c]!);
      offset = new Float64Array(size(fl.outShape));
    } else if (fl.kind === "avgpool") {
      if (offset.some((o) => o !== 0))
        fail(`layer "${fl.name}": AveragePooling2D on offset inputs is not supported`);
      const area = fl.pool[0] * fl.pool[1];
      // Shift 0: the exact window sum (free in the circuit); ReLU (if any) on the sum.
      layers.push({
        kind: "avgpool",
        inShape: fl.inShape,
        outShape: fl.outShape,
        pool: fl.pool,
        strides: fl.strides,
        shift: 0,
        relu: fl.relu,
      });
      reports.push({ name: fl.name, kind: "avgpool", outShape: fl.outShape, bound: [0, 0] });
      const c = fl.inShape[2]!;
      scale = Float64Array.from({ length: size(fl.outShape) }, (_, i) => scale[i % c]! / area);
      offset = new Float64Array(size(fl.outShape));
    } else {
      // conv2d / dense
      const oc = fl.bias.length;
      const per = fl.weights.length / oc;
      const inC = fl.kind === "conv2d" ? fl.inShape[2]! : per;
      // Per input element scale/offset (conv: per input channel; all positions share it).
      const sIn = (i: number): number => scale[i % scale.length]!;
      const sAt = (kk: number): number => (fl.kind === "conv2d" ? sIn(kk % inC) : scale[kk]!);
      const oAt = (kk: number): number => (fl.kind === "conv2d" ? offset[kk % inC]! : offset[kk]!);
      if (fl.kind === "conv2d") {
        for (let i = 0; i < scale.length; i++)
          if (scale[i] !== scale[i % inC]) fail(`layer "${fl.name}": input scale varies over positions`);
        if (offset.some((o) => o !== 0) && fl.pad.some((p) => p > 0))
          fail(`layer "${fl.name}": input offset with zero padding cannot be folded exactly`);
      }
      const effW = new Float64Array(fl.weights.length);
      const effB = Float64Array.from(fl.bias);
      for (let o = 0; o < oc; o++)
        for (let kk = 0; kk < per; kk++) {
          effW[o * per + kk] = fl.weights[o * per + kk]! * sAt(kk);
          // float input = int·s + off: the offset contributes w·off to the bias (valid padding only)
          effB[o] = effB[o]! + fl.weights[o * per + kk]! * oAt(kk);
        }
      const maxAbs = Array.from({ length: oc }, (_, o) => {
        let m = 0;
        for (let kk = 0; kk < per; kk++) m = Math.max(m, Math.abs(effW[o * per + kk]!));
        return m || 1;
      });
      const finalLayer = k === lastLinear && g.layers.slice(k + 1).every((l) => l.kind === "reshape");
      let qmax = 127;
      for (;;) {
        const sW = maxAbs.map((m) => m / qmax);
        const weights = Array.from(effW, (v, i) => Math.round(v / sW[Math.floor(i / per)]!));
        const bias = Array.from(effB, (b, o) => Math.round(b / sW[o]!));
        const base = { inShape: fl.inShape, outShape: fl.outShape, weights, bias, relu: fl.relu };
        const zero = new Array<number>(oc).fill(0);
        const candidate: QLayer =
          fl.kind === "conv2d"
            ? { kind: "conv2d", kernel: fl.kernel, strides: fl.strides, pad: fl.pad, shift: zero, ...base }
            : { kind: "dense", shift: zero, ...base };
        const bounds = artifactBounds({ input, layers: [...layers, candidate] }).at(-1)!;
        if (bounds.absMax.some((m) => m >= ACC_LIMIT)) {
          qmax = Math.floor(qmax * 0.8);
          if (qmax < 8) fail(`layer "${fl.name}": accumulators exceed 2^24 even with 4-bit weights`);
          continue;
        }
        // Shifts from calibration: accumulators of the quantized prefix's activations.
        const accMax = new Float64Array(oc);
        for (const x of acts) {
          const a = intLayer(candidate, x);
          for (let i = 0; i < a.length; i++) {
            const v = fl.relu ? a[i]! : Math.abs(a[i]!);
            if (v > accMax[i % oc]!) accMax[i % oc] = v;
          }
        }
        const shift = finalLayer
          ? zero
          : Array.from(accMax, (m) => {
              let s = 0;
              while (m / 2 ** s > target) s++;
              return s;
            });
        candidate.shift = shift;
        layers.push(candidate);
        const nOut = size(fl.outShape);
        scale = Float64Array.from({ length: nOut }, (_, i) => sW[i % oc]! * 2 ** shift[i % oc]!);
        offset = new Float64Array(nOut);
        reports.push({
          name: fl.name,
          kind: fl.kind,
          outShape: fl.outShape,
          qmax,
          shift,
          bound: [0, 0],
        });
        break;
      }
    }
    const l = layers[layers.length - 1]!;
    acts = acts.map((x) => intLayer(l, x));
    const r = reports[reports.length - 1]!;
    r.calibrationMax = acts.reduce((m, a) => a.reduce((mm, v) => Math.max(mm, Math.abs(v)), m), 0);
  });

  const bounds = artifactBounds({ input, layers });
  bounds.forEach((b, k) => {
    const lo = b.out.reduce((m, x) => (x.lo < m ? x.lo : m), b.out[0]!.lo);
    const hi = b.out.reduce((m, x) => (x.hi > m ? x.hi : m), b.out[0]!.hi);
    reports[k]!.bound = [Number(lo), Number(hi)];
  });
  const last = bounds.at(-1)!.out;
  const hull = last.reduce(
    (m, x) => ({ lo: x.lo < m.lo ? x.lo : m.lo, hi: x.hi > m.hi ? x.hi : m.hi }),
    last[0]!,
  );
  const bits = Math.max(2, signedBits(hull));
  const classes = last.length;
  const artifact = makeArtifact(
    {
      name: opts.name,
      input,
      layers,
      output: { classes, bits, perElement: Math.floor(PACK_LIMIT_BITS / bits) },
    },
    opts.meta,
  );
  return { artifact, layers: reports };
}
