/**
 * TRAINING-SIDE ONLY: the format the MLP trainer (model/train.ts) writes (`model/mnist-mlp-*.json`,
 * `proofwork-qmlp-v1`), converted once into the one model format every consumer reads
 * (`proofwork-qmodel-v2`, sdk/model/format.ts) by `model/artifacts.ts` (model/v1/convert.ts). Nothing
 * outside `model/` reads this format.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { keccak256, toUtf8Bytes } from "ethers";
import { ErrorCodes, ProofworkError } from "../../sdk/index.ts";

/** Artifact format tag; bump when the meaning of a field changes. */
export const MODEL_FORMAT = "proofwork-qmlp-v1";

/**
 * Every accumulator (including every partial sum, in any summation order) must stay strictly
 * below this in magnitude, so float32 TF.js backends compute it exactly (24-bit significand).
 */
export const ACC_LIMIT = 1n << 24n;

/** How the requester turns a 28×28 MNIST image (784 bytes) into the job input bytes. */
export type Preprocess =
  /** the 784 pixel bytes as they are */
  | { kind: "none" }
  /** 2×2 average pooling to 14×14: `floor((a + b + c + d + 2) / 4)` (round half up), row-major */
  | { kind: "avgpool2x2" };

/** One dense layer: `acc = W·x + b`, then `floor(acc / 2^shift)`, then optionally ReLU. */
export interface QuantLayer {
  inputs: number;
  outputs: number;
  /** int8 weights, row-major `[outputs][inputs]` */
  weights: number[][];
  /** integer biases at the accumulator scale */
  bias: number[];
  /** power-of-two rescale applied to the accumulator (0 = none) */
  shift: number;
  relu: boolean;
}

/** The float model a quantized one was derived from (kept to recompute float accuracy). */
export interface FloatLayer {
  /** row-major `[outputs][inputs]`, float32 values */
  weights: number[][];
  bias: number[];
  relu: boolean;
}

export interface ModelArtifact {
  format: typeof MODEL_FORMAT;
  name: string;
  /** bytes per sample of the job input (after preprocessing) */
  inputSize: number;
  preprocess: Preprocess;
  layers: QuantLayer[];
  /** bits per logit in the packed public output; logit `v` is stored as `v + 2^(outputBits-1)` */
  outputBits: number;
  /** keccak256 of the canonical encoding of the integer model (see `modelHash`) */
  weightsHash: string;
  /** scales relating integers to the float model (documentation; not used by the arithmetic) */
  scales: { input: number; weights: number[]; activations: number[] };
  floatModel: FloatLayer[];
  accuracy: {
    float: number;
    quantized: number;
    heldOut: number;
    train: { float: number; quantized: number };
  };
  split: { source: string; rule: string; train: number; heldOut: number };
  training: Record<string, number | string>;
}

/** The canonical integer model, the part the circuit and the weights hash depend on. */
export function canonicalModel(
  m: Pick<ModelArtifact, "inputSize" | "preprocess" | "layers" | "outputBits">,
): string {
  return JSON.stringify({
    format: MODEL_FORMAT,
    inputSize: m.inputSize,
    preprocess: m.preprocess,
    outputBits: m.outputBits,
    layers: m.layers.map((l) => ({
      inputs: l.inputs,
      outputs: l.outputs,
      weights: l.weights,
      bias: l.bias,
      shift: l.shift,
      relu: l.relu,
    })),
  });
}

/** keccak256 over the canonical integer model. */
export function modelHash(
  m: Pick<ModelArtifact, "inputSize" | "preprocess" | "layers" | "outputBits">,
): string {
  return keccak256(toUtf8Bytes(canonicalModel(m)));
}

/** Value interval of one layer's inputs/accumulators (inclusive). */
export interface Interval {
  lo: bigint;
  hi: bigint;
}

/** Static bounds of one layer, per output neuron. */
export interface LayerBounds {
  /** interval of the accumulator `W·x + b` */
  acc: Interval[];
  /** bound on |any partial sum| of the accumulator, in any order (float32 exactness) */
  absMax: bigint[];
  /** interval of the layer output (after rescale and ReLU) */
  out: Interval[];
}

const floorShift = (v: bigint, s: number): bigint => v >> BigInt(s);
const babs = (v: bigint): bigint => (v < 0n ? -v : v);
const bmax = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/**
 * Worst-case value intervals of every layer, from input bytes in [0, 255] and the integer
 * weights (interval arithmetic). These bounds, not observed values, size the circuit's range
 * checks and guarantee float32 exactness.
 */
export function modelBounds(m: Pick<ModelArtifact, "inputSize" | "layers">): LayerBounds[] {
  let inputs: Interval[] = Array.from({ length: m.inputSize }, () => ({ lo: 0n, hi: 255n }));
  const result: LayerBounds[] = [];
  for (const layer of m.layers) {
    const acc: Interval[] = [];
    const absMax: bigint[] = [];
    const out: Interval[] = [];
    for (let j = 0; j < layer.outputs; j++) {
      const b = BigInt(layer.bias[j]!);
      let lo = b;
      let hi = b;
      let abs = babs(b);
      const row = layer.weights[j]!;
      for (let i = 0; i < layer.inputs; i++) {
        const w = BigInt(row[i]!);
        const x = inputs[i]!;
        const a = w * x.lo;
        const c = w * x.hi;
        lo += a < c ? a : c;
        hi += a < c ? c : a;
        abs += babs(w) * bmax(babs(x.lo), babs(x.hi));
      }
      acc.push({ lo, hi });
      absMax.push(abs);
      let olo = floorShift(lo, layer.shift);
      const ohi = floorShift(hi, layer.shift);
      if (layer.relu && olo < 0n) olo = 0n;
      out.push({ lo: olo, hi: layer.relu && ohi < 0n ? 0n : ohi });
    }
    result.push({ acc, absMax, out });
    inputs = out;
  }
  return result;
}

const fail = (msg: string): never => {
  throw new ProofworkError(ErrorCodes.MODEL_INVALID, msg);
};

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

/**
 * Checks an untrusted JSON value is a well-formed artifact: shapes, int8 weights, integer biases,
 * accumulators within ACC_LIMIT, logits within `outputBits`, and the weights hash. Throws
 * MODEL_INVALID.
 */
export function parseModel(json: unknown): ModelArtifact {
  if (typeof json !== "object" || json === null) fail("model artifact is not an object");
  const m = json as ModelArtifact;
  if (m.format !== MODEL_FORMAT) fail(`unsupported model format ${String(m.format)}`);
  if (!isInt(m.inputSize) || m.inputSize <= 0) fail("inputSize must be a positive integer");
  if (m.preprocess?.kind !== "none" && m.preprocess?.kind !== "avgpool2x2") fail("unknown preprocess");
  if (m.preprocess.kind === "none" && m.inputSize !== 784) fail("preprocess none needs inputSize 784");
  if (m.preprocess.kind === "avgpool2x2" && m.inputSize !== 196) fail("avgpool2x2 needs inputSize 196");
  if (!Array.isArray(m.layers) || m.layers.length === 0) fail("model has no layers");
  let width = m.inputSize;
  m.layers.forEach((l, k) => {
    if (l.inputs !== width) fail(`layer ${k} expects ${l.inputs} inputs, previous width is ${width}`);
    if (!isInt(l.outputs) || l.outputs <= 0) fail(`layer ${k} outputs invalid`);
    if (!isInt(l.shift) || l.shift < 0 || l.shift > 30) fail(`layer ${k} shift invalid`);
    if (typeof l.relu !== "boolean") fail(`layer ${k} relu flag invalid`);
    if (!Array.isArray(l.weights) || l.weights.length !== l.outputs) fail(`layer ${k} weights shape`);
    for (const row of l.weights) {
      if (!Array.isArray(row) || row.length !== l.inputs) fail(`layer ${k} weights row shape`);
      for (const w of row)
        if (!isInt(w) || w < -127 || w > 127) fail(`layer ${k} weight ${String(w)} not int8`);
    }
    if (!Array.isArray(l.bias) || l.bias.length !== l.outputs || !l.bias.every(isInt))
      fail(`layer ${k} bias invalid`);
    width = l.outputs;
  });
  const last = m.layers[m.layers.length - 1]!;
  if (!isInt(m.outputBits) || m.outputBits < 2 || m.outputBits * last.outputs > 253) {
    fail("outputBits invalid (all logits of a sample must pack into one field element)");
  }
  const bounds = modelBounds(m);
  bounds.forEach((b, k) => {
    for (const a of b.absMax) if (a >= ACC_LIMIT) fail(`layer ${k} accumulator bound ${a} ≥ 2^24`);
  });
  const half = 1n << BigInt(m.outputBits - 1);
  for (const o of bounds[bounds.length - 1]!.out) {
    if (o.lo < -half || o.hi >= half) fail(`logit range [${o.lo}, ${o.hi}] exceeds ${m.outputBits} bits`);
  }
  const h = modelHash(m);
  if (m.weightsHash !== h) fail(`weightsHash ${m.weightsHash} does not match the weights (${h})`);
  return m;
}

/** Number of output logits per sample. */
export function numClasses(m: Pick<ModelArtifact, "layers">): number {
  return m.layers[m.layers.length - 1]!.outputs;
}

/** Reads and validates a v1 model file. */
export function loadModel(path: string): ModelArtifact {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ProofworkError(ErrorCodes.MODEL_INVALID, `cannot read model ${path}`, {}, { cause: e });
  }
  return parseModel(JSON.parse(text));
}

/** The MLP instances the trainer writes (v1), converted by model/artifacts.ts into the v2 artifacts. */
export const MLP_INSTANCES = {
  full: "model/mnist-mlp-full.json",
  small: "model/mnist-mlp-small.json",
} as const;
export type MlpInstance = keyof typeof MLP_INSTANCES;

/** Loads (and validates) the committed v1 file of an instance. */
export function loadMlpModel(instance: MlpInstance): ModelArtifact {
  return loadModel(fileURLToPath(new URL(`../../${MLP_INSTANCES[instance]}`, import.meta.url)));
}
