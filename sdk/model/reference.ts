/**
 * The bigint reference for `proofwork-qmodel-v2` artifacts: the single source of truth for the
 * integer arithmetic. The TF.js executor (worker/executor/model-executor.ts) must reproduce it bit
 * for bit and the circuit (circuits/model-gen.ts) enforces exactly these equations; see
 * `sdk/model/format.ts` for the layer semantics. Browser-safe.
 */
import { ErrorCodes, ProofworkError } from "../errors.ts";
import {
  forEachWindow,
  inputSize,
  outputElements,
  size,
  type ModelArtifactV2,
  type OutputSpec,
  type QLayer,
} from "./format.ts";

/** `floor(v / 2^s)` for signed integers (arithmetic shift rounds toward −∞). */
export const floorShift = (v: bigint, s: number): bigint => v >> BigInt(s);

const requant = (acc: bigint, shift: number, relu: boolean): bigint => {
  const y = floorShift(acc, shift);
  return relu && y < 0n ? 0n : y;
};

/** One layer's values for one sample. */
export interface LayerTrace {
  /** accumulators (conv/dense/avgpool), before requantization; undefined for maxpool/reshape */
  acc?: bigint[];
  /** the layer's output, flat HWC */
  out: bigint[];
}

/** Runs one layer on one sample's flat input. */
export function runLayer(l: QLayer, x: readonly bigint[]): LayerTrace {
  switch (l.kind) {
    case "dense": {
      const n = size(l.inShape);
      const m = l.outShape[0]!;
      const acc: bigint[] = [];
      for (let o = 0; o < m; o++) {
        let a = BigInt(l.bias[o]!);
        for (let i = 0; i < n; i++) {
          const w = l.weights[o * n + i]!;
          if (w !== 0) a += BigInt(w) * x[i]!;
        }
        acc.push(a);
      }
      return { acc, out: acc.map((a, o) => requant(a, l.shift[o]!, l.relu)) };
    }
    case "conv2d": {
      const [, w, ic] = l.inShape as [number, number, number];
      const oc = l.outShape[2]!;
      const [kh, kw] = l.kernel;
      const acc: bigint[] = [];
      forEachWindow(l.inShape, l.outShape, l.kernel, l.strides, l.pad[0], l.pad[1], (_y, _x, taps) => {
        for (let o = 0; o < oc; o++) {
          let a = BigInt(l.bias[o]!);
          for (const t of taps) {
            for (let c = 0; c < ic; c++) {
              const wt = l.weights[((o * kh + t.i) * kw + t.j) * ic + c]!;
              if (wt !== 0) a += BigInt(wt) * x[(t.iy * w + t.ix) * ic + c]!;
            }
          }
          acc.push(a);
        }
      });
      return { acc, out: acc.map((a, k) => requant(a, l.shift[k % oc]!, l.relu)) };
    }
    case "avgpool":
    case "maxpool": {
      const [, w, c] = l.inShape as [number, number, number];
      const vals: bigint[] = [];
      forEachWindow(l.inShape, l.outShape, l.pool, l.strides, 0, 0, (_y, _x, taps) => {
        for (let ch = 0; ch < c; ch++) {
          const xs = taps.map((t) => x[(t.iy * w + t.ix) * c + ch]!);
          vals.push(
            l.kind === "avgpool"
              ? xs.reduce((s, v) => s + v, 0n)
              : xs.reduce((m, v) => (v > m ? v : m), xs[0]!),
          );
        }
      });
      if (l.kind === "maxpool") return { out: vals };
      return { acc: vals, out: vals.map((a) => requant(a, l.shift, l.relu)) };
    }
    case "reshape":
      return { out: [...x] };
  }
}

/** Every layer's values for one sample (what the circuit's witness contains). */
export function traceSample(a: Pick<ModelArtifactV2, "input" | "layers">, input: Uint8Array): LayerTrace[] {
  if (input.length !== inputSize(a)) {
    throw new ProofworkError(
      ErrorCodes.INPUT_INVALID,
      `expected ${inputSize(a)} input bytes, got ${input.length}`,
    );
  }
  let x: bigint[] = Array.from(input, (v) => BigInt(v));
  const trace: LayerTrace[] = [];
  for (const l of a.layers) {
    const t = runLayer(l, x);
    trace.push(t);
    x = t.out;
  }
  return trace;
}

/** The output values (logits) of one sample. */
export function inferSample(a: Pick<ModelArtifactV2, "input" | "layers">, input: Uint8Array): bigint[] {
  return traceSample(a, input).at(-1)!.out;
}

/** Splits job input bytes into samples and returns each sample's outputs. */
export function inferBatch(a: Pick<ModelArtifactV2, "input" | "layers">, bytes: Uint8Array): bigint[][] {
  const n = inputSize(a);
  if (bytes.length === 0 || bytes.length % n !== 0) {
    throw new ProofworkError(
      ErrorCodes.INPUT_INVALID,
      `job input of ${bytes.length} bytes is not a whole number of ${n}-byte samples`,
    );
  }
  const out: bigint[][] = [];
  for (let o = 0; o < bytes.length; o += n) out.push(inferSample(a, bytes.subarray(o, o + n)));
  return out;
}

/**
 * Packs one sample's signed values into field elements: element e holds values
 * `[e·perElement, (e+1)·perElement)` as `Σ_k (v_k + 2^(bits−1)) · 2^(bits·k)`.
 */
export function packOutputs(values: readonly bigint[], o: OutputSpec): bigint[] {
  if (values.length !== o.classes) {
    throw new ProofworkError(ErrorCodes.INPUT_INVALID, `expected ${o.classes} outputs, got ${values.length}`);
  }
  const half = 1n << BigInt(o.bits - 1);
  const out: bigint[] = [];
  for (let e = 0; e < outputElements(o); e++) {
    let packed = 0n;
    const end = Math.min((e + 1) * o.perElement, o.classes);
    for (let k = end - 1; k >= e * o.perElement; k--) {
      const v = values[k]! + half;
      if (v < 0n || v >= 2n * half) {
        throw new ProofworkError(
          ErrorCodes.FIELD_OVERFLOW,
          `output ${values[k]} does not fit in ${o.bits} bits`,
        );
      }
      packed = (packed << BigInt(o.bits)) | v;
    }
    out.push(packed);
  }
  return out;
}

/** Inverse of `packOutputs` for one sample's elements; rejects stray high bits. */
export function unpackOutputs(elements: readonly bigint[], o: OutputSpec): bigint[] {
  if (elements.length !== outputElements(o)) {
    throw new ProofworkError(
      ErrorCodes.INPUT_INVALID,
      `expected ${outputElements(o)} output elements, got ${elements.length}`,
    );
  }
  const half = 1n << BigInt(o.bits - 1);
  const mask = (1n << BigInt(o.bits)) - 1n;
  const out: bigint[] = [];
  elements.forEach((p, e) => {
    const n = Math.min(o.perElement, o.classes - e * o.perElement);
    if (p < 0n || p >> BigInt(n * o.bits) !== 0n) {
      throw new ProofworkError(
        ErrorCodes.INPUT_INVALID,
        `packed output ${p} is wider than ${n}×${o.bits} bits`,
      );
    }
    for (let k = 0; k < n; k++) out.push(((p >> BigInt(o.bits * k)) & mask) - half);
  });
  return out;
}

/** Index of the largest value; ties go to the lowest index. */
export function argmax(values: readonly bigint[]): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k]! > values[best]!) best = k;
  return best;
}

/** The public outputs of a job: per sample its packed elements, concatenated. */
export function publicOutputs(a: Pick<ModelArtifactV2, "output">, perSample: readonly bigint[][]): bigint[] {
  return perSample.flatMap((v) => packOutputs(v, a.output));
}

/** What a requester reads from a job's public outputs: per sample its values and argmax. */
export function decodePublicOutputs(
  a: Pick<ModelArtifactV2, "output">,
  outputs: readonly bigint[],
): { values: bigint[][]; predictions: number[] } {
  const per = outputElements(a.output);
  if (outputs.length % per !== 0) {
    throw new ProofworkError(ErrorCodes.INPUT_INVALID, `${outputs.length} outputs: not a multiple of ${per}`);
  }
  const values: bigint[][] = [];
  for (let s = 0; s < outputs.length; s += per)
    values.push(unpackOutputs(outputs.slice(s, s + per), a.output));
  return { values, predictions: values.map(argmax) };
}
