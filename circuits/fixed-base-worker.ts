/**
 * Worker thread of the fixed-base multiplier (`circuits/fixed-base.ts`): computes k·B for many
 * scalars k and one base point B per group with a windowed table (Lim–Lee / "comb" style without
 * the interleaving): for c-bit windows, table[w][d] = d·2^(c·w)·B, so k·B is the sum of one table
 * entry per window — ceil(254/c) mixed additions instead of ~254 doublings and ~127 additions.
 *
 * Runs with Node's type stripping only (worker threads do not inherit tsx): erasable TypeScript,
 * Node built-ins and `./wasm-arena.ts` only. It must not load ffjavascript: its `web-worker`
 * dependency takes over any worker thread that loads it.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SIZES, WasmArena, type GroupName } from "./wasm-arena.ts";

/** Messages from the pool to a worker. */
export type WorkerRequest =
  | { kind: "table"; group: GroupName; base: Uint8Array; windowBits: number }
  | { kind: "mul"; id: number; group: GroupName; scalars: Uint8Array; forms: PointForm[] };

/** Encodings a caller can ask for: snarkjs' file form (LEM), uncompressed and compressed. */
export type PointForm = "lem" | "u" | "c";

/** Replies of a worker. */
export type WorkerReply =
  | { kind: "ready" }
  | { kind: "table"; group: GroupName }
  | { kind: "mul"; id: number; lem?: Uint8Array; u?: Uint8Array; c?: Uint8Array }
  | { kind: "error"; id?: number; message: string };

/** Scalars are < r < 2^254. */
const SCALAR_BITS = 254;

interface Table {
  ptr: number;
  windowBits: number;
  windows: number;
  perWindow: number;
}

/** One group's precomputed table inside an arena. */
export function buildTable(arena: WasmArena, group: GroupName, base: Uint8Array, windowBits: number): Table {
  const ex = arena.exports;
  const { affine, jacobian } = SIZES[group];
  const addMixed = group === "G1" ? ex.g1m_addMixed : ex.g2m_addMixed;
  const batchToAffine = group === "G1" ? ex.g1m_batchToAffine : ex.g2m_batchToAffine;
  const toAffine = group === "G1" ? ex.g1m_toAffine : ex.g2m_toAffine;
  const zero = group === "G1" ? ex.g1m_zero : ex.g2m_zero;
  const windows = Math.ceil(SCALAR_BITS / windowBits);
  const perWindow = 2 ** windowBits - 1;
  // Cache-line aligned: every 64-byte G1 entry (128-byte G2 entry) is one (two) line(s).
  const ptr = arena.alloc(windows * perWindow * affine, 0, 64);
  const mark = arena.mark();
  const pBase = arena.alloc(affine);
  const pAcc = arena.alloc(jacobian);
  const pJac = arena.alloc(perWindow * jacobian, perWindow * SIZES[group].affine);
  arena.set(pBase, base);
  for (let w = 0; w < windows; w++) {
    // table[w][d-1] = d · B_w for d = 1 .. 2^c − 1, then B_{w+1} = 2^c · B_w.
    zero(pAcc);
    for (let d = 0; d < perWindow; d++) {
      addMixed(pAcc, pBase, pAcc);
      arena.u8.copyWithin(pJac + d * jacobian, pAcc, pAcc + jacobian);
    }
    batchToAffine(pJac, perWindow, ptr + w * perWindow * affine);
    addMixed(pAcc, pBase, pAcc);
    toAffine(pAcc, pBase);
  }
  arena.reset(mark);
  return { ptr, windowBits, windows, perWindow };
}

/** k_i · B for each 32-byte little-endian scalar k_i (standard form, < r). */
export function multiply(
  arena: WasmArena,
  group: GroupName,
  table: Table,
  scalars: Uint8Array,
  forms: PointForm[],
): { lem?: Uint8Array; u?: Uint8Array; c?: Uint8Array } {
  const ex = arena.exports;
  const { affine, jacobian, compressed } = SIZES[group];
  const addMixed = group === "G1" ? ex.g1m_addMixed : ex.g2m_addMixed;
  const zero = group === "G1" ? ex.g1m_zero : ex.g2m_zero;
  const n = scalars.length / 32;
  const mark = arena.mark();
  const pJac = arena.alloc(n * jacobian);
  const pAff = arena.alloc(n * affine);
  const pConv = arena.alloc(n * affine, n * affine);
  const { windowBits, windows, perWindow } = table;
  const stride = perWindow * affine;
  // Digits are read from a copy padded with two zero bytes (16-bit windows span three bytes).
  const padded = new Uint8Array(scalars.length + 2);
  padded.set(scalars);
  for (let i = 0; i < n; i++) zero(pJac + i * jacobian);
  // Window-major: one window's slice of the table (2^c entries) is hot in the cache at a time;
  // point-major order would touch the whole table (megabytes) for every scalar.
  for (let w = 0, bit = 0; w < windows; w++, bit += windowBits) {
    const shift = bit & 7;
    const mask = bit + windowBits > 256 ? ((1 << (256 - bit)) - 1) & perWindow : perWindow;
    const tw = table.ptr + w * stride - affine;
    for (let i = 0, byte = bit >> 3; i < n; i++, byte += 32) {
      const v = padded[byte]! | (padded[byte + 1]! << 8) | (padded[byte + 2]! << 16);
      const d = (v >>> shift) & mask;
      if (d !== 0) addMixed(pJac + i * jacobian, tw + d * affine, pJac + i * jacobian);
    }
  }
  const batchToAffine = group === "G1" ? ex.g1m_batchToAffine : ex.g2m_batchToAffine;
  batchToAffine(pJac, n, pAff);
  const out: { lem?: Uint8Array; u?: Uint8Array; c?: Uint8Array } = {};
  if (forms.includes("lem")) out.lem = arena.get(pAff, n * affine);
  if (forms.includes("u")) {
    (group === "G1" ? ex.g1m_batchLEMtoU : ex.g2m_batchLEMtoU)(pAff, n, pConv);
    out.u = arena.get(pConv, n * affine);
  }
  if (forms.includes("c")) {
    (group === "G1" ? ex.g1m_batchLEMtoC : ex.g2m_batchLEMtoC)(pAff, n, pConv);
    out.c = arena.get(pConv, n * compressed);
  }
  arena.reset(mark);
  return out;
}

async function serve(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const { module } = workerData as { module: WebAssembly.Module };
  const arena = await WasmArena.create(module);
  const tables = new Map<GroupName, Table>();
  port.on("message", (req: WorkerRequest) => {
    try {
      if (req.kind === "table") {
        tables.set(req.group, buildTable(arena, req.group, req.base, req.windowBits));
        port.postMessage({ kind: "table", group: req.group } satisfies WorkerReply);
        return;
      }
      const table = tables.get(req.group);
      if (!table) throw new Error(`no ${req.group} table in this worker`);
      const out = multiply(arena, req.group, table, req.scalars, req.forms);
      const transfer = [out.lem, out.u, out.c]
        .filter((b) => b !== undefined)
        .map((b) => b.buffer as ArrayBuffer);
      port.postMessage({ kind: "mul", id: req.id, ...out } satisfies WorkerReply, transfer);
    } catch (e) {
      const id = req.kind === "mul" ? req.id : undefined;
      port.postMessage({
        kind: "error",
        id,
        message: e instanceof Error ? e.message : String(e),
      } satisfies WorkerReply);
    }
  });
  port.postMessage({ kind: "ready" } satisfies WorkerReply);
}

await serve();
