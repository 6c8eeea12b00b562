/**
 * Treats Solidity compiler warnings as errors: reads the compiler output Hardhat saved in
 * artifacts/build-info/ and fails if any warning concerns a file of this project (dependencies and
 * the snarkjs-generated verifiers, which we must not edit, are reported but do not fail).
 * Run after `hardhat build`. Only the build-infos that the current artifacts point at are read:
 * older ones from earlier builds stay in build-info/ and describe sources that no longer exist.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

interface SolcError {
  severity: "error" | "warning" | "info";
  formattedMessage?: string;
  message: string;
  sourceLocation?: { file: string };
}

const root = path.join(process.cwd(), "artifacts");
const dir = path.join(root, "build-info");

/**
 * For every source with compiled artifacts, the build-infos its artifacts point at (keyed like solc's
 * source names: "project/contracts/X.sol"). A warning counts only when it comes from a build-info that
 * is current for the file it concerns; a file compiled only as another's dependency is judged by the
 * build-infos of any current artifact.
 */
async function currentBuildInfos(): Promise<Map<string, Set<string>>> {
  const bySource = new Map<string, Set<string>>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (!entry.isFile() || !entry.name.endsWith(".json") || full.startsWith(dir + path.sep)) continue;
    const id = (JSON.parse(await readFile(full, "utf8")) as { buildInfoId?: unknown }).buildInfoId;
    if (typeof id !== "string") continue;
    const source = `project/${path.relative(root, entry.parentPath).split(path.sep).join("/")}`;
    bySource.set(source, (bySource.get(source) ?? new Set()).add(id));
  }
  return bySource;
}

const bySource = await currentBuildInfos();
const current = new Set([...bySource.values()].flatMap((ids) => [...ids]));
if (current.size === 0) {
  console.error("error: no compiled artifacts under artifacts/ — run `hardhat build` first");
  process.exit(1);
}
let failed = 0;
let seen = 0;
for (const id of current) {
  const f = `${id}.output.json`;
  const out = JSON.parse(await readFile(path.join(dir, f), "utf8")) as { output?: { errors?: SolcError[] } };
  for (const e of out.output?.errors ?? []) {
    if (e.severity !== "warning") continue;
    const file = e.sourceLocation?.file ?? "";
    if (!(bySource.get(file) ?? current).has(id)) continue; // an older compilation of this file
    seen++;
    const ours = file.startsWith("project/contracts/") && !file.startsWith("project/contracts/generated/");
    // Solidity test contracts deploy the whole protocol from one contract: the mainnet code-size
    // limit does not apply to them (Hardhat's test EVM lifts it), every other warning does.
    const testFile = file.startsWith("project/test/") && !/code size is|initcode size is/.test(e.message);
    if (!ours && !testFile && file.startsWith("project/test/")) continue;
    console.error(
      `${ours || testFile ? "error" : "note"}: solc warning in ${file || "?"}: ${e.formattedMessage ?? e.message}`,
    );
    if (ours || testFile) failed++;
  }
}
if (failed) {
  console.error(`${failed} Solidity compiler warning(s) in project sources (warnings are errors)`);
  process.exit(1);
}
console.log(`solc: no warnings in project sources${seen ? ` (${seen} in dependencies/generated code)` : ""}`);
