/**
 * Settle stage: confirms the payment of a completed job from its `JobCompleted` event (payout to
 * us) and records the earnings. The event is looked up by job id from the submit block (or the
 * job's posting block) onwards, so it works after a restart too.
 */
import { getAddress } from "ethers";
import { ProofworkError } from "../sdk/errors.ts";
import { JobStatus, marketInterface } from "./chain.ts";
import type { WorkerContext } from "./context.ts";
import { WorkerErrorCodes } from "./errors.ts";
import type { JobRow } from "./store.ts";

export async function settleJob(ctx: WorkerContext, row: JobRow): Promise<JobRow> {
  const { store, reader, provider, log, metrics, hooks } = ctx;
  const jobId = row.jobId;
  const job = await reader.getJob(jobId);
  if (job.status !== JobStatus.Completed || getAddress(job.provider) !== getAddress(ctx.address)) {
    throw new ProofworkError(
      WorkerErrorCodes.SETTLE_FAILED,
      `job ${jobId} is not completed by us on-chain (status ${job.status})`,
    );
  }
  const submits = store.txsFor(jobId, "submit").filter((t) => t.status === "mined");
  const fromBlock = submits[0]?.blockNumber ?? row.postedBlock ?? ctx.settings.startBlock;
  const topic = marketInterface.getEvent("JobCompleted")!.topicHash;
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
  if (payout === null)
    throw new ProofworkError(WorkerErrorCodes.SETTLE_FAILED, `job ${jobId}: JobCompleted event not found`);
  const settled = store.transition(jobId, "settled", { earned: payout });
  metrics.earningsWei.inc(Number(payout));
  log.info(
    { jobId: jobId.toString(), payout: payout.toString(), gasSpent: settled.gasSpent.toString() },
    "job settled",
  );
  await hooks.at("settle.done", { jobId });
  return settled;
}
