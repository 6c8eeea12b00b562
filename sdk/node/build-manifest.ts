/**
 * The circuit build's manifest (`<buildDir>/<name>/manifest.json`, written by circuits/pipeline.ts)
 * and its one reader, used by the build itself, deploy, the CLI, the demo, benchmarks and tests.
 * Paths in the file are relative to the repository root (a build folder can be moved); the reader
 * returns them absolute.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { SamplingShapeSchema } from "../deployments.ts";
import { ErrorCodes, ProofworkError } from "../errors.ts";

/** Repository root (paths in manifests are relative to it). */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Where a circuit's Groth16 phase 2 came from (see circuits/README.md). */
export const KEYS_SOURCES = ["dev-ceremony", "local-contribution", "phase2"] as const;
export type KeysSource = (typeof KEYS_SOURCES)[number];

const hex = z.string().regex(/^[0-9a-f]{64}$/);

export const BuiltCircuitSchema = z.object({
  name: z.string(),
  dir: z.string(),
  wasm: z.string(),
  r1cs: z.string(),
  zkey: z.string().optional(),
  vkey: z.string().optional(),
  /** Contract name of the generated verifier (`contracts/generated/<Name>.sol`). */
  verifierContract: z.string().optional(),
  constraints: z.number().int().nonnegative(),
  nPublic: z.number().int().nonnegative(),
  ptauPower: z.number().int().optional(),
  ptauSource: z.enum(["dev-ceremony", "file"]).optional(),
  /** sha256 of the .ptau the keys were made from. */
  ptauSha256: hex.optional(),
  keysSource: z.enum(KEYS_SOURCES).optional(),
  /** sha256 of the circom source + gadget library + toolchain versions. */
  sourceHash: hex,
  /** For a circuit generated from a model artifact: its content hash (the registry's model
   * commitment) and the sha256 of the generated circom main (regenerate and compare). */
  model: z.object({ artifactHash: z.string(), generatedSourceSha256: z.string() }).optional(),
  /** Input bytes per job (private inputs of the circuit). */
  inputBytes: z.number().int().nonnegative().optional(),
  /** A model's sampling circuit (batch jobs with `slots > 0`): samples per proof and tree depth. */
  sampling: SamplingShapeSchema.optional(),
  /** sha256 (plain hex) of the installed wasm, zkey and verification key. */
  wasmSha256: hex,
  zkeySha256: hex.optional(),
  vkeySha256: hex.optional(),
});
/** A built circuit, paths absolute. */
export type BuiltCircuit = z.output<typeof BuiltCircuitSchema>;

/** The manifest file of circuit `name` in `buildDir`. */
export function manifestPath(name: string, buildDir: string): string {
  return path.resolve(ROOT, buildDir, name, "manifest.json");
}

/** Reads an installed circuit's manifest (CIRCUIT_NOT_BUILT when missing or unreadable). */
export function readBuiltCircuit(
  name: string,
  buildDir = path.join(ROOT, "build", "circuits"),
): BuiltCircuit {
  const file = manifestPath(name, buildDir);
  if (!existsSync(file)) {
    throw new ProofworkError(
      ErrorCodes.CIRCUIT_NOT_BUILT,
      `circuit "${name}" is not built (run: npm run circuits:build)`,
      { name },
    );
  }
  const parsed = BuiltCircuitSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProofworkError(
      ErrorCodes.CIRCUIT_NOT_BUILT,
      `${file} is malformed at ${issue.path.join(".")}: ${issue.message} (rebuild the circuit)`,
    );
  }
  const m = parsed.data;
  const abs = (p?: string) => (p === undefined ? undefined : path.resolve(ROOT, p));
  return {
    ...m,
    dir: abs(m.dir)!,
    wasm: abs(m.wasm)!,
    r1cs: abs(m.r1cs)!,
    zkey: abs(m.zkey),
    vkey: abs(m.vkey),
  };
}

/** Names of the circuits installed in `buildDir` (only those with keys when `withKeys`). */
export function listBuiltCircuits(buildDir: string, opts: { withKeys?: boolean } = {}): string[] {
  if (!existsSync(buildDir)) return [];
  return readdirSync(buildDir)
    .filter((n) => existsSync(manifestPath(n, buildDir)))
    .filter((n) => !opts.withKeys || readBuiltCircuit(n, buildDir).zkeySha256 !== undefined)
    .sort();
}
