/**
 * A TypeScript mirror of the generated model circuit's model part (circuits/model-gen.ts with
 * lib/mlp.circom RequantRelu, lib/model.circom Max2, lib/commitment.circom Bytes): the value of every
 * named signal of the byte range checks, the layers and the output packing, for one job. With no
 * tampering it reproduces the wasm witness exactly (a test checks this); with a tamper hook it
 * builds a FORGERY that is consistent everywhere except at the targeted gadget: the hook changes
 * one gadget's internal values, and every later layer is recomputed from the changed output, so
 * only the targeted constraint can object. Signals it does not model (Poseidon, binding) are taken
 * from the honest witness — no forgery here changes their inputs.
 */
import { FIELD_MODULUS } from "../../sdk/field.ts";
import {
  forEachWindow,
  inputSize,
  isRequantized,
  outputElements,
  size,
  type ModelArtifactV2,
} from "../../sdk/model/format.ts";
import { layerWidths } from "../model-gen.ts";

const P = FIELD_MODULUS;
const mod = (v: bigint): bigint => ((v % P) + P) % P;

/** n little-endian bits of v (0 ≤ v < 2^n). */
export function bitsOf(v: bigint, n: number): bigint[] {
  return Array.from({ length: n }, (_, i) => (v >> BigInt(i)) & 1n);
}

/**
 * Bits whose weighted sum is v (mod p) though v may not fit in n bits: the low n−1 bits are v's
 * (as a field element) and the top "bit" absorbs the rest — non-boolean, so only its booleanity
 * constraint fails. This is the attacker's best decomposition of an out-of-range value.
 */
export function forcedBits(v: bigint, n: number): bigint[] {
  const f = mod(v);
  const low = f & ((1n << BigInt(n - 1)) - 1n);
  const inv = modInverse(1n << BigInt(n - 1));
  return [...bitsOf(low, n - 1), mod((f - low) * inv)];
}

function modInverse(a: bigint): bigint {
  let [r0, r1] = [mod(a), P];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0);
}

/** One RequantRelu instance's internal values. */
export interface RequantValues {
  q: bigint;
  r: bigint;
  qBits: bigint[];
  /** empty when SHIFT = 0 */
  rBits: bigint[];
  out: bigint;
  /** value of `qBits.in` where it is a wire of its own (a mutant); defaults to q */
  qIn?: bigint;
}

/** One Max2 instance's internal values. */
export interface MaxValues {
  bits: bigint[];
  out: bigint;
  /** value of `bits.in` where it is a wire of its own (a mutant); defaults to a − b + 2^W */
  bitsIn?: bigint;
}

/** Tamper hooks: return replacement values for one gadget instance, or undefined to keep it honest. */
export interface Tamper {
  /** input bytes (may be ≥ 256) and, per byte, its range-check bits */
  bytes?: (honest: bigint[]) => bigint[];
  byteBits?: (i: number, value: bigint, honest: bigint[]) => bigint[] | undefined;
  requant?: (
    site: {
      layer: number;
      sample: number;
      index: number;
      bits: number;
      shift: number;
      relu: boolean;
      acc: bigint;
    },
    honest: RequantValues,
  ) => RequantValues | undefined;
  max?: (
    site: { layer: number; sample: number; index: number; tap: number; width: number; a: bigint; b: bigint },
    honest: MaxValues,
  ) => MaxValues | undefined;
  /** the claimed public outputs */
  outputs?: (honest: bigint[]) => bigint[];
}

/** Every modelled signal's value, by its name in the `.sym` file (`main.…`). */
export function modelSignals(
  a: ModelArtifactV2,
  batch: number,
  bytes: Uint8Array,
  tamper: Tamper = {},
): Map<string, bigint> {
  const sig = new Map<string, bigint>();
  const set = (name: string, v: bigint): void => void sig.set(`main.${name}`, mod(v));
  const IN = inputSize(a);
  const widths = layerWidths(a);
  let input = Array.from(bytes, (v) => BigInt(v));
  if (tamper.bytes) input = tamper.bytes(input);
  input.forEach((v, i) => {
    set(`bytes[${i}]`, v);
    set(`commit.bytes[${i}]`, v);
    set(`commit.range.in[${i}]`, v);
    const honest = bitsOf(((v % 256n) + 256n) % 256n, 8);
    const bits = tamper.byteBits?.(i, v, honest) ?? honest;
    set(`commit.range.n2b[${i}].in`, v);
    bits.forEach((bit, j) => {
      set(`commit.range.n2b[${i}].out[${j}]`, bit);
      set(`commit.range.bits[${i}][${j}]`, bit);
    });
  });

  const outputs: bigint[] = [];
  for (let b = 0; b < batch; b++) {
    let x = input.slice(b * IN, (b + 1) * IN);
    a.layers.forEach((l, k) => {
      const w = widths[k]!;
      const n = size(l.outShape);
      const y: bigint[] = new Array<bigint>(n);
      const requant = (i: number, acc: bigint, ch: number, shift: number, relu: boolean): bigint => {
        const bits = w.bits[ch]!;
        const A = acc + (1n << BigInt(bits - 1));
        const q = A >> BigInt(shift);
        const r = A - (q << BigInt(shift));
        const qoff = 1n << BigInt(bits - 1 - shift);
        const qBits = bitsOf(q, bits - shift);
        const honest: RequantValues = {
          q,
          r,
          qBits,
          rBits: shift > 0 ? bitsOf(r, shift) : [],
          out: relu ? qBits[bits - shift - 1]! * (q - qoff) : q - qoff,
        };
        const site = { layer: k, sample: b, index: i, bits, shift, relu, acc };
        const v = tamper.requant?.(site, honest) ?? honest;
        const pre = `rq${k}[${b}][${i}]`;
        set(`${pre}.acc`, acc);
        set(`${pre}.q`, v.q);
        set(`${pre}.r`, v.r);
        set(`${pre}.qBits.in`, v.qIn ?? v.q);
        v.qBits.forEach((bit, t) => set(`${pre}.qBits.out[${t}]`, bit));
        set(`${pre}.rBits.in`, v.r);
        v.rBits.forEach((bit, t) => set(`${pre}.rBits.out[${t}]`, bit));
        set(`${pre}.out`, v.out);
        return v.out;
      };
      if (l.kind === "dense") {
        const nIn = size(l.inShape);
        for (let o = 0; o < n; o++) {
          let acc = BigInt(l.bias[o]!);
          for (let i = 0; i < nIn; i++) acc += BigInt(l.weights[o * nIn + i]!) * x[i]!;
          y[o] = isRequantized(l) ? requant(o, acc, o, l.shift[o]!, l.relu) : acc;
        }
      } else if (l.kind === "conv2d") {
        const [, wd, ic] = l.inShape as [number, number, number];
        const oc = l.outShape[2]!;
        const [kh, kw] = l.kernel;
        let idx = 0;
        forEachWindow(l.inShape, l.outShape, l.kernel, l.strides, l.pad[0], l.pad[1], (_y, _x, taps) => {
          for (let o = 0; o < oc; o++) {
            let acc = BigInt(l.bias[o]!);
            for (const t of taps)
              for (let c = 0; c < ic; c++)
                acc +=
                  BigInt(l.weights[((o * kh + t.i) * kw + t.j) * ic + c]!) * x[(t.iy * wd + t.ix) * ic + c]!;
            y[idx] = isRequantized(l) ? requant(idx, acc, o, l.shift[o]!, l.relu) : acc;
            idx++;
          }
        });
      } else if (l.kind === "avgpool" || l.kind === "maxpool") {
        const [, wd, c] = l.inShape as [number, number, number];
        let idx = 0;
        forEachWindow(l.inShape, l.outShape, l.pool, l.strides, 0, 0, (_y, _x, taps) => {
          for (let ch = 0; ch < c; ch++) {
            const xs = taps.map((t) => x[(t.iy * wd + t.ix) * c + ch]!);
            if (l.kind === "avgpool") {
              const acc = xs.reduce((s, v) => s + v, 0n);
              y[idx] = isRequantized(l) ? requant(idx, acc, ch, l.shift, l.relu) : acc;
            } else {
              // running max: tap t compares xs[t] (a) with the max so far (b)
              let m = xs[0]!;
              const W = w.maxBits[ch]!;
              for (let t = 1; t < xs.length; t++) {
                const av = xs[t]!;
                const d = av - m + (1n << BigInt(W));
                const bits = bitsOf(d, W + 1);
                const honest: MaxValues = { bits, out: bits[W]! * (av - m) + m };
                const site = { layer: k, sample: b, index: idx, tap: t, width: W, a: av, b: m };
                const v = tamper.max?.(site, honest) ?? honest;
                const pre = `mx${k}[${b}][${idx}][${t - 1}]`;
                set(`${pre}.a`, av);
                set(`${pre}.b`, m);
                set(`${pre}.bits.in`, v.bitsIn ?? d);
                v.bits.forEach((bit, u) => set(`${pre}.bits.out[${u}]`, bit));
                set(`${pre}.out`, v.out);
                m = v.out;
              }
              y[idx] = m;
            }
            idx++;
          }
        });
      } else {
        for (let i = 0; i < n; i++) y[i] = x[i]!;
      }
      y.forEach((v, i) => set(`a${k}[${b}][${i}]`, v));
      x = y;
    });
    // output packing
    const o = a.output;
    const half = 1n << BigInt(o.bits - 1);
    for (let e = 0; e < outputElements(o); e++) {
      const cnt = Math.min(o.perElement, o.classes - e * o.perElement);
      let packed = 0n;
      for (let kk = 0; kk < cnt; kk++) {
        const v = x[e * o.perElement + kk]!;
        set(`pack[${b}][${e}].in[${kk}]`, v);
        packed += (v + half) << BigInt(o.bits * kk);
      }
      set(`pack[${b}][${e}].out`, packed);
      outputs.push(mod(packed));
    }
  }
  const claimed = tamper.outputs ? tamper.outputs(outputs) : outputs;
  claimed.forEach((v, i) => set(`outputs[${i}]`, v));
  return sig;
}

/** The honest witness with the modelled signals replaced by `signals` (wires looked up by name). */
export function overlayWitness(
  honest: readonly bigint[],
  sym: Map<string, number>,
  signals: Map<string, bigint>,
): bigint[] {
  const w = [...honest];
  for (const [name, v] of signals) {
    const wire = sym.get(name);
    if (wire !== undefined && wire >= 0) w[wire] = v;
  }
  return w;
}
