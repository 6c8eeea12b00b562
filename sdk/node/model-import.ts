/**
 * The model compiler's import stage (Node-only: reads files). A TF.js Layers model (`model.json` +
 * weight shards) → folded float graph → post-training quantization → a `proofwork-qmodel-v2`
 * artifact, plus a report (folds, per-layer scales and bounds, float vs quantized accuracy on the
 * labelled data given).
 *
 *   const { artifact, report } = importModel("model/mnist-cnn/model.json", {
 *     name: "mnist-cnn", calibration: bytes[], labels: number[] });
 */
import { ErrorCodes, ProofworkError } from "../errors.ts";
import { readLayersModel } from "./model-files.ts";
import { argmax, inferSample } from "../model/reference.ts";
import { floatForward, quantizeGraph, type LayerReport, type QuantizeOptions } from "../model/quantize.ts";
import { readFloatGraph, type FloatGraph } from "../model/topology.ts";
import type { InputSource, ModelArtifactV2 } from "../model/format.ts";

export interface ImportOptions {
  /** artifact name (letters, digits, '-', '_') */
  name: string;
  /** calibration inputs: per sample, its input bytes (the model's input shape, uint8 HWC) */
  calibration: Uint8Array[];
  /** labels of the calibration samples (accuracy is then reported on them) */
  labels?: number[];
  /** a separate labelled set to report accuracy on (e.g. held-out digits); preferred over `labels` */
  evaluation?: { inputs: Uint8Array[]; labels: number[] };
  /** override the model's declared input shape (without the batch dimension) */
  inputShape?: number[];
  /**
   * Float value of byte v: `v · inputScale + inputOffset` (defaults 1/255 and 0: images in [0, 1]).
   * A leading Rescaling layer is folded on top of this (a model that rescales bytes itself should
   * pass inputScale 1).
   */
  inputScale?: number;
  inputOffset?: number;
  /** how a requester's source image maps to the input bytes (default identity) */
  source?: InputSource;
  /** calibration maximum per requantized channel (default 127) */
  activationTarget?: number;
  meta?: Record<string, unknown>;
}

export interface AccuracyReport {
  samples: number;
  float: number;
  quantized: number;
  /** predictions on which the float and the quantized model disagree */
  disagreements: number;
}

export interface ImportReport {
  notes: string[];
  layers: LayerReport[];
  accuracy?: AccuracyReport;
}

/** Float and quantized (bigint reference) accuracy of `artifact` vs its float graph. */
export function compareAccuracy(
  g: FloatGraph,
  artifact: ModelArtifactV2,
  inputs: Uint8Array[],
  labels: number[],
): AccuracyReport {
  let f = 0;
  let q = 0;
  let d = 0;
  inputs.forEach((x, k) => {
    const fo = floatForward(
      g,
      Float64Array.from(x, (b) => b * g.inputScale + g.inputOffset),
    );
    let fp = 0;
    for (let i = 1; i < fo.length; i++) if (fo[i]! > fo[fp]!) fp = i;
    const qp = argmax(inferSample(artifact, x));
    if (fp === labels[k]) f++;
    if (qp === labels[k]) q++;
    if (fp !== qp) d++;
  });
  return { samples: inputs.length, float: f / inputs.length, quantized: q / inputs.length, disagreements: d };
}

/** Reads, folds and parses a TF.js Layers model file into a float graph. */
export function readModelGraph(
  modelJsonPath: string,
  opts: Pick<ImportOptions, "inputShape" | "inputScale" | "inputOffset"> = {},
): FloatGraph {
  const src = readLayersModel(modelJsonPath);
  const g = readFloatGraph(
    {
      modelTopology: src.modelTopology,
      weightSpecs: src.weightSpecs ?? [],
      weightData: src.weightData as ArrayBuffer,
    },
    opts.inputShape ? { inputShape: opts.inputShape } : {},
  );
  // Compose the caller's byte → float map with a folded leading Rescaling.
  const s = opts.inputScale ?? 1 / 255;
  const o = opts.inputOffset ?? 0;
  return { ...g, inputScale: s * g.inputScale, inputOffset: o * g.inputScale + g.inputOffset };
}

/** Import → quantize → artifact + report. Unsupported layers throw MODEL_UNSUPPORTED (one line). */
export function importModel(
  modelJsonPath: string,
  opts: ImportOptions,
): { artifact: ModelArtifactV2; report: ImportReport; graph: FloatGraph } {
  const graph = readModelGraph(modelJsonPath, opts);
  if (graph.inputShape.length === 0) {
    throw new ProofworkError(ErrorCodes.MODEL_INVALID, "the model declares no input shape: pass inputShape");
  }
  const qopts: QuantizeOptions = {
    name: opts.name,
    calibration: opts.calibration,
    ...(opts.activationTarget !== undefined ? { activationTarget: opts.activationTarget } : {}),
    ...(opts.source ? { source: opts.source } : {}),
    meta: {
      importedFrom: modelJsonPath.split("/").slice(-2).join("/"),
      folds: graph.notes,
      ...(opts.meta ?? {}),
    },
  };
  const { artifact, layers } = quantizeGraph(graph, qopts);
  const report: ImportReport = { notes: graph.notes, layers };
  if (opts.evaluation)
    report.accuracy = compareAccuracy(graph, artifact, opts.evaluation.inputs, opts.evaluation.labels);
  else if (opts.labels) report.accuracy = compareAccuracy(graph, artifact, opts.calibration, opts.labels);
  return { artifact, report, graph };
}
