/**
 * Time as the worker sees it. Wall-clock time paces polling and sleeps; *chain* time (the latest
 * block's timestamp, advanced by the wall clock since it was read) decides deadlines, because the
 * contract judges deadlines by `block.timestamp`.
 */
import { ProofworkError } from "../sdk/node.ts";
import { WorkerErrorCodes } from "./errors.ts";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with WORKER_STOPPING as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export function abortError(): ProofworkError {
  return new ProofworkError(WorkerErrorCodes.WORKER_STOPPING, "worker is stopping");
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError());
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortError());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
};

/**
 * Chain time: the latest block timestamp plus the wall time elapsed since it was read. Observed once
 * when the worker starts (before any deadline is judged) and refreshed by the main loop once per
 * tick (`observe`). Chain time and wall time can differ by minutes (dev chains, `evm_increaseTime`).
 */
export class ChainClock {
  private blockTs = 0;
  private observedAt = 0;
  constructor(private readonly clock: Clock) {}

  /** Records the timestamp (seconds) of the latest block just read. */
  observe(blockTimestamp: number): void {
    this.blockTs = blockTimestamp;
    this.observedAt = this.clock.now();
  }

  /** Best estimate of the next block's `block.timestamp`, in seconds. */
  nowSeconds(): number {
    if (this.observedAt === 0) return Math.floor(this.clock.now() / 1000);
    return this.blockTs + Math.floor((this.clock.now() - this.observedAt) / 1000);
  }
}
