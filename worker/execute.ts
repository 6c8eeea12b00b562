/**
 * Execute and prove stages. Execution (inference) produces the outputs and the witness input;
 * proving runs in a prover slot (a bounded pool, granted earliest deadline first). Outputs and
 * proof are stored as soon as they exist, so a restart never proves a job twice; a restart after
 * `executed` re-runs inference (cheap, deterministic) to rebuild the witness.
 */
import { getBytes } from "ethers";
import { ProofworkError, errorMessage } from "../sdk/node.ts";
import { computeJobKey } from "../sdk/node.ts";
import type { CircuitArtifacts } from "./artifacts.ts";
import type { WorkerContext } from "./context.ts";
import { WorkerErrorCodes } from "./errors.ts";
import type { JobRow } from "./store.ts";

/** Execute+prove time of a circuit: measured (EWMA, persisted) or the configured default. */
export function expectedWorkSeconds(ctx: WorkerContext, circuitId: string): number {
  const v = ctx.store.getMeta(`work:${circuitId.toLowerCase()}`);
  return v === null ? ctx.settings.defaultWorkSeconds : Number(v);
}

function recordWork(ctx: WorkerContext, circuitId: string, seconds: number): void {
  const key = `work:${circuitId.toLowerCase()}`;
  const prev = ctx.store.getMeta(key);
  const next = prev === null ? seconds : 0.7 * Number(prev) + 0.3 * seconds;
  ctx.store.setMeta(key, next.toFixed(3));
}

/** A priority semaphore: slots go to the waiter with the earliest deadline (EDF). */
export class ProverSlots {
  private free: number;
  private readonly waiters: { deadline: number; grant: () => void; reject: (e: unknown) => void }[] = [];

  constructor(slots: number) {
    this.free = Math.max(1, slots);
  }

  async acquire(deadline: number, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw new ProofworkError(WorkerErrorCodes.WORKER_STOPPING, "worker is stopping");
    if (this.free > 0 && this.waiters.length === 0) {
      this.free--;
      return () => this.release();
    }
    await new Promise<void>((resolve, reject) => {
      const w = { deadline, grant: resolve, reject };
      this.waiters.push(w);
      this.waiters.sort((a, b) => a.deadline - b.deadline);
      signal?.addEventListener(
        "abort",
        () => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) {
            this.waiters.splice(i, 1);
            reject(new ProofworkError(WorkerErrorCodes.WORKER_STOPPING, "worker is stopping"));
          }
        },
        { once: true },
      );
    });
    return () => this.release();
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next.grant();
    else this.free++;
  }
}

function inputBytes(row: JobRow): Uint8Array {
  if (!row.inputHex)
    throw new ProofworkError(WorkerErrorCodes.EXECUTION_FAILED, `job ${row.jobId} has no stored input`);
  return getBytes(row.inputHex);
}

/**
 * Runs inference and proving for a `claimed` or `executed` job, holding a prover slot, and leaves
 * it `proved`. Throws JOB_EXPIRED when the deadline passes before the proof exists.
 */
export async function executeAndProve(
  ctx: WorkerContext,
  row: JobRow,
  circuit: CircuitArtifacts,
  inputCommitment: bigint,
  slots: ProverSlots,
  signal?: AbortSignal,
): Promise<JobRow> {
  const { store, runner, log, metrics, hooks, chainClock, reader } = ctx;
  const jobId = row.jobId;
  const deadline = row.deadline ?? 0;
  const release = await slots.acquire(deadline, signal);
  try {
    if (chainClock.nowSeconds() >= deadline) {
      throw new ProofworkError(
        WorkerErrorCodes.JOB_EXPIRED,
        `job ${jobId}: deadline ${deadline} passed before proving`,
      );
    }
    const jobKey = computeJobKey(ctx.chainId, reader.addresses.market, jobId, ctx.address);
    const input = inputBytes(row);
    const t0 = performance.now();
    await hooks.at("execute.start", { jobId });
    let exec;
    try {
      exec = await runner.execute(circuit, input, { jobKey, inputCommitment });
    } catch (e) {
      throw new ProofworkError(
        WorkerErrorCodes.EXECUTION_FAILED,
        `job ${jobId}: inference failed: ${errorMessage(e)}`,
        {},
        { cause: e },
      );
    }
    const t1 = performance.now();
    metrics.inferenceSeconds.observe((t1 - t0) / 1000);
    let current = store.getJob(jobId)!;
    if (current.state === "claimed") {
      current = store.transition(jobId, "executed", { outputs: exec.outputs });
      await hooks.at("execute.done", { jobId });
    }
    await hooks.at("prove.start", { jobId });
    let proof;
    try {
      proof = await runner.prove(circuit, exec.witness);
    } catch (e) {
      throw new ProofworkError(
        WorkerErrorCodes.EXECUTION_FAILED,
        `job ${jobId}: proving failed: ${errorMessage(e)}`,
        {},
        { cause: e },
      );
    }
    const t2 = performance.now();
    metrics.provingSeconds.observe((t2 - t1) / 1000);
    if (proof.publicSignals[0] !== jobKey || proof.publicSignals[1] !== inputCommitment) {
      throw new ProofworkError(
        WorkerErrorCodes.EXECUTION_FAILED,
        `job ${jobId}: proof binds the wrong jobKey or commitment`,
      );
    }
    recordWork(ctx, circuit.circuitId, (t2 - t0) / 1000);
    const proved = store.transition(jobId, "proved", { proof: proof.proof, outputs: proof.outputs });
    log.info(
      { jobId: jobId.toString(), inferenceMs: Math.round(t1 - t0), provingMs: Math.round(t2 - t1) },
      "job proved",
    );
    await hooks.at("prove.done", { jobId });
    return proved;
  } finally {
    release();
  }
}
