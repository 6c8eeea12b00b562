/**
 * A float64 evaluator of the quantized model, used only to search quantization settings quickly.
 * It is exact (every value is an integer below 2^53) but it is not the reference: reported numbers
 * come from `model/v1/quant.ts` (see `model/accuracy.ts`).
 */
import type { QuantLayer } from "./v1/format.ts";

export function predictFast(layers: QuantLayer[], input: Uint8Array): number {
  let x: Float64Array = Float64Array.from(input);
  for (const l of layers) {
    const y = new Float64Array(l.outputs);
    const d = 2 ** l.shift;
    for (let j = 0; j < l.outputs; j++) {
      const row = l.weights[j]!;
      let a = l.bias[j]!;
      for (let i = 0; i < l.inputs; i++) a += row[i]! * x[i]!;
      let v = Math.floor(a / d);
      if (l.relu && v < 0) v = 0;
      y[j] = v;
    }
    x = y;
  }
  let best = 0;
  for (let k = 1; k < x.length; k++) if (x[k]! > x[best]!) best = k;
  return best;
}

export function quantizedAccuracyFast(
  _inputSize: number,
  layers: QuantLayer[],
  inputs: Uint8Array[],
  labels: number[],
): number {
  let ok = 0;
  inputs.forEach((v, k) => {
    if (predictFast(layers, v) === labels[k]) ok++;
  });
  return ok / inputs.length;
}
