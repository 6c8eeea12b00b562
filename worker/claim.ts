/**
 * Claim stage. The claim transaction is simulated first (a job someone else already claimed
 * reverts there, costing nothing); the signed transaction is stored together with the job's move
 * to `claiming` before it is broadcast. A lost race — simulation or mined revert with
 * `Market__JobNotOpen` — is a normal outcome, not an error.
 */
import { getAddress } from "ethers";
import { ProofworkError, errorMessage, isProofworkError } from "../sdk/node.ts";
import { JobStatus, marketInterface } from "../sdk/node.ts";
import type { WorkerContext } from "./context.ts";
import { WorkerErrorCodes } from "./errors.ts";
import type { JobRow } from "./store.ts";
import { revertName } from "./tx.ts";

export type ClaimOutcome = "claimed" | "lost" | "taken";

/** Errors that mean "the job is not there to be claimed" rather than "we failed". */
const LOST_RACE = new Set(["Market__JobNotOpen", "Market__ClaimDeadlinePassed"]);

/** Claims a `discovered` job: simulate, store + move to `claiming`, broadcast, wait, record. */
export async function claimJob(
  ctx: WorkerContext,
  jobId: bigint,
  signal?: AbortSignal,
): Promise<ClaimOutcome> {
  const { store, tx, log, metrics, reader } = ctx;
  let sent: { hash: string; nonce: number };
  try {
    const terms = await reader.getTerms(jobId);
    sent = await tx.send(
      {
        kind: "claim",
        jobId,
        to: reader.addresses.market,
        data: marketInterface.encodeFunctionData("claim", [jobId, terms]),
      },
      () => {
        store.transition(jobId, "claiming");
      },
    );
  } catch (e) {
    if (isProofworkError(e, WorkerErrorCodes.ILLEGAL_TRANSITION)) {
      // a hint moved the job (claimed by someone else, cancelled) before our claim was stored:
      // nothing was stored or sent
      log.info(
        { jobId: jobId.toString(), state: store.getJob(jobId)?.state },
        "claim abandoned: job closed meanwhile",
      );
      return "taken";
    }
    const name = revertName(e);
    if (name !== undefined && LOST_RACE.has(name)) {
      store.transition(jobId, "taken", { reason: name }, "claim simulation: not open");
      metrics.claimsLost.inc();
      log.info({ jobId: jobId.toString(), revert: name }, "claim skipped: job no longer open");
      return "taken";
    }
    throw new ProofworkError(
      WorkerErrorCodes.CLAIM_FAILED,
      `claim of job ${jobId} failed: ${errorMessage(e)}`,
      { jobId: jobId.toString() },
      { cause: e },
    );
  }
  log.info({ jobId: jobId.toString(), hash: sent.hash }, "claim sent");
  return confirmClaim(ctx, jobId, sent.nonce, signal);
}

/** Waits for the claim with `nonce` and moves the job to `claimed` or `lost`. */
export async function confirmClaim(
  ctx: WorkerContext,
  jobId: bigint,
  nonce: number,
  signal?: AbortSignal,
): Promise<ClaimOutcome> {
  const { tx, log, metrics } = ctx;
  try {
    const mined = await tx.waitMined(nonce, { signal });
    if (!mined.success) {
      log.info({ jobId: jobId.toString(), revert: mined.revert?.text }, "claim reverted");
    }
  } catch (e) {
    if (isProofworkError(e, WorkerErrorCodes.WORKER_STOPPING)) throw e;
    log.warn({ jobId: jobId.toString(), err: errorMessage(e) }, "claim transaction lost; reading the job");
  }
  return recordClaimFromChain(ctx, jobId, metrics);
}

/** The chain decides: if the job's provider is us, it is claimed; otherwise we lost it. */
async function recordClaimFromChain(
  ctx: WorkerContext,
  jobId: bigint,
  metrics: WorkerContext["metrics"],
): Promise<ClaimOutcome> {
  const { store, reader, log, address, hooks } = ctx;
  const job = await reader.getJob(jobId);
  const ours =
    job.provider !== "0x0000000000000000000000000000000000000000" &&
    getAddress(job.provider) === getAddress(address);
  if (ours && job.status >= JobStatus.Claimed) {
    store.transition(jobId, "claimed", { deadline: job.deadline, price: job.price }, "claim mined");
    metrics.jobsClaimed.inc();
    log.info({ jobId: jobId.toString(), deadline: job.deadline, price: job.price.toString() }, "job claimed");
    await hooks.at("claim.confirmed", { jobId });
    return "claimed";
  }
  if (store.getJob(jobId)?.state === "claiming")
    store.transition(jobId, "lost", { reason: "lost_race" }, `claimed by ${job.provider}`);
  metrics.claimsLost.inc();
  log.info({ jobId: jobId.toString(), winner: job.provider }, "claim lost to another provider");
  return "lost";
}

/** Resumes a job found in `claiming` after a restart: its stored claim tx decides. */
export async function resumeClaim(
  ctx: WorkerContext,
  row: JobRow,
  signal?: AbortSignal,
): Promise<ClaimOutcome> {
  const txs = ctx.store.txsFor(row.jobId, "claim");
  const last = txs[txs.length - 1];
  if (!last) return recordClaimFromChain(ctx, row.jobId, ctx.metrics);
  return confirmClaim(ctx, row.jobId, last.nonce, signal);
}
