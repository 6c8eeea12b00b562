/**
 * Production Groth16 phase 2: a multi-party ceremony over a circuit's keys, on a public
 * Powers-of-Tau file, whose result the build then uses instead of its single local contribution.
 *
 *   npm run circuits:phase2 -- init <circuit> --ptau <public.ptau> --out <dir>
 *   npm run circuits:phase2 -- contribute <in.zkey> <out.zkey> --name "<who>" [--entropy <text>]
 *   npm run circuits:phase2 -- beacon <in.zkey> <out.zkey> --beacon <hex> [--iterations <10..63>]
 *   npm run circuits:phase2 -- verify <circuit> <zkey> --ptau <public.ptau>
 *   npm run circuits:phase2 -- import <circuit> <final.zkey> --ptau <public.ptau> [--allow-no-beacon]
 *
 * `init` runs snarkjs `zkey new` (no contribution); each party runs `contribute` on the previous
 * file and publishes the printed contribution hash; a public random beacon (e.g. a future block
 * hash) seals it; `verify` checks the whole chain against the circuit and the ptau (snarkjs `zkey
 * verify`); `import` verifies again and stores the zkey in the build cache, keyed by the circuit's
 * compile hash and the ptau's hash, so `PTAU=<public.ptau> npm run circuits:build` uses it (and its
 * verifier) instead of making a local contribution. See circuits/README.md.
 */
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import * as snarkjs from "snarkjs";
import { loadConfig } from "../sdk/node/config.ts";
import { ErrorCodes, ProofworkError, errorMessage, isProofworkError } from "../sdk/errors.ts";
import { readBinFile, section } from "./binfile.ts";
import { circuitNames, specsFor } from "./manifest.ts";
import {
  buildCircuit,
  compiledDir,
  installKeys,
  phase2KeysDir,
  cacheRoot,
  externalPtau,
  releaseCurves,
  requiredPower,
  sha256File,
  type KeysRecord,
} from "./pipeline.ts";

/** One phase 2 contribution as recorded in a zkey (section 10). */
export interface Phase2Contribution {
  name: string;
  /** A random beacon (type 1) rather than a party's secret (type 0). */
  beacon: boolean;
}

export interface Phase2Options {
  /** Build cache (config `PROOFWORK_CACHE`). */
  cacheDir?: string;
  log?: (line: string) => void;
}

type Log = (line: string) => void;

function logOf(opts: Phase2Options): Log {
  return opts.log ?? ((l: string) => console.log(l));
}

/** snarkjs' logger interface, printing its info lines (contribution hashes, verification steps). */
function snarkjsLogger(log: Log) {
  return {
    debug: () => undefined,
    info: (m: string) => log(`    ${m}`),
    warn: (m: string) => log(`    warning: ${m}`),
    error: (m: string) => log(`    error: ${m}`),
  };
}

/** Compiles (or takes from cache) a manifest circuit; returns its r1cs and cache folder. */
async function compileCircuit(
  name: string,
  opts: Phase2Options,
): Promise<{ r1cs: string; compiled: string; constraints: number; nPublic: number }> {
  if (!circuitNames().includes(name)) {
    throw new ProofworkError(
      ErrorCodes.CIRCUIT_UNKNOWN,
      `unknown circuit "${name}" (known: ${circuitNames().join(", ")})`,
    );
  }
  const spec = specsFor("all", [name])[0];
  if (!spec) throw new ProofworkError(ErrorCodes.CIRCUIT_UNKNOWN, `circuit "${name}" is in no profile`);
  // Compile only, installed into a scratch folder: the build folder is left alone.
  const scratch = await mkdtemp(path.join(tmpdir(), "proofwork-phase2-"));
  try {
    const built = await buildCircuit(
      { ...spec, setup: false },
      { cacheDir: opts.cacheDir, outDir: scratch, log: () => undefined },
    );
    const compiled = compiledDir(cacheRoot(opts), name, built.sourceHash);
    return {
      r1cs: path.join(compiled, `${name}.r1cs`),
      compiled,
      constraints: built.constraints,
      nPublic: built.nPublic,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The contributions recorded in a zkey's section 10 (names and kinds, in order). */
export async function readContributions(zkeyFile: string): Promise<Phase2Contribution[]> {
  const f = await readBinFile(zkeyFile, "zkey");
  const s = section(f, 10);
  let p = 64; // circuit hash
  const n = s.readUInt32LE(p);
  p += 4;
  const out: Phase2Contribution[] = [];
  for (let i = 0; i < n; i++) {
    p += 64 * 3 + 128 + 64; // deltaAfter, g1_s, g1_sx, g2_spx, transcript
    const type = s.readUInt32LE(p);
    const paramLength = s.readUInt32LE(p + 4);
    p += 8;
    const params = s.subarray(p, p + paramLength);
    p += paramLength;
    let name = "";
    for (let q = 0; q < params.length;) {
      const id = params[q]!;
      if (id === 1) {
        const len = params[q + 1]!;
        name = new TextDecoder().decode(params.subarray(q + 2, q + 2 + len));
        q += 2 + len;
      } else if (id === 2) q += 2;
      else if (id === 3) q += 2 + params[q + 1]!;
      else break;
    }
    out.push({ name: name || `#${i + 1}`, beacon: type === 1 });
  }
  return out;
}

/** `init`: the circuit's initial zkey (snarkjs `zkey new`, no contribution yet) in `outDir`. */
export async function phase2Init(
  name: string,
  ptauFile: string,
  outDir: string,
  opts: Phase2Options = {},
): Promise<string> {
  const log = logOf(opts);
  const c = await compileCircuit(name, opts);
  const ptau = await externalPtau(ptauFile, requiredPower(c.constraints, c.nPublic), cacheRoot(opts), log);
  await mkdir(outDir, { recursive: true });
  const out = path.join(outDir, `${name}_0000.zkey`);
  log(`phase2 init: ${name} (${c.constraints} constraints) on ${ptauFile} (2^${ptau.power})`);
  await snarkjs.zKey.newZKey(c.r1cs, ptau.file, out, snarkjsLogger(log));
  await copyFile(c.r1cs, path.join(outDir, `${name}.r1cs`));
  log(`phase2 init: wrote ${out} — next: each party runs \`contribute\` on the latest file`);
  return out;
}

/** `contribute`: one party's contribution (secret from crypto.randomBytes plus optional text). */
export async function phase2Contribute(
  inFile: string,
  outFile: string,
  name: string,
  entropy = "",
  opts: Phase2Options = {},
): Promise<string> {
  const log = logOf(opts);
  if (!name.trim()) throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, "a contribution needs a --name");
  const hash = await snarkjs.zKey.contribute(
    inFile,
    outFile,
    name,
    `${randomBytes(64).toString("hex")}${entropy}`,
    snarkjsLogger(log),
  );
  const hex = Buffer.from(hash as Uint8Array).toString("hex");
  log(`phase2 contribute: wrote ${outFile}; publish your contribution hash: ${hex}`);
  return hex;
}

/** `beacon`: the final, publicly reproducible contribution from a random beacon value. */
export async function phase2Beacon(
  inFile: string,
  outFile: string,
  beaconHex: string,
  iterationsExp = 10,
  name = "final beacon",
  opts: Phase2Options = {},
): Promise<void> {
  const log = logOf(opts);
  if (!/^([0-9a-fA-F]{2}){1,255}$/.test(beaconHex)) {
    throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, "--beacon must be a hex string of 1 to 255 bytes");
  }
  if (!Number.isInteger(iterationsExp) || iterationsExp < 10 || iterationsExp > 63) {
    throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, "--iterations must be an integer in 10..63");
  }
  const res = await snarkjs.zKey.beacon(inFile, outFile, name, beaconHex, iterationsExp, snarkjsLogger(log));
  if (res === false)
    throw new ProofworkError(ErrorCodes.ZKEY_INVALID, `snarkjs refused the beacon for ${inFile}`);
  log(`phase2 beacon: wrote ${outFile}`);
}

/** `verify`: snarkjs `zkey verify` of the whole contribution chain against the circuit and ptau. */
export async function phase2Verify(
  name: string,
  zkeyFile: string,
  ptauFile: string,
  opts: Phase2Options = {},
): Promise<Phase2Contribution[]> {
  const log = logOf(opts);
  const c = await compileCircuit(name, opts);
  await externalPtau(ptauFile, requiredPower(c.constraints, c.nPublic), cacheRoot(opts), log);
  log(`phase2 verify: ${zkeyFile} against ${name} and ${ptauFile}`);
  const ok = await snarkjs.zKey.verifyFromR1cs(c.r1cs, ptauFile, zkeyFile, snarkjsLogger(log));
  if (ok !== true) {
    throw new ProofworkError(
      ErrorCodes.ZKEY_INVALID,
      `${zkeyFile} is not a valid phase 2 of ${name} on ${ptauFile}`,
    );
  }
  const contributions = await readContributions(zkeyFile);
  log(`phase2 verify: OK — ${contributions.length} contribution(s): ${describe(contributions)}`);
  return contributions;
}

function describe(cs: Phase2Contribution[]): string {
  return cs.map((c) => (c.beacon ? `${c.name} (beacon)` : c.name)).join(", ");
}

/**
 * `import`: verifies a finished phase 2 and installs it into the build cache, so that a build with
 * the same circuit source and PTAU file uses it. Requires at least one contribution and, unless
 * `allowNoBeacon`, a final beacon.
 */
export async function phase2Import(
  name: string,
  zkeyFile: string,
  ptauFile: string,
  opts: Phase2Options & { allowNoBeacon?: boolean } = {},
): Promise<string> {
  const log = logOf(opts);
  const contributions = await phase2Verify(name, zkeyFile, ptauFile, opts);
  if (contributions.length === 0) {
    throw new ProofworkError(
      ErrorCodes.ZKEY_INVALID,
      `${zkeyFile} has no contribution: run \`contribute\` first`,
    );
  }
  if (!contributions.at(-1)!.beacon && !opts.allowNoBeacon) {
    throw new ProofworkError(
      ErrorCodes.ZKEY_INVALID,
      `${zkeyFile} does not end with a beacon: run \`beacon\` (or pass --allow-no-beacon)`,
    );
  }
  const c = await compileCircuit(name, opts);
  const ptau = await externalPtau(ptauFile, requiredPower(c.constraints, c.nPublic), cacheRoot(opts), log);
  const dir = phase2KeysDir(c.compiled, ptau.hash);
  const record: KeysRecord = {
    source: "phase2",
    ptau: { sha256: ptau.hash, power: ptau.power, source: "file", file: path.resolve(ptau.file) },
    contributions: contributions.map((x) => (x.beacon ? `${x.name} (beacon)` : x.name)),
  };
  await installKeys(dir, name, record, log, (zf) => copyFile(zkeyFile, zf));
  await writeFile(
    path.join(dir, "imported-from.txt"),
    `${path.resolve(zkeyFile)}\nsha256 ${await sha256File(zkeyFile)}\n`,
  );
  log(`phase2 import: ${name} now builds with this zkey when PTAU=${ptauFile} (cache: ${dir})`);
  return dir;
}

const USAGE = `usage: npm run circuits:phase2 -- <command> …
  init <circuit> --ptau <file> --out <dir>
  contribute <in.zkey> <out.zkey> --name <who> [--entropy <text>]
  beacon <in.zkey> <out.zkey> --beacon <hex> [--iterations <10..63>] [--name <text>]
  verify <circuit> <zkey> --ptau <file>
  import <circuit> <final.zkey> --ptau <file> [--allow-no-beacon]`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ptau: { type: "string" },
      out: { type: "string" },
      name: { type: "string" },
      entropy: { type: "string" },
      beacon: { type: "string" },
      iterations: { type: "string" },
      "allow-no-beacon": { type: "boolean", default: false },
    },
  });
  const [cmd, a, b] = positionals;
  const need = (v: string | undefined, what: string): string => {
    if (!v) throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, `missing ${what}\n${USAGE}`);
    return v;
  };
  try {
    // PTAU and PROOFWORK_CACHE come from the config module; --ptau wins.
    const config = loadConfig({ ptau: values.ptau });
    const opts: Phase2Options = { cacheDir: config.cacheDir };
    const ptau = () => need(config.ptau, "--ptau <public ceremony file> (or PTAU=)");
    switch (cmd) {
      case "init":
        await phase2Init(need(a, "<circuit>"), ptau(), need(values.out, "--out <dir>"), opts);
        return 0;
      case "contribute":
        await phase2Contribute(
          need(a, "<in.zkey>"),
          need(b, "<out.zkey>"),
          need(values.name, "--name <who>"),
          values.entropy,
          opts,
        );
        return 0;
      case "beacon":
        await phase2Beacon(
          need(a, "<in.zkey>"),
          need(b, "<out.zkey>"),
          need(values.beacon, "--beacon <hex>"),
          values.iterations === undefined ? 10 : Number(values.iterations),
          values.name,
          opts,
        );
        return 0;
      case "verify":
        await phase2Verify(need(a, "<circuit>"), need(b, "<zkey>"), ptau(), opts);
        return 0;
      case "import":
        await phase2Import(need(a, "<circuit>"), need(b, "<final.zkey>"), ptau(), {
          ...opts,
          allowNoBeacon: values["allow-no-beacon"],
        });
        return 0;
      default:
        console.error(USAGE);
        return 2;
    }
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
