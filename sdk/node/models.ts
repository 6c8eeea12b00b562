/**
 * Which committed model a deployed circuit runs (to encode digits for it and decode its outputs):
 * the `model/mnist-mlp-*.json` whose per-sample input size and output count fit the circuit.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CircuitRecord } from "../deployments.ts";
import type { ModelArtifact } from "../model.ts";
import { loadModel } from "./files.ts";

export const MODEL_DIR = fileURLToPath(new URL("../../model/", import.meta.url));

/** The model of `circuit` (undefined for circuits without one, like binding_test). */
export function modelForCircuit(
  circuit: Pick<CircuitRecord, "name" | "inputBytes" | "numPublic">,
  dir = MODEL_DIR,
): ModelArtifact | undefined {
  if (!existsSync(dir) || circuit.inputBytes === 0) return undefined;
  const outputs = circuit.numPublic - 2;
  const candidates: ModelArtifact[] = [];
  for (const f of readdirSync(dir)) {
    if (!/^mnist-mlp.*\.json$/.test(f)) continue;
    let m: ModelArtifact;
    try {
      m = loadModel(join(dir, f));
    } catch {
      continue;
    }
    if (circuit.inputBytes % m.inputSize === 0 && circuit.inputBytes / m.inputSize === outputs)
      candidates.push(m);
  }
  // Prefer the model the circuit is named after (`mnist_mlp_full_b1` ↔ `mnist-mlp-full`).
  const key = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");
  return candidates.find((m) => key(circuit.name).startsWith(key(m.name))) ?? candidates[0];
}
