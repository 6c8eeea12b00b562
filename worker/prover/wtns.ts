/**
 * Witness computation with the circuit's wasm (snarkjs / circom_runtime), in memory, and the `.wtns`
 * binary format (read and write) so tests can inspect or tamper a witness.
 *
 * `.wtns` v2: "wtns" | version u32 | nSections u32 | sections (type u32, size u64, data):
 *   1: n8 u32, prime (n8 bytes LE), nWitness u32;   2: nWitness values, n8 bytes LE each.
 */
import { readFile } from "node:fs/promises";
import { WitnessCalculatorBuilder, type WitnessCalculator } from "circom_runtime";
import * as snarkjs from "snarkjs";
import { ErrorCodes, ProofworkError, errorMessage } from "../../sdk/node.ts";
import type { CircuitSignals as CircuitInput } from "../../sdk/node.ts";

/** An in-memory fastfile, as snarkjs accepts in place of a file name. */
export interface MemFile {
  type: "mem";
  data?: Uint8Array;
}

/** The part of snarkjs' `wtns` module proofwork uses (absent from @types/snarkjs). */
interface WtnsApi {
  calculate(input: CircuitInput, wasm: string | MemFile, out: MemFile): Promise<void>;
  check(r1cs: string | MemFile, wtns: string | MemFile, logger: WtnsLogger): Promise<boolean>;
}
interface WtnsLogger {
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
  debug(m: string): void;
}

const wtnsApi = (snarkjs as unknown as { wtns: WtnsApi }).wtns;

/** Compiled witness calculators by wasm file path (compiling the wasm dominates a small witness). */
const calculators = new Map<string, Promise<WitnessCalculator>>();

async function calculatorFor(wasm: string): Promise<WitnessCalculator> {
  let c = calculators.get(wasm);
  if (!c) {
    c = readFile(wasm).then((code) => WitnessCalculatorBuilder(new Uint8Array(code)));
    calculators.set(wasm, c);
    c.catch(() => calculators.delete(wasm));
  }
  return c;
}

/**
 * Runs the witness generator (`.wtns` bytes). A wasm given by path is compiled once per process;
 * given as bytes it goes through snarkjs each time. Any failure (an `===`/assert violated: wrong
 * output, byte ≥ 256, wrong commitment; wrong input shape) is WITNESS_FAILED.
 */
export async function calculateWitness(wasm: string | Uint8Array, input: CircuitInput): Promise<Uint8Array> {
  try {
    if (typeof wasm === "string") {
      const calc = await calculatorFor(wasm);
      try {
        return await calc.calculateWTNSBin(input, true);
      } catch (e) {
        // A failed run may leave the instance mid-computation: recompile for the next call.
        calculators.delete(wasm);
        throw e;
      }
    }
    const out: MemFile = { type: "mem" };
    await wtnsApi.calculate(input, { type: "mem", data: wasm }, out);
    if (!out.data) throw new Error("no witness produced");
    return out.data;
  } catch (e) {
    throw new ProofworkError(
      ErrorCodes.WITNESS_FAILED,
      `witness generation failed: ${firstLine(errorMessage(e))}`,
      {},
      { cause: e },
    );
  }
}

function firstLine(s: string): string {
  return s.split("\n").find((l) => l.trim().length > 0) ?? s;
}

/**
 * Checks every R1CS constraint against a witness, and that wire 0 (the constant 1) is 1: every
 * constraint is homogeneous in the wires, so an all-zero (or scaled) assignment would satisfy them
 * all (slow-ish: for tests and diagnostics).
 */
export async function checkWitness(r1cs: string, wtns: Uint8Array): Promise<boolean> {
  if (parseWtns(wtns).values[0] !== 1n) return false;
  const quiet: WtnsLogger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
  return wtnsApi.check(r1cs, { type: "mem", data: wtns }, quiet);
}

export interface Witness {
  n8: number;
  prime: bigint;
  values: bigint[];
}

function readLE(b: Uint8Array, off: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i]!);
  return v;
}

function writeLE(b: Uint8Array, off: number, n: number, v: bigint): void {
  for (let i = 0; i < n; i++) {
    b[off + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

export function parseWtns(bytes: Uint8Array): Witness {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== "wtns") {
    throw new ProofworkError(ErrorCodes.WITNESS_FAILED, "not a .wtns file");
  }
  const nSections = dv.getUint32(8, true);
  let off = 12;
  let n8 = 0;
  let prime = 0n;
  let n = 0;
  let values: bigint[] | undefined;
  for (let s = 0; s < nSections; s++) {
    const type = dv.getUint32(off, true);
    const size = Number(dv.getBigUint64(off + 4, true));
    off += 12;
    if (type === 1) {
      n8 = dv.getUint32(off, true);
      prime = readLE(bytes, off + 4, n8);
      n = dv.getUint32(off + 4 + n8, true);
    } else if (type === 2) {
      values = [];
      for (let i = 0; i < n; i++) values.push(readLE(bytes, off + i * n8, n8));
    }
    off += size;
  }
  if (!values) throw new ProofworkError(ErrorCodes.WITNESS_FAILED, ".wtns file has no witness section");
  return { n8, prime, values };
}

export function writeWtns(w: Witness): Uint8Array {
  const s1 = 4 + w.n8 + 4;
  const s2 = w.values.length * w.n8;
  const out = new Uint8Array(12 + 12 + s1 + 12 + s2);
  const dv = new DataView(out.buffer);
  out.set([0x77, 0x74, 0x6e, 0x73], 0); // "wtns"
  dv.setUint32(4, 2, true);
  dv.setUint32(8, 2, true);
  let off = 12;
  dv.setUint32(off, 1, true);
  dv.setBigUint64(off + 4, BigInt(s1), true);
  off += 12;
  dv.setUint32(off, w.n8, true);
  writeLE(out, off + 4, w.n8, w.prime);
  dv.setUint32(off + 4 + w.n8, w.values.length, true);
  off += s1;
  dv.setUint32(off, 2, true);
  dv.setBigUint64(off + 4, BigInt(s2), true);
  off += 12;
  w.values.forEach((v, i) => writeLE(out, off + i * w.n8, w.n8, ((v % w.prime) + w.prime) % w.prime));
  return out;
}

/** Public signals of a witness: wires 1..nPublic (wire 0 is the constant 1). */
export function witnessPublicSignals(w: Witness, nPublic: number): bigint[] {
  return w.values.slice(1, 1 + nPublic);
}
