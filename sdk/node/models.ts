/**
 * The model a deployed circuit runs, from its published artifact (`model.json` next to the wasm
 * and zkey): fetched, validated, and checked against the content hash the registry commits to —
 * so the CLI encodes inputs for, and decodes outputs of, exactly the model the circuit proves.
 */
import { fetchArtifact } from "./files.ts";
import type { ArtifactFetcher } from "../artifacts.ts";
import type { CircuitRecord } from "../deployments.ts";
import { ErrorCodes, ProofworkError, errorMessage } from "../errors.ts";
import { parseArtifact, type ModelArtifact } from "../model/format.ts";

/** The model of `circuit` (undefined for circuits without one, like binding_test). */
export async function loadCircuitModel(
  circuit: Pick<CircuitRecord, "name" | "modelUri" | "modelHash">,
  fetch: ArtifactFetcher = fetchArtifact,
): Promise<ModelArtifact | undefined> {
  if (circuit.modelUri === undefined || circuit.modelHash === undefined) return undefined;
  let model: ModelArtifact;
  try {
    model = parseArtifact(JSON.parse(new TextDecoder().decode(await fetch(circuit.modelUri))));
  } catch (e) {
    if (e instanceof ProofworkError && e.code === ErrorCodes.ARTIFACT_FETCH_FAILED) throw e;
    throw new ProofworkError(
      ErrorCodes.ARTIFACT_MISMATCH,
      `the model of circuit ${circuit.name} at ${circuit.modelUri} is not a valid model artifact: ${errorMessage(e)}`,
    );
  }
  if (model.hash.toLowerCase() !== circuit.modelHash.toLowerCase()) {
    throw new ProofworkError(
      ErrorCodes.ARTIFACT_MISMATCH,
      `the model at ${circuit.modelUri} has hash ${model.hash}, circuit ${circuit.name} commits to ${circuit.modelHash}`,
    );
  }
  return model;
}
