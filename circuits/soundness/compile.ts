/**
 * Scratch circom builds for soundness tests and the mutation check: compiles a main source with
 * `--r1cs --wasm --sym --O2` (the build's flags) against the gadget library — or against a mutated
 * copy of it — cached under build/scratch/ by content hash (circom2 runs in a WASI sandbox that
 * sees only the repository and its parents).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT, circomlibIncludeDir } from "../pipeline.ts";

const run = promisify(execFile);
const LIB = path.join(ROOT, "circuits", "src", "lib");

/** A textual change to one gadget library file (`lib/<file>`) or to the generated main source. */
export interface Mutation {
  id: string;
  /** what the change removes, in words */
  removes: string;
  /** `lib/...circom` file, or "main" for the generated source */
  file: string;
  find: string;
  replace: string;
}

export interface ScratchBuild {
  dir: string;
  r1cs: string;
  wasm: string;
  sym: string;
}

/** Applies a mutation to a text; throws when the text to find is missing (a stale mutation). */
export function mutate(text: string, m: Mutation): string {
  if (!text.includes(m.find)) throw new Error(`mutation ${m.id}: "${m.find.trim()}" not found in ${m.file}`);
  return text.split(m.find).join(m.replace);
}

export async function compileScratch(
  name: string,
  source: string,
  mutation?: Mutation,
): Promise<ScratchBuild> {
  const lib = new Map<string, string>();
  for (const f of readdirSync(LIB)
    .filter((f) => f.endsWith(".circom"))
    .sort())
    lib.set(f, readFileSync(path.join(LIB, f), "utf8"));
  let main = source;
  if (mutation) {
    if (mutation.file === "main") main = mutate(main, mutation);
    else {
      const f = mutation.file.replace(/^lib\//, "");
      lib.set(f, mutate(lib.get(f) ?? "", mutation));
    }
  }
  const h = createHash("sha256").update(main);
  for (const [f, t] of lib) h.update(f).update("\0").update(t).update("\0");
  const dir = path.join(ROOT, "build", "scratch", `${name}-${h.digest("hex").slice(0, 16)}`);
  const out: ScratchBuild = {
    dir,
    r1cs: path.join(dir, `${name}.r1cs`),
    wasm: path.join(dir, `${name}_js`, `${name}.wasm`),
    sym: path.join(dir, `${name}.sym`),
  };
  if (existsSync(out.r1cs) && existsSync(out.wasm) && existsSync(out.sym)) return out;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(path.join(tmp, "lib"), { recursive: true });
  for (const [f, t] of lib) writeFileSync(path.join(tmp, "lib", f), t);
  writeFileSync(path.join(tmp, `${name}.circom`), main);
  const circom = path.join(ROOT, "node_modules", ".bin", "circom2");
  // circom2 (WASI) only sees the parents of its cwd: run it from the temp folder's parent with
  // relative paths, and give circomlib as a path below the same root.
  const args = [
    path.join(tmp, `${name}.circom`),
    "--r1cs",
    "--wasm",
    "--sym",
    "--O2",
    "-l",
    tmp,
    "-l",
    circomlibIncludeDir(),
    "-o",
    tmp,
  ];
  await run(circom, args, { cwd: ROOT, maxBuffer: 1 << 26 });
  rmSync(dir, { recursive: true, force: true });
  cpSync(tmp, dir, { recursive: true });
  rmSync(tmp, { recursive: true, force: true });
  return out;
}
