/**
 * A bare instance of snarkjs' BN254 WebAssembly module (wasmcurves, as ffjavascript builds it) with
 * a bump allocator over its memory, for code that calls the module's functions directly: the
 * fixed-base multiplications of the dev ceremony (`circuits/fixed-base-worker.ts`) and its field
 * arithmetic (`circuits/ceremony.ts`).
 *
 * Loaded by worker threads too, which run with Node's type stripping only: keep this file to
 * erasable TypeScript (no enums, no parameter properties) and import nothing but Node built-ins.
 *
 * Encodings (all little-endian, 32-byte limbs for BN254): field elements and points are kept in
 * Montgomery form; an affine point is x‖y (64 bytes in G1, 128 in G2) — this is the "LEM" form
 * snarkjs writes into .ptau and .zkey files; a Jacobian point is x‖y‖z.
 */

/** The module functions this project calls (a subset of the ~300 exports). */
export interface CurveExports {
  frm_mul(a: number, b: number, r: number): void;
  frm_add(a: number, b: number, r: number): void;
  frm_sub(a: number, b: number, r: number): void;
  frm_copy(a: number, r: number): void;
  frm_one(r: number): void;
  frm_zero(r: number): void;
  frm_isZero(a: number): number;
  frm_toMontgomery(a: number, r: number): void;
  frm_fromMontgomery(a: number, r: number): void;
  frm_batchFromMontgomery(pIn: number, n: number, pOut: number): void;
  frm_batchToMontgomery(pIn: number, n: number, pOut: number): void;
  frm_inverse(a: number, r: number): void;
  g1m_zero(r: number): void;
  g1m_addMixed(a: number, b: number, r: number): void;
  g1m_subAffine(a: number, b: number, r: number): void;
  g1m_double(a: number, r: number): void;
  g1m_toAffine(a: number, r: number): void;
  g1m_batchToAffine(pIn: number, n: number, pOut: number): void;
  g1m_batchLEMtoU(pIn: number, n: number, pOut: number): void;
  g1m_batchLEMtoC(pIn: number, n: number, pOut: number): void;
  g1m_copyAffine(a: number, r: number): void;
  g2m_zero(r: number): void;
  g2m_addMixed(a: number, b: number, r: number): void;
  g2m_double(a: number, r: number): void;
  g2m_toAffine(a: number, r: number): void;
  g2m_batchToAffine(pIn: number, n: number, pOut: number): void;
  g2m_batchLEMtoU(pIn: number, n: number, pOut: number): void;
  g2m_batchLEMtoC(pIn: number, n: number, pOut: number): void;
  g2m_copyAffine(a: number, r: number): void;
}

/** Byte sizes of BN254 elements in the module's encodings. */
export const N8 = 32;
export const SIZES = {
  G1: { affine: 64, jacobian: 96, compressed: 32 },
  G2: { affine: 128, jacobian: 192, compressed: 64 },
} as const;
export type GroupName = keyof typeof SIZES;

const PAGE = 65536;

/** One module instance with its own memory; `alloc` bumps the module's free pointer (u32 at 0). */
export class WasmArena {
  readonly exports: CurveExports;
  private readonly memory: WebAssembly.Memory;
  private u8Cache: Uint8Array;

  private constructor(memory: WebAssembly.Memory, exports: CurveExports) {
    this.memory = memory;
    this.exports = exports;
    this.u8Cache = new Uint8Array(memory.buffer);
  }

  static async create(module: WebAssembly.Module): Promise<WasmArena> {
    const memory = new WebAssembly.Memory({ initial: 32 });
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    return new WasmArena(memory, instance.exports as unknown as CurveExports);
  }

  /** A view of the whole memory (renewed after the memory grows). */
  get u8(): Uint8Array {
    if (this.u8Cache.buffer !== this.memory.buffer) this.u8Cache = new Uint8Array(this.memory.buffer);
    return this.u8Cache;
  }

  /** The current free pointer; pass it to `reset` to free everything allocated after it. */
  mark(): number {
    return new Uint32Array(this.memory.buffer, 0, 1)[0]!;
  }

  reset(mark: number): void {
    new Uint32Array(this.memory.buffer, 0, 1)[0] = mark;
  }

  /**
   * Allocates `bytes` (aligned to `align`, a power of two), growing the memory so that `scratch`
   * more bytes fit above it (the module's batch functions allocate above the free pointer).
   */
  alloc(bytes: number, scratch = 0, align = 8): number {
    const p = (this.mark() + align - 1) & ~(align - 1);
    const end = p + bytes;
    const need = end + scratch + PAGE;
    if (need > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / PAGE));
    }
    this.reset(end);
    return p;
  }

  /** Ensures `bytes` are available above the free pointer (for the module's batch functions). */
  reserve(bytes: number): void {
    const need = this.mark() + bytes + PAGE;
    if (need > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / PAGE));
    }
  }

  set(p: number, data: Uint8Array): void {
    this.u8.set(data, p);
  }

  /** A copy of `bytes` at `p`. */
  get(p: number, bytes: number): Uint8Array {
    return this.u8.slice(p, p + bytes);
  }
}
