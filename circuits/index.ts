/**
 * Public entry point of the circuit build (used by the CLI, the demo and benchmarks): the circuit
 * manifest (what each profile builds), the build pipeline, the model → circom generator and the
 * development ceremony.
 */
export { MANIFEST, circuitNames, specsFor, type Profile } from "./manifest.ts";
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
  MLP_INSTANCES,
  loadMlpModel,
  mlpCircuitName,
  mlpCircuitSpec,
  mlpConstraintEstimate,
  type MlpInstance,
} from "./mlp-gen.ts";
export { DevCeremony, circuitPower, readR1cs, type DevPtau } from "./ceremony.ts";
