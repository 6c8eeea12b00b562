/**
 * Flaky RPC: the worker process talks to `hardhat node` through `test/helpers/flaky-rpc-proxy.ts`.
 * With 20% of requests dropped (before or after reaching the node), delayed, truncated, answered
 * 5xx or 429, a batch of jobs is still completed with none lost and none paid for twice; and when
 * the first RPC URL dies, the worker carries on over PROOFWORK_RPC_FALLBACK_URLS.
 */
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet } from "ethers";
import { FAULT_KINDS, startFlakyRpcProxy, type FlakyProxy } from "../../deploy/devnet/flaky-rpc.ts";
import { deployProtocol, postJob, waitFor, type Protocol } from "../../deploy/devnet/protocol.ts";
import { writeFixtureDeployment } from "../../deploy/devnet/record.ts";
import { startHardhatNode, type Child, type LocalNode } from "../../deploy/devnet/node.ts";
import {
  chainStatus,
  countMarketTxs,
  startFaultWorker,
  storePath,
  txCount,
  withStore,
  workerEnv,
  PROVEN,
} from "../../deploy/devnet/faults.ts";

describe("reliability: flaky RPC (worker process behind a faulty JSON-RPC proxy)", function () {
  this.timeout(240_000);
  let node: LocalNode;
  let p: Protocol;
  let deploymentFile: string;
  const children: Child[] = [];
  const proxies: FlakyProxy[] = [];

  before(async function () {
    node = await startHardhatNode();
    p = await deployProtocol(node.provider, { providers: 2 });
    deploymentFile = await writeFixtureDeployment(p);
  });

  afterEach(async function () {
    for (const c of children.splice(0)) {
      c.signal("SIGKILL");
      await c.exited;
    }
    for (const x of proxies.splice(0)) await x.stop();
  });

  after(async function () {
    await node?.stop();
  });

  async function allSettled(dataDir: string, key: string, jobs: bigint[]): Promise<boolean> {
    for (const id of jobs) if (!PROVEN.includes(await chainStatus(p, id))) return false;
    return withStore(storePath(dataDir, key), (s) => jobs.every((id) => s.getJob(id)?.state === "settled"));
  }

  it("test_flakyRpc_20pctFaults_batchCompletedNoneLostNonePaidTwice", async function () {
    const proxy = await startFlakyRpcProxy({ target: node.url, faultRate: 0.2, seed: 7, delayMs: 1000 });
    proxies.push(proxy);
    const key = p.providerKeys[0]!;
    const address = new Wallet(key).address;
    const dataDir = mkdtempSync(join(tmpdir(), "pw-flaky-"));
    const fromBlock = await node.provider.getBlockNumber();
    const jobs: bigint[] = [];
    for (let i = 0; i < 5; i++) jobs.push((await postJob(p)).jobId);
    const w = startFaultWorker(workerEnv({ rpcUrl: proxy.url, key, deploymentFile, dataDir }));
    children.push(w);
    await waitFor(
      async () => (await allSettled(dataDir, key, jobs)) || w.proc.exitCode !== null,
      180_000,
      "batch settled",
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${w.output().slice(-4000)}`);
    });
    expect(w.proc.exitCode, w.output().slice(-4000)).to.equal(null);
    // faults really happened, of every kind
    for (const k of FAULT_KINDS) expect(proxy.stats.faults[k], `${k} faults`).to.be.greaterThan(0);
    const faults = Object.values(proxy.stats.faults).reduce((a, b) => a + b, 0);
    expect(faults / proxy.stats.requests).to.be.within(0.1, 0.3);
    // none lost, none twice: one claim, one submit and one collect per job on chain, nothing else
    const txs = await countMarketTxs(node.provider, p.addresses.market, address, fromBlock);
    for (const id of jobs) {
      expect(txCount(txs, "claim", id), `claims of ${id}`).to.equal(1);
      expect(txCount(txs, "submit", id), `submits of ${id}`).to.equal(1);
      expect(txCount(txs, "collect", id), `collects of ${id}`).to.equal(1);
    }
    // one claim and one submit per job, and collects that together pay each job exactly once
    expect(txs.total).to.equal(2 * jobs.length + txs.collects);
    expect(txs.collects).to.be.within(1, jobs.length);
    withStore(storePath(dataDir, key), (s) => {
      for (const id of jobs)
        expect(s.txsFor(id, "submit").filter((t) => t.status === "mined")).to.have.length(1);
      expect(s.pendingTxs()).to.have.length(0);
    });
    const prov = (await p.staking.getFunction("getProvider")(address)) as {
      jobsFailed: bigint;
      locked: bigint;
    };
    expect(prov.jobsFailed).to.equal(0n);
    expect(prov.locked).to.equal(0n);
    w.signal("SIGTERM");
    expect(await w.exited, w.output().slice(-4000)).to.equal(0);
  });

  it("test_flakyRpc_firstUrlDies_workerContinuesOnFallbackUrl", async function () {
    const primary = await startFlakyRpcProxy({ target: node.url, faultRate: 0 });
    const secondary = await startFlakyRpcProxy({ target: node.url, faultRate: 0 });
    proxies.push(primary, secondary);
    const key = p.providerKeys[1]!;
    const dataDir = mkdtempSync(join(tmpdir(), "pw-fallback-"));
    const w = startFaultWorker(
      workerEnv({ rpcUrl: primary.url, fallbackUrls: [secondary.url], key, deploymentFile, dataDir }),
    );
    children.push(w);
    const first = (await postJob(p)).jobId;
    await waitFor(
      async () => (await allSettled(dataDir, key, [first])) || w.proc.exitCode !== null,
      60_000,
      "first job settled",
    );
    expect(w.proc.exitCode, w.output()).to.equal(null);
    await primary.stop();
    const before = secondary.stats.requests;
    const second = (await postJob(p)).jobId;
    await waitFor(
      async () => (await allSettled(dataDir, key, [second])) || w.proc.exitCode !== null,
      60_000,
      "second job settled over the fallback URL",
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${w.output().slice(-4000)}`);
    });
    expect(w.proc.exitCode, w.output()).to.equal(null);
    expect(secondary.stats.methods.eth_sendRawTransaction ?? 0, "txs went to the fallback").to.be.greaterThan(
      0,
    );
    expect(secondary.stats.requests).to.be.greaterThan(before);
    w.signal("SIGTERM");
    expect(await w.exited, w.output().slice(-4000)).to.equal(0);
  });
});
