/**
 * Settle stage: the market pays completed jobs out pull-style, so the worker collects its payment
 * (`collect(us, [job])`, stored before it is broadcast like every transaction) and records the
 * payout from the `JobPaid` event. A job already paid (a previous collect landed, or anyone
 * collected for us) is only looked up, so this works after a restart too.
 */
import { getAddress } from "ethers";
import { ProofworkError, errorMessage, isProofworkError } from "../sdk/errors.ts";
import { JobStatus, marketInterface } from "./chain.ts";
import type { WorkerContext } from "./context.ts";
import { WorkerErrorCodes } from "./errors.ts";
import type { JobRow } from "./store.ts";

export async function settleJob(ctx: WorkerContext, row: JobRow, signal?: AbortSignal): Promise<JobRow> {
  const { store, reader, log, metrics, hooks, tx } = ctx;
  const jobId = row.jobId;
  let job = await reader.getJob(jobId);
  const ours =
    job.provider !== "0x0000000000000000000000000000000000000000" &&
    getAddress(job.provider) === getAddress(ctx.address);
  if (!ours || (job.status !== JobStatus.Completed && job.status !== JobStatus.Paid)) {
    throw new ProofworkError(
      WorkerErrorCodes.SETTLE_FAILED,
      `job ${jobId} is not completed by us on-chain (status ${job.status})`,
    );
  }
  if (job.status === JobStatus.Completed) {
    // resume a stored collect first; else send one
    const pending = store.txsFor(jobId, "collect").filter((t) => t.status === "pending");
    let nonce = pending[pending.length - 1]?.nonce;
    if (nonce === undefined) {
      const data = marketInterface.encodeFunctionData("collect", [
        ctx.address,
        [{ jobId, terms: job.terms, outputs: row.outputs ?? [] }],
      ]);
      try {
        nonce = (await tx.send({ kind: "collect", jobId, to: reader.addresses.market, data })).nonce;
      } catch (e) {
        if (isProofworkError(e, WorkerErrorCodes.WORKER_STOPPING)) throw e;
        job = await reader.getJob(jobId);
        if (job.status !== JobStatus.Paid) {
          throw new ProofworkError(
            WorkerErrorCodes.SETTLE_FAILED,
            `job ${jobId}: collect failed: ${errorMessage(e)}`,
            {},
            { cause: e },
          );
        }
      }
    }
    if (nonce !== undefined) await tx.waitMined(nonce, { signal });
  }
  const payout = await findPayout(ctx, row);
  if (payout === null)
    throw new ProofworkError(WorkerErrorCodes.SETTLE_FAILED, `job ${jobId}: JobPaid event not found`);
  const settled = store.transition(jobId, "settled", { earned: payout });
  metrics.earningsWei.inc(Number(payout));
  log.info(
    { jobId: jobId.toString(), payout: payout.toString(), gasSpent: settled.gasSpent.toString() },
    "job settled",
  );
  await hooks.at("settle.done", { jobId });
  return settled;
}

/** Our payout for a paid job, from its `JobPaid` event (searched from the submit block on). */
async function findPayout(ctx: WorkerContext, row: JobRow): Promise<bigint | null> {
  const { store, reader, provider } = ctx;
  const jobId = row.jobId;
  const submits = store.txsFor(jobId, "submit").filter((t) => t.status === "mined");
  const fromBlock = submits[0]?.blockNumber ?? row.postedBlock ?? ctx.settings.startBlock;
  const topic = marketInterface.getEvent("JobPaid")!.topicHash;
  const head = await provider.getBlockNumber();
  let payout: bigint | null = null;
  for (let from = fromBlock; from <= head && payout === null; from += ctx.settings.logChunkSize) {
    const logs = await provider.getLogs({
      address: reader.addresses.market,
      topics: [topic, `0x${jobId.toString(16).padStart(64, "0")}`],
      fromBlock: from,
      toBlock: Math.min(head, from + ctx.settings.logChunkSize - 1),
    });
    for (const l of logs) {
      const ev = marketInterface.parseLog({ topics: [...l.topics], data: l.data });
      if (ev && getAddress(String(ev.args.provider)) === getAddress(ctx.address))
        payout = BigInt(ev.args.payout as bigint);
    }
  }
  return payout;
}
