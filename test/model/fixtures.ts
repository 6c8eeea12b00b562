/**
 * Small TF.js models for the compiler tests, saved as a Layers model (model.json + weights.bin)
 * exactly as `model.save('file://…')` writes it, with deterministic random weights.
 */
import * as tf from "@tensorflow/tfjs";
import { fileSaveHandler } from "../../sdk/model/io.ts";

/**
 * Conv2D ('same', stride 1) + BN + ReLU → MaxPooling2D → Conv2D ('valid', stride 2, relu) →
 * AveragePooling2D → Dropout → Flatten → Dense(relu) → Dense: every supported kind once, on 12×12×1.
 */
export async function saveTinyCnn(dir: string, seed = 1): Promise<void> {
  await tf.setBackend("cpu");
  const m = tf.sequential();
  let s = seed * 100;
  const init = () => tf.initializers.glorotUniform({ seed: s++ });
  m.add(tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 3, kernelSize: 3, padding: "same", kernelInitializer: init(), biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: s++ }) }));
  m.add(tf.layers.batchNormalization({ gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: s++ }), betaInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: s++ }), movingMeanInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: s++ }), movingVarianceInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: s++ }) }));
  m.add(tf.layers.reLU());
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 1, activation: "relu", kernelInitializer: init() }));
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
