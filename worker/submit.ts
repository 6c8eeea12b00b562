/**
 * Submit stage. The submit call is simulated first (an invalid proof or a passed deadline reverts
 * there and costs nothing); the signed transaction is stored together with the move to
 * `submitting` before it is broadcast, so a crash can only lead to the *same* transaction being
 * re-sent. While the deadline allows, a dropped submission is retried (back to `proved`, new
 * nonce); a stuck one is fee-bumped by the tx sender (same nonce).
 */
import { getAddress } from "ethers";
import { ProofworkError, errorMessage, isProofworkError } from "../sdk/node.ts";
import { JobStatus, marketInterface } from "../sdk/node.ts";
import type { WorkerContext } from "./context.ts";
import { WorkerErrorCodes } from "./errors.ts";
import type { JobRow } from "./store.ts";
import { revertName, type MinedTx } from "./tx.ts";

export type SubmitOutcome = { done: true; mined: MinedTx | null } | { done: false; reason: string };

/** Reverts after which retrying cannot help. */
const FATAL = new Set([
  "Market__DeadlinePassed",
  "Market__InvalidProof",
  "Market__TermsMismatch",
  "Market__WrongOutputCount",
  "Market__NotInField",
]);

/** True when the chain already shows the job completed by us (a previous submit landed). */
async function completedByUs(ctx: WorkerContext, jobId: bigint): Promise<boolean> {
  const j = await ctx.reader.getJob(jobId);
  return (
    (j.status === JobStatus.Completed || j.status === JobStatus.Paid) &&
    getAddress(j.provider) === getAddress(ctx.address)
  );
}

/** Submits a `proved` job (or resumes a `submitting` one) until completed, failed or stopped. */
export async function submitJob(ctx: WorkerContext, row: JobRow, signal?: AbortSignal): Promise<JobRow> {
  const { store, tx, log, chainClock, hooks, reader } = ctx;
  const jobId = row.jobId;
  const deadline = row.deadline ?? 0;
  let current = row;
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw new ProofworkError(WorkerErrorCodes.WORKER_STOPPING, "worker is stopping");
    let nonce: number;
    if (current.state === "submitting") {
      // resume: our stored transaction first (its receipt accounts the gas), then the chain
      const stored = store.txsFor(jobId, "submit").filter((t) => t.status === "pending");
      const last = stored[stored.length - 1];
      if (!last) {
        if (await completedByUs(ctx, jobId)) return finishCompleted(ctx, jobId, null);
        current = store.transition(jobId, "proved", {}, "no pending submit tx: resubmit");
        continue;
      }
      nonce = last.nonce;
    } else {
      if (chainClock.nowSeconds() >= deadline) {
        throw new ProofworkError(
          WorkerErrorCodes.JOB_EXPIRED,
          `job ${jobId}: deadline ${deadline} passed before submit`,
        );
      }
      const data = marketInterface.encodeFunctionData("submit", [
        jobId,
        await reader.getTerms(jobId),
        current.proof ?? [],
        current.outputs ?? [],
      ]);
      try {
        const sent = await tx.send({ kind: "submit", jobId, to: reader.addresses.market, data }, () => {
          store.transition(jobId, "submitting", { attempts: current.attempts + 1 });
        });
        nonce = sent.nonce;
        log.info({ jobId: jobId.toString(), hash: sent.hash, attempt }, "proof submitted");
      } catch (e) {
        if (isProofworkError(e, WorkerErrorCodes.WORKER_STOPPING)) throw e;
        current = store.getJob(jobId)!;
        if (current.state === "submitting") {
          // stored but the broadcast (or what followed it) failed: resume from the stored tx
          log.warn(
            { jobId: jobId.toString(), err: errorMessage(e) },
            "submit stored but not confirmed sent; resuming from the stored transaction",
          );
          continue;
        }
        const name = revertName(e);
        if (name !== undefined && FATAL.has(name)) {
          throw new ProofworkError(
            WorkerErrorCodes.SUBMIT_FAILED,
            `job ${jobId}: submit would revert with ${name}`,
            { revert: name },
            { cause: e },
          );
        }
        if (name === "Market__JobNotClaimed" && (await completedByUs(ctx, jobId))) {
          // unreachable from `proved` in practice; kept for safety
          throw new ProofworkError(
            WorkerErrorCodes.SUBMIT_FAILED,
            `job ${jobId} already completed without a stored submit`,
          );
        }
        if (attempt >= 5 || chainClock.nowSeconds() >= deadline) throw e;
        log.warn({ jobId: jobId.toString(), err: errorMessage(e) }, "submit failed; retrying");
        await ctx.clock.sleep(Math.min(1000 * 2 ** attempt, 10_000), signal);
        continue;
      }
      current = store.getJob(jobId)!;
    }
    const deadlineMs = ctx.clock.now() + Math.max(0, deadline - chainClock.nowSeconds()) * 1000 + 30_000;
    let mined: MinedTx;
    try {
      mined = await tx.waitMined(nonce, { deadlineMs, signal });
    } catch (e) {
      if (isProofworkError(e, WorkerErrorCodes.WORKER_STOPPING)) throw e;
      if (await completedByUs(ctx, jobId)) return finishCompleted(ctx, jobId, null);
      log.warn({ jobId: jobId.toString(), err: errorMessage(e) }, "submit transaction not mined");
      current = store.transition(jobId, "proved", {}, "submit tx dropped");
      continue;
    }
    if (mined.success) {
      await hooks.at("submit.confirmed", { jobId, txHash: mined.hash });
      return finishCompleted(ctx, jobId, mined);
    }
    const name = mined.revert?.name;
    if (await completedByUs(ctx, jobId)) return finishCompleted(ctx, jobId, null);
    if (name !== undefined && FATAL.has(name)) {
      throw new ProofworkError(
        WorkerErrorCodes.SUBMIT_FAILED,
        `job ${jobId}: submit reverted with ${mined.revert?.text}`,
        { revert: name },
      );
    }
    log.warn({ jobId: jobId.toString(), revert: mined.revert?.text }, "submit reverted; retrying");
    current = store.transition(jobId, "proved", {}, `submit reverted: ${name ?? "unknown"}`);
  }
}

function finishCompleted(ctx: WorkerContext, jobId: bigint, mined: MinedTx | null): JobRow {
  const row = ctx.store.transition(
    jobId,
    "completed",
    {},
    mined ? `submit ${mined.hash}` : "completed on-chain",
  );
  ctx.metrics.jobsCompleted.inc();
  const claimedAt = ctx.store.history(jobId).find((h) => h.to === "claimed")?.at;
  if (claimedAt !== undefined)
    ctx.metrics.claimToCompletedSeconds.observe((ctx.clock.now() - claimedAt) / 1000);
  ctx.log.info({ jobId: jobId.toString(), hash: mined?.hash }, "job completed");
  return row;
}
