/**
 * `proofwork circuits build`: compile circuits, run the (dev) Groth16 setup, generate verifiers.
 */
import type { Command } from "commander";
import { ErrorCodes, FIELD_SPECS, ProofworkError, listBuiltCircuits, type Config } from "../../sdk/node.ts";
import { parseList } from "../args.ts";
import { action, configOf, output } from "../context.ts";
import type { Output } from "../output.ts";

export function registerCircuitsCommands(program: Command): void {
  const circuits = program.command("circuits").description("circuit artifacts");
  circuits
    .command("build")
    .description("compile circuits, run the Groth16 setup and generate verifiers (cached by content hash)")
    .option("--profile <profile>", "test | demo | all", "demo")
    .option("--only <names>", "comma-separated circuit names")
    .option("--ptau <file>", `Powers-of-Tau file (env ${FIELD_SPECS.ptau.env}; default: local dev ceremony)`)
    .action(
      action(async (opts: { profile: string; only?: string; ptau?: string }, cmd: Command) => {
        const out = output(cmd);
        const config = configOf(cmd, { ptau: opts.ptau });
        const built = await buildCircuitsCommand(opts.profile, opts.only, config, out);
        out.result({ ok: true, circuits: built }, [`built ${built.length} circuit(s): ${built.join(", ")}`]);
      }),
    );
}

/** Circuits with keys installed in `buildDir`. */
export async function builtCircuitNames(buildDir: string): Promise<string[]> {
  return listBuiltCircuits(buildDir, { withKeys: true });
}

export async function buildCircuitsCommand(
  profile: string,
  only: string | undefined,
  config: Config,
  out: Output,
): Promise<string[]> {
  if (!["test", "demo", "all"].includes(profile)) {
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      `unknown profile "${profile}" (expected test, demo or all)`,
    );
  }
  const { specsFor, circuitNames, buildCircuits, releaseCurves } = await import("../../circuits/index.ts");
  const names = only !== undefined ? parseList(only) : undefined;
  const unknown = names?.filter((n) => !circuitNames().includes(n)) ?? [];
  if (unknown.length > 0) {
    throw new ProofworkError(
      ErrorCodes.CIRCUIT_UNKNOWN,
      `unknown circuit(s) ${unknown.join(", ")} (known: ${circuitNames().join(", ")})`,
    );
  }
  try {
    const built = await buildCircuits(specsFor(profile as "test" | "demo" | "all", names), {
      ptau: config.ptau,
      cacheDir: config.cacheDir,
      outDir: config.buildDir,
      log: (l) => out.progress(l),
    });
    return built.map((b) => b.name);
  } finally {
    await releaseCurves();
  }
}
