/**
 * The worker's main loop and job supervision.
 *
 * One loop ticks every `pollIntervalMs`: read the head (chain time), follow logs (monitor), then
 * evaluate open jobs and start a claim for each accepted one, and make sure every job that is ours
 * has exactly one task driving it through claim → execute → prove → submit → settle. Tasks live
 * in one map and are awaited on shutdown — nothing runs unsupervised. Proving slots are granted
 * earliest deadline first.
 *
 * Shutdown is two-phase: `stop()` ends the intake (no more log polling for new jobs, no new
 * claims) and lets in-flight jobs finish for `shutdownGraceMs`; then it aborts: every job is
 * parked at its last durable state and resumed by the next start.
 */
import { getAddress, getBytes, hexlify } from "ethers";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { ErrorCodes, errorMessage, isProofworkError, ProofworkError } from "../sdk/node.ts";
import { fetchUri, type CircuitArtifacts } from "./artifacts.ts";
import { computeJobKey } from "../sdk/node.ts";
import { decodeTerms, inputFromPostCalldata, termsToJson, type JobTerms } from "../sdk/node.ts";
import { JobStatus, batchMarketInterface, marketInterface, registryInterface } from "../sdk/node.ts";
import { BatchDriver } from "./batch/driver.ts";
import { BUSY_BATCH_STATES } from "./batch/store.ts";
import { claimJob, resumeClaim } from "./claim.ts";
import type { WorkerContext } from "./context.ts";
import { WorkerErrorCodes } from "./errors.ts";
import { checkInput, evaluateJob } from "./evaluate.ts";
import { executeAndProve, expectedWorkSeconds, ProverSlots } from "./execute.ts";
import { Monitor, type ChainEvent } from "./monitor.ts";
import { Collector } from "./settle.ts";
import { ACTIVE_STATES, JOB_STATES, type JobState } from "./state.ts";
import type { JobRow } from "./store.ts";
import { submitJob } from "./submit.ts";

const ZERO = "0x0000000000000000000000000000000000000000";
/** States a job task drives (claiming included: a claim tx may be in flight). */
/** States a job task drives forward (completed jobs wait for the collector). */
const OWNED_STATES: readonly JobState[] = ["claiming", ...ACTIVE_STATES];

export type WorkerPhase = "starting" | "running" | "draining" | "stopped";

export class Pipeline {
  private readonly tasks = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private readonly wake = { resolve: null as (() => void) | null };
  private readonly slots: ProverSlots;
  private readonly monitor: Monitor;
  private readonly collector: Collector;
  /** Batch jobs (worker/batch), when enabled and the deployment has a BatchMarket. */
  readonly batch: BatchDriver | null;
  private intake = true;
  phase: WorkerPhase = "starting";
  lastTickAt = 0;
  lastError: string | null = null;
  private loopPromise: Promise<void> | null = null;

  constructor(private readonly ctx: WorkerContext) {
    this.slots = new ProverSlots(ctx.settings.proverConcurrency);
    this.collector = new Collector(ctx);
    const batchMarket = ctx.reader.addresses.batchMarket;
    this.batch =
      ctx.settings.batchEnabled && batchMarket !== undefined
        ? new BatchDriver(
            ctx,
            this.abort.signal,
            () => !this.intake,
            () => this.poke(),
          )
        : null;
    this.monitor = new Monitor(
      {
        provider: ctx.provider,
        store: ctx.store,
        clock: ctx.clock,
        log: ctx.log,
        metrics: ctx.metrics,
        hooks: ctx.hooks,
      },
      {
        sources: [
          { address: ctx.reader.addresses.market, iface: marketInterface },
          { address: ctx.reader.addresses.registry, iface: registryInterface },
          ...(this.batch !== null ? [{ address: this.batch.market, iface: batchMarketInterface }] : []),
        ],
        startBlock: ctx.settings.startBlock,
        chunkSize: ctx.settings.logChunkSize,
        confirmations: ctx.settings.confirmations,
        lookbackBlocks: ctx.settings.lookbackBlocks,
        maxChunksPerPoll: 20,
        retries: 4,
      },
    );
  }

  /** Starts the main loop; resolves when the worker has fully stopped. */
  start(): Promise<void> {
    this.loopPromise ??= this.loop();
    return this.loopPromise;
  }

  /**
   * Two-phase stop: no new jobs, in-flight ones get `graceMs` to finish, then everything is
   * parked at its last durable state. Resolves when the loop and every task have ended.
   */
  async stop(graceMs = this.ctx.settings.shutdownGraceMs): Promise<void> {
    if (this.phase === "stopped") return;
    this.intake = false;
    this.phase = "draining";
    this.ctx.log.info(
      { inFlight: this.inFlight(), graceMs },
      "stopping: intake closed, draining in-flight jobs",
    );
    this.poke();
    const drained = await this.waitTasks(graceMs);
    if (!drained)
      this.ctx.log.warn(
        { parked: [...this.tasks.keys(), ...(this.batch?.taskKeys() ?? [])] },
        "grace period over: parking in-flight jobs at their last durable state",
      );
    this.abort.abort();
    this.poke();
    await this.waitTasks(10_000);
    await this.loopPromise;
    this.phase = "stopped";
  }

  /** True when every job task ended within `ms`. */
  private async waitTasks(ms: number): Promise<boolean> {
    const end = this.ctx.clock.now() + ms;
    while (this.inFlight() > 0) {
      const left = end - this.ctx.clock.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.tasks.values(), ...(this.batch?.taskPromises() ?? [])]),
        new Promise<void>((r) => (timer = setTimeout(r, left))),
      ]);
      clearTimeout(timer);
    }
    return true;
  }

  private poke(): void {
    this.wake.resolve?.();
  }

  /** Job tasks running now (single and batch). */
  private inFlight(): number {
    return this.tasks.size + (this.batch?.inFlight ?? 0);
  }

  health(): { ok: boolean } & Record<string, unknown> {
    const stale =
      this.ctx.clock.now() - this.lastTickAt > Math.max(30_000, this.ctx.settings.pollIntervalMs * 10);
    return {
      ok: this.phase === "running" && !stale,
      phase: this.phase,
      lastTickAt: this.lastTickAt,
      lastProcessedBlock: this.ctx.store.getCursor(),
      inFlight: this.inFlight(),
      lastError: this.lastError,
    };
  }

  // ------------------------------------------------------------------------------- main loop

  private async loop(): Promise<void> {
    const { log, settings } = this.ctx;
    this.phase = "running";
    // resume every job that is ours from its last durable state (with its stored terms)
    for (const row of this.ctx.store.listJobs(OWNED_STATES)) {
      if (row.terms !== null) this.ctx.reader.rememberTerms(row.jobId, row.terms);
      this.ensureTask(row);
    }
    this.batch?.ensureTasks();
    await this.batch?.sweep();
    while (!this.abort.signal.aborted) {
      try {
        await this.tick();
        this.lastError = null;
      } catch (e) {
        this.lastError = errorMessage(e);
        if (!isProofworkError(e, WorkerErrorCodes.WORKER_STOPPING))
          log.error({ err: this.lastError, code: (e as ProofworkError).code }, "tick failed");
      }
      this.lastTickAt = this.ctx.clock.now();
      if (!this.intake && this.inFlight() === 0) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, settings.pollIntervalMs);
        this.wake.resolve = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake.resolve = null;
    }
    log.info("main loop ended");
  }

  private async tick(): Promise<void> {
    const { provider, chainClock, store, metrics } = this.ctx;
    const block = await provider.getBlock("latest");
    if (block) chainClock.observe(block.timestamp);
    if (this.intake) {
      await this.monitor.poll((ev) => this.onEvent(ev), this.abort.signal);
      await this.evaluateOpenJobs();
      await this.batch?.evaluateOpen(store.countJobs(["claiming", ...ACTIVE_STATES]));
    }
    for (const row of store.listJobs(OWNED_STATES)) this.ensureTask(row);
    this.batch?.ensureTasks();
    await this.collector.reconcile();
    // collect what is due; everything once stopping (payments are never left behind needlessly)
    await this.collector.run(!this.intake, this.abort.signal);
    metrics.jobsInFlight.set(this.inFlight());
    for (const s of JOB_STATES) metrics.jobsByState.set({ state: s }, store.countJobs([s]));
    try {
      metrics.freeStakeWei.set(Number(await this.ctx.reader.freeStake(this.ctx.address)));
    } catch {
      /* informational */
    }
  }

  // ------------------------------------------------------------------------------- events (hints)

  /** Applies one event inside the monitor's store transaction (synchronous). */
  private onEvent(ev: ChainEvent): void {
    const { store, metrics, log, artifacts } = this.ctx;
    if (this.batch !== null && getAddress(ev.address) === this.batch.market) {
      this.batch.onEvent(ev);
      return;
    }
    const jobId = ev.args.jobId as bigint | undefined;
    switch (ev.name) {
      case "JobPosted": {
        const terms = decodeTerms(ev.args.terms as unknown as Record<string, unknown>);
        const inputURI = String(ev.args.inputURI);
        // The inline input bytes are not in the event: they are read from the posting
        // transaction's calldata when the job is evaluated.
        const posted = {
          circuitId: terms.circuitId,
          terms,
          postTx: ev.txHash,
          inputHex: null,
          inputURI: inputURI === "" ? null : inputURI,
          price: terms.minPrice,
          collateral: terms.collateral,
          claimDeadline: terms.claimDeadline,
          postedBlock: ev.blockNumber,
        };
        const inserted = store.insertJob(jobId!, posted);
        if (inserted) {
          this.ctx.reader.rememberTerms(jobId!, terms);
          metrics.jobsSeen.inc();
          log.debug({ jobId: jobId!.toString(), block: ev.blockNumber }, "job posted");
        } else {
          // the same id posted again with other terms: a reorg replaced the job we had seen; a row
          // that is not ours is reset to the new job (ours are decided by the chain at act time)
          const row = store.getJob(jobId!);
          if (
            row &&
            (row.state === "discovered" || row.state === "refused" || row.state === "taken") &&
            !this.tasks.has(row.jobId.toString()) &&
            (row.postTx !== posted.postTx ||
              row.terms === null ||
              termsToJson(row.terms) !== termsToJson(terms) ||
              row.inputURI !== posted.inputURI)
          ) {
            store.updateJob(jobId!, { ...posted, reason: null, retryable: false, error: null });
            this.ctx.reader.forget(jobId!);
            this.ctx.reader.rememberTerms(jobId!, terms);
            if (row.state !== "discovered")
              store.transition(jobId!, "discovered", {}, "re-posted under the same id after a reorg");
            log.warn({ jobId: jobId!.toString(), block: ev.blockNumber }, "job replaced by a reorg");
          }
        }
        break;
      }
      case "JobClaimed": {
        const row = store.getJob(jobId!);
        const by = getAddress(String(ev.args.provider));
        if (
          row &&
          by !== getAddress(this.ctx.address) &&
          (row.state === "discovered" || row.state === "refused") &&
          !this.tasks.has(row.jobId.toString())
        ) {
          store.transition(jobId!, "taken", { reason: "claimed_by_other" }, `claimed by ${by}`);
        }
        break;
      }
      case "JobCancelled":
      case "JobReclaimed": {
        const row = store.getJob(jobId!);
        if (
          row &&
          (row.state === "discovered" || row.state === "refused") &&
          !this.tasks.has(row.jobId.toString())
        ) {
          store.transition(jobId!, "taken", { reason: ev.name });
        }
        break;
      }
      case "JobSlashed": {
        const row = store.getJob(jobId!);
        if (row && getAddress(String(ev.args.provider)) === getAddress(this.ctx.address)) {
          log.error({ jobId: jobId!.toString(), state: row.state }, "our job was slashed");
          if (ACTIVE_STATES.includes(row.state)) {
            store.transition(jobId!, "failed", { reason: "slashed", error: "slashed on-chain" });
            metrics.jobsFailed.inc({ reason: "slashed" });
          }
        }
        break;
      }
      case "CircuitRegistered":
      case "CircuitActiveSet":
      case "ArtifactsURISet":
        artifacts.invalidate(String(ev.args.circuitId));
        break;
      default:
        break;
    }
  }

  // ------------------------------------------------------------------------------- evaluate + claim

  private async evaluateOpenJobs(): Promise<void> {
    const { store } = this.ctx;
    const candidates = store
      .listJobs(["discovered", "refused"])
      .filter((r) => (r.state === "discovered" || r.retryable) && !this.tasks.has(r.jobId.toString()));
    if (candidates.length === 0) return;
    let freeStake = await this.ctx.reader.freeStake(this.ctx.address);
    for (const row of candidates) {
      if (!this.intake || this.abort.signal.aborted) return;
      const fresh = store.getJob(row.jobId);
      if (!fresh || (fresh.state !== "discovered" && fresh.state !== "refused")) continue;
      const active =
        store.countJobs(["claiming", ...ACTIVE_STATES]) + (this.batch?.store.count(BUSY_BATCH_STATES) ?? 0);
      const decision = await this.evaluate(row, freeStake, active);
      if (decision === "taken") continue;
      if (decision.accept) {
        freeStake -= row.collateral ?? 0n;
        if (row.state === "refused")
          store.transition(
            row.jobId,
            "discovered",
            { reason: null, retryable: false },
            "re-evaluated: acceptable",
          );
        this.startClaim(row.jobId);
        continue;
      }
      const { reason, retryable, detail } = decision;
      if (row.state === "discovered") {
        store.transition(row.jobId, "refused", { reason, retryable, error: detail });
        this.ctx.metrics.jobsRefused.inc({ reason });
        this.ctx.log.info({ jobId: row.jobId.toString(), reason, detail }, "job refused");
      } else if (row.reason !== reason) {
        store.updateJob(row.jobId, { reason, retryable, error: detail });
        this.ctx.metrics.jobsRefused.inc({ reason });
        this.ctx.log.info({ jobId: row.jobId.toString(), reason, detail }, "job refused");
      }
    }
  }

  private async evaluate(
    row: JobRow,
    freeStake: bigint,
    activeJobs: number,
  ): Promise<ReturnType<typeof evaluateJob> | "taken"> {
    const { reader, store, artifacts, settings, chainClock } = this.ctx;
    let job;
    try {
      job = await reader.getJob(row.jobId);
    } catch (e) {
      // the job is gone from the chain (a reorg removed its post): nothing to act on
      if (!isProofworkError(e, ErrorCodes.JOB_NOT_FOUND)) throw e;
      store.transition(row.jobId, "taken", { reason: "vanished" }, "no longer on chain (reorg)");
      return "taken";
    }
    if (job.status !== JobStatus.Open) {
      store.transition(row.jobId, "taken", { reason: `status_${job.status}` });
      return "taken";
    }
    const circuit = await artifacts.check(job.terms.circuitId);
    let bytes = row.inputHex ? getBytes(row.inputHex) : null;
    if (bytes === null && row.postTx) {
      bytes = await this.inputFromPostTx(row.postTx, job.terms);
      if (bytes) store.updateJob(row.jobId, { inputHex: hexlify(bytes) });
    }
    if (bytes === null && row.inputURI) {
      bytes = await this.fetchInput(row);
      if (bytes) store.updateJob(row.jobId, { inputHex: hexlify(bytes) });
    }
    const input = circuit.ok
      ? await checkInput(bytes, job, circuit.circuit.inputBytes)
      : ({ ok: false, reason: "input_missing", detail: "circuit not served" } as const);
    const price = await reader.currentPrice(row.jobId);
    const decision = evaluateJob({
      job,
      circuit,
      input,
      price,
      nowSec: chainClock.nowSeconds(),
      freeStake,
      activeJobs,
      maxConcurrentJobs: settings.maxConcurrentJobs,
      minPrice: settings.minPrice,
      expectedWorkSec: expectedWorkSeconds(this.ctx, job.terms.circuitId) + settings.submitReserveSeconds,
      marginSec: settings.claimMarginSeconds,
      claimLatencySec: settings.claimLatencySeconds,
    });
    if (decision.accept && circuit.ok && input.ok) {
      const problem = await this.preflight(
        row.jobId,
        circuit.circuit,
        input.bytes,
        job.terms.inputCommitment,
      );
      if (problem !== null)
        return { accept: false, reason: "input_malformed", retryable: false, detail: problem };
    }
    return decision;
  }

  /** Runs inference and computes the witness before claiming; returns why it failed, or null. */
  private async preflight(
    jobId: bigint,
    circuit: CircuitArtifacts,
    bytes: Uint8Array,
    inputCommitment: bigint,
  ): Promise<string | null> {
    const { runner, reader } = this.ctx;
    if (!runner.preflight) return null;
    try {
      const jobKey = computeJobKey(this.ctx.chainId, reader.addresses.market, jobId, this.ctx.address);
      const exec = await runner.execute(circuit, bytes, { jobKey, inputCommitment });
      await runner.preflight(circuit, exec.witness);
      return null;
    } catch (e) {
      return `preflight failed: ${errorMessage(e).split("\n")[0]}`;
    }
  }

  /**
   * The inline input bytes from the posting transaction's calldata (null if it carries none that
   * match the terms). An RPC failure, or a transaction the node does not return (yet), throws: the
   * tick fails and the job is evaluated again next tick rather than refused.
   */
  private async inputFromPostTx(hash: string, terms: JobTerms): Promise<Uint8Array | null> {
    const tx = await this.ctx.provider.getTransaction(hash);
    if (tx === null) {
      throw new ProofworkError(WorkerErrorCodes.MONITOR_FAILED, `posting transaction ${hash} not found`);
    }
    return inputFromPostCalldata(tx.data, terms) ?? null;
  }

  private async fetchInput(row: JobRow): Promise<Uint8Array | null> {
    const dest = join(tmpdir(), `proofwork-input-${process.pid}-${row.jobId}`);
    try {
      await fetchUri(row.inputURI!, dest);
      const buf = await readFile(dest);
      if (buf.length > this.ctx.settings.maxInputBytes) return null;
      return new Uint8Array(buf);
    } catch (e) {
      this.ctx.log.warn(
        { jobId: row.jobId.toString(), uri: row.inputURI, err: errorMessage(e) },
        "cannot fetch job input",
      );
      return null;
    }
  }

  private startClaim(jobId: bigint): void {
    const key = jobId.toString();
    if (this.tasks.has(key)) return;
    this.track(key, async () => {
      const outcome = await claimJob(this.ctx, jobId, this.abort.signal);
      if (outcome === "claimed") await this.drive(jobId);
    });
  }

  // ------------------------------------------------------------------------------- job tasks

  /** Makes sure an owned job has its (single) task. */
  private ensureTask(row: JobRow): void {
    const key = row.jobId.toString();
    if (this.tasks.has(key) || this.abort.signal.aborted) return;
    this.track(key, async () => {
      if (row.state === "claiming") {
        const outcome = await resumeClaim(this.ctx, row, this.abort.signal);
        if (outcome !== "claimed") return;
      }
      await this.drive(row.jobId);
    });
  }

  /** Registers a supervised task: errors are recorded on the job, never left unhandled. */
  private track(key: string, fn: () => Promise<void>): void {
    const p = (async () => {
      try {
        await fn();
      } catch (e) {
        this.onTaskError(BigInt(key), e);
      } finally {
        this.tasks.delete(key);
        this.ctx.metrics.jobsInFlight.set(this.tasks.size);
        this.poke();
      }
    })();
    this.tasks.set(key, p);
  }

  private onTaskError(jobId: bigint, e: unknown): void {
    const { store, log, metrics } = this.ctx;
    if (isProofworkError(e, WorkerErrorCodes.WORKER_STOPPING) || this.abort.signal.aborted) {
      log.info(
        { jobId: jobId.toString(), state: store.isOpen ? store.getJob(jobId)?.state : undefined },
        "job parked for restart",
      );
      return;
    }
    const code = e instanceof ProofworkError ? e.code : "UNEXPECTED";
    const row = store.getJob(jobId);
    log.error({ jobId: jobId.toString(), state: row?.state, code, err: errorMessage(e) }, "job failed");
    if (!row) return;
    if (
      code === WorkerErrorCodes.EXECUTION_FAILED &&
      (row.state === "claimed" || row.state === "executed") &&
      row.attempts < 2
    ) {
      // inference/proving may fail transiently (a prover thread died): retried next tick while the
      // deadline allows (an expired deadline fails the job with JOB_EXPIRED)
      store.updateJob(jobId, { attempts: row.attempts + 1, error: errorMessage(e) });
      log.warn({ jobId: jobId.toString(), attempt: row.attempts + 1 }, "retrying execution");
      return;
    }
    const fatal =
      code === WorkerErrorCodes.JOB_EXPIRED ||
      code === WorkerErrorCodes.SUBMIT_FAILED ||
      code === WorkerErrorCodes.EXECUTION_FAILED;
    if (fatal && ACTIVE_STATES.includes(row.state)) {
      store.transition(jobId, "failed", { reason: code, error: errorMessage(e) });
      metrics.jobsFailed.inc({ reason: code });
    } else if (row.state === "discovered") {
      store.updateJob(jobId, { error: errorMessage(e) });
    }
    // other states (transient RPC trouble while claiming/submitting/settling): retried next tick
  }

  /**
   * Our claim was confirmed but the job is open again: a reorg removed the claim's block. The same
   * signed claim is sent again; true when the chain has our claim back (the job's new deadline and
   * price are stored). Otherwise the claim tx is left `dropped` and the caller abandons the job.
   */
  private async restoreClaim(jobId: bigint): Promise<boolean> {
    const { store, tx, reader, log } = this.ctx;
    const claim = store.txsFor(jobId, "claim").find((t) => t.status === "mined");
    if (!claim) return false;
    try {
      const mined = await tx.restoreReorgedOut(claim.hash);
      if (mined === null || !mined.success) return false;
    } catch (e) {
      log.warn({ jobId: jobId.toString(), err: errorMessage(e) }, "reorged-out claim could not be restored");
      return false;
    }
    const job = await reader.getJob(jobId);
    if (job.status !== JobStatus.Claimed || getAddress(job.provider) !== getAddress(this.ctx.address))
      return false;
    store.updateJob(jobId, { deadline: job.deadline, price: job.price });
    log.warn({ jobId: jobId.toString(), deadline: job.deadline }, "claim re-established after a reorg");
    return true;
  }

  /** Drives a claimed job to `completed` from whatever durable state it is in. */
  private async drive(jobId: bigint): Promise<void> {
    const { store, artifacts, reader } = this.ctx;
    const signal = this.abort.signal;
    let row = store.getJob(jobId)!;
    if (row.state === "claimed" || row.state === "executed") {
      let job = await reader.getJob(jobId);
      if (job.status === JobStatus.Open && (await this.restoreClaim(jobId))) job = await reader.getJob(jobId);
      if (job.status !== JobStatus.Claimed || getAddress(job.provider) !== getAddress(this.ctx.address)) {
        throw new ProofworkError(
          WorkerErrorCodes.EXECUTION_FAILED,
          `job ${jobId} is no longer ours on-chain (status ${job.status}, provider ${job.provider === ZERO ? "none" : job.provider})`,
        );
      }
      const circuit = await artifacts.check(job.terms.circuitId);
      if (!circuit.ok)
        throw new ProofworkError(
          WorkerErrorCodes.EXECUTION_FAILED,
          `job ${jobId}: circuit not served: ${circuit.reason}`,
        );
      row = await executeAndProve(
        this.ctx,
        row,
        circuit.circuit,
        job.terms.inputCommitment,
        this.slots,
        signal,
      );
    }
    if (row.state === "proved" || row.state === "submitting") row = await submitJob(this.ctx, row, signal);
    // completed: the collector pays it out with others (settle.ts)
    if (row.state === "completed") this.poke();
  }
}
