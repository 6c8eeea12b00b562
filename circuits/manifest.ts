/**
 * The circuits proofwork builds. Each entry says how to produce its circom main source and whether
 * it needs keys. Profiles select what a command needs:
 *   - `test`: what the test suite needs (small instances with keys; full model compiled for
 *     witness checks only) — one 2^12 dev ceremony;
 *   - `demo`: what the demo and a production deployment need (the full model with keys) — 2^13;
 *   - `all`: every circuit, keys for all but the full batch-4 one;
 *   - `bench`: the batch-4 variants with keys for `npm run bench:zk` (a 2^15 dev ceremony, ~20 s).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ROOT, type CircuitSpec } from "./pipeline.ts";
import { mlpCircuitSpec } from "./mlp-gen.ts";

export type Profile = "test" | "demo" | "all" | "bench";

interface ManifestEntry {
  spec: CircuitSpec;
  /** Profiles that need this circuit with keys (setup); others that list it compile it only. */
  setupIn: Profile[];
  /** Profiles that need this circuit at all. */
  in: Profile[];
}

const src = (file: string) => () => readFile(path.join(ROOT, "circuits", "src", file), "utf8");

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
  // MNIST MLP job circuits, generated from the committed model artifacts (circuits/mlp-gen.ts).
  // small ×1 (2,300 constraints): the test suite's proofs; full ×1 (7,726, fits 2^13): witness
  // checks in tests, keys for demo/production; small ×4 (8,747) and full ×4 (30,763, needs 2^15):
  // batching benchmark (`npm run bench:zk`).
  { spec: mlpCircuitSpec("small", 1, true), setupIn: ["test", "demo", "all"], in: ["test", "demo", "all"] },
  { spec: mlpCircuitSpec("full", 1, true), setupIn: ["demo", "all"], in: ["test", "demo", "all"] },
  // Batch-4 variants for the proving benchmark (`bench`): the full one needs a 2^15 ceremony
  // (~20 s with the fast dev ceremony, ~18 min with snarkjs'), so `all` only compiles it.
  { spec: mlpCircuitSpec("small", 4, true), setupIn: ["all", "bench"], in: ["all", "bench"] },
  { spec: mlpCircuitSpec("full", 4, true), setupIn: ["bench"], in: ["all", "bench"] },
];

/** The specs a profile builds (optionally only the named ones), with `setup` resolved per profile. */
export function specsFor(profile: Profile, only?: string[]): CircuitSpec[] {
  const entries = MANIFEST.filter((e) => e.in.includes(profile) && (!only || only.includes(e.spec.name)));
  return entries.map((e) => ({ ...e.spec, setup: e.setupIn.includes(profile) }));
}

export function circuitNames(): string[] {
  return MANIFEST.map((e) => e.spec.name);
}
