/**
 * Trains the reference CNN deterministically (fixed seeds, the fixed split of model/data.ts, pure-JS
 * `cpu` backend: TF.js wasm has no Conv2DBackpropFilter) and saves it as a TF.js Layers model
 * (`model.json` + `weights.bin`, the layout `model.save('file://…')` writes) under `model/mnist-cnn/`.
 * The model compiler (sdk/model/import.ts) then turns it into the `proofwork-qmodel-v2` artifact.
 *
 *   npx tsx model/cnn-train.ts [--epochs N] [--c1 N] [--c2 N] [--out dir] [--limit N]
 *
 * Data augmentation: every epoch, each training digit is shifted by a seeded random integer offset
 * in [-2, 2]² (zero fill) — the 8,004 training digits are few for a CNN.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { fileSaveHandler } from "../sdk/node.ts";
import { loadMnist, type Sample } from "./data.ts";

export interface CnnConfig {
  c1: number;
  k1: number;
  c2: number;
  k2: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  maxShift: number;
}

export const CNN_CONFIG: CnnConfig = {
  c1: 8,
  k1: 5,
  c2: 16,
  k2: 3,
  epochs: 35,
  batchSize: 64,
  learningRate: 0.003,
  seed: 7,
  maxShift: 2,
};

/** mulberry32: a tiny deterministic PRNG (shuffles and augmentation). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The image shifted by (dy, dx) pixels, zero fill. */
export function shiftImage(image: Uint8Array, dy: number, dx: number): Uint8Array {
  const out = new Uint8Array(784);
  for (let r = 0; r < 28; r++) {
    const sr = r - dy;
    if (sr < 0 || sr >= 28) continue;
    for (let c = 0; c < 28; c++) {
      const sc = c - dx;
      if (sc >= 0 && sc < 28) out[r * 28 + c] = image[sr * 28 + sc]!;
    }
  }
  return out;
}

export function buildCnn(cfg: CnnConfig): tf.Sequential {
  let seed = cfg.seed * 1000;
  const m = tf.sequential({ name: "mnist_cnn" });
  m.add(tf.layers.rescaling({ scale: 1 / 255, offset: 0, inputShape: [28, 28, 1] }));
  m.add(
    tf.layers.conv2d({
      filters: cfg.c1,
      kernelSize: cfg.k1,
      strides: 2,
      padding: "valid",
      useBias: false,
      kernelInitializer: tf.initializers.heNormal({ seed: seed++ }),
    }),
  );
  m.add(tf.layers.batchNormalization({}));
  m.add(tf.layers.reLU());
  m.add(
    tf.layers.conv2d({
      filters: cfg.c2,
      kernelSize: cfg.k2,
      strides: 2,
      padding: "valid",
      useBias: false,
      kernelInitializer: tf.initializers.heNormal({ seed: seed++ }),
    }),
  );
  m.add(tf.layers.batchNormalization({}));
  m.add(tf.layers.reLU());
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }) }));
  return m;
}

function batchTensors(samples: Sample[], images: Uint8Array[]): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const flat = new Float32Array(samples.length * 784);
  images.forEach((im, k) => flat.set(im, k * 784));
  const x = tf.tensor4d(flat, [samples.length, 28, 28, 1]);
  const y = tf.oneHot(
    tf.tensor1d(
      samples.map((s) => s.label),
      "int32",
    ),
    10,
  ) as tf.Tensor2D;
  return { x, y: y.toFloat() };
}

export function evaluate(model: tf.LayersModel, samples: Sample[]): number {
  let ok = 0;
  for (let s = 0; s < samples.length; s += 500) {
    const part = samples.slice(s, s + 500);
    const { x, y } = batchTensors(
      part,
      part.map((p) => p.image),
    );
    const pred = tf.tidy(() => tf.argMax(model.predict(x) as tf.Tensor, 1).dataSync());
    part.forEach((p, i) => (ok += pred[i] === p.label ? 1 : 0));
    tf.dispose([x, y]);
  }
  return ok / samples.length;
}

export async function trainCnn(
  cfg: CnnConfig,
  log: (s: string) => void,
  limit?: number,
): Promise<{ model: tf.Sequential; train: number; heldOut: number }> {
  await tf.setBackend("cpu");
  const data = loadMnist();
  const train = limit ? data.train.slice(0, limit) : data.train;
  const model = buildCnn(cfg);
  const steps = Math.ceil(train.length / cfg.batchSize);
  // Cosine-decayed learning rate over all steps (deterministic).
  const optimizer = tf.train.adam(cfg.learningRate);
  model.compile({
    optimizer,
    loss: (yt: tf.Tensor, yp: tf.Tensor) => tf.losses.softmaxCrossEntropy(yt, yp),
    metrics: ["accuracy"],
  });
  const rand = prng(cfg.seed);
  for (let e = 0; e < cfg.epochs; e++) {
    const t0 = Date.now();
    const lr = cfg.learningRate * 0.5 * (1 + Math.cos((Math.PI * e) / cfg.epochs));
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
    const perm = Array.from({ length: train.length }, (_, i) => i);
    for (let i = perm.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    const span = 2 * cfg.maxShift + 1;
    const order = perm.map((i) => train[i]!);
    const images = order.map((s) =>
      shiftImage(s.image, Math.floor(rand() * span) - cfg.maxShift, Math.floor(rand() * span) - cfg.maxShift),
    );
    let loss = 0;
    for (let b = 0; b < steps; b++) {
      const part = order.slice(b * cfg.batchSize, (b + 1) * cfg.batchSize);
      const { x, y } = batchTensors(part, images.slice(b * cfg.batchSize, (b + 1) * cfg.batchSize));
      const h = await model.trainOnBatch(x, y);
      loss += (Array.isArray(h) ? h[0]! : h) as number;
      tf.dispose([x, y]);
    }
    log(
      `epoch ${e + 1}/${cfg.epochs} lr ${lr.toFixed(5)} loss ${(loss / steps).toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(1)} s)` +
        (e % 5 === 4 || e === cfg.epochs - 1 ? ` held-out ${evaluate(model, data.heldOut).toFixed(4)}` : ""),
    );
  }
  return { model, train: evaluate(model, train), heldOut: evaluate(model, data.heldOut) };
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      epochs: { type: "string" },
      c1: { type: "string" },
      c2: { type: "string" },
      lr: { type: "string" },
      limit: { type: "string" },
      out: { type: "string", default: path.join("model", "mnist-cnn") },
    },
  });
  const cfg: CnnConfig = {
    ...CNN_CONFIG,
    ...(values.epochs ? { epochs: Number(values.epochs) } : {}),
    ...(values.c1 ? { c1: Number(values.c1) } : {}),
    ...(values.c2 ? { c2: Number(values.c2) } : {}),
    ...(values.lr ? { learningRate: Number(values.lr) } : {}),
  };
  console.log(`training ${JSON.stringify(cfg)}`);
  const { model, train, heldOut } = await trainCnn(
    cfg,
    (s) => console.log(s),
    values.limit ? Number(values.limit) : undefined,
  );
  console.log(`float accuracy: train ${train.toFixed(4)}, held-out ${heldOut.toFixed(4)}`);
  await model.save(fileSaveHandler(values.out));
  console.log(`saved ${values.out}/model.json`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main(process.argv.slice(2));
}
