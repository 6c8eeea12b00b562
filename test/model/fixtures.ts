/**
 * Small TF.js models for the compiler tests, saved as a Layers model (model.json + weights.bin)
 * exactly as `model.save('file://…')` writes it, with deterministic random weights.
 */
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { makeArtifact, type ModelArtifactV2 } from "../../sdk/model/format.ts";
import { importModel } from "../../sdk/node/model-import.ts";
import { fileSaveHandler } from "../../sdk/node/model-files.ts";

/**
 * Conv2D ('same', stride 1) + BN + ReLU → MaxPooling2D → Conv2D ('valid', stride 2, relu) →
 * AveragePooling2D → Dropout → Flatten → Dense(relu) → Dense: every supported kind once, on 12×12×1.
 */
export async function saveTinyCnn(dir: string, seed = 1): Promise<void> {
  await tf.setBackend("cpu");
  const m = tf.sequential();
  let s = seed * 100;
  const init = () => tf.initializers.glorotUniform({ seed: s++ });
  m.add(
    tf.layers.conv2d({
      inputShape: [12, 12, 1],
      filters: 3,
      kernelSize: 3,
      padding: "same",
      kernelInitializer: init(),
      biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: s++ }),
    }),
  );
  m.add(
    tf.layers.batchNormalization({
      gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: s++ }),
      betaInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: s++ }),
      movingMeanInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: s++ }),
      movingVarianceInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: s++ }),
    }),
  );
  m.add(tf.layers.reLU());
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(
    tf.layers.conv2d({
      filters: 4,
      kernelSize: 3,
      strides: 1,
      activation: "relu",
      kernelInitializer: init(),
    }),
  );
  m.add(tf.layers.averagePooling2d({ poolSize: 2 }));
  m.add(tf.layers.dropout({ rate: 0.25 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 6, activation: "relu", kernelInitializer: init() }));
  m.add(tf.layers.dense({ units: 3, kernelInitializer: init() }));
  await m.save(fileSaveHandler(dir));
  m.dispose();
}

/** A model with an unsupported layer (LSTM) after a Dense. */
export async function saveUnsupported(dir: string): Promise<void> {
  await tf.setBackend("cpu");
  const m = tf.sequential();
  m.add(tf.layers.reshape({ inputShape: [16], targetShape: [4, 4] }));
  m.add(tf.layers.lstm({ units: 2, name: "lstm_1" }));
  m.add(tf.layers.dense({ units: 2 }));
  await m.save(fileSaveHandler(dir));
  m.dispose();
}

/** Deterministic pseudo-random bytes (mulberry32). */
export function randomBytes(n: number, seed: number): Uint8Array {
  let a = seed >>> 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

/**
 * The tiny CNN imported and quantized (calibration: 40 random inputs), with its average pooling
 * turned into a requantized one (shift 1 + ReLU) so every gadget kind appears; and one sample input
 * whose first 20 pixels are 0 (the byte-move forgery needs a 0 pixel with a non-zero neighbour).
 */
export async function tinyArtifact(dir: string): Promise<{ artifact: ModelArtifactV2; bytes: Uint8Array }> {
  await saveTinyCnn(dir);
  const calibration = Array.from({ length: 40 }, (_, i) => randomBytes(144, i + 1));
  const { artifact } = importModel(path.join(dir, "model.json"), { name: "tiny-cnn", calibration });
  const layers = artifact.layers.map((l) => (l.kind === "avgpool" ? { ...l, shift: 1, relu: true } : l));
  const tiny = makeArtifact({ name: artifact.name, input: artifact.input, layers, output: artifact.output });
  const bytes = randomBytes(144, 5);
  bytes.fill(0, 0, 20);
  if (bytes[20] === 0) bytes[20] = 1;
  return { artifact: tiny, bytes };
}
