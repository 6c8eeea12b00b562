/**
 * Reorgs, made with `evm_snapshot`/`evm_revert` on the in-process chain while the worker is held
 * at a hook: (1) the block holding a `JobPosted` the worker has already stored disappears — the
 * worker must not act on the vanished job, and must serve the different job that later takes the
 * same id; (2) the block holding the worker's confirmed claim disappears — the worker must
 * re-establish the claim or abandon the job cleanly, never submit against a claim that is not on
 * chain, and end with its store matching the chain; (3) the block holding the worker's submit
 * disappears after the worker recorded it — the same signed submit must be re-sent while the
 * deadline allows, the job proven exactly once and never slashed; (4) the block holding the
 * collect that paid a job disappears — the worker must notice and collect again.
 */
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { type NonceManager, Wallet } from "ethers";
import { network } from "hardhat";
import { JobStatus } from "../../sdk/node.ts";
import type { Boundary, WorkerHooks } from "../../worker/hooks.ts";
import { startWorker, type WorkerHandle } from "../../worker/index.ts";
import { createLogger, silentLogger, type Logger } from "../../worker/log.ts";
import { createMetrics } from "../../worker/metrics.ts";
import { deployProtocol, postJob, waitFor, type Protocol } from "../../deploy/devnet/protocol.ts";
import { chainStatus, consistent, PROVEN } from "../../deploy/devnet/faults.ts";

interface Gate {
  /** resolves when the worker reached the boundary for the watched job */
  reached: Promise<void>;
  release(): void;
  hooks: WorkerHooks;
}

/** Holds the worker at `boundary` once `when()` is true, until released. */
function gate(boundary: Boundary, when: () => boolean): Gate {
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((r) => (reach = r));
  const released = new Promise<void>((r) => (release = r));
  let armed = true;
  return {
    reached,
    release,
    hooks: {
      at: async (b) => {
        if (b !== boundary || !armed || !when()) return;
        armed = false;
        reach();
        await released;
      },
    },
  };
}

/** A logger that keeps the worker's structured lines (to see what it noticed). */
function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ level: "info", destination });
  return { log, lines };
}

async function start(p: Protocol, hooks: WorkerHooks, log?: Logger): Promise<WorkerHandle> {
  return startWorker(
    {
      provider: p.provider,
      signer: new Wallet(p.providerKeys[0]!, p.provider),
      addresses: p.addresses,
      startBlock: p.startBlock,
      log:
        log ??
        (process.env.RELIABILITY_LOG_LEVEL
          ? createLogger({ level: process.env.RELIABILITY_LOG_LEVEL, destination: process.stderr })
          : silentLogger()),
      metrics: createMetrics({ defaults: false }),
      hooks,
    },
    {
      dataDir: mkdtempSync(join(tmpdir(), "pw-reorg-")),
      pollIntervalMs: 100,
      collectMaxAgeMs: 0,
      claimMarginSeconds: 10,
      defaultWorkSeconds: 5,
      submitReserveSeconds: 5,
      shutdownGraceMs: 0,
    },
  );
}

describe("reliability: reorgs (evm_snapshot / evm_revert)", function () {
  this.timeout(120_000);

  it("test_reorg_jobPostedBlockRemoved_workerNeverActsAndServesTheJobReusingTheId", async function () {
    const { ethers } = await network.create();
    const p = await deployProtocol(ethers.provider);
    const box: { w?: WorkerHandle; jobId?: bigint } = {};
    const g = gate(
      "monitor.cursorSaved",
      () => box.jobId !== undefined && box.w?.store.getJob(box.jobId) !== null,
    );
    box.w = await start(p, g.hooks);
    const w = box.w;
    try {
      const address = w.address;
      const snapshot = (await ethers.provider.send("evm_snapshot", [])) as string;
      const nonceBefore = await ethers.provider.getTransactionCount(address, "latest");
      box.jobId = BigInt((await p.market.getFunction("nextJobId")()) as bigint);
      const ghost = await postJob(p);
      expect(ghost.jobId).to.equal(box.jobId);
      await g.reached;
      // the JobPosted block goes away while the worker holds the stored event
      expect(await ethers.provider.send("evm_revert", [snapshot])).to.equal(true);
      expect(await chainStatus(p, ghost.jobId)).to.equal(0); // no such job
      (p.requester as NonceManager).reset();
      g.release();
      await waitFor(
        () => !["discovered", "claiming"].includes(w.store.getJob(ghost.jobId)?.state ?? "discovered"),
        30_000,
        "vanished job dropped",
      );
      expect(w.store.txsFor(ghost.jobId, "claim"), "no claim for a vanished job").to.have.length(0);
      expect(await ethers.provider.getTransactionCount(address, "latest")).to.equal(nonceBefore);
      // a different job now takes the same id: it is served on its own terms
      const real = await postJob(p);
      expect(real.jobId).to.equal(ghost.jobId);
      await waitFor(() => w.store.getJob(real.jobId)?.state === "settled", 60_000, "reused id settled").catch(
        (e: unknown) => {
          throw new Error(`${String(e)}: ${JSON.stringify(w.store.history(real.jobId))}`);
        },
      );
      expect(await chainStatus(p, real.jobId)).to.be.oneOf(PROVEN);
      expect(w.store.txsFor(real.jobId, "claim").filter((t) => t.status === "mined")).to.have.length(1);
    } finally {
      g.release();
      await w.stop(0);
    }
  });

  it("test_reorg_claimBlockRemoved_claimReestablishedOrAbandonedStoreMatchesChain", async function () {
    const { ethers } = await network.create();
    const p = await deployProtocol(ethers.provider);
    const box: { snapshot?: string; reverted: boolean } = { reverted: false };
    // snapshot just before the claim tx reaches the node; once the worker has confirmed the claim,
    // revert to it: the block with the claim is gone and the tx is not back in the mempool
    const hooks: WorkerHooks = {
      at: async (b) => {
        if (b === "claim.persisted" && box.snapshot === undefined)
          box.snapshot = (await ethers.provider.send("evm_snapshot", [])) as string;
        if (b === "claim.confirmed" && !box.reverted) {
          box.reverted = true;
          expect(await ethers.provider.send("evm_revert", [box.snapshot])).to.equal(true);
        }
      },
    };
    const w = await start(p, hooks);
    try {
      const { jobId } = await postJob(p);
      await waitFor(() => box.reverted, 30_000, "claim confirmed then reorged out");
      await waitFor(
        () => ["settled", "lost", "failed", "taken"].includes(w.store.getJob(jobId)?.state ?? ""),
        60_000,
        "job settled or abandoned",
      );
      const state = w.store.getJob(jobId)!.state;
      const status = await chainStatus(p, jobId);
      expect(consistent(state, status), `store ${state} vs chain ${status}`).to.equal(true);
      // every transaction the store calls mined is on chain
      for (const kind of ["claim", "submit"] as const)
        for (const t of w.store.txsFor(jobId, kind).filter((x) => x.status === "mined"))
          expect(await ethers.provider.getTransactionReceipt(t.hash), `${kind} ${t.hash}`).to.not.equal(null);
      const prov = (await p.staking.getFunction("getProvider")(w.address)) as {
        locked: bigint;
        jobsFailed: bigint;
      };
      if (state === "settled") {
        expect(status).to.be.oneOf(PROVEN);
        expect(await p.market.queryFilter(p.market.filters.JobCompleted!(jobId))).to.have.length(1);
      } else {
        expect(status, "abandoned job left open for others").to.equal(JobStatus.Open);
        expect(w.store.txsFor(jobId, "submit").filter((t) => t.status === "mined")).to.have.length(0);
      }
      expect(prov.locked, "no collateral left locked").to.equal(0n);
      expect(prov.jobsFailed).to.equal(0n);
    } finally {
      await w.stop(0);
    }
  });

  it("test_reorg_submitBlockRemoved_sameSubmitResent_provenOnceNeverSlashed", async function () {
    const { ethers } = await network.create();
    const p = await deployProtocol(ethers.provider);
    const box: { snapshot?: string; reverted: boolean; tx?: string } = { reverted: false };
    // snapshot just before the submit reaches the node; once the worker recorded the submit as
    // mined (job `completed`), revert: the submit's block is gone and the tx is not in the mempool.
    // (The worker may re-send it at once — the chain cannot be caught in between — so its log line
    // is the evidence that it saw the reorg.)
    const hooks: WorkerHooks = {
      at: async (b, ctx) => {
        if (b === "submit.persisted" && box.snapshot === undefined)
          box.snapshot = (await ethers.provider.send("evm_snapshot", [])) as string;
        if (b === "submit.confirmed" && !box.reverted) {
          box.tx = ctx.txHash!;
          expect(await ethers.provider.send("evm_revert", [box.snapshot])).to.equal(true);
          box.reverted = true;
        }
      },
    };
    const logs = capture();
    const w = await start(p, hooks, logs.log);
    try {
      const { jobId } = await postJob(p);
      await waitFor(() => box.reverted, 60_000, "submit confirmed then reorged out");
      await waitFor(
        () => w.store.getJob(jobId)?.state === "settled",
        60_000,
        "job settled after the reorg",
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}: ${JSON.stringify(w.store.history(jobId))}`);
      });
      expect(await chainStatus(p, jobId)).to.be.oneOf(PROVEN);
      expect(await p.market.queryFilter(p.market.filters.JobCompleted!(jobId))).to.have.length(1);
      // the store's mined submit is the one on chain (the same signed tx, re-sent)
      const mined = w.store.txsFor(jobId, "submit").filter((t) => t.status === "mined");
      expect(mined).to.have.length(1);
      expect(mined[0]!.hash, "the same signed submit").to.equal(box.tx);
      expect(await ethers.provider.getTransactionReceipt(box.tx!)).to.not.equal(null);
      expect(logs.lines.some((l) => l.includes("our submit was reorged out: sending it again"))).to.equal(
        true,
      );
      const prov = (await p.staking.getFunction("getProvider")(w.address)) as {
        locked: bigint;
        jobsFailed: bigint;
      };
      expect(prov.jobsFailed, "never slashed").to.equal(0n);
      expect(prov.locked).to.equal(0n);
    } finally {
      await w.stop(0);
    }
  });

  it("test_reorg_collectBlockRemoved_jobCollectedAgainAndPaidOnce", async function () {
    const { ethers } = await network.create();
    const p = await deployProtocol(ethers.provider);
    const box: { snapshot?: string; reverted: boolean; w?: WorkerHandle; tx?: string } = { reverted: false };
    // snapshot once the submit is in (before any collect); revert once the job is recorded paid
    const hooks: WorkerHooks = {
      at: async (b, ctx) => {
        if (b === "submit.confirmed" && box.snapshot === undefined)
          box.snapshot = (await ethers.provider.send("evm_snapshot", [])) as string;
        if (b === "settle.done" && !box.reverted && box.snapshot !== undefined) {
          box.tx = box.w!.store.collectTxsOf(ctx.jobId!).find((t) => t.status === "mined")!.hash;
          expect(await ethers.provider.send("evm_revert", [box.snapshot])).to.equal(true);
          box.reverted = true;
        }
      },
    };
    const logs = capture();
    const w = await start(p, hooks, logs.log);
    box.w = w;
    try {
      const { jobId } = await postJob(p);
      await waitFor(() => box.reverted, 60_000, "collect recorded then reorged out");
      await waitFor(
        async () =>
          w.store.getJob(jobId)?.state === "settled" && (await chainStatus(p, jobId)) === JobStatus.Paid,
        60_000,
        "collected again",
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}: ${JSON.stringify(w.store.history(jobId))}`);
      });
      expect(await p.market.queryFilter(p.market.filters.JobPaid!(jobId))).to.have.length(1);
      const mined = w.store.collectTxsOf(jobId).filter((t) => t.status === "mined");
      expect(mined).to.have.length(1);
      expect(mined[0]!.hash, "the same signed collect").to.equal(box.tx);
      expect(await ethers.provider.getTransactionReceipt(box.tx!)).to.not.equal(null);
      expect(logs.lines.some((l) => l.includes("our collect was reorged out: sending it again"))).to.equal(
        true,
      );
    } finally {
      await w.stop(0);
    }
  });
});
