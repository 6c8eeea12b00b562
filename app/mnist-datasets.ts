/**
 * The MNIST held-out digits as a published batch dataset of the app (`npm run app:local`, the
 * browser tests): encoded for a model by the SDK (`encodeImageBytes`, `encodeInputsFile`), with
 * their labels. Kept apart from app/datasets.ts, which the dev server's config loads.
 */
import { heldOutInterleaved } from "../model/data.ts";
import { encodeImageBytes, encodeInputsFile, type ModelArtifactV2 } from "../sdk/node.ts";
import type { DatasetEntry } from "./src/datasets.ts";
import { addDatasetEntry, publishInputsFile } from "./datasets.ts";

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
