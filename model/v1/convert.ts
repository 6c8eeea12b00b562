/**
 * Converts a `proofwork-qmlp-v1` MLP artifact (model/mnist-mlp-*.json) into `proofwork-qmodel-v2`,
 * with identical arithmetic: dense layers, one shift per layer (repeated per neuron), the same
 * input bytes (`avgpool2x2` preprocessing becomes `input.source`) and the same output packing.
 * Browser-safe.
 */
import type { ModelArtifact } from "./format.ts";
import { PACK_LIMIT_BITS, makeArtifact, type ModelArtifactV2, type QLayer } from "../../sdk/index.ts";

export function fromV1(m: ModelArtifact): ModelArtifactV2 {
  const layers: QLayer[] = m.layers.map((l) => ({
    kind: "dense",
    inShape: [l.inputs],
    outShape: [l.outputs],
    weights: l.weights.flat(),
    bias: [...l.bias],
    shift: new Array<number>(l.outputs).fill(l.shift),
    relu: l.relu,
  }));
  const classes = m.layers[m.layers.length - 1]!.outputs;
  return makeArtifact(
    {
      name: m.name,
      input: {
        shape: [m.inputSize],
        encoding: "uint8-hwc",
        scale: m.scales.input,
        offset: 0,
        source:
          m.preprocess.kind === "avgpool2x2"
            ? { kind: "avgpool2x2", from: [28, 28, 1] }
            : { kind: "identity" },
      },
      layers,
      output: { classes, bits: m.outputBits, perElement: Math.floor(PACK_LIMIT_BITS / m.outputBits) },
    },
    {
      convertedFrom: { format: m.format, weightsHash: m.weightsHash },
      accuracy: m.accuracy,
      split: m.split,
    },
  );
}
