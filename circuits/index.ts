/**
 * Public entry point of the circuit build (used by the CLI, the demo and benchmarks): the circuit
 * manifest (what each profile builds), the build pipeline, the model → circom generator and the
 * development ceremony.
 */
export {
  MANIFEST,
  MODELS,
  circuitNames,
  loadCommittedModel,
  specsFor,
  type ModelName,
  type Profile,
} from "./manifest.ts";
export {
  ROOT,
  buildCircuit,
  buildCircuits,
  loadBuiltCircuit,
  releaseCurves,
  type BuildOptions,
  type BuiltCircuit,
  type CircuitSpec,
} from "./pipeline.ts";
export {
  ARTIFACT_SUFFIX,
  importedModelPath,
  listModels,
  resolveModel,
  saveImportedModel,
  type CatalogEntry,
} from "./catalog.ts";
export {
  circuitName,
  circuitSpecFor,
  constraintEstimate,
  generateCircuit,
  generateSamplingCircuit,
  samplingCircuitName,
  samplingSpecFor,
} from "./model-gen.ts";
export { DevCeremony, circuitPower, readR1cs, type DevPtau } from "./ceremony.ts";
