/**
 * Fixed-base scalar multiplication k·G for many known scalars, on every core: a pool of worker
 * threads (`circuits/fixed-base-worker.ts`), each with its own instance of snarkjs' BN254 wasm
 * module and a windowed table of multiples of the G1 and G2 generators.
 *
 * This is what makes the dev ceremony fast: every point of a .ptau file and of a .zkey is k·G1 or
 * k·G2 for a scalar the ceremony knows, and a table lookup per c-bit window (19 mixed additions for
 * c = 14) costs ~15× less than a generic scalar multiplication.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { ErrorCodes, ProofworkError } from "../sdk/errors.ts";
import type { FfCurve } from "./snarkjs-deps.ts";
import type { PointForm, WorkerReply, WorkerRequest } from "./fixed-base-worker.ts";
import { SIZES, type GroupName } from "./wasm-arena.ts";

export type { PointForm } from "./fixed-base-worker.ts";

/** Points of one multiplication batch, in the encodings asked for (concatenated, in order). */
export interface PointBatch {
  lem?: Uint8Array;
  u?: Uint8Array;
  c?: Uint8Array;
}

export interface PoolOptions {
  /** Worker threads (default: the available cores). */
  threads?: number;
  /** Expected number of multiplications per group, to size the windows (a hint). */
  expected?: Partial<Record<GroupName, number>>;
}

/** Scalars per message: large enough to amortize messaging, small enough to balance cores. */
const CHUNK = 4096;

/**
 * Window width c minimising ceil(254/c)·(points per thread + table entries 2^c), clamped to
 * [4, 16] (16 bits is 16 windows × 65,535 entries: 67 MB of G1 table, 134 MB of G2).
 */
export function windowBits(expectedPerThread: number): number {
  let best = 4;
  let bestCost = Infinity;
  for (let c = 4; c <= 16; c++) {
    const cost = Math.ceil(254 / c) * (expectedPerThread + 2 ** c);
    if (cost < bestCost) {
      bestCost = cost;
      best = c;
    }
  }
  return best;
}

interface Pending {
  resolve: (r: PointBatch) => void;
  reject: (e: Error) => void;
}

/** The pool; `close()` it when done (its threads keep the process alive). */
export class FixedBasePool {
  private readonly workers: Worker[];
  private readonly idle: Worker[] = [];
  private readonly queue: { req: WorkerRequest & { kind: "mul" }; pending: Pending }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;

  private constructor(workers: Worker[]) {
    this.workers = workers;
  }

  /** Starts the threads and builds their G1 and G2 generator tables. */
  static async start(curve: FfCurve, opts: PoolOptions = {}): Promise<FixedBasePool> {
    const threads = Math.max(1, opts.threads ?? availableParallelism());
    const code = curve.tm.code;
    if (!code) {
      throw new ProofworkError(
        ErrorCodes.CIRCUIT_BUILD_FAILED,
        "fixed-base pool needs a single-thread curve",
      );
    }
    const module = await WebAssembly.compile(code.slice());
    const url = new URL("./fixed-base-worker.ts", import.meta.url);
    const workers = Array.from({ length: threads }, () => new Worker(url, { workerData: { module } }));
    await Promise.all(workers.map((w) => once(w, "ready")));
    const pool = new FixedBasePool(workers);
    const bases: Record<GroupName, Uint8Array> = {
      G1: new Uint8Array(SIZES.G1.affine),
      G2: new Uint8Array(SIZES.G2.affine),
    };
    curve.G1.toRprLEM(bases.G1, 0, curve.G1.g);
    curve.G2.toRprLEM(bases.G2, 0, curve.G2.g);
    await Promise.all(
      workers.map(async (w) => {
        for (const group of ["G1", "G2"] as const) {
          const c = windowBits(Math.ceil((opts.expected?.[group] ?? 1 << 16) / threads));
          const done = once(w, "table");
          w.postMessage({ kind: "table", group, base: bases[group], windowBits: c } satisfies WorkerRequest);
          await done;
        }
      }),
    );
    for (const w of workers) pool.attach(w);
    return pool;
  }

  get threads(): number {
    return this.workers.length;
  }

  /**
   * k_i·G for the 32-byte little-endian scalars k_i (standard form, reduced mod r), G the
   * generator of `group`; returns the points in each requested encoding, in input order.
   */
  async mul(group: GroupName, scalars: Uint8Array, forms: PointForm[]): Promise<PointBatch> {
    const n = scalars.length / 32;
    const chunks: Promise<PointBatch>[] = [];
    for (let i = 0; i < n; i += CHUNK) {
      const part = scalars.slice(i * 32, Math.min(n, i + CHUNK) * 32);
      chunks.push(this.submit({ kind: "mul", id: this.nextId++, group, scalars: part, forms }));
    }
    const parts = await Promise.all(chunks);
    const out: PointBatch = {};
    for (const form of forms) {
      const size = form === "c" ? SIZES[group].compressed : SIZES[group].affine;
      const all = new Uint8Array(n * size);
      let off = 0;
      for (const p of parts) {
        const b = p[form]!;
        all.set(b, off);
        off += b.length;
      }
      out[form] = all;
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private submit(req: WorkerRequest & { kind: "mul" }): Promise<PointBatch> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ req, pending: { resolve, reject } });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const { req, pending } = this.queue.shift()!;
      this.pending.set(req.id, pending);
      w.postMessage(req, [req.scalars.buffer as ArrayBuffer]);
    }
  }

  private attach(w: Worker): void {
    this.idle.push(w);
    w.on("message", (m: WorkerReply) => {
      if (m.kind === "mul" || (m.kind === "error" && m.id !== undefined)) {
        const p = this.pending.get(m.id!);
        this.pending.delete(m.id!);
        if (m.kind === "mul") p?.resolve(m);
        else
          p?.reject(new ProofworkError(ErrorCodes.CIRCUIT_BUILD_FAILED, `fixed-base worker: ${m.message}`));
        this.idle.push(w);
        this.dispatch();
      }
    });
    w.on("error", (e: Error) => this.fail(e));
  }

  private fail(e: Error): void {
    this.failure = new ProofworkError(
      ErrorCodes.CIRCUIT_BUILD_FAILED,
      `fixed-base worker failed: ${e.message}`,
      {},
      {
        cause: e,
      },
    );
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
    for (const q of this.queue.splice(0)) q.pending.reject(this.failure);
  }
}

/** Resolves on the worker's next reply of the given kind; rejects on an error reply or crash. */
function once(w: Worker, kind: WorkerReply["kind"]): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: WorkerReply) => {
      if (m.kind === kind) {
        cleanup();
        resolve();
      } else if (m.kind === "error") {
        cleanup();
        reject(new ProofworkError(ErrorCodes.CIRCUIT_BUILD_FAILED, `fixed-base worker: ${m.message}`));
      }
    };
    const onError = (e: Error) => {
      cleanup();
      reject(new ProofworkError(ErrorCodes.CIRCUIT_BUILD_FAILED, `fixed-base worker failed: ${e.message}`));
    };
    const cleanup = () => {
      w.off("message", onMessage);
      w.off("error", onError);
    };
    w.on("message", onMessage);
    w.on("error", onError);
  });
}
