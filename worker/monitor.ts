/**
 * Monitor stage: follows the contracts' logs with `eth_getLogs` in bounded block chunks, behind a
 * confirmation depth. The cursor (last fully processed block) is stored in the same SQLite
 * transaction as whatever the handler wrote for that chunk, so a crash never skips or half-applies
 * a chunk. On start it resumes from the cursor minus a look-back window (re-reading recent blocks
 * in case of a reorg below the confirmation depth); logs are de-duplicated by (tx hash, log index).
 *
 * Events are hints: the pipeline re-reads contract state before acting on them.
 */
import type { Interface, Log, LogDescription, Provider } from "ethers";
import { ProofworkError, errorMessage } from "../sdk/node.ts";
import type { Clock } from "./clock.ts";
import { WorkerErrorCodes } from "./errors.ts";
import { noHooks, type WorkerHooks } from "./hooks.ts";
import type { Logger } from "./log.ts";
import type { WorkerMetrics } from "./metrics.ts";
import type { Store } from "./store.ts";

export interface MonitorOptions {
  /** Contracts to follow, each with the interface that decodes its logs. */
  sources: { address: string; iface: Interface }[];
  /** First block to scan when there is no cursor (the deployment's start block). */
  startBlock: number;
  /** Most blocks per eth_getLogs request. */
  chunkSize: number;
  /** Blocks below the head a log must be to be processed (0 = the head itself). */
  confirmations: number;
  /** Blocks re-read below the cursor when the worker starts. */
  lookbackBlocks: number;
  /** Most chunks per `poll` call, so one poll never starves the rest of the loop. */
  maxChunksPerPoll: number;
  /** Attempts per chunk before MONITOR_FAILED. */
  retries: number;
}

export const DEFAULT_MONITOR_OPTIONS: Omit<MonitorOptions, "sources" | "startBlock"> = {
  chunkSize: 1000,
  confirmations: 0,
  lookbackBlocks: 64,
  maxChunksPerPoll: 20,
  retries: 4,
};

export interface ChainEvent {
  name: string;
  args: LogDescription["args"];
  address: string;
  blockNumber: number;
  txHash: string;
  logIndex: number;
}

/** Applies one (new, de-duplicated) event. Synchronous: runs inside the cursor's store transaction. */
export type EventHandler = (ev: ChainEvent) => void;

export interface MonitorDeps {
  provider: Provider;
  store: Store;
  clock: Clock;
  log: Logger;
  metrics?: WorkerMetrics;
  hooks?: WorkerHooks;
}

export interface PollResult {
  head: number;
  /** Last block processed after this poll (the cursor). */
  processedTo: number;
  events: number;
  /** True when the cursor reached the confirmed head. */
  caughtUp: boolean;
}

function isRangeError(e: unknown): boolean {
  const m = errorMessage(e).toLowerCase();
  return ["range", "too many", "more than", "limit", "exceed", "response size", "10000"].some((s) =>
    m.includes(s),
  );
}

export class Monitor {
  private resumed = false;
  /** Hash of the block the cursor was last saved at (reorg detection while running). */
  private cursorBlock: { number: number; hash: string } | null = null;
  private chunk: number;
  private readonly byAddress: Map<string, Interface>;

  constructor(
    private readonly deps: MonitorDeps,
    private readonly opts: MonitorOptions,
  ) {
    this.chunk = Math.max(1, opts.chunkSize);
    this.byAddress = new Map(opts.sources.map((s) => [s.address.toLowerCase(), s.iface]));
  }

  /** Processes new confirmed logs (up to `maxChunksPerPoll` chunks), calling `handle` for each. */
  async poll(handle: EventHandler, signal?: AbortSignal): Promise<PollResult> {
    const { provider, store, log, metrics } = this.deps;
    const head = await this.rpc("eth_blockNumber", () => provider.getBlockNumber());
    const safe = head - this.opts.confirmations;
    const cursor = store.getCursor();
    let from: number;
    if (!this.resumed) {
      from =
        cursor === null
          ? this.opts.startBlock
          : Math.max(this.opts.startBlock, cursor + 1 - this.opts.lookbackBlocks);
      this.resumed = true;
      log.info({ cursor, from, head, confirmations: this.opts.confirmations }, "monitor resuming");
    } else if (cursor !== null && (await this.reorgedAt(cursor, head))) {
      // the block under the cursor changed (or is gone): re-read the look-back window; logs seen
      // before are skipped by (tx hash, log index), logs of the new branch are handled
      from = Math.max(this.opts.startBlock, cursor + 1 - this.opts.lookbackBlocks);
      store.setCursor(from - 1);
      log.warn({ cursor, head, from }, "reorg detected: re-reading the look-back window");
    } else {
      from = cursor === null ? this.opts.startBlock : cursor + 1;
    }
    let events = 0;
    let processedTo = store.getCursor() ?? this.opts.startBlock - 1;
    for (let n = 0; n < this.opts.maxChunksPerPoll && from <= safe; n++) {
      if (signal?.aborted) break;
      const to = Math.min(from + this.chunk - 1, safe);
      const logs = await this.getLogs(from, to);
      const tip = await this.rpc("eth_getBlockByNumber", () => provider.getBlock(to));
      logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
      store.transaction(() => {
        for (const l of logs) {
          if (l.removed) continue;
          if (!store.markEventSeen(l.transactionHash, l.index, l.blockNumber)) continue;
          const ev = this.decode(l);
          if (!ev) continue;
          handle(ev);
          events++;
        }
        const cur = store.getCursor();
        processedTo = Math.max(cur ?? -1, to);
        store.setCursor(processedTo);
      });
      if (processedTo === to) this.cursorBlock = tip?.hash ? { number: to, hash: tip.hash } : null;
      metrics?.lastProcessedBlock.set(processedTo);
      await (this.deps.hooks ?? noHooks).at("monitor.cursorSaved", {});
      from = to + 1;
    }
    if (processedTo > this.opts.lookbackBlocks * 4)
      store.pruneEvents(processedTo - this.opts.lookbackBlocks * 4);
    return { head, processedTo, events, caughtUp: processedTo >= safe };
  }

  /** True when the chain no longer has the block the cursor was saved at (a reorg). */
  private async reorgedAt(cursor: number, head: number): Promise<boolean> {
    if (head < cursor) return true;
    if (this.cursorBlock?.number !== cursor) return false;
    const b = await this.rpc("eth_getBlockByNumber", () => this.deps.provider.getBlock(cursor));
    return b !== null && b.hash !== this.cursorBlock.hash;
  }

  /** eth_getLogs over [from, to], halving the range when the node refuses it as too large. */
  private async getLogs(from: number, to: number): Promise<Log[]> {
    const out: Log[] = [];
    let start = from;
    while (start <= to) {
      const end = Math.min(start + this.chunk - 1, to);
      let attempt = 0;
      for (;;) {
        try {
          const logs = await this.deps.provider.getLogs({
            address: this.opts.sources.map((s) => s.address),
            fromBlock: start,
            toBlock: end,
          });
          out.push(...logs);
          break;
        } catch (e) {
          if (isRangeError(e) && end > start && this.chunk > 1) {
            this.chunk = Math.max(1, Math.floor(this.chunk / 2));
            this.deps.log.warn(
              { from: start, to: end, chunk: this.chunk },
              "eth_getLogs range refused; halving chunk size",
            );
            return [...out, ...(await this.getLogs(start, to))];
          }
          if (++attempt >= this.opts.retries) {
            throw new ProofworkError(
              WorkerErrorCodes.MONITOR_FAILED,
              `eth_getLogs [${start}, ${end}] failed ${attempt} times: ${errorMessage(e).split("\n")[0]}`,
              { from: start, to: end },
              { cause: e },
            );
          }
          await this.deps.clock.sleep(200 * 2 ** attempt);
        }
      }
      start = end + 1;
    }
    return out;
  }

  private decode(l: Log): ChainEvent | undefined {
    const iface = this.byAddress.get(l.address.toLowerCase());
    if (!iface) return undefined;
    let parsed: LogDescription | null = null;
    try {
      parsed = iface.parseLog({ topics: [...l.topics], data: l.data });
    } catch {
      parsed = null;
    }
    if (!parsed) return undefined;
    return {
      name: parsed.name,
      args: parsed.args,
      address: l.address,
      blockNumber: l.blockNumber,
      txHash: l.transactionHash,
      logIndex: l.index,
    };
  }

  private async rpc<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let attempt = 0;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        if (++attempt >= this.opts.retries) {
          throw new ProofworkError(
            WorkerErrorCodes.MONITOR_FAILED,
            `${what} failed: ${errorMessage(e).split("\n")[0]}`,
            {},
            { cause: e },
          );
        }
        await this.deps.clock.sleep(200 * 2 ** attempt);
      }
    }
  }
}
