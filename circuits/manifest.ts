/**
 * The circuits proofwork builds. Each entry says how to produce its circom main source and whether
 * it needs keys. The model circuits are generated from the committed model artifacts
 * (`model/*.qmodel.json`, the one model format) by circuits/model-gen.ts. Profiles select what a
 * command needs:
 *   - `test`: what the test suite needs (the small MLP and the CNN with keys — one worker serves
 *     both —; the full MLP compiled for witness checks only);
 *   - `demo`: what the demo and a production deployment need (full MLP and CNN with keys);
 *   - `all`: every circuit, keys for all but the batch-4 ones;
 *   - `bench`: the batch-4 variants with keys for `npm run bench:zk`.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArtifact, type ModelArtifact } from "../sdk/index.ts";
import { circuitSpecFor, samplingSpecFor } from "./model-gen.ts";
import { ROOT, type CircuitSpec } from "./pipeline.ts";

export type Profile = "test" | "demo" | "all" | "bench";

interface ManifestEntry {
  spec: CircuitSpec;
  /** Profiles that need this circuit with keys (setup); others that list it compile it only. */
  setupIn: Profile[];
  /** Profiles that need this circuit at all. */
  in: Profile[];
}

/** The committed model artifacts the built-in circuits are generated from. */
export const MODELS = {
  "mnist-mlp-small": "model/mnist-mlp-small.qmodel.json",
  "mnist-mlp-full": "model/mnist-mlp-full.qmodel.json",
  "mnist-cnn": "model/mnist-cnn.qmodel.json",
} as const;
export type ModelName = keyof typeof MODELS;

/** A committed model artifact, validated (its hash, bounds and shapes). */
export function loadCommittedModel(name: ModelName): ModelArtifact {
  return parseArtifact(JSON.parse(readFileSync(path.join(ROOT, MODELS[name]), "utf8")));
}

const src = (file: string) => () => readFile(path.join(ROOT, "circuits", "src", file), "utf8");

/** The spec of a committed model's sampling circuit (batch jobs proven by `proveSampled`). */
function samplingSpec(name: ModelName, slots: number, depth: number): CircuitSpec {
  return samplingSpecFor(loadCommittedModel(name), { slots, depth, setup: true });
}

/** The spec of a committed model's circuit at a batch size. */
function modelSpec(name: ModelName, batch: number): CircuitSpec {
  return circuitSpecFor(loadCommittedModel(name), { batch, setup: true });
}

export const MANIFEST: ManifestEntry[] = [
  {
    spec: {
      name: "binding_test",
      source: src("binding_test.circom"),
      setup: true,
      description: "job binding + input commitment gadget over 62 bytes",
    },
    setupIn: ["test", "all"],
    in: ["test", "all"],
  },
  {
    // The same circuit with its own Groth16 setup: a verifier with a different verification key,
    // used to show that a proof only verifies under the key it was made for.
    spec: {
      name: "binding_test_rekeyed",
      source: src("binding_test.circom"),
      setup: true,
      description: "binding_test with an independent key (test only)",
    },
    setupIn: ["test", "all"],
    in: ["test", "all"],
  },
  // MNIST job circuits: small MLP ×1 (~2,300 constraints): the test suite's proofs; full MLP ×1
  // (~7,700): demo and production; CNN ×1 (~39,500, 2^16): tests (two models in one worker), demo
  // (`--model cnn`) and production;
  // batch-4 variants for the proving benchmark.
  { spec: modelSpec("mnist-mlp-small", 1), setupIn: ["test", "demo", "all"], in: ["test", "demo", "all"] },
  { spec: modelSpec("mnist-mlp-full", 1), setupIn: ["demo", "all"], in: ["test", "demo", "all"] },
  { spec: modelSpec("mnist-cnn", 1), setupIn: ["test", "demo", "all"], in: ["test", "demo", "all"] },
  { spec: modelSpec("mnist-mlp-small", 4), setupIn: ["all", "bench"], in: ["all", "bench"] },
  { spec: modelSpec("mnist-mlp-full", 4), setupIn: ["bench"], in: ["all", "bench"] },
  // Sampling circuits (batch jobs with `slots > 0`, docs/BATCH.md): the small MLP with 4 slots over
  // trees of depth 10 (N ≤ 1,024; tests and the demo's batch), and with 16 slots over depth 20
  // (N ≤ 2^20, ~195,000 constraints, 2^18: the benchmark's k = 16 in one proof).
  {
    spec: samplingSpec("mnist-mlp-small", 4, 10),
    setupIn: ["test", "demo", "all"],
    in: ["test", "demo", "all"],
  },
  { spec: samplingSpec("mnist-mlp-small", 16, 20), setupIn: ["bench"], in: ["bench"] },
];

/** The specs a profile builds (optionally only the named ones), with `setup` resolved per profile. */
export function specsFor(profile: Profile, only?: string[]): CircuitSpec[] {
  const entries = MANIFEST.filter((e) => e.in.includes(profile) && (!only || only.includes(e.spec.name)));
  return entries.map((e) => ({ ...e.spec, setup: e.setupIn.includes(profile) }));
}

export function circuitNames(): string[] {
  return MANIFEST.map((e) => e.spec.name);
}
