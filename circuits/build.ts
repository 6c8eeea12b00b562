/**
 * `npm run circuits:build [-- --profile test|demo|all|bench] [--only a,b] [--ptau file]`
 *
 * Builds the circuits a profile needs (see circuits/manifest.ts), caching everything by content
 * hash, and prints the time of each step. `PTAU=/path/file.ptau` (or `--ptau`) uses a public
 * Powers-of-Tau file instead of the local, insecure development ceremony.
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../sdk/node/config.ts";
import { errorMessage, isProofworkError } from "../sdk/errors.ts";
import { circuitNames, specsFor, type Profile } from "./manifest.ts";
import { buildCircuits, releaseCurves } from "./pipeline.ts";

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      profile: { type: "string", default: "all" },
      only: { type: "string" },
      ptau: { type: "string" },
    },
  });
  const profile = values.profile as Profile;
  if (!["test", "demo", "all", "bench"].includes(profile)) {
    console.error(`error: unknown profile "${values.profile}" (expected test, demo, all or bench)`);
    return 2;
  }
  const only = values.only?.split(",").map((s) => s.trim());
  const unknown = only?.filter((n) => !circuitNames().includes(n)) ?? [];
  if (unknown.length) {
    console.error(`error: unknown circuit(s): ${unknown.join(", ")} (known: ${circuitNames().join(", ")})`);
    return 2;
  }
  const t0 = performance.now();
  try {
    // PTAU, PROOFWORK_CACHE and PROOFWORK_BUILD_DIR come from the config module; --ptau wins.
    const config = loadConfig({ ptau: values.ptau });
    const ptau = config.ptau;
    console.log(
      `circuits: building profile "${profile}"${ptau ? ` with PTAU=${ptau}` : " with a local dev ceremony (INSECURE, development only)"}`,
    );
    const built = await buildCircuits(specsFor(profile, only), {
      ptau,
      cacheDir: config.cacheDir,
      outDir: config.buildDir,
    });
    console.log(
      `circuits: ${built.length} circuit(s) ready in ${((performance.now() - t0) / 1000).toFixed(1)}s`,
    );
    return 0;
  } catch (e) {
    console.error(isProofworkError(e) ? e.toLine() : e instanceof Error ? e.stack : errorMessage(e));
    return 1;
  } finally {
    await releaseCurves();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
