/**
 * The local development ceremony, computed from its secrets ("keys in seconds").
 *
 * INSECURE, for development only: this process draws τ, α, β (Powers of Tau) and δ (Groth16 phase
 * 2) with `crypto.randomBytes`, holds them in memory while it writes the files and never stores
 * them — but whoever controls this machine during the build could keep them and forge proofs.
 * Production keys come from a public Powers-of-Tau file and a multi-party phase 2
 * (`circuits/phase2.ts`, `circuits/README.md`).
 *
 * What it writes are ordinary snarkjs 0.7.6 files, the same bytes snarkjs would write for the same
 * secrets:
 *   - a .ptau prepared for phase 2 (what `powersoftau new` → `contribute` → `prepare phase2`
 *     gives): sections 2–6 hold τ^i·G1 (i < 2n−1), τ^i·G2, ατ^i·G1, βτ^i·G1 (i < n) and β·G2; 7 the
 *     one contribution (its public key, a proof of knowledge of τ, α, β, and the transcript
 *     hashes `powersoftau verify` recomputes); 12–15 the Lagrange-basis versions for every domain
 *     2^0 … 2^power (and 2^(power+1) for τ·G1), which `prepare phase2` computes with FFTs over
 *     group elements. Here each is L_i(τ)·G: the Lagrange coefficients are computed in the field
 *     (ffjavascript's own inverse FFT of the powers of τ, so the quirks of `prepare phase2` carry
 *     over exactly) and then multiplied by the generator;
 *   - a .zkey as `zkey new` followed by one `zkey contribute` would give: sections A, B1, B2, IC
 *     and the coefficients equal `zkey new`'s byte for byte (`zkey verify` compares them), L and H
 *     divided by δ, and the contribution record (δ's public key and transcript) that `zkey
 *     verify` checks against the circuit hash.
 * Every point is k·G for a known k, computed by the fixed-base pool (`circuits/fixed-base.ts`):
 * no FFTs over group elements, no multi-exponentiations.
 */
import { randomBytes } from "node:crypto";
import { ErrorCodes, ProofworkError } from "../sdk/errors.ts";
import { readBinFile, section, u32, writeBinFile } from "./binfile.ts";
import { FixedBasePool, type PointBatch } from "./fixed-base.ts";
import {
  blake2b,
  ffjavascript,
  singleThreadCurve,
  toPartialHash,
  type Blake2b,
  type Elem,
  type FfCurve,
  type FfGroup,
} from "./snarkjs-deps.ts";
import { N8, SIZES, WasmArena } from "./wasm-arena.ts";

/** Contribution name written into every dev .ptau and .zkey (snarkjs prints it when verifying). */
export const DEV_CONTRIBUTION_NAME = "proofwork insecure dev ceremony (NOT for production)";

/** Secrets of one dev Powers-of-Tau ceremony; only ever in this process's memory. */
interface PtauSecrets {
  tau: Elem;
  alpha: Elem;
  beta: Elem;
}

/** A dev .ptau written by this process, with the secrets needed to derive keys from it. */
export interface DevPtau {
  file: string;
  power: number;
  /** Held privately by the ceremony that wrote it (see `DevCeremony.zkey`). */
  readonly id: symbol;
}

/** Step timings (seconds) of the last file written, for the benchmark. */
export type Timings = Record<string, number>;

/** `lap(step)` adds the time since the previous lap to `timings[step]`. */
function stopwatch(): { timings: Timings; lap: (step: string) => void } {
  const timings: Timings = {};
  let t0 = performance.now();
  return {
    timings,
    lap(step) {
      const now = performance.now();
      timings[step] = (timings[step] ?? 0) + (now - t0) / 1000;
      t0 = now;
    },
  };
}

const G1U = SIZES.G1.affine;
const G2U = SIZES.G2.affine;

/** Field arithmetic over arrays of Montgomery-form Fr elements, in a private wasm instance. */
class FieldArrays {
  constructor(private readonly arena: WasmArena) {}

  /** x^0, x^1, …, x^(count−1). */
  powers(x: Elem, count: number): Uint8Array {
    const a = this.arena;
    const mark = a.mark();
    const p = a.alloc(count * N8);
    const px = a.alloc(N8);
    a.set(px, x);
    a.exports.frm_one(p);
    for (let i = 1; i < count; i++) a.exports.frm_mul(p + (i - 1) * N8, px, p + i * N8);
    const out = a.get(p, count * N8);
    a.reset(mark);
    return out;
  }

  /** k · v_i for every element. */
  scale(v: Uint8Array, k: Elem): Uint8Array {
    const a = this.arena;
    const mark = a.mark();
    const p = a.alloc(v.length);
    const pk = a.alloc(N8);
    a.set(p, v);
    a.set(pk, k);
    for (let i = 0; i < v.length; i += N8) a.exports.frm_mul(p + i, pk, p + i);
    const out = a.get(p, v.length);
    a.reset(mark);
    return out;
  }

  /** Montgomery → standard little-endian form (what the fixed-base pool takes). */
  standard(v: Uint8Array): Uint8Array {
    const a = this.arena;
    const mark = a.mark();
    const p = a.alloc(v.length);
    a.set(p, v);
    a.exports.frm_batchFromMontgomery(p, v.length / N8, p);
    const out = a.get(p, v.length);
    a.reset(mark);
    return out;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function u32be(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, false);
  return b;
}

/** Feeds a large buffer to a hasher in slices (noble's blake2b copies each input). */
function hashAll(h: Blake2b, data: Uint8Array): void {
  const STEP = 1 << 22;
  for (let i = 0; i < data.length; i += STEP) h.update(data.subarray(i, Math.min(data.length, i + STEP)));
}

/** A uniformly random non-zero field element (512 random bits reduced mod r). */
function randomFr(curve: FfCurve): Elem {
  for (;;) {
    const k = BigInt(`0x${randomBytes(64).toString("hex")}`) % curve.r;
    if (k !== 0n) return curve.Fr.e(k);
  }
}

function affineLEM(G: FfGroup, p: Elem): Uint8Array {
  const b = new Uint8Array(G.F.n8 * 2);
  G.toRprLEM(b, 0, G.toAffine(p));
  return b;
}

function uncompressed(G: FfGroup, p: Elem): Uint8Array {
  const b = new Uint8Array(G.F.n8 * 2);
  G.toRprUncompressed(b, 0, G.toAffine(p));
  return b;
}

/** snarkjs `keypair.hashToG2`: a G2 point from a ChaCha stream seeded by the hash (big-endian). */
function hashToG2(curve: FfCurve, hash: Uint8Array): Elem {
  const v = new DataView(hash.buffer, hash.byteOffset, hash.byteLength);
  const seed = Array.from({ length: 8 }, (_, i) => v.getUint32(i * 4));
  return curve.G2.fromRng(new ffjavascript.ChaCha(seed));
}

/** A contribution's proof of knowledge of secret x: (g1_s, g1_s·x, g2_sp·x), g2_sp bound to the transcript. */
interface PubKey {
  g1_s: Elem;
  g1_sx: Elem;
  g2_spx: Elem;
}

/** snarkjs `keypair.calculatePubKey` for a Powers-of-Tau contribution (personalization 0, 1, 2). */
function ptauPubKey(curve: FfCurve, x: Elem, personalization: number, challenge: Uint8Array): PubKey {
  const { G1, G2 } = curve;
  const g1_s = G1.toAffine(G1.timesFr(G1.g, randomFr(curve)));
  const g1_sx = G1.toAffine(G1.timesFr(g1_s, x));
  const h = blake2b();
  h.update(new Uint8Array([personalization]));
  h.update(challenge);
  h.update(uncompressed(G1, g1_s));
  h.update(uncompressed(G1, g1_sx));
  const g2_sp = G2.toAffine(hashToG2(curve, h.digest()));
  return { g1_s, g1_sx, g2_spx: G2.toAffine(G2.timesFr(g2_sp, x)) };
}

/** The contribution parameters block (name only) as snarkjs writes it. */
function contributionParams(name: string): Uint8Array {
  const nameBytes = new TextEncoder().encode(name.substring(0, 64));
  const params = new Uint8Array([1, nameBytes.length, ...nameBytes]);
  return concat([u32(params.length), params]);
}

/** snarkjs' `calculateFirstChallengeHash`: the hash of a blank accumulator of the given power. */
function firstChallengeHash(curve: FfCurve, power: number): Uint8Array {
  const h = blake2b();
  h.update(blake2b().digest());
  const g1 = uncompressed(curve.G1, curve.G1.g);
  const g2 = uncompressed(curve.G2, curve.G2.g);
  const repeat = (p: Uint8Array, n: number) => {
    const BLOCK = 4096;
    const block = new Uint8Array(BLOCK * p.length);
    for (let i = 0; i < BLOCK; i++) block.set(p, i * p.length);
    for (let i = 0; i < n; i += BLOCK) h.update(block.subarray(0, Math.min(BLOCK, n - i) * p.length));
  };
  const n = 2 ** power;
  repeat(g1, 2 * n - 1);
  repeat(g2, n);
  repeat(g1, n);
  repeat(g1, n);
  h.update(g2);
  return h.digest();
}

/** Reads an .r1cs file: header and the three matrices as (constraint, signal, coefficient) terms. */
export interface R1cs {
  nVars: number;
  nPublic: number;
  nConstraints: number;
  /** Section 2 (constraints) bytes. */
  constraints: Uint8Array;
}

export async function readR1cs(file: string): Promise<R1cs> {
  const f = await readBinFile(file, "r1cs");
  const h = section(f, 1);
  const n8 = h.readUInt32LE(0);
  if (n8 !== N8) throw new ProofworkError(ErrorCodes.CIRCUIT_BUILD_FAILED, `${file}: not a BN254 r1cs`);
  let p = 4 + n8;
  const nVars = h.readUInt32LE(p);
  const nOutputs = h.readUInt32LE(p + 4);
  const nPubInputs = h.readUInt32LE(p + 8);
  p += 12 + 4 + 8; // nPrvInputs, nLabels
  const nConstraints = h.readUInt32LE(p);
  return { nVars, nPublic: nOutputs + nPubInputs, nConstraints, constraints: section(f, 2) };
}

/** snarkjs' domain for a circuit: 2^(floor(log2(constraints + public)) + 1). */
export function circuitPower(r1cs: Pick<R1cs, "nConstraints" | "nPublic">): number {
  return Math.floor(Math.log2(r1cs.nConstraints + r1cs.nPublic)) + 1;
}

/**
 * A dev ceremony session: a single-thread curve for field arithmetic and the fixed-base pool.
 * Holds the secrets of the .ptau files it writes (in memory only) so it can derive their keys.
 */
export class DevCeremony {
  private readonly secrets = new Map<symbol, PtauSecrets>();
  /** Timings of the last `ptau`/`zkey` call (seconds per step). */
  timings: Timings = {};

  private constructor(
    private readonly curve: FfCurve,
    private readonly fields: FieldArrays,
    private readonly arena: WasmArena,
    private readonly pool: FixedBasePool,
  ) {}

  /**
   * Starts a session. `power` sizes the multiplication tables for the largest ceremony expected
   * (a hint; any power works).
   */
  static async open(power: number, threads?: number): Promise<DevCeremony> {
    const curve = await singleThreadCurve();
    const arena = await WasmArena.create(await WebAssembly.compile(curve.tm.code!.slice()));
    const n = 2 ** power;
    const pool = await FixedBasePool.start(curve, {
      threads,
      expected: { G1: 12 * n, G2: 3 * n },
    });
    return new DevCeremony(curve, new FieldArrays(arena), arena, pool);
  }

  async close(): Promise<void> {
    this.secrets.clear();
    await this.pool.close();
  }

  /** Writes a dev .ptau of the given power, prepared for phase 2, with fresh random secrets. */
  async ptau(power: number, file: string, name = DEV_CONTRIBUTION_NAME): Promise<DevPtau> {
    const { curve, fields, pool } = this;
    const { Fr } = curve;
    if (power < 1 || power + 1 > Fr.s) {
      throw new ProofworkError(ErrorCodes.PTAU_INVALID, `dev ceremony power must be in 1..${Fr.s - 1}`);
    }
    const { timings: t, lap } = stopwatch();
    const n = 2 ** power;

    // Secrets. τ must not be a root of unity of any domain used (then L_i(τ) would be undefined
    // in the closed form; the FFT used here would still be right, but such a τ is worthless).
    let tau: Elem;
    do tau = randomFr(curve);
    while (Fr.eq(Fr.exp(tau, 2n ** BigInt(power + 1)), Fr.one));
    const secrets: PtauSecrets = { tau, alpha: randomFr(curve), beta: randomFr(curve) };

    // Scalars (Montgomery form).
    const powers = fields.powers(secrets.tau, 2 * n);
    const lagrange: Uint8Array[] = [];
    for (let q = 0; q <= power + 1; q++) {
      const m = 2 ** q;
      const v = powers.slice(0, m * N8);
      // `prepare phase2` transforms the 2n−1 stored powers of τ·G1 padded with a zero point.
      if (q === power + 1) v.fill(0, (m - 1) * N8);
      lagrange.push(await Fr.ifft(v));
    }
    const lagrangeAll = concat(lagrange); // domains 2^0 .. 2^(power+1), for τ·G1
    const lagrangeUpToN = lagrangeAll.subarray(0, (2 * n - 1) * N8); // domains 2^0 .. 2^power
    const tauN = powers.subarray(0, n * N8);
    lap("field");

    // Points: every section as k·G with known k.
    const std = (v: Uint8Array) => fields.standard(v);
    const withHashes = ["lem", "c", "u"] as const;
    const jobs = {
      tauG1: pool.mul("G1", std(powers.subarray(0, (2 * n - 1) * N8)), [...withHashes]),
      tauG2: pool.mul("G2", std(tauN), [...withHashes]),
      alphaTauG1: pool.mul("G1", std(fields.scale(tauN, secrets.alpha)), [...withHashes]),
      betaTauG1: pool.mul("G1", std(fields.scale(tauN, secrets.beta)), [...withHashes]),
      betaG2: pool.mul("G2", std(secrets.beta), [...withHashes]),
      lTauG1: pool.mul("G1", std(lagrangeAll), ["lem"]),
      lTauG2: pool.mul("G2", std(lagrangeUpToN), ["lem"]),
      lAlphaTauG1: pool.mul("G1", std(fields.scale(lagrangeUpToN, secrets.alpha)), ["lem"]),
      lBetaTauG1: pool.mul("G1", std(fields.scale(lagrangeUpToN, secrets.beta)), ["lem"]),
    };
    // While the pool works: the challenge this contribution answers and its public key.
    const challenge = firstChallengeHash(curve, power);
    const key = {
      tau: ptauPubKey(curve, secrets.tau, 0, challenge),
      alpha: ptauPubKey(curve, secrets.alpha, 1, challenge),
      beta: ptauPubKey(curve, secrets.beta, 2, challenge),
    };
    const done: Record<keyof typeof jobs, PointBatch> = {
      tauG1: await jobs.tauG1,
      tauG2: await jobs.tauG2,
      alphaTauG1: await jobs.alphaTauG1,
      betaTauG1: await jobs.betaTauG1,
      betaG2: await jobs.betaG2,
      lTauG1: await jobs.lTauG1,
      lTauG2: await jobs.lTauG2,
      lAlphaTauG1: await jobs.lAlphaTauG1,
      lBetaTauG1: await jobs.lBetaTauG1,
    };
    lap("points");

    // Contribution record, hashed as `powersoftau contribute` does: the response hash covers the
    // challenge, the new points (compressed) and the public key; the next challenge covers the
    // response hash and the new points (uncompressed).
    const monomial = [done.tauG1, done.tauG2, done.alphaTauG1, done.betaTauG1, done.betaG2];
    const response = blake2b();
    response.update(challenge);
    for (const s of monomial) hashAll(response, s.c!);
    const partialHash = toPartialHash(response);
    const { G1, G2 } = curve;
    const keyU = concat([
      ...[key.tau, key.alpha, key.beta].flatMap((k) => [uncompressed(G1, k.g1_s), uncompressed(G1, k.g1_sx)]),
      ...[key.tau, key.alpha, key.beta].map((k) => uncompressed(G2, k.g2_spx)),
    ]);
    response.update(keyU);
    const responseHash = response.digest();
    const next = blake2b();
    next.update(responseHash);
    for (const s of monomial) hashAll(next, s.u!);
    const nextChallenge = next.digest();
    const keyLEM = concat([
      ...[key.tau, key.alpha, key.beta].flatMap((k) => [affineLEM(G1, k.g1_s), affineLEM(G1, k.g1_sx)]),
      ...[key.tau, key.alpha, key.beta].map((k) => affineLEM(G2, k.g2_spx)),
    ]);
    const contribution = concat([
      u32(1), // one contribution
      done.tauG1.lem!.subarray(G1U, 2 * G1U), // τ·G1
      done.tauG2.lem!.subarray(G2U, 2 * G2U), // τ·G2
      done.alphaTauG1.lem!.subarray(0, G1U), // α·G1
      done.betaTauG1.lem!.subarray(0, G1U), // β·G1
      done.betaG2.lem!, // β·G2
      keyLEM,
      partialHash,
      nextChallenge,
      u32(0), // type: contribution (1 would be a beacon)
      contributionParams(name),
    ]);
    lap("hashes");

    // Header: n8 of the base field, its prime, power and ceremony power.
    const q = new Uint8Array(N8);
    let qv = curve.q;
    for (let i = 0; i < N8; i++, qv >>= 8n) q[i] = Number(qv & 0xffn);
    await writeBinFile(file, "ptau", 1, [
      { id: 1, parts: [u32(N8), q, u32(power), u32(power)] },
      { id: 2, parts: [done.tauG1.lem!] },
      { id: 3, parts: [done.tauG2.lem!] },
      { id: 4, parts: [done.alphaTauG1.lem!] },
      { id: 5, parts: [done.betaTauG1.lem!] },
      { id: 6, parts: [done.betaG2.lem!] },
      { id: 7, parts: [contribution] },
      { id: 12, parts: [done.lTauG1.lem!] },
      { id: 13, parts: [done.lTauG2.lem!] },
      { id: 14, parts: [done.lAlphaTauG1.lem!] },
      { id: 15, parts: [done.lBetaTauG1.lem!] },
    ]);
    lap("write");
    this.timings = t;
    const ptau: DevPtau = { file, power, id: Symbol(file) };
    this.secrets.set(ptau.id, secrets);
    return ptau;
  }

  /**
   * Writes the Groth16 proving key of an r1cs for a .ptau this session wrote: the `zkey new`
   * result for that .ptau followed by one contribution with a fresh random δ.
   */
  async zkey(
    ptau: DevPtau,
    r1csFile: string,
    zkeyFile: string,
    name = DEV_CONTRIBUTION_NAME,
  ): Promise<Uint8Array> {
    const secrets = this.secrets.get(ptau.id);
    if (!secrets) {
      throw new ProofworkError(
        ErrorCodes.CIRCUIT_BUILD_FAILED,
        `${ptau.file} was not written by this dev ceremony`,
      );
    }
    const { curve, fields, pool, arena } = this;
    const { Fr, G1, G2 } = curve;
    const ex = arena.exports;
    const { timings: t, lap } = stopwatch();

    const r1cs = await readR1cs(r1csFile);
    const { nVars, nPublic, nConstraints } = r1cs;
    const power = circuitPower(r1cs);
    if (power > ptau.power) {
      throw new ProofworkError(
        ErrorCodes.PTAU_INVALID,
        `circuit needs a 2^${power} domain, the dev ceremony has 2^${ptau.power}`,
      );
    }
    const n = 2 ** power;
    const delta = randomFr(curve);
    const invDelta = Fr.inv(delta);

    // Lagrange coefficients at τ for the circuit's domain (section 12 of the .ptau), and for
    // the double domain, whose odd ones are the H points `zkey new` copies from the .ptau.
    const powers = fields.powers(secrets.tau, 2 * n);
    const L = await Fr.ifft(powers.slice(0, n * N8));
    const v2 = powers.slice();
    if (power === ptau.power) v2.fill(0, (2 * n - 1) * N8);
    const L2 = await Fr.ifft(v2);
    const hOdd = new Uint8Array(n * N8);
    for (let i = 0; i < n; i++) hOdd.set(L2.subarray((2 * i + 1) * N8, (2 * i + 2) * N8), i * N8);

    // Polynomials of every signal at τ: A_s(τ) = Σ_c a_cs·L_c(τ), same for B and C, plus the
    // constraints `zkey new` adds for public inputs (A_s += L_{nConstraints+s}, s ≤ nPublic).
    // The coefficients section (4) lists the A and B terms with values multiplied by R² (snarkjs'
    // encoding: the prover reads them as Montgomery form of the value times R).
    const mark = arena.mark();
    const pL = arena.alloc(n * N8);
    arena.set(pL, L);
    const pA = arena.alloc(nVars * N8);
    const pB = arena.alloc(nVars * N8);
    const pC = arena.alloc(nVars * N8);
    arena.u8.fill(0, pA, pC + nVars * N8); // zero is all-zero bytes in Montgomery form too
    const pCoef = arena.alloc(N8);
    const pTmp = arena.alloc(N8);
    const cs = r1cs.constraints;
    const csView = new DataView(cs.buffer, cs.byteOffset, cs.byteLength);
    const coefEntries: Uint8Array[] = [];
    let nCoefs = 0;
    const COEF = 12 + N8;
    let chunk = new Uint8Array(COEF * 4096);
    let chunkView = new DataView(chunk.buffer);
    let inChunk = 0;
    const pushCoef = (matrix: number, c: number, s: number, pValue: number) => {
      if (inChunk === 4096) {
        coefEntries.push(chunk);
        chunk = new Uint8Array(COEF * 4096);
        chunkView = new DataView(chunk.buffer);
        inChunk = 0;
      }
      const o = inChunk * COEF;
      chunkView.setUint32(o, matrix, true);
      chunkView.setUint32(o + 4, c, true);
      chunkView.setUint32(o + 8, s, true);
      // value · R² as standard bytes = toMontgomery(toMontgomery(value)).
      ex.frm_toMontgomery(pValue, pTmp);
      chunk.set(arena.u8.subarray(pTmp, pTmp + N8), o + 12);
      inChunk++;
      nCoefs++;
    };
    let off = 0;
    for (let c = 0; c < nConstraints; c++) {
      for (let m = 0; m < 3; m++) {
        const nTerms = csView.getUint32(off, true);
        off += 4;
        const acc = m === 0 ? pA : m === 1 ? pB : pC;
        for (let k = 0; k < nTerms; k++) {
          const s = csView.getUint32(off, true);
          arena.set(pTmp, cs.subarray(off + 4, off + 4 + N8));
          off += 4 + N8;
          ex.frm_toMontgomery(pTmp, pCoef); // the coefficient, Montgomery form
          if (m < 2) pushCoef(m, c, s, pCoef);
          ex.frm_mul(pCoef, pL + c * N8, pTmp);
          ex.frm_add(acc + s * N8, pTmp, acc + s * N8);
        }
      }
    }
    if (off !== cs.length)
      throw new ProofworkError(ErrorCodes.CIRCUIT_BUILD_FAILED, `${r1csFile}: bad constraints section`);
    ex.frm_one(pCoef);
    for (let s = 0; s <= nPublic; s++) {
      ex.frm_add(pA + s * N8, pL + (nConstraints + s) * N8, pA + s * N8);
      pushCoef(0, nConstraints + s, s, pCoef);
    }
    coefEntries.push(chunk.subarray(0, inChunk * COEF));
    const A = arena.get(pA, nVars * N8);
    const B = arena.get(pB, nVars * N8);
    // K_s = β·A_s + α·B_s + C_s: IC for public signals, L (×1/δ) for private ones.
    const pAlpha = arena.alloc(N8);
    const pBeta = arena.alloc(N8);
    arena.set(pAlpha, secrets.alpha);
    arena.set(pBeta, secrets.beta);
    for (let s = 0; s < nVars; s++) {
      ex.frm_mul(pA + s * N8, pBeta, pTmp);
      ex.frm_add(pC + s * N8, pTmp, pC + s * N8);
      ex.frm_mul(pB + s * N8, pAlpha, pTmp);
      ex.frm_add(pC + s * N8, pTmp, pC + s * N8);
    }
    const K = arena.get(pC, nVars * N8);
    arena.reset(mark);
    const icK = K.subarray(0, (nPublic + 1) * N8);
    const lK = K.subarray((nPublic + 1) * N8);
    lap("field");

    const std = (v: Uint8Array) => fields.standard(v);
    const jobs = {
      ic: pool.mul("G1", std(icK), ["lem", "u"]),
      a: pool.mul("G1", std(A), ["lem", "u"]),
      b1: pool.mul("G1", std(B), ["lem", "u"]),
      b2: pool.mul("G2", std(B), ["lem", "u"]),
      l0: pool.mul("G1", std(lK), ["u"]), // δ = 1, for the circuit hash
      l: pool.mul("G1", std(fields.scale(lK, invDelta)), ["lem"]),
      h: pool.mul("G1", std(fields.scale(hOdd, invDelta)), ["lem"]),
    };
    // While the pool works: the H points of the circuit hash, as `zkey new` computes them from
    // the .ptau's τ·G1 section: (τ^(i+n) − τ^i)·G1. It reads n−1 of them for domains up to 2^14
    // and n (the last one past the n−1 it announces) for larger ones, exactly as done here.
    const hHash = await this.hashHPoints(ptau.file, n);
    const done = {
      ic: await jobs.ic,
      a: await jobs.a,
      b1: await jobs.b1,
      b2: await jobs.b2,
      l0: await jobs.l0,
      l: await jobs.l,
      h: await jobs.h,
    };
    lap("points");

    // Circuit hash (`zkey new`), then δ's contribution (`zkey contribute`).
    const alpha1 = G1.toAffine(G1.timesFr(G1.g, secrets.alpha));
    const beta1 = G1.toAffine(G1.timesFr(G1.g, secrets.beta));
    const beta2 = G2.toAffine(G2.timesFr(G2.g, secrets.beta));
    const cs0 = blake2b();
    for (const u of [
      uncompressed(G1, alpha1),
      uncompressed(G1, beta1),
      uncompressed(G2, beta2),
      uncompressed(G2, G2.g),
      uncompressed(G1, G1.g),
      uncompressed(G2, G2.g),
    ])
      cs0.update(u);
    cs0.update(u32be(nPublic + 1));
    hashAll(cs0, done.ic.u!);
    cs0.update(u32be(n - 1));
    hashAll(cs0, hHash);
    cs0.update(u32be(nVars - nPublic - 1));
    hashAll(cs0, done.l0.u!);
    for (const s of [done.a, done.b1, done.b2]) {
      cs0.update(u32be(nVars));
      hashAll(cs0, s.u!);
    }
    const csHash = cs0.digest();

    const g1_s = G1.toAffine(G1.timesFr(G1.g, randomFr(curve)));
    const g1_sx = G1.toAffine(G1.timesFr(g1_s, delta));
    const th = blake2b();
    th.update(csHash);
    th.update(uncompressed(G1, g1_s));
    th.update(uncompressed(G1, g1_sx));
    const transcript = th.digest();
    const g2_spx = G2.toAffine(G2.timesFr(hashToG2(curve, transcript), delta));
    const delta1 = G1.toAffine(G1.timesFr(G1.g, delta));
    const delta2 = G2.toAffine(G2.timesFr(G2.g, delta));
    const contribution = concat([
      affineLEM(G1, delta1), // deltaAfter
      affineLEM(G1, g1_s),
      affineLEM(G1, g1_sx),
      affineLEM(G2, g2_spx),
      transcript,
      u32(0), // type: contribution
      contributionParams(name),
    ]);
    const contributionHasher = blake2b();
    for (const u of [
      uncompressed(G1, delta1),
      uncompressed(G1, g1_s),
      uncompressed(G1, g1_sx),
      uncompressed(G2, g2_spx),
    ])
      contributionHasher.update(u);
    contributionHasher.update(transcript);
    lap("hashes");

    const prime = (v: bigint) => {
      const b = new Uint8Array(N8);
      for (let i = 0; i < N8; i++, v >>= 8n) b[i] = Number(v & 0xffn);
      return b;
    };
    await writeBinFile(zkeyFile, "zkey", 1, [
      { id: 1, parts: [u32(1)] }, // Groth16
      {
        id: 2,
        parts: [
          u32(N8),
          prime(curve.q),
          u32(N8),
          prime(curve.r),
          u32(nVars),
          u32(nPublic),
          u32(n),
          affineLEM(G1, alpha1),
          affineLEM(G1, beta1),
          affineLEM(G2, beta2),
          affineLEM(G2, G2.g), // γ = 1
          affineLEM(G1, delta1),
          affineLEM(G2, delta2),
        ],
      },
      { id: 3, parts: [done.ic.lem!] },
      { id: 4, parts: [u32(nCoefs), ...coefEntries] },
      { id: 5, parts: [done.a.lem!] },
      { id: 6, parts: [done.b1.lem!] },
      { id: 7, parts: [done.b2.lem!] },
      { id: 8, parts: [done.l.lem!] },
      { id: 9, parts: [done.h.lem!] },
      { id: 10, parts: [csHash, u32(1), contribution] },
    ]);
    lap("write");
    this.timings = t;
    return contributionHasher.digest();
  }

  /** U((τ^(i+n) − τ^i)·G1) for the H part of the circuit hash, from the .ptau's section 2 bytes. */
  private async hashHPoints(ptauFile: string, n: number): Promise<Uint8Array> {
    const f = await readBinFile(ptauFile, "ptau");
    const s2 = f.sections.get(2)!;
    const count = n - 1 <= 1 << 14 ? n - 1 : n;
    const a = this.arena;
    const mark = a.mark();
    const pHi = a.alloc(count * G1U);
    const pLo = a.alloc(count * G1U);
    const pJ = a.alloc(count * SIZES.G1.jacobian, count * G1U);
    // Raw file bytes, as snarkjs reads them (the last of n may lie past the section's end).
    a.set(pHi, f.bytes.subarray(s2.offset + n * G1U, s2.offset + (n + count) * G1U));
    a.set(pLo, f.bytes.subarray(s2.offset, s2.offset + count * G1U));
    for (let i = 0; i < count; i++) {
      a.exports.g1m_subAffine(pHi + i * G1U, pLo + i * G1U, pJ + i * SIZES.G1.jacobian);
    }
    a.exports.g1m_batchToAffine(pJ, count, pHi);
    a.exports.g1m_batchLEMtoU(pHi, count, pHi);
    const out = a.get(pHi, count * G1U);
    a.reset(mark);
    return out;
  }
}
