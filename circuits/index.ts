/**
 * Public entry point of the circuit build (used by the CLI, the demo and benchmarks): the circuit
 * manifest (what each profile builds) and the build pipeline.
 */
export { MANIFEST, circuitNames, specsFor, type Profile } from "./manifest.ts";
export {
  buildCircuit,
  buildCircuits,
  loadBuiltCircuit,
  releaseCurves,
  type BuildOptions,
  type BuiltCircuit,
  type CircuitSpec,
} from "./pipeline.ts";
export { MLP_INSTANCES, loadMlpModel, mlpCircuitName, mlpCircuitSpec } from "./mlp-gen.ts";
