/**
 * Node side of the app's batch datasets (app/src/datasets.ts is the page side): publishes inputs
 * files into a datasets folder (the configured `datasetDir`, which the dev server serves at
 * `/datasets/`) and keeps its `index.json`. `npm run app:local` publishes the MNIST held-out digits
 * for every model circuit; the dev server's upload endpoint adds uploaded files. Inputs files are
 * built by the SDK (`encodeInputsFile`, `publishBatchFile`: content-addressed names).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { keccak256 } from "ethers";
import { heldOutInterleaved } from "../model/data.ts";
import { encodeImageBytes, encodeInputsFile, publishBatchFile, type ModelArtifactV2 } from "../sdk/node.ts";
import { parseDatasetIndex, type DatasetEntry } from "./src/datasets.ts";

/** The folder's `index.json` (an empty one when absent). */
export function readDatasetIndex(dir: string): DatasetEntry[] {
  const file = join(resolve(dir), "index.json");
  if (!existsSync(file)) return [];
  try {
    return parseDatasetIndex(JSON.parse(readFileSync(file, "utf8"))).datasets;
  } catch {
    return [];
  }
}

/** Adds (or replaces, by file and circuit) an entry of the folder's `index.json`, atomically. */
export function addDatasetEntry(dir: string, entry: DatasetEntry): void {
  const root = resolve(dir);
  mkdirSync(root, { recursive: true });
  const list = readDatasetIndex(root).filter((d) => !(d.file === entry.file && d.circuit === entry.circuit));
  list.push(entry);
  const tmp = join(root, `index.json.tmp-${process.pid}`);
  writeFileSync(tmp, `${JSON.stringify({ datasets: list }, null, 2)}\n`);
  renameSync(tmp, join(root, "index.json"));
}

/** Publishes an inputs file (content-addressed) into `dir` and returns its file name and hash. */
export function publishInputsFile(dir: string, file: Uint8Array): { name: string; inputsHash: string } {
  const inputsHash = keccak256(file);
  const { path } = publishBatchFile(file, inputsHash, { dir });
  return { name: path.split(/[\\/]/).pop()!, inputsHash };
}

/**
 * Publishes the first `count` held-out MNIST digits (class-interleaved, never trained on),
 * encoded for `model`, as a dataset of `circuit`, with their labels.
 */
export function publishMnistDataset(
  dir: string,
  circuit: string,
  model: Pick<ModelArtifactV2, "input">,
  count: number,
): DatasetEntry {
  const digits = heldOutInterleaved().slice(0, count);
  const samples = digits.map((d) => encodeImageBytes(model, d.image));
  const file = encodeInputsFile(samples);
  const { name, inputsHash } = publishInputsFile(dir, file);
  const entry: DatasetEntry = {
    name: `MNIST held-out digits (${digits.length.toLocaleString("en-US")})`,
    file: name,
    circuit,
    numSamples: digits.length,
    inputBytes: samples[0]!.length,
    inputsHash,
    labels: digits.map((d) => d.label),
  };
  addDatasetEntry(dir, entry);
  return entry;
}
