/**
 * Exports the ABIs the SDK needs from the Hardhat artifacts into `sdk/abi/<Name>.json`
 * (generated files; the SDK reads them at run time without Hardhat). Run after `npx hardhat compile`:
 * `npm run abi`.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ABI_DIR, CONTRACT_NAMES } from "../sdk/contracts.ts";
import { ErrorCodes, ProofworkError } from "../sdk/errors.ts";

/** Finds `<Name>.json` under the artifacts' `contracts/` tree. */
function findArtifact(dir: string, name: string): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findArtifact(p, name);
      if (found !== undefined) return found;
    } else if (entry.name === `${name}.json`) {
      return p;
    }
  }
  return undefined;
}

/** Writes one ABI file per contract; returns the names exported (missing ones are listed). */
export function exportAbis(
  artifactsDir = "artifacts",
  outDir = ABI_DIR,
): { exported: string[]; missing: string[] } {
  const root = join(artifactsDir, "contracts");
  if (!existsSync(root)) {
    throw new ProofworkError(
      ErrorCodes.CONFIG_INVALID,
      `no artifacts in ${artifactsDir}: run \`npx hardhat compile\` first`,
    );
  }
  mkdirSync(outDir, { recursive: true });
  const exported: string[] = [];
  const missing: string[] = [];
  for (const name of CONTRACT_NAMES) {
    const path = findArtifact(root, name);
    if (path === undefined) {
      missing.push(name);
      continue;
    }
    const { abi } = JSON.parse(readFileSync(path, "utf8")) as { abi: unknown };
    writeFileSync(join(outDir, `${name}.json`), `${JSON.stringify(abi, null, 2)}\n`);
    exported.push(name);
  }
  return { exported, missing };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { exported, missing } = exportAbis();
  console.log(
    `exported ABIs: ${exported.join(", ") || "none"}${missing.length ? `; missing: ${missing.join(", ")}` : ""}`,
  );
}
