/**
 * A small R1CS reader and witness checker for soundness tests: unlike `snarkjs wtns check` it says
 * WHICH constraints a witness violates (and which named signals they touch), and it also requires
 * wire 0 = 1 (an all-zero witness satisfies every homogeneous R1CS constraint).
 *
 * r1cs binary: "r1cs" | version u32 | nSections u32 | sections (type u32, size u64, data);
 *   1 header: n8 u32, prime (n8 LE), nWires u32, nPubOut u32, nPubIn u32, nPrvIn u32, nLabels u64,
 *             nConstraints u32
 *   2 constraints: per constraint A, B, C; each: nTerms u32, then (wire u32, coeff n8 LE)
 * Coefficients are stored as plain little-endian integers (r1csfile reads them with fromRprLE).
 */
import { readFileSync } from "node:fs";

export type LinearCombination = [wire: number, coeff: bigint][];

export interface R1cs {
  prime: bigint;
  nWires: number;
  nPublic: number;
  constraints: [LinearCombination, LinearCombination, LinearCombination][];
}

function readLE(b: Uint8Array, off: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i]!);
  return v;
}

export function readR1cs(file: string): R1cs {
  const buf = readFileSync(file);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.toString("latin1", 0, 4) !== "r1cs") throw new Error(`${file} is not an r1cs file`);
  const nSections = dv.getUint32(8, true);
  let off = 12;
  let n8 = 0;
  let prime = 0n;
  let nWires = 0;
  let nPublic = 0;
  let nConstraints = 0;
  let cOff = -1;
  for (let s = 0; s < nSections; s++) {
    const type = dv.getUint32(off, true);
    const size = Number(dv.getBigUint64(off + 4, true));
    off += 12;
    if (type === 1) {
      n8 = dv.getUint32(off, true);
      prime = readLE(buf, off + 4, n8);
      const p = off + 4 + n8;
      nWires = dv.getUint32(p, true);
      nPublic = dv.getUint32(p + 4, true) + dv.getUint32(p + 8, true);
      nConstraints = dv.getUint32(p + 24, true); // after nPrvIn u32 and nLabels u64
    } else if (type === 2) cOff = off;
    off += size;
  }
  if (cOff < 0) throw new Error(`${file} has no constraints section`);
  const constraints: R1cs["constraints"] = [];
  let p = cOff;
  const lc = (): LinearCombination => {
    const n = dv.getUint32(p, true);
    p += 4;
    const out: LinearCombination = [];
    for (let i = 0; i < n; i++) {
      out.push([dv.getUint32(p, true), readLE(buf, p + 4, n8)]);
      p += 4 + n8;
    }
    return out;
  };
  for (let c = 0; c < nConstraints; c++) constraints.push([lc(), lc(), lc()]);
  return { prime, nWires, nPublic, constraints };
}

/** Indices of the constraints `w` violates (and, first, -1 when wire 0 ≠ 1). */
export function failingConstraints(r: R1cs, w: readonly bigint[]): number[] {
  const p = r.prime;
  const bad: number[] = [];
  if (w[0] !== 1n) bad.push(-1);
  const ev = (l: LinearCombination): bigint => {
    let s = 0n;
    for (const [wire, c] of l) s += c * w[wire]!;
    return s % p;
  };
  r.constraints.forEach(([a, b, c], i) => {
    if ((ev(a) * ev(b) - ev(c)) % p !== 0n) bad.push(i);
  });
  return bad;
}

/** The wires a constraint touches. */
export function constraintWires(r: R1cs, i: number): number[] {
  const set = new Set<number>();
  for (const l of r.constraints[i]!) for (const [wire] of l) set.add(wire);
  return [...set].sort((a, b) => a - b);
}

/** Signal names by witness index, from a circom `.sym` file (several names may share a wire). */
export function readSym(file: string): { byName: Map<string, number>; byWire: Map<number, string[]> } {
  const byName = new Map<string, number>();
  const byWire = new Map<number, string[]>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const [, wire, , label] = line.split(",");
    if (label === undefined) continue;
    const w = Number(wire);
    if (w < 0) continue;
    byName.set(label, w);
    const l = byWire.get(w) ?? [];
    l.push(label);
    byWire.set(w, l);
  }
  return { byName, byWire };
}
