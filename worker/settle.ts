/**
 * Settle stage. The market pays completed jobs pull-style (`collect(provider, jobs[])`: one token
 * transfer for any number of jobs), so the worker collects in batches: once
 * `collectBatchSize` jobs are waiting, or the oldest has waited `collectMaxAgeMs`, or the worker is
 * stopping. A batch's signed transaction and its member jobs are stored before it is broadcast;
 * its payouts are read from the `JobPaid` events **in its own receipt** (no log search that a
 * stale block number could miss); its gas is shared by its jobs.
 *
 * Reorgs (`reconcile`): a completed job whose submit a reorg removed is open to slashing — the same
 * signed submit is broadcast again while the deadline allows; a settled job whose collect a reorg
 * removed goes back to `completed` and is collected again. The store follows the chain.
 */
import { getAddress, type TransactionReceipt } from "ethers";
import { JobStatus, ProofworkError, errorMessage, isProofworkError, marketInterface } from "../sdk/node.ts";
import type { WorkerContext } from "./context.ts";
import { WorkerErrorCodes } from "./errors.ts";
import type { JobRow } from "./store.ts";

export class Collector {
  constructor(private readonly ctx: WorkerContext) {}

  /**
   * Collects what is due (everything when `flush`). Resumes a stored, unfinished batch first.
   * Errors are logged and retried on the next call; a job is never lost.
   */
  async run(flush: boolean, signal?: AbortSignal): Promise<void> {
    const { store, tx, log } = this.ctx;
    for (const pending of store.pendingTxs().filter((t) => t.kind === "collect")) {
      const mined = await tx.waitMined(pending.nonce, { signal });
      await this.settleFromReceipt(mined.receipt, store.collectBatchJobs(mined.hash), mined.gasCost);
    }
    const waiting = store.listJobs(["completed"]);
    if (waiting.length === 0) return;
    const oldest = Math.min(...waiting.map((r) => r.updatedAt));
    const due =
      flush ||
      waiting.length >= this.ctx.settings.collectBatchSize ||
      this.ctx.clock.now() - oldest >= this.ctx.settings.collectMaxAgeMs;
    if (!due) return;
    try {
      await this.collect(waiting.slice(0, 64), signal);
    } catch (e) {
      if (isProofworkError(e, WorkerErrorCodes.WORKER_STOPPING)) throw e;
      log.warn({ jobs: waiting.length, err: errorMessage(e) }, "collect failed; retrying on the next tick");
    }
  }

  private async collect(rows: JobRow[], signal?: AbortSignal): Promise<void> {
    const { store, reader, tx, log } = this.ctx;
    const me = getAddress(this.ctx.address);
    const batch: JobRow[] = [];
    for (const row of rows) {
      const job = await reader.getJob(row.jobId);
      const ours =
        job.provider !== "0x0000000000000000000000000000000000000000" && getAddress(job.provider) === me;
      if (ours && job.status === JobStatus.Completed) {
        batch.push(row);
      } else if (ours && job.status === JobStatus.Paid) {
        // someone else collected it for us (anyone may): read the payout from its event
        const paid = await reader.jobs.lastEvent("JobPaid", row.jobId);
        const payout = paid === undefined ? 0n : BigInt(paid.args.getValue("payout") as bigint);
        await this.settle(row.jobId, payout, "collected by someone else");
      } else {
        // the submit is not (or no longer) on chain: reconcile() deals with it
        log.debug({ jobId: row.jobId.toString(), status: job.statusName }, "not collectable yet");
      }
    }
    if (batch.length === 0) return;
    const data = marketInterface.encodeFunctionData("collect", [
      me,
      batch.map((r) => ({ jobId: r.jobId, terms: r.terms!, outputs: r.outputs ?? [] })),
    ]);
    const ids = batch.map((r) => r.jobId);
    const sent = await tx.send(
      { kind: "collect", jobId: ids[0]!, to: reader.addresses.market, data },
      (hash) => store.addCollectBatch(hash, ids),
    );
    const mined = await tx.waitMined(sent.nonce, { signal });
    if (!mined.success) {
      throw new ProofworkError(
        WorkerErrorCodes.SETTLE_FAILED,
        `collect ${mined.hash} of ${ids.length} job(s) reverted${mined.revert ? `: ${mined.revert.text}` : ""}`,
      );
    }
    await this.settleFromReceipt(mined.receipt, ids, mined.gasCost);
  }

  /** Settles the batch members whose `JobPaid` is in the receipt; shares the gas among them. */
  private async settleFromReceipt(
    receipt: TransactionReceipt,
    members: bigint[],
    gasCost: bigint,
  ): Promise<void> {
    const paid = new Map<bigint, bigint>();
    for (const l of receipt.logs) {
      let ev;
      try {
        ev = marketInterface.parseLog({ topics: [...l.topics], data: l.data });
      } catch {
        continue;
      }
      if (ev?.name === "JobPaid" && getAddress(String(ev.args.provider)) === getAddress(this.ctx.address)) {
        paid.set(BigInt(ev.args.jobId as bigint), BigInt(ev.args.payout as bigint));
      }
    }
    const share = paid.size > 0 ? gasCost / BigInt(paid.size) : 0n;
    for (const id of members) {
      const payout = paid.get(id);
      if (payout === undefined) continue;
      this.ctx.store.addGasSpent(id, share);
      await this.settle(id, payout, `collected in ${receipt.hash} (${paid.size} job(s))`);
    }
  }

  private async settle(jobId: bigint, payout: bigint, note: string): Promise<void> {
    const { store, metrics, log, hooks } = this.ctx;
    const row = store.getJob(jobId);
    if (row?.state !== "completed") return;
    const settled = store.transition(jobId, "settled", { earned: payout }, note);
    metrics.earningsWei.inc(Number(payout));
    log.info(
      { jobId: jobId.toString(), payout: payout.toString(), gasSpent: settled.gasSpent.toString() },
      "job settled",
    );
    await hooks.at("settle.done", { jobId });
  }

  /**
   * Follows the chain after reorgs: completed jobs whose submit is gone get the same signed submit
   * again (or fail once their deadline passed); settled jobs whose collect is gone (recent ones,
   * within `lookbackBlocks`) get the same signed collect again, or go back to `completed` to be
   * collected anew when it cannot be re-mined.
   */
  async reconcile(): Promise<void> {
    const { store, reader, tx, log, provider } = this.ctx;
    const me = getAddress(this.ctx.address);
    const head = await provider.getBlockNumber();
    const horizon = head - this.ctx.settings.lookbackBlocks;
    for (const row of store.listJobs(["completed"])) {
      const submit = store.txsFor(row.jobId, "submit").find((t) => t.status === "mined");
      if (submit === undefined || (submit.blockNumber ?? 0) < horizon) continue;
      const job = await reader.getJob(row.jobId);
      if (job.status !== JobStatus.Claimed || getAddress(job.provider) !== me) continue;
      log.warn(
        { jobId: row.jobId.toString(), tx: submit.hash },
        "our submit was reorged out: sending it again",
      );
      let restored = false;
      try {
        const mined = await tx.restoreReorgedOut(submit.hash);
        restored = mined === null || mined.success;
      } catch (e) {
        log.warn(
          { jobId: row.jobId.toString(), err: errorMessage(e) },
          "the reorged-out submit could not be re-sent",
        );
      }
      const after = await reader.getJob(row.jobId);
      if (
        !restored &&
        after.status === JobStatus.Claimed &&
        this.ctx.chainClock.nowSeconds() > after.deadline
      ) {
        store.transition(row.jobId, "failed", {
          reason: "reorged_out",
          error: "submit reorged out past the deadline",
        });
        this.ctx.metrics.jobsFailed.inc({ reason: "reorged_out" });
      }
    }
    for (const row of store.listJobs(["settled"])) {
      const collect = store.collectTxsOf(row.jobId).find((t) => t.status === "mined");
      if (collect === undefined || (collect.blockNumber ?? 0) < horizon) continue;
      const job = await reader.getJob(row.jobId);
      if (job.status !== JobStatus.Completed) continue;
      // the same signed collect again (same nonce: no gap, and it pays its whole batch once)
      log.warn(
        { jobId: row.jobId.toString(), tx: collect.hash },
        "our collect was reorged out: sending it again",
      );
      let restored = false;
      try {
        const mined = await tx.restoreReorgedOut(collect.hash);
        restored = mined === null || mined.success;
      } catch (e) {
        log.warn(
          { jobId: row.jobId.toString(), err: errorMessage(e) },
          "the reorged-out collect could not be re-sent",
        );
      }
      if (!restored) {
        store.finishTx(collect.hash, "dropped");
        store.transition(row.jobId, "completed", { earned: null }, `collect ${collect.hash} reorged out`);
      }
    }
  }
}
