/**
 * Node side of the app's batch datasets (app/src/datasets.ts is the page side): publishes inputs
 * files into a datasets folder (the configured `datasetDir`, which the dev server serves at
 * `/datasets/`) and keeps its `index.json`. The dev server's upload endpoint adds uploaded files;
 * `npm run app:local` publishes the MNIST held-out digits (app/mnist-datasets.ts). Files are
 * published by the SDK (`publishBatchFile`: content-addressed names).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { keccak256 } from "ethers";
import { publishBatchFile } from "../sdk/node.ts";
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
