/**
 * Typed access to the two libraries snarkjs itself uses for its file formats, loaded from
 * snarkjs' own dependency tree so that the versions are exactly the ones that read our files:
 *   - ffjavascript (BN254 arithmetic in WebAssembly, ChaCha for snarkjs' hash-to-G2);
 *   - @noble/hashes' blake2b (contribution hashes; the .ptau "partial hash" is its internal state).
 * Only the members the ceremony uses are typed.
 */
import { createRequire } from "node:module";

/** A field element or point: bytes in ffjavascript's internal (Montgomery) form. */
export type Elem = Uint8Array;

export interface FfRng {
  nextU32(): number;
}

export interface FfField {
  n8: number;
  s: number;
  /** w[k]: the primitive 2^k-th root of unity ffjavascript's FFTs use. */
  w: Elem[];
  one: Elem;
  zero: Elem;
  e(a: bigint | number | string): Elem;
  add(a: Elem, b: Elem): Elem;
  sub(a: Elem, b: Elem): Elem;
  neg(a: Elem): Elem;
  mul(a: Elem, b: Elem): Elem;
  inv(a: Elem): Elem;
  exp(a: Elem, e: bigint | number): Elem;
  eq(a: Elem, b: Elem): boolean;
  isZero(a: Elem): boolean;
  fromRng(rng: FfRng): Elem;
  toObject(a: Elem): bigint;
  toRprLE(buff: Uint8Array, offset: number, a: Elem): void;
  fromRprLE(buff: Uint8Array, offset?: number): Elem;
  ifft(buff: Uint8Array): Promise<Uint8Array>;
  batchToMontgomery(buff: Uint8Array): Promise<Uint8Array>;
  batchFromMontgomery(buff: Uint8Array): Promise<Uint8Array>;
}

export interface FfGroup {
  g: Elem;
  zero: Elem;
  F: { n8: number };
  add(a: Elem, b: Elem): Elem;
  neg(a: Elem): Elem;
  eq(a: Elem, b: Elem): boolean;
  isZero(a: Elem): boolean;
  timesFr(a: Elem, s: Elem): Elem;
  toAffine(a: Elem): Elem;
  fromRng(rng: FfRng): Elem;
  toRprLEM(buff: Uint8Array, offset: number, a: Elem): void;
  fromRprLEM(buff: Uint8Array, offset?: number): Elem;
  toRprUncompressed(buff: Uint8Array, offset: number, a: Elem): void;
  toUncompressed(a: Elem): Uint8Array;
}

export interface FfCurve {
  name: string;
  r: bigint;
  q: bigint;
  Fr: FfField;
  G1: FfGroup;
  G2: FfGroup;
  tm: { code?: Uint8Array; concurrency: number };
  pairingEq(...args: Elem[]): Promise<boolean>;
  terminate(): Promise<void>;
}

interface FfJavascript {
  buildBn128(singleThread?: boolean): Promise<FfCurve>;
  ChaCha: new (seed: number[]) => FfRng;
}

/** @noble/hashes 1.x blake2b, with the internal state that snarkjs' `toPartialHash` serializes. */
export interface Blake2b {
  update(data: Uint8Array): Blake2b;
  digest(): Uint8Array;
  buffer: Uint8Array;
  pos: number;
  length: number;
  v0l: number;
  v0h: number;
  v1l: number;
  v1h: number;
  v2l: number;
  v2h: number;
  v3l: number;
  v3h: number;
  v4l: number;
  v4h: number;
  v5l: number;
  v5h: number;
  v6l: number;
  v6h: number;
  v7l: number;
  v7h: number;
}

interface NobleBlake2b {
  blake2b: { create(opts: { dkLen: number }): Blake2b };
}

const snarkjsRequire = createRequire(createRequire(import.meta.url).resolve("snarkjs"));

export const ffjavascript = snarkjsRequire("ffjavascript") as FfJavascript;
const noble = snarkjsRequire("@noble/hashes/blake2b") as NobleBlake2b;

/** A fresh 64-byte blake2b hasher (the only kind snarkjs uses). */
export function blake2b(): Blake2b {
  return noble.blake2b.create({ dkLen: 64 });
}

/** snarkjs `misc.toPartialHash`: the hasher's state, as stored in a .ptau contribution record. */
export function toPartialHash(h: Blake2b): Uint8Array {
  const res = new Uint8Array(216);
  const res32 = new Uint32Array(res.buffer, 128, 22);
  res.set(h.buffer);
  const v = [h.v0l, h.v0h, h.v1l, h.v1h, h.v2l, h.v2h, h.v3l, h.v3h];
  const w = [h.v4l, h.v4h, h.v5l, h.v5h, h.v6l, h.v6h, h.v7l, h.v7h];
  [...v, ...w].forEach((x, i) => (res32[i] = x));
  res32[18] = h.pos;
  res32[16] = h.length - h.pos;
  return res;
}

/** A single-threaded BN254 curve of snarkjs' ffjavascript (own wasm instance, no worker pool). */
export async function singleThreadCurve(): Promise<FfCurve> {
  return ffjavascript.buildBn128(true);
}
