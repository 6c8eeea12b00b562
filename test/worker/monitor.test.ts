import { expect } from "chai";
import { ZeroHash, type Filter, type Log, type Provider } from "ethers";
import { marketInterface } from "../../sdk/node.ts";
import { systemClock } from "../../worker/clock.ts";
import { silentLogger } from "../../worker/log.ts";
import { DEFAULT_MONITOR_OPTIONS, Monitor, type ChainEvent } from "../../worker/monitor.ts";
import { Store } from "../../worker/store.ts";

const MARKET = "0x00000000000000000000000000000000000000aa";
const PROV = "0x00000000000000000000000000000000000000cc";

/** A fake chain: a head and one JobClaimed log per listed block; records the getLogs ranges. */
class FakeChain {
  head = 0;
  logs: Log[] = [];
  calls: [number, number][] = [];
  maxRange = Infinity;

  addClaim(block: number, jobId: bigint): void {
    const enc = marketInterface.encodeEventLog("JobClaimed", [jobId, PROV, 1n, 100n, 5n]);
    this.logs.push({
      address: MARKET,
      topics: enc.topics,
      data: enc.data,
      blockNumber: block,
      transactionHash: `0x${block.toString(16).padStart(64, "0")}`,
      index: 0,
      removed: false,
      blockHash: ZeroHash,
      transactionIndex: 0,
    } as unknown as Log);
  }

  provider(): Provider {
    return {
      getBlockNumber: async () => this.head,
      // a chain without reorgs: block n's hash depends on n only
      getBlock: async (n: number) =>
        n <= this.head ? { number: n, hash: `0x${n.toString(16).padStart(64, "0")}` } : null,
      getLogs: async (f: Filter) => {
        const from = Number(f.fromBlock);
        const to = Number(f.toBlock);
        this.calls.push([from, to]);
        if (to - from + 1 > this.maxRange)
          throw new Error("query returned more than 10000 results / block range too large");
        return this.logs.filter((l) => l.blockNumber >= from && l.blockNumber <= to);
      },
    } as unknown as Provider;
  }
}

function monitor(
  chain: FakeChain,
  store: Store,
  over: Partial<typeof DEFAULT_MONITOR_OPTIONS> = {},
): Monitor {
  return new Monitor(
    { provider: chain.provider(), store, clock: systemClock, log: silentLogger() },
    {
      ...DEFAULT_MONITOR_OPTIONS,
      sources: [{ address: MARKET, iface: marketInterface }],
      startBlock: 10,
      ...over,
    },
  );
}

describe("worker/monitor", () => {
  it("test_poll_chunksRangesAndAdvancesCursor", async () => {
    const chain = new FakeChain();
    chain.head = 2_509;
    chain.addClaim(15, 1n);
    chain.addClaim(2_000, 2n);
    const store = Store.open(":memory:");
    const seen: ChainEvent[] = [];
    const r = await monitor(chain, store, { chunkSize: 1000 }).poll((e) => seen.push(e));
    expect(chain.calls).to.deep.equal([
      [10, 1009],
      [1010, 2009],
      [2010, 2509],
    ]);
    expect(seen.map((e) => e.args.jobId)).to.deep.equal([1n, 2n]);
    expect(r.caughtUp).to.equal(true);
    expect(store.getCursor()).to.equal(2_509);
  });

  it("test_poll_staysBehindConfirmations", async () => {
    const chain = new FakeChain();
    chain.head = 100;
    chain.addClaim(99, 1n);
    const store = Store.open(":memory:");
    const seen: ChainEvent[] = [];
    const m = monitor(chain, store, { confirmations: 3 });
    await m.poll((e) => seen.push(e));
    expect(store.getCursor()).to.equal(97);
    expect(seen).to.have.length(0);
    chain.head = 102;
    await m.poll((e) => seen.push(e));
    expect(seen).to.have.length(1);
  });

  it("test_restart_looksBackAndDeduplicates", async () => {
    const chain = new FakeChain();
    chain.head = 200;
    chain.addClaim(190, 1n);
    const store = Store.open(":memory:");
    const seen: ChainEvent[] = [];
    await monitor(chain, store).poll((e) => seen.push(e));
    expect(seen).to.have.length(1);
    chain.calls = [];
    // a new worker process on the same store: re-reads the look-back window, delivers nothing twice
    await monitor(chain, store, { lookbackBlocks: 20 }).poll((e) => seen.push(e));
    expect(chain.calls[0]).to.deep.equal([181, 200]);
    expect(seen).to.have.length(1);
  });

  it("test_handlerThrow_doesNotAdvanceCursor", async () => {
    const chain = new FakeChain();
    chain.head = 50;
    chain.addClaim(20, 1n);
    const store = Store.open(":memory:");
    const m = monitor(chain, store);
    let fail = true;
    const seen: ChainEvent[] = [];
    const handler = (e: ChainEvent): void => {
      if (fail) throw new Error("crash while applying");
      seen.push(e);
    };
    await m.poll(handler).then(
      () => expect.fail("should throw"),
      (e: Error) => expect(e.message).to.contain("crash"),
    );
    expect(store.getCursor()).to.equal(null);
    fail = false;
    await m.poll(handler);
    expect(seen).to.have.length(1);
    expect(store.getCursor()).to.equal(50);
  });

  it("test_rangeRefused_halvesChunk", async () => {
    const chain = new FakeChain();
    chain.head = 409;
    chain.maxRange = 250;
    chain.addClaim(300, 7n);
    const store = Store.open(":memory:");
    const seen: ChainEvent[] = [];
    await monitor(chain, store, { chunkSize: 400 }).poll((e) => seen.push(e));
    expect(seen.map((e) => e.args.jobId)).to.deep.equal([7n]);
    expect(store.getCursor()).to.equal(409);
    expect(chain.calls.every(([a, b]) => b - a + 1 <= 400)).to.equal(true);
  });
});
