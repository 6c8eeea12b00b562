/**
 * Node-only file IO for TF.js Layers models and model artifacts.
 *
 * `@tensorflow/tfjs` alone has no `file://` handler (that ships with tfjs-node, which cannot install
 * here), so these write and read the exact layout `model.save('file://dir')` produces:
 * `dir/model.json` (`modelTopology`, `format`, `weightsManifest: [{paths, weights}]`, …) and the
 * weight shards it lists (`weights.bin`), relative to the model.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { ErrorCodes, ProofworkError } from "../errors.ts";
import { parseArtifact, type ModelArtifactV2 } from "../model/format.ts";

/** The JSON a TF.js Layers `model.json` holds (the fields this module reads). */
export interface LayersModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  trainingConfig?: object;
}

/**
 * A TF.js IO handler that writes `model.json` + `weights.bin` into `dir`, as tfjs-node's
 * `file://` handler does. Use: `await model.save(fileSaveHandler(dir))`.
 */
export function fileSaveHandler(dir: string): tf.io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts) => {
    mkdirSync(dir, { recursive: true });
    const weightData = artifacts.weightData
      ? new Uint8Array(
          artifacts.weightData instanceof ArrayBuffer
            ? artifacts.weightData
            : tf.io.concatenateArrayBuffers(artifacts.weightData),
        )
      : new Uint8Array(0);
    const json: LayersModelJson = {
      modelTopology: artifacts.modelTopology as object,
      format: artifacts.format ?? "layers-model",
      generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs ?? [] }],
    };
    writeFileSync(path.join(dir, "weights.bin"), weightData);
    writeFileSync(path.join(dir, "model.json"), JSON.stringify(json));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  });
}

/** Reads a `model.json` and its weight shards into TF.js model artifacts (topology + weights). */
export function readLayersModel(modelJsonPath: string): tf.io.ModelArtifacts {
  let json: LayersModelJson;
  try {
    json = JSON.parse(readFileSync(modelJsonPath, "utf8")) as LayersModelJson;
  } catch (e) {
    throw new ProofworkError(
      ErrorCodes.MODEL_INVALID,
      `cannot read TF.js model ${modelJsonPath}`,
      {},
      { cause: e },
    );
  }
  if (typeof json.modelTopology !== "object" || json.modelTopology === null) {
    throw new ProofworkError(
      ErrorCodes.MODEL_INVALID,
      `${modelJsonPath} has no modelTopology (not a Layers model)`,
    );
  }
  const dir = path.dirname(modelJsonPath);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const shards: Uint8Array[] = [];
  for (const group of json.weightsManifest ?? []) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      try {
        shards.push(new Uint8Array(readFileSync(path.join(dir, p))));
      } catch (e) {
        throw new ProofworkError(ErrorCodes.MODEL_INVALID, `cannot read weight shard ${p}`, {}, { cause: e });
      }
    }
  }
  const total = shards.reduce((n, s) => n + s.length, 0);
  const weightData = new Uint8Array(total);
  let o = 0;
  for (const s of shards) {
    weightData.set(s, o);
    o += s.length;
  }
  return {
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData: weightData.buffer,
    format: json.format,
  };
}

/** Loads a saved Layers model (for float inference / accuracy), without tfjs-node. */
export async function loadLayersModelFile(modelJsonPath: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(readLayersModel(modelJsonPath)));
}

/** Reads and validates a `proofwork-qmodel-v2` artifact file. */
export function loadArtifact(file: string): ModelArtifactV2 {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ProofworkError(
      ErrorCodes.MODEL_INVALID,
      `cannot read model artifact ${file}`,
      {},
      { cause: e },
    );
  }
  return parseArtifact(JSON.parse(text));
}
