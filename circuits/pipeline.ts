/**
 * Circuit build pipeline: circom2 compile → Powers of Tau → Groth16 setup → one contribution →
 * verification key + Solidity verifier.
 *
 * Everything expensive is cached outside git under `$PROOFWORK_CACHE` (default
 * `~/.cache/proofwork`), addressed by content hash:
 *   - compile output by sha256(main source + gadget library + circomlib + circom version);
 *   - the dev Powers-of-Tau ceremony by (power, snarkjs version);
 *   - keys by (compile hash, ptau hash, snarkjs version).
 * A second build with nothing changed does no compile, no ceremony and no setup, and says so.
 *
 * Outputs are installed into `build/circuits/<name>/` and the verifier into
 * `contracts/generated/<Pascal>Verifier.sol` (generated, never hand-edited).
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as snarkjs from "snarkjs";
import { ErrorCodes, ProofworkError } from "../sdk/errors.ts";
import { sha256File as sha256FileHex0x } from "../sdk/hash.ts";

/** Repository root (this file lives in `<root>/circuits/`). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const LIB_DIR = path.join(ROOT, "circuits", "src");
const GENERATED_CONTRACTS = path.join(ROOT, "contracts", "generated");

/** What the pipeline needs to know about one circuit. */
export interface CircuitSpec {
  /** snake_case name; output folder and artifact file names. */
  name: string;
  /** circom source of the main component (may `include "lib/..."` and circomlib files). */
  source: () => string | Promise<string>;
  /** Whether this build needs proving/verifying keys (false: compile only, for witness tests). */
  setup: boolean;
  /** Free-form description shown in the build log. */
  description?: string;
  /**
   * For a circuit generated from a model artifact (circuits/model-gen.ts): the artifact's content
   * hash and the sha256 of the generated main source, recorded in the manifest so anyone can
   * regenerate the source from the artifact and compare.
   */
  model?: ModelProvenance;
}

/** What pins a built circuit to its model artifact. */
export interface ModelProvenance {
  /** keccak256 of the artifact's canonical encoding (its `hash`, the registry's model commitment) */
  artifactHash: string;
  /** sha256 (hex) of the generated circom main source */
  generatedSourceSha256: string;
}

/** Manifest written next to a built circuit (`build/circuits/<name>/manifest.json`). */
export interface BuiltCircuit {
  name: string;
  dir: string;
  wasm: string;
  r1cs: string;
  zkey?: string;
  vkey?: string;
  verifierContract?: string;
  constraints: number;
  nPublic: number;
  ptauPower?: number;
  ptauSource?: "dev-ceremony" | "file";
  sourceHash: string;
  /** model artifact provenance (circuits generated from a `proofwork-qmodel-v2` artifact) */
  model?: ModelProvenance;
  /** sha256 of the installed wasm and zkey (what the on-chain registry records). */
  wasmSha256: string;
  zkeySha256?: string;
  vkeySha256?: string;
}

export interface BuildOptions {
  /** Public Powers-of-Tau file (prepared for phase 2). Default: a cached local dev ceremony. */
  ptau?: string;
  /** Cache root (config `PROOFWORK_CACHE`). Default: `~/.cache/proofwork`. */
  cacheDir?: string;
  /** Where built circuits are installed. Default `<root>/build/circuits`. */
  outDir?: string;
  /** Progress/log sink (one line per step). */
  log?: (line: string) => void;
  /**
   * Smallest Powers-of-Tau power to use. `buildCircuits` sets it to the largest circuit of the build
   * so that one ceremony serves them all.
   */
  minPower?: number;
  /** Internal: the compile step already ran and was logged (second pass of `buildCircuits`). */
  compiledAlready?: boolean;
}

function packageVersion(pkg: string): string {
  // Read package.json from disk: some packages (snarkjs) do not export it.
  const file = path.join(ROOT, "node_modules", pkg, "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}
const SNARKJS_VERSION = packageVersion("snarkjs");
const CIRCOMLIB_VERSION = packageVersion("circomlib");
const CIRCOM2_VERSION = packageVersion("circom2");

// ─────────────────────────────────────────────── helpers

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Streaming sha256 of a file, plain hex (the manifest and cache form). */
export async function sha256File(file: string): Promise<string> {
  return (await sha256FileHex0x(file)).slice(2);
}

function pascal(name: string): string {
  return name
    .split(/[_-]/)
    .filter(Boolean)
    .map((s) => s[0]!.toUpperCase() + s.slice(1))
    .join("");
}

async function timed<T>(log: (l: string) => void, label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  log(`  ${label} …`);
  const out = await fn();
  log(`  ${label} done in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  return out;
}

/** Every gadget library file, sorted, as one hashable string. */
async function libraryFingerprint(): Promise<string> {
  const files: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith(".circom")) files.push(p);
    }
  }
  await walk(path.join(LIB_DIR, "lib"));
  files.sort();
  const h = createHash("sha256");
  for (const f of files)
    h.update(path.relative(LIB_DIR, f))
      .update("\0")
      .update(await readFile(f))
      .update("\0");
  return h.digest("hex");
}

/**
 * The include root holding `circomlib/circuits`: `node_modules`, or — when `node_modules` is a
 * symlink (a git worktree sharing another checkout's packages), which circom2's WASI sandbox cannot
 * follow — a copy of circomlib's circuits under `build/circom-include/`.
 */
export function circomlibIncludeDir(): string {
  const nm = path.join(ROOT, "node_modules");
  if (!lstatSync(nm).isSymbolicLink()) return nm;
  const dir = path.join(ROOT, "build", "circom-include");
  const marker = path.join(dir, "circomlib", `.version-${CIRCOMLIB_VERSION}`);
  if (!existsSync(marker)) {
    rmSync(path.join(dir, "circomlib"), { recursive: true, force: true });
    mkdirSync(path.join(dir, "circomlib"), { recursive: true });
    cpSync(path.join(nm, "circomlib", "circuits"), path.join(dir, "circomlib", "circuits"), {
      recursive: true,
    });
    writeFileSync(marker, "");
  }
  return dir;
}

/** Runs a command; circom2 (WASI) only sees the parents of its cwd, so run it from the repo root. */
function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(
            new ProofworkError(
              ErrorCodes.CIRCUIT_BUILD_FAILED,
              `${path.basename(cmd)} failed:\n${out.trim()}`,
            ),
          ),
    );
  });
}

/** Reads (nConstraints, nPublic) from an r1cs file header. */
export async function r1csInfo(file: string): Promise<{ constraints: number; nPublic: number }> {
  const buf = await readFile(file);
  if (buf.toString("latin1", 0, 4) !== "r1cs") {
    throw new ProofworkError(ErrorCodes.CIRCUIT_BUILD_FAILED, `${file} is not an r1cs file`);
  }
  const nSections = buf.readUInt32LE(8);
  let off = 12;
  for (let s = 0; s < nSections; s++) {
    const type = buf.readUInt32LE(off);
    const size = Number(buf.readBigUInt64LE(off + 4));
    off += 12;
    if (type === 1) {
      const fieldSize = buf.readUInt32LE(off);
      let p = off + 4 + fieldSize;
      p += 4; // nWires
      const nPubOut = buf.readUInt32LE(p);
      const nPubIn = buf.readUInt32LE(p + 4);
      p += 8 + 4 + 8; // nPrvIn, nLabels
      const constraints = buf.readUInt32LE(p);
      return { constraints, nPublic: nPubOut + nPubIn };
    }
    off += size;
  }
  throw new ProofworkError(ErrorCodes.CIRCUIT_BUILD_FAILED, `${file} has no header section`);
}

/** Smallest power p with 2^p ≥ constraints + public signals + 1 (snarkjs' domain requirement). */
export function requiredPower(constraints: number, nPublic: number): number {
  let p = 8;
  while (2 ** p < constraints + nPublic + 1) p++;
  return p;
}

/** Reads the power of a .ptau file from its header section. */
export async function ptauPower(file: string): Promise<number> {
  const fd = await readFile(file, { encoding: null, flag: "r" }).catch(() => undefined);
  if (!fd || fd.toString("latin1", 0, 4) !== "ptau") {
    throw new ProofworkError(ErrorCodes.PTAU_INVALID, `${file} is not a Powers-of-Tau (.ptau) file`);
  }
  // magic(4) version(4) nSections(4) | section 1: type(4) size(8) n8(4) q(n8) power(4)
  const n8 = fd.readUInt32LE(24);
  return fd.readUInt32LE(28 + n8);
}

function cacheRoot(opts: BuildOptions): string {
  // PROOFWORK_CACHE is resolved by sdk/config.ts (the only reader of the environment) and passed in.
  return opts.cacheDir ?? path.join(homedir(), ".cache", "proofwork");
}

// ─────────────────────────────────────────────── Powers of Tau

interface Ptau {
  file: string;
  hash: string;
  power: number;
  source: "dev-ceremony" | "file";
}

/** Public ceremony file given by the operator: check its size, hash it (memoized by size + mtime). */
async function externalPtau(
  file: string,
  need: number,
  cache: string,
  log: (l: string) => void,
): Promise<Ptau> {
  if (!existsSync(file)) throw new ProofworkError(ErrorCodes.PTAU_INVALID, `PTAU file not found: ${file}`);
  const power = await ptauPower(file);
  if (power < need) {
    throw new ProofworkError(
      ErrorCodes.PTAU_INVALID,
      `PTAU file ${file} has power ${power}, the circuit needs at least ${need}`,
    );
  }
  const st = await stat(file);
  const memo = path.join(
    cache,
    "ptau",
    `external-${sha256(`${path.resolve(file)}:${st.size}:${st.mtimeMs}`)}.sha256`,
  );
  let hash: string;
  if (existsSync(memo)) {
    hash = (await readFile(memo, "utf8")).trim();
  } else {
    hash = await timed(log, `hashing ${path.basename(file)}`, () => sha256File(file));
    await mkdir(path.dirname(memo), { recursive: true });
    await writeFile(memo, hash);
  }
  log(`  ptau: public ceremony file ${file} (power ${power})`);
  return { file, hash, power, source: "file" };
}

/**
 * A local development Powers-of-Tau ceremony of the given power, cached. INSECURE for production:
 * one party (this machine) knows the toxic waste. Production must pass a public ceremony's file.
 */
async function devPtau(power: number, cache: string, log: (l: string) => void): Promise<Ptau> {
  const dir = path.join(cache, "ptau");
  const file = path.join(dir, `dev-insecure-pot${power}-snarkjs${SNARKJS_VERSION}.ptau`);
  const hashFile = `${file}.sha256`;
  if (existsSync(file) && existsSync(hashFile)) {
    log(`  ptau: cached dev ceremony 2^${power} (INSECURE, development only) — no ceremony`);
    return { file, hash: (await readFile(hashFile, "utf8")).trim(), power, source: "dev-ceremony" };
  }
  log(`  ptau: running a local dev Powers-of-Tau ceremony 2^${power} (INSECURE, development only)`);
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(tmp, { recursive: true });
  try {
    // `curves` is exported by snarkjs but missing from @types/snarkjs.
    const { curves } = snarkjs as unknown as { curves: { getCurveFromName(n: string): Promise<unknown> } };
    const curve = await curves.getCurveFromName("bn128");
    const p0 = path.join(tmp, "pot_0.ptau");
    const p1 = path.join(tmp, "pot_1.ptau");
    const pf = path.join(tmp, "pot_final.ptau");
    await timed(log, `powersoftau new 2^${power}`, () =>
      snarkjs.powersOfTau.newAccumulator(curve, power, p0),
    );
    await timed(log, "powersoftau contribute", () =>
      snarkjs.powersOfTau.contribute(p0, p1, "proofwork dev (insecure)", randomBytes(32).toString("hex")),
    );
    await timed(log, "powersoftau prepare phase2", () => snarkjs.powersOfTau.preparePhase2(p1, pf));
    const hash = await sha256File(pf);
    await rename(pf, file);
    await writeFile(hashFile, hash);
    return { file, hash, power, source: "dev-ceremony" };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

// ─────────────────────────────────────────────── build

/** Builds (or takes from cache) one circuit and installs its artifacts. */
export async function buildCircuit(spec: CircuitSpec, opts: BuildOptions = {}): Promise<BuiltCircuit> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const cache = cacheRoot(opts);
  const outDir = path.resolve(ROOT, opts.outDir ?? path.join("build", "circuits"), spec.name);
  const t0 = performance.now();
  const announce = () => log(`● ${spec.name}${spec.description ? ` — ${spec.description}` : ""}`);
  if (!opts.compiledAlready) announce();

  // 1. Compile (cached by content hash).
  const source = await spec.source();
  const sourceHash = sha256(
    [
      source,
      await libraryFingerprint(),
      `circomlib@${CIRCOMLIB_VERSION}`,
      `circom2@${CIRCOM2_VERSION}`,
      "-O2",
    ].join("\n\0"),
  );
  const compiled = path.join(cache, "circuits", `${spec.name}-${sourceHash.slice(0, 16)}`);
  const r1cs = path.join(compiled, `${spec.name}.r1cs`);
  const wasm = path.join(compiled, `${spec.name}.wasm`);
  if (existsSync(r1cs) && existsSync(wasm)) {
    if (!opts.compiledAlready) log(`  compile: cached (${sourceHash.slice(0, 12)}) — nothing to do`);
  } else {
    const tmp = `${compiled}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const main = path.join(tmp, `${spec.name}.circom`);
    await writeFile(main, source);
    const circom = path.join(ROOT, "node_modules", ".bin", "circom2");
    await timed(log, "circom2 compile", () =>
      run(
        circom,
        [main, "--r1cs", "--wasm", "--sym", "--O2", "-l", LIB_DIR, "-l", circomlibIncludeDir(), "-o", tmp],
        ROOT,
      ),
    );
    await rename(path.join(tmp, `${spec.name}_js`, `${spec.name}.wasm`), path.join(tmp, `${spec.name}.wasm`));
    // (the .sym file stays in the cache for debugging: signal names → witness indices)
    await rm(path.join(tmp, `${spec.name}_js`), { recursive: true, force: true });
    await rm(compiled, { recursive: true, force: true });
    await rename(tmp, compiled);
  }
  const { constraints, nPublic } = await r1csInfo(r1cs);
  if (!opts.compiledAlready) log(`  ${constraints} constraints, ${nPublic} public signals`);
  else if (spec.setup) log(`● ${spec.name}: keys`);

  await mkdir(outDir, { recursive: true });
  await copyIfChanged(wasm, path.join(outDir, `${spec.name}.wasm`));
  await copyIfChanged(r1cs, path.join(outDir, `${spec.name}.r1cs`));
  const built: BuiltCircuit = {
    name: spec.name,
    dir: outDir,
    wasm: path.join(outDir, `${spec.name}.wasm`),
    r1cs: path.join(outDir, `${spec.name}.r1cs`),
    constraints,
    nPublic,
    sourceHash,
    ...(spec.model ? { model: spec.model } : {}),
    wasmSha256: await sha256File(wasm),
  };

  if (spec.setup) {
    // 2. Powers of Tau sized to the largest circuit of this build.
    const need = Math.max(requiredPower(constraints, nPublic), opts.minPower ?? 0);
    const ptau = opts.ptau
      ? await externalPtau(opts.ptau, need, cache, log)
      : await devPtau(need, cache, log);

    // 3. Groth16 setup + one contribution + exports (cached by compile hash + ptau hash).
    const keys = path.join(compiled, `keys-${sha256(`${ptau.hash}:${SNARKJS_VERSION}`).slice(0, 16)}`);
    const zkey = path.join(keys, `${spec.name}.zkey`);
    const vkeyFile = path.join(keys, "verification_key.json");
    const verifierFile = path.join(keys, "verifier.sol");
    if (existsSync(zkey) && existsSync(vkeyFile) && existsSync(verifierFile)) {
      log(`  groth16 setup: cached — no setup`);
    } else {
      const tmp = `${keys}.tmp-${process.pid}`;
      await rm(tmp, { recursive: true, force: true });
      await mkdir(tmp, { recursive: true });
      const z0 = path.join(tmp, "z0.zkey");
      const zf = path.join(tmp, `${spec.name}.zkey`);
      await timed(log, "groth16 setup", () => snarkjs.zKey.newZKey(r1cs, ptau.file, z0));
      await timed(log, "zkey contribute", () =>
        snarkjs.zKey.contribute(z0, zf, "proofwork dev contribution", randomBytes(32).toString("hex")),
      );
      await rm(z0);
      const vkey = await snarkjs.zKey.exportVerificationKey(zf);
      await writeFile(path.join(tmp, "verification_key.json"), JSON.stringify(vkey, null, 2));
      const templates = {
        groth16: await readFile(
          path.join(ROOT, "node_modules", "snarkjs", "templates", "verifier_groth16.sol.ejs"),
          "utf8",
        ),
      };
      const sol = await timed(log, "export solidity verifier", () =>
        snarkjs.zKey.exportSolidityVerifier(zf, templates),
      );
      await writeFile(path.join(tmp, "verifier.sol"), sol);
      await rm(keys, { recursive: true, force: true });
      await rename(tmp, keys);
    }
    await copyIfChanged(zkey, path.join(outDir, `${spec.name}.zkey`));
    await copyIfChanged(vkeyFile, path.join(outDir, "verification_key.json"));
    const contractName = `${pascal(spec.name)}Verifier`;
    const sol = renameVerifier(
      await readFile(verifierFile, "utf8"),
      contractName,
      spec.name,
      sourceHash,
      ptau,
    );
    await mkdir(GENERATED_CONTRACTS, { recursive: true });
    await writeIfChanged(path.join(GENERATED_CONTRACTS, `${contractName}.sol`), sol);
    Object.assign(built, {
      zkey: path.join(outDir, `${spec.name}.zkey`),
      vkey: path.join(outDir, "verification_key.json"),
      verifierContract: contractName,
      ptauPower: ptau.power,
      ptauSource: ptau.source,
      zkeySha256: await sha256File(zkey),
      vkeySha256: await sha256File(vkeyFile),
    });
  }

  if (!spec.setup) {
    // A compile-only build must not forget keys installed earlier for this very circuit source.
    const previous = await loadBuiltCircuit(spec.name, path.dirname(outDir)).catch(() => undefined);
    if (
      previous?.sourceHash === sourceHash &&
      previous.zkey &&
      previous.zkeySha256 &&
      existsSync(previous.zkey) &&
      (await sha256File(previous.zkey)) === previous.zkeySha256
    ) {
      const { zkey, vkey, verifierContract, ptauPower, ptauSource, zkeySha256, vkeySha256 } = previous;
      Object.assign(built, { zkey, vkey, verifierContract, ptauPower, ptauSource, zkeySha256, vkeySha256 });
    }
  }

  // Paths are stored relative to the repository root so a build folder can be moved or shared.
  const rel = (p?: string) => (p === undefined ? undefined : path.relative(ROOT, p));
  const stored = {
    ...built,
    dir: rel(built.dir),
    wasm: rel(built.wasm),
    r1cs: rel(built.r1cs),
    zkey: rel(built.zkey),
    vkey: rel(built.vkey),
  };
  await writeIfChanged(path.join(outDir, "manifest.json"), JSON.stringify(stored, null, 2) + "\n");
  if (spec.setup || !opts.compiledAlready) {
    log(
      `  ${spec.name} ready in ${((performance.now() - t0) / 1000).toFixed(1)}s → ${path.relative(ROOT, outDir)}`,
    );
  }
  return built;
}

/** Builds every spec in order; returns their manifests. */
export async function buildCircuits(specs: CircuitSpec[], opts: BuildOptions = {}): Promise<BuiltCircuit[]> {
  // Compile the circuits that need keys first (cached), to size one ceremony for all of them.
  let minPower = opts.minPower ?? 0;
  for (const s of specs) {
    const b = await buildCircuit({ ...s, setup: false }, opts);
    if (s.setup) minPower = Math.max(minPower, requiredPower(b.constraints, b.nPublic));
  }
  const out: BuiltCircuit[] = [];
  for (const s of specs) out.push(await buildCircuit(s, { ...opts, minPower, compiledAlready: true }));
  return out;
}

/** Reads an installed circuit's manifest, or throws CIRCUIT_NOT_BUILT. */
export async function loadBuiltCircuit(
  name: string,
  outDir = path.join("build", "circuits"),
): Promise<BuiltCircuit> {
  const file = path.resolve(ROOT, outDir, name, "manifest.json");
  if (!existsSync(file)) {
    throw new ProofworkError(
      ErrorCodes.CIRCUIT_NOT_BUILT,
      `circuit "${name}" is not built (run: npm run circuits:build)`,
    );
  }
  const m = JSON.parse(await readFile(file, "utf8")) as BuiltCircuit;
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

function renameVerifier(
  sol: string,
  contractName: string,
  name: string,
  sourceHash: string,
  ptau: Ptau,
): string {
  const header = [
    "// ────────────────────────────────────────────────────────────────────────────",
    `// GENERATED by the proofwork circuit build (circuits/pipeline.ts) for circuit "${name}".`,
    "// DO NOT EDIT: regenerate with `npm run circuits:build`.",
    `// circuit source sha256: ${sourceHash}`,
    `// powers of tau: ${ptau.source === "dev-ceremony" ? "LOCAL DEV CEREMONY (insecure, development only)" : "public ceremony file"} 2^${ptau.power}, sha256 ${ptau.hash}`,
    "// ────────────────────────────────────────────────────────────────────────────",
    "",
  ].join("\n");
  const renamed = sol.replace(/contract Groth16Verifier\b/, `contract ${contractName}`);
  if (renamed === sol) {
    throw new ProofworkError(ErrorCodes.CIRCUIT_BUILD_FAILED, "unexpected snarkjs verifier template");
  }
  return header + renamed;
}

async function copyIfChanged(from: string, to: string): Promise<void> {
  if (existsSync(to)) {
    const [a, b] = await Promise.all([stat(from), stat(to)]);
    if (a.size === b.size && (await sha256File(from)) === (await sha256File(to))) return;
  }
  await copyFile(from, to);
}

async function writeIfChanged(file: string, content: string): Promise<void> {
  if (existsSync(file) && (await readFile(file, "utf8")) === content) return;
  await writeFile(file, content);
}

/** Releases snarkjs' worker threads so the process can exit. */
export async function releaseCurves(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } };
  if (g.curve_bn128) {
    await g.curve_bn128.terminate();
    delete g.curve_bn128;
  }
}
