/**
 * Treats Solidity compiler warnings as errors: reads the compiler output Hardhat saved in
 * artifacts/build-info/ and fails if any warning concerns a file of this project (dependencies and
 * the snarkjs-generated verifiers, which we must not edit, are reported but do not fail).
 * Run after `hardhat build`.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

interface SolcError {
  severity: "error" | "warning" | "info";
  formattedMessage?: string;
  message: string;
  sourceLocation?: { file: string };
}

const dir = path.join(process.cwd(), "artifacts", "build-info");
let failed = 0;
let seen = 0;
for (const f of (await readdir(dir)).filter((x) => x.endsWith(".output.json"))) {
  const out = JSON.parse(await readFile(path.join(dir, f), "utf8")) as { output?: { errors?: SolcError[] } };
  for (const e of out.output?.errors ?? []) {
    if (e.severity !== "warning") continue;
    seen++;
    const file = e.sourceLocation?.file ?? "";
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
