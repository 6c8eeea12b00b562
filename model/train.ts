/**
 * Trains and quantizes the MNIST MLPs, deterministically (fixed seeds, fixed split, pure-JS `cpu`
 * backend), and writes one artifact per instance: `model/mnist-mlp-<instance>.json`.
 *
 *   npx tsx model/train.ts [full|small|all] [--hidden N] [--epochs N] [--dry]
 *
 * Quantization (all integers; the arithmetic is `model/v1/quant.ts`):
 *   - input: the pixel bytes 0..255 (scale 1/255 of the float model's [0, 1] input)
 *   - weights: int8, per-tensor symmetric scale `max|W| / qmax`
 *   - biases: integers at the accumulator scale (input scale × weight scale)
 *   - hidden layers: `floor(acc / 2^shift)` then ReLU; the shift is the one (among those keeping
 *     every later accumulator below 2^24 in the worst case) with the best *training* accuracy
 *   - last layer: no rescale; the logits are the accumulators.
 */
import { writeFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import {
  ACC_LIMIT,
  MODEL_FORMAT,
  modelBounds,
  modelHash,
  parseModel,
  type FloatLayer,
  type ModelArtifact,
  type Preprocess,
  type QuantLayer,
} from "./v1/format.ts";
import { encodeImage } from "./v1/quant.ts";
import { DATA_SOURCE, SPLIT_RULE, loadMnist, type Sample } from "./data.ts";
import { quantizedAccuracyFast } from "./fast.ts";

export interface InstanceConfig {
  name: string;
  preprocess: Preprocess;
  inputSize: number;
  hidden: number[];
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
}

export const INSTANCES: Record<string, InstanceConfig> = {
  full: {
    name: "mnist-mlp-full",
    preprocess: { kind: "none" },
    inputSize: 784,
    hidden: [16],
    seed: 1,
    epochs: 30,
    batchSize: 64,
    learningRate: 0.002,
  },
  small: {
    name: "mnist-mlp-small",
    preprocess: { kind: "avgpool2x2" },
    inputSize: 196,
    hidden: [16],
    seed: 2,
    epochs: 30,
    batchSize: 64,
    learningRate: 0.002,
  },
};

/** Bits per packed logit: 10 × 25 = 250 ≤ 253, and |logit| < 2^24 is guaranteed by ACC_LIMIT. */
export const OUTPUT_BITS = 25;

/** mulberry32: a tiny deterministic PRNG for the epoch shuffles. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function toTensors(
  cfg: InstanceConfig,
  samples: Sample[],
): { x: tf.Tensor2D; y: tf.Tensor2D; inputs: Uint8Array[] } {
  const inputs = samples.map((s) => encodeImage(cfg.preprocess, s.image));
  const flat = new Float32Array(samples.length * cfg.inputSize);
  inputs.forEach((v, k) => {
    for (let i = 0; i < cfg.inputSize; i++) flat[k * cfg.inputSize + i] = v[i]! / 255;
  });
  const x = tf.tensor2d(flat, [samples.length, cfg.inputSize]);
  const y = tf
    .oneHot(
      tf.tensor1d(
        samples.map((s) => s.label),
        "int32",
      ),
      10,
    )
    .toFloat() as tf.Tensor2D;
  return { x, y, inputs };
}

async function trainFloat(
  cfg: InstanceConfig,
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  log: (s: string) => void,
): Promise<tf.Sequential> {
  const model = tf.sequential();
  let seed = cfg.seed * 1000;
  const widths = [...cfg.hidden, 10];
  widths.forEach((units, k) => {
    model.add(
      tf.layers.dense({
        units,
        activation: k < widths.length - 1 ? "relu" : "linear",
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }),
        biasInitializer: "zeros",
        ...(k === 0 ? { inputShape: [cfg.inputSize] } : {}),
      }),
    );
  });
  model.compile({
    optimizer: tf.train.adam(cfg.learningRate),
    loss: (yt: tf.Tensor, yp: tf.Tensor) => tf.losses.softmaxCrossEntropy(yt, yp),
    metrics: ["accuracy"],
  });
  const rand = prng(cfg.seed);
  const n = x.shape[0];
  for (let e = 0; e < cfg.epochs; e++) {
    // Fisher–Yates with the seeded PRNG: the same order on every run.
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    const idx = tf.tensor1d(perm, "int32");
    const xs = tf.gather(x, idx);
    const ys = tf.gather(y, idx);
    const h = await model.fit(xs, ys, { epochs: 1, batchSize: cfg.batchSize, shuffle: false, verbose: 0 });
    tf.dispose([idx, xs, ys]);
    if (e % 5 === 4 || e === cfg.epochs - 1) {
      log(
        `  epoch ${e + 1}/${cfg.epochs} loss ${Number(h.history.loss![0]).toFixed(4)} acc ${Number(h.history.acc![0]).toFixed(4)}`,
      );
    }
  }
  return model;
}

function floatLayers(model: tf.Sequential): FloatLayer[] {
  return model.layers.map((layer, k) => {
    const [kernel, bias] = layer.getWeights();
    const w = kernel!.arraySync() as number[][]; // [in][out]
    const nIn = w.length;
    const nOut = w[0]!.length;
    const weights = Array.from({ length: nOut }, (_, j) => Array.from({ length: nIn }, (_, i) => w[i]![j]!));
    return { weights, bias: bias!.arraySync() as number[], relu: k < model.layers.length - 1 };
  });
}

export function floatAccuracy(layers: FloatLayer[], x: tf.Tensor2D, labels: number[]): number {
  return tf.tidy(() => {
    let h: tf.Tensor2D = x;
    for (const l of layers) {
      h = tf.add(tf.matMul(h, tf.tensor2d(l.weights), false, true), tf.tensor1d(l.bias)) as tf.Tensor2D;
      if (l.relu) h = tf.relu(h);
    }
    const pred = tf.argMax(h, 1).arraySync() as number[];
    return pred.filter((p, i) => p === labels[i]).length / labels.length;
  });
}

/** Quantizes the float layers with the given per-layer weight maxima and shifts. */
function quantize(
  cfg: InstanceConfig,
  fl: FloatLayer[],
  qmax: number[],
  shifts: number[],
): { layers: QuantLayer[]; wScales: number[]; aScales: number[] } {
  let inScale = 1 / 255;
  const layers: QuantLayer[] = [];
  const wScales: number[] = [];
  const aScales: number[] = [];
  fl.forEach((l, k) => {
    const maxAbs = Math.max(...l.weights.flat().map(Math.abs));
    const sW = maxAbs / qmax[k]!;
    const accScale = inScale * sW;
    layers.push({
      inputs: l.weights[0]!.length,
      outputs: l.weights.length,
      weights: l.weights.map((row) => row.map((w) => Math.round(w / sW))),
      bias: l.bias.map((b) => Math.round(b / accScale)),
      shift: shifts[k]!,
      relu: l.relu,
    });
    wScales.push(sW);
    inScale = accScale * 2 ** shifts[k]!;
    aScales.push(inScale);
  });
  return { layers, wScales, aScales };
}

const fits = (cfg: InstanceConfig, layers: QuantLayer[]): boolean =>
  modelBounds({ inputSize: cfg.inputSize, layers }).every((b) => b.absMax.every((a) => a < ACC_LIMIT)) &&
  modelBounds({ inputSize: cfg.inputSize, layers })
    .at(-1)!
    .out.every((o) => o.lo > -(1n << BigInt(OUTPUT_BITS - 1)) && o.hi < 1n << BigInt(OUTPUT_BITS - 1));

export async function buildInstance(cfg: InstanceConfig, log: (s: string) => void): Promise<ModelArtifact> {
  await tf.setBackend("cpu");
  const data = loadMnist();
  const tr = toTensors(cfg, data.train);
  const ho = toTensors(cfg, data.heldOut);
  const trLabels = data.train.map((s) => s.label);
  const hoLabels = data.heldOut.map((s) => s.label);
  log(
    `${cfg.name}: ${cfg.inputSize}→${cfg.hidden.join("→")}→10, ${data.train.length} train / ${data.heldOut.length} held-out digits`,
  );
  const model = await trainFloat(cfg, tr.x, tr.y, log);
  const fl = floatLayers(model);
  const floatTrain = floatAccuracy(fl, tr.x, trLabels);
  const floatHeld = floatAccuracy(fl, ho.x, hoLabels);

  // Search: weight maxima (largest that keeps bounds) and hidden shifts (best training accuracy).
  const nL = fl.length;
  const qmax = Array.from({ length: nL }, () => 127);
  const shifts = Array.from({ length: nL }, () => 0);
  for (let k = 0; k < nL; k++) {
    const cands: { s: number; acc: number; layers: QuantLayer[] }[] = [];
    const lastLayer = k === nL - 1;
    for (let q = 127; q >= 15; q = Math.floor(q * 0.8)) {
      qmax[k] = q;
      let sMin = -1;
      for (let s = 0; s <= 30; s++) {
        shifts[k] = s;
        // Later layers unquantized yet: check with their current (127, 0) settings.
        if (fits(cfg, quantize(cfg, fl, qmax, shifts).layers)) {
          sMin = s;
          break;
        }
        if (lastLayer) break;
      }
      if (sMin < 0) continue;
      for (let s = sMin; s <= (lastLayer ? sMin : sMin + 4); s++) {
        shifts[k] = s;
        const layers = quantize(cfg, fl, qmax, shifts).layers;
        cands.push({ s, acc: quantizedAccuracyFast(cfg.inputSize, layers, tr.inputs, trLabels), layers });
      }
      break;
    }
    if (cands.length === 0) throw new Error(`${cfg.name}: no quantization keeps layer ${k} within 2^24`);
    const best = cands.reduce((a, b) => (b.acc > a.acc ? b : a));
    shifts[k] = best.s;
    log(
      `  layer ${k}: int weights max ${qmax[k]}, shift ${best.s} (training accuracy ${best.acc.toFixed(4)}; tried ${cands.map((c) => `${c.s}:${c.acc.toFixed(4)}`).join(" ")})`,
    );
  }
  const q = quantize(cfg, fl, qmax, shifts);
  const qTrain = quantizedAccuracyFast(cfg.inputSize, q.layers, tr.inputs, trLabels);
  const qHeld = quantizedAccuracyFast(cfg.inputSize, q.layers, ho.inputs, hoLabels);
  tf.dispose([tr.x, tr.y, ho.x, ho.y]);
  model.dispose();

  const core = {
    inputSize: cfg.inputSize,
    preprocess: cfg.preprocess,
    layers: q.layers,
    outputBits: OUTPUT_BITS,
  };
  const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;
  const artifact: ModelArtifact = {
    format: MODEL_FORMAT,
    name: cfg.name,
    ...core,
    weightsHash: modelHash(core),
    scales: { input: 1 / 255, weights: q.wScales, activations: q.aScales },
    floatModel: fl.map((l) => ({
      weights: l.weights.map((r) => r.map((v) => Number(Math.fround(v).toPrecision(9)))),
      bias: l.bias.map((v) => Number(Math.fround(v).toPrecision(9))),
      relu: l.relu,
    })),
    accuracy: {
      float: round4(floatHeld),
      quantized: round4(qHeld),
      heldOut: data.heldOut.length,
      train: { float: round4(floatTrain), quantized: round4(qTrain) },
    },
    split: { source: DATA_SOURCE, rule: SPLIT_RULE, train: data.train.length, heldOut: data.heldOut.length },
    training: {
      backend: "cpu",
      seed: cfg.seed,
      epochs: cfg.epochs,
      batchSize: cfg.batchSize,
      optimizer: `adam(${cfg.learningRate})`,
      loss: "softmax cross-entropy",
      init: "glorotUniform(seed)",
    },
  };
  parseModel(artifact);
  log(
    `  held-out accuracy: float ${artifact.accuracy.float}, quantized ${artifact.accuracy.quantized}; weightsHash ${artifact.weightsHash}`,
  );
  return artifact;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const which = args.find((a) => !a.startsWith("--")) ?? "all";
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const names = which === "all" ? Object.keys(INSTANCES) : [which];
  for (const n of names) {
    const base = INSTANCES[n];
    if (!base) throw new Error(`unknown instance ${n} (full | small | all)`);
    const cfg: InstanceConfig = {
      ...base,
      hidden: flag("hidden") ? flag("hidden")!.split(",").map(Number) : base.hidden,
      epochs: flag("epochs") ? Number(flag("epochs")) : base.epochs,
    };
    const t0 = Date.now();
    const artifact = await buildInstance(cfg, (s) => console.log(s));
    console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    if (!args.includes("--dry")) {
      const path = new URL(`./${cfg.name}.json`, import.meta.url).pathname;
      writeFileSync(path, JSON.stringify(artifact) + "\n");
      console.log(`  wrote ${path}`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
