/**
 * Circuit build pipeline: circom2 compile → Powers of Tau → Groth16 setup → contribution(s) →
 * verification key + Solidity verifier.
 *
 * Keys come from one of three sources:
 *   - default: the local dev ceremony (`circuits/ceremony.ts`, INSECURE): a fresh Powers of Tau and
 *     the keys computed from its in-memory secrets in seconds;
 *   - `PTAU=<public ceremony file>`: snarkjs `zkey new` on that file, then one local contribution —
 *     or, when one was imported for this circuit and ptau, the finalized zkey of a multi-party
 *     phase 2 (`circuits/phase2.ts`).
 *
 * Everything expensive is cached outside git under `$PROOFWORK_CACHE` (default
 * `~/.cache/proofwork`), addressed by content hash:
 *   - compile output by sha256(main source + gadget library + circomlib + circom version);
 *   - dev keys by (compile hash, ceremony power, ceremony version, snarkjs version), with the dev
 *     .ptau they were derived from kept under `ptau/` by its own hash;
 *   - keys from a public ptau by (compile hash, ptau hash, snarkjs version); an imported phase 2
 *     zkey by (compile hash, ptau hash).
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
import { releaseSnarkjs } from "../sdk/proof.ts";
import { readBuiltCircuit, type BuiltCircuit, type KeysSource } from "../sdk/node/build-manifest.ts";

export type { BuiltCircuit, KeysSource };
import { sha256File as sha256FileHex0x } from "../sdk/node/files.ts";
import { DevCeremony, type DevPtau } from "./ceremony.ts";

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
   * For a circuit generated from a model artifact (circuits/model-gen.ts): the artifact (installed
   * as `model.json` next to the wasm and zkey, published with them), its content hash (recorded in
   * the manifest and registered on-chain as the circuit's `modelCommitment`) and the sha256 of the
   * generated main source (anyone can regenerate the source from the artifact and compare).
   */
  model?: ModelProvenance & { artifact: unknown };
  /**
   * For a model's sampling circuit (batch jobs with `slots > 0`, docs/BATCH.md "Design 2"): its
   * samples per proof and tree depth, recorded in the manifest and the deployment record.
   */
  sampling?: { slots: number; treeDepth: number };
}

/** What pins a built circuit to its model artifact. */
export interface ModelProvenance {
  /** keccak256 of the artifact's canonical encoding (its `hash`, the registry's model commitment) */
  artifactHash: string;
  /** sha256 (hex) of the generated circom main source */
  generatedSourceSha256: string;
}

export interface BuildOptions {
  /** Public Powers-of-Tau file (prepared for phase 2). Default: a cached local dev ceremony. */
  ptau?: string;
  /** Cache root (config `PROOFWORK_CACHE`). Default: `~/.cache/proofwork`. */
  cacheDir?: string;
  /** Where built circuits are installed. Default `<root>/build/circuits`. */
  outDir?: string;
  /** Where the Solidity verifiers go. Default `<root>/contracts/generated` (tests use a temp dir). */
  contractsDir?: string;
  /** Progress/log sink (one line per step). */
  log?: (line: string) => void;
  /**
   * Smallest Powers-of-Tau power to use. `buildCircuits` sets it to the largest circuit of the build
   * so that one ceremony serves them all.
   */
  minPower?: number;
  /** Internal: the compile step already ran and was logged (second pass of `buildCircuits`). */
  compiledAlready?: boolean;
  /** Internal: the dev ceremony of this build (one per `buildCircuits`, shared by its circuits). */
  devSession?: DevSession;
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

/** The cache root: `cacheDir`, else `~/.cache/proofwork`. */
export function cacheRoot(opts: Pick<BuildOptions, "cacheDir">): string {
  // PROOFWORK_CACHE is resolved by sdk/node/config.ts (the only reader of the environment) and passed in.
  return opts.cacheDir ?? path.join(homedir(), ".cache", "proofwork");
}

// ─────────────────────────────────────────────── Powers of Tau

export interface Ptau {
  file: string;
  hash: string;
  power: number;
  source: "dev-ceremony" | "file";
}

/** Public ceremony file given by the operator: check its power, hash it (memoized by size + mtime). */
export async function externalPtau(
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

/** Version of the dev ceremony's output layout; part of every dev cache key. */
const DEV_CEREMONY_VERSION = "fixed-base-v2";

/**
 * The local development ceremony of one build: INSECURE for production (this machine draws and
 * holds the toxic waste; see `circuits/ceremony.ts`). Started on first use; each power gets one
 * fresh .ptau per build, whose secrets stay in this process's memory so that every circuit of the
 * build gets its keys from them. The .ptau is cached under `ptau/` by its hash, so that keys made
 * from it can still be checked with `snarkjs zkey verify` later.
 */
export class DevSession {
  private ceremony: DevCeremony | undefined;
  private readonly made = new Map<number, { dev: DevPtau; ptau: Ptau }>();

  constructor(
    private readonly cache: string,
    private readonly log: (l: string) => void,
    /** Power the fixed-base tables are sized for (the largest the build needs). */
    private readonly sizeHint = 12,
  ) {}

  /** A dev .ptau of the given power made in this session (made now if needed). */
  async ptau(power: number): Promise<{ dev: DevPtau; ptau: Ptau }> {
    const have = this.made.get(power);
    if (have) return have;
    this.ceremony ??= await timed(this.log, "dev ceremony: start fixed-base tables", () =>
      DevCeremony.open(Math.max(power, this.sizeHint)),
    );
    const ceremony = this.ceremony;
    this.log(`  ptau: local dev Powers of Tau 2^${power} from fresh secrets (INSECURE, development only)`);
    const dir = path.join(this.cache, "ptau");
    await mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `.tmp-${process.pid}-${randomBytes(4).toString("hex")}.ptau`);
    try {
      const dev = await timed(this.log, `dev ptau 2^${power} (fixed-base, prepared for phase 2)`, () =>
        ceremony.ptau(power, tmp),
      );
      const hash = await sha256File(tmp);
      const file = path.join(
        dir,
        `dev-insecure-${DEV_CEREMONY_VERSION}-pot${power}-${hash.slice(0, 16)}.ptau`,
      );
      await rename(tmp, file);
      const made = { dev: { ...dev, file }, ptau: { file, hash, power, source: "dev-ceremony" as const } };
      this.made.set(power, made);
      return made;
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Writes the keys of `r1cs` derived from this session's dev ptau (δ drawn fresh). */
  async zkey(dev: DevPtau, r1cs: string, zkey: string): Promise<void> {
    await this.ceremony!.zkey(dev, r1cs, zkey);
  }

  /** Stops the fixed-base threads and forgets the secrets. */
  async close(): Promise<void> {
    await this.ceremony?.close();
    this.ceremony = undefined;
    this.made.clear();
  }
}

/** The keys folder of an imported multi-party phase 2 (`circuits/phase2.ts import`). */
export function phase2KeysDir(compiledDir: string, ptauHash: string): string {
  return path.join(compiledDir, `phase2-${sha256(`phase2:${ptauHash}`).slice(0, 16)}`);
}

/** The compile-cache folder of a circuit (where its r1cs, wasm and keys folders live). */
export function compiledDir(cache: string, name: string, sourceHash: string): string {
  return path.join(cache, "circuits", `${name}-${sourceHash.slice(0, 16)}`);
}

// ─────────────────────────────────────────────── Groth16 keys

/** Contribution name of the single local phase 2 contribution made on a public ptau. */
const LOCAL_CONTRIBUTION_NAME = "proofwork local contribution (single party)";

/** `keys.json` of a keys folder: where the keys came from. */
export interface KeysRecord {
  source: KeysSource;
  ptau: { sha256: string; power: number; source: "dev-ceremony" | "file"; file: string };
  /** Phase 2 contribution names, in order (imported phase 2 only). */
  contributions?: string[];
}

function keysComplete(dir: string, name: string): boolean {
  return ["keys.json", `${name}.zkey`, "verification_key.json", "verifier.sol"].every((f) =>
    existsSync(path.join(dir, f)),
  );
}

async function readKeysRecord(dir: string): Promise<KeysRecord> {
  return JSON.parse(await readFile(path.join(dir, "keys.json"), "utf8")) as KeysRecord;
}

/**
 * Fills a keys folder atomically: `make` writes the zkey, then the verification key and the
 * Solidity verifier are exported from it and `keys.json` records its origin.
 */
export async function installKeys(
  dir: string,
  name: string,
  record: KeysRecord,
  log: (l: string) => void,
  make: (zkeyFile: string) => Promise<void>,
): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    const zf = path.join(tmp, `${name}.zkey`);
    await make(zf);
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
    await writeFile(path.join(tmp, "keys.json"), JSON.stringify(record, null, 2) + "\n");
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Keys on a public ptau: an imported multi-party phase 2 when there is one for this circuit and
 * ptau, else snarkjs `zkey new` and one local contribution (cached by compile hash + ptau hash).
 */
async function publicKeys(
  name: string,
  r1cs: string,
  compiled: string,
  ptau: Ptau,
  log: (l: string) => void,
): Promise<string> {
  const imported = phase2KeysDir(compiled, ptau.hash);
  if (keysComplete(imported, name)) {
    const rec = await readKeysRecord(imported);
    log(`  groth16 keys: multi-party phase 2 (${rec.contributions?.join(", ") ?? "?"}) — imported, no setup`);
    return imported;
  }
  const dir = path.join(compiled, `keys-local-v2-${sha256(`${ptau.hash}:${SNARKJS_VERSION}`).slice(0, 16)}`);
  if (keysComplete(dir, name)) {
    log(`  groth16 setup: cached — no setup`);
    return dir;
  }
  const record: KeysRecord = {
    source: "local-contribution",
    ptau: { sha256: ptau.hash, power: ptau.power, source: ptau.source, file: ptau.file },
  };
  await installKeys(dir, name, record, log, async (zf) => {
    const z0 = `${zf}.init`;
    await timed(log, "groth16 setup (snarkjs zkey new)", () => snarkjs.zKey.newZKey(r1cs, ptau.file, z0));
    await timed(log, "zkey contribute (one local contribution)", () =>
      snarkjs.zKey.contribute(z0, zf, LOCAL_CONTRIBUTION_NAME, randomBytes(32).toString("hex")),
    );
    await rm(z0);
  });
  log(
    `  groth16 keys: one local contribution — for production import a multi-party phase 2 (circuits/phase2.ts)`,
  );
  return dir;
}

/**
 * The ptau power of the dev-ceremony keys installed in `outDir` for `sourceHash`, when they are
 * intact (zkey hash as recorded) and large enough for the circuit (`own`); otherwise undefined.
 */
async function installedDevPower(
  name: string,
  outDir: string,
  sourceHash: string,
  own: number,
): Promise<number | undefined> {
  const installed = await loadBuiltCircuit(name, path.dirname(outDir)).catch(() => undefined);
  if (
    installed?.sourceHash !== sourceHash ||
    installed.keysSource !== "dev-ceremony" ||
    installed.ptauPower === undefined ||
    installed.ptauPower < own ||
    !installed.zkey ||
    !existsSync(installed.zkey) ||
    (await sha256File(installed.zkey)) !== installed.zkeySha256
  ) {
    return undefined;
  }
  return installed.ptauPower;
}

/** Keys from the build's dev ceremony (cached by compile hash + ceremony power and version). */
async function devKeys(
  name: string,
  r1cs: string,
  compiled: string,
  power: number,
  session: DevSession,
  log: (l: string) => void,
): Promise<string> {
  const dir = path.join(
    compiled,
    `keys-dev-${sha256(`${DEV_CEREMONY_VERSION}:${power}:${SNARKJS_VERSION}`).slice(0, 16)}`,
  );
  if (keysComplete(dir, name)) {
    const rec = await readKeysRecord(dir);
    log(
      `  groth16 keys: cached (dev ceremony 2^${power}, ptau ${rec.ptau.sha256.slice(0, 12)}, INSECURE) — no setup`,
    );
    return dir;
  }
  const { dev, ptau } = await session.ptau(power);
  const record: KeysRecord = {
    source: "dev-ceremony",
    ptau: { sha256: ptau.hash, power: ptau.power, source: ptau.source, file: ptau.file },
  };
  await installKeys(dir, name, record, log, (zf) =>
    timed(log, "groth16 keys from the dev ceremony's secrets (zkey new + contribution)", () =>
      session.zkey(dev, r1cs, zf),
    ),
  );
  return dir;
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
  const compiled = compiledDir(cache, spec.name, sourceHash);
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
    ...(spec.model
      ? {
          model: {
            artifactHash: spec.model.artifactHash,
            generatedSourceSha256: spec.model.generatedSourceSha256,
          },
        }
      : {}),
    ...(spec.sampling ? { sampling: spec.sampling } : {}),
    wasmSha256: await sha256File(wasm),
  };
  if (spec.model !== undefined) {
    await writeIfChanged(path.join(outDir, "model.json"), `${JSON.stringify(spec.model.artifact)}\n`);
  }

  if (spec.setup) {
    // 2. Powers of Tau sized to the largest circuit of this build, and 3. the Groth16 keys. Dev
    // keys already installed for this very source stay (their power is kept): a build of a subset
    // of the circuits must not re-key one, or its keys would depend on what else was built.
    const own = requiredPower(constraints, nPublic);
    const kept = opts.ptau ? undefined : await installedDevPower(spec.name, outDir, sourceHash, own);
    const need = kept ?? Math.max(own, opts.minPower ?? 0);
    // A direct call (not through buildCircuits) gets its own dev session, closed right after.
    const ownSession = opts.ptau || opts.devSession ? undefined : new DevSession(cache, log, need);
    let keysDir: string;
    try {
      keysDir = opts.ptau
        ? await publicKeys(spec.name, r1cs, compiled, await externalPtau(opts.ptau, need, cache, log), log)
        : await devKeys(spec.name, r1cs, compiled, need, (opts.devSession ?? ownSession)!, log);
    } finally {
      await ownSession?.close();
    }
    const record = await readKeysRecord(keysDir);
    const zkey = path.join(keysDir, `${spec.name}.zkey`);
    const vkeyFile = path.join(keysDir, "verification_key.json");
    const verifierFile = path.join(keysDir, "verifier.sol");
    await copyIfChanged(zkey, path.join(outDir, `${spec.name}.zkey`));
    await copyIfChanged(vkeyFile, path.join(outDir, "verification_key.json"));
    const contractName = `${pascal(spec.name)}Verifier`;
    const sol = renameVerifier(
      await readFile(verifierFile, "utf8"),
      contractName,
      spec.name,
      sourceHash,
      record,
    );
    const contractsDir = opts.contractsDir ?? GENERATED_CONTRACTS;
    await mkdir(contractsDir, { recursive: true });
    await writeIfChanged(path.join(contractsDir, `${contractName}.sol`), sol);
    Object.assign(built, {
      zkey: path.join(outDir, `${spec.name}.zkey`),
      vkey: path.join(outDir, "verification_key.json"),
      verifierContract: contractName,
      ptauPower: record.ptau.power,
      ptauSource: record.ptau.source,
      ptauSha256: record.ptau.sha256,
      keysSource: record.source,
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
      const {
        zkey,
        vkey,
        verifierContract,
        ptauPower,
        ptauSource,
        ptauSha256,
        keysSource,
        zkeySha256,
        vkeySha256,
      } = previous;
      Object.assign(built, {
        zkey,
        vkey,
        verifierContract,
        ptauPower,
        ptauSource,
        ptauSha256,
        keysSource,
        zkeySha256,
        vkeySha256,
      });
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
  // One dev ceremony for the whole build (started only if some keys are missing).
  const devSession =
    opts.devSession ?? new DevSession(cacheRoot(opts), opts.log ?? ((l) => console.log(l)), minPower);
  try {
    for (const s of specs) {
      out.push(await buildCircuit(s, { ...opts, minPower, compiledAlready: true, devSession }));
    }
  } finally {
    if (!opts.devSession) await devSession.close();
  }
  return out;
}

/** Reads an installed circuit's manifest (the SDK's one reader), or throws CIRCUIT_NOT_BUILT. */
export async function loadBuiltCircuit(
  name: string,
  outDir = path.join("build", "circuits"),
): Promise<BuiltCircuit> {
  return readBuiltCircuit(name, path.resolve(ROOT, outDir));
}

function renameVerifier(
  sol: string,
  contractName: string,
  name: string,
  sourceHash: string,
  keys: KeysRecord,
): string {
  const { ptau } = keys;
  const phase2 = {
    "dev-ceremony": "LOCAL DEV CEREMONY (insecure, development only)",
    "local-contribution": "one local contribution (not a multi-party phase 2)",
    phase2: `multi-party phase 2: ${keys.contributions?.join(", ") ?? "?"}`,
  }[keys.source];
  const header = [
    "// ────────────────────────────────────────────────────────────────────────────",
    `// GENERATED by the proofwork circuit build (circuits/pipeline.ts) for circuit "${name}".`,
    "// DO NOT EDIT: regenerate with `npm run circuits:build`.",
    `// circuit source sha256: ${sourceHash}`,
    `// powers of tau: ${ptau.source === "dev-ceremony" ? "LOCAL DEV CEREMONY (insecure, development only)" : "public ceremony file"} 2^${ptau.power}, sha256 ${ptau.sha256}`,
    `// groth16 phase 2: ${phase2}`,
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

/** Releases snarkjs' worker threads so the process can exit (the SDK's `releaseSnarkjs`). */
export const releaseCurves = releaseSnarkjs;
