/**
 * The worker's batch mode (docs/BATCH.md): a second kind of job next to the single-job pipeline,
 * driven by the same main loop (worker/pipeline.ts calls `onEvent`, `evaluateOpen` and `ensureTasks`
 * every tick) with the same parts: the monitor's durable log cursor finds `BatchPosted`, the
 * artifact manager serves the circuit, the job runner executes and proves, the tx sender signs,
 * stores and sends (one nonce allocator for both markets), the store keeps every step.
 *
 * One supervised task per owned job walks it through claim → run all N samples → persist and
 * publish the outputs → commit → (record the randomness) → prove the k drawn samples → wait out
 * the challenge window, answering a challenge at once → settle. Each step is stored before the
 * next begins (worker/batch/store.ts), so a killed worker resumes exactly there: a stored
 * transaction is waited for (or re-sent as the same bytes), never sent twice.
 *
 * Inputs are fetched and checked (hash and root) **before** claiming: a job whose data does not
 * match its commitments is refused with a coded reason and never claimed. A sample whose committed
 * output is not what the circuit computes cannot be proven; the worker logs it and leaves the job
 * to be slashed at its deadline (it only happens with the test-only `batchOutputs` fault hook).
 *
 * A retryable refusal (inputs unreachable, artifacts not yet served, a claim not sent) is evaluated
 * again after a backoff that doubles per attempt (`batchRetryBaseMs`, capped at 64×), not every
 * tick: a dataset is not downloaded again every poll. A job's directory (its inputs copy and
 * outputs) is removed once the job is over (paid, failed, refused for good, taken by another) and
 * swept at start for jobs that ended while the worker was down; published outputs files stay.
 */
import { Transaction, getAddress, toBeHex, zeroPadValue, type Log } from "ethers";
import { readFile, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  BatchStatus,
  batchJobKey,
  batchKeyHash,
  batchPriceAt,
  batchSampleProof,
  batchSeed,
  batchVerifyingKey,
  blockHeaderRlp,
  decodeBatchTerms,
  inputOfFile,
  prevRandaoOfHeader,
  sampleIndices,
  type BatchRecord,
  type BatchSampleProof,
  type BatchVerifyingKey,
  type RawBlock,
  ErrorCodes,
  ProofworkError,
  batchMarketInterface,
  errorMessage,
  exportVerificationKey,
  isProofworkError,
  isSamplingJob,
  outputElements,
  samplingChunks,
  samplingProofInputs,
  type OnChainProof,
} from "../../sdk/node.ts";
import type { CircuitArtifacts } from "../artifacts.ts";
import { computeWitness } from "../runner.ts";
import { WorkerErrorCodes } from "../errors.ts";
import type { WorkerContext } from "../context.ts";
import type { Boundary } from "../hooks.ts";
import type { ChainEvent } from "../monitor.ts";
import type { TxKind } from "../store.ts";
import type { MinedTx } from "../tx.ts";
import { evaluateBatch, type BatchRefusal } from "./evaluate.ts";
import {
  buildOutputs,
  checkSamplingCircuit,
  jobDir,
  loadInputs,
  persistOutputs,
  publishOutputs,
  readOutputs,
  runBatch,
  type BatchInputs,
  type BatchOutputs,
} from "./data.ts";
import {
  BATCH_STATES,
  BUSY_BATCH_STATES,
  BatchStore,
  OWNED_BATCH_STATES,
  type BatchRow,
  type BatchState,
} from "./store.ts";

const ZERO_WORD = "0x" + "00".repeat(32);
/** blockhash reaches back this many blocks. */
const BLOCKHASH_WINDOW = 256;
/** The longest retry backoff, in multiples of `batchRetryBaseMs`. */
const RETRY_MAX_FACTOR = 64;
/** States after which a job's files are not needed any more. */
const OVER: readonly BatchState[] = ["paid", "failed", "taken"];

/** A parsed BatchMarket log. */
interface BatchLog {
  name: string;
  args: Record<string, unknown> & unknown[];
  blockNumber: number;
}

export class BatchDriver {
  readonly store: BatchStore;
  private readonly tasks = new Map<string, Promise<void>>();
  private readonly inputs = new Map<string, Promise<BatchInputs>>();
  private readonly keys = new Map<string, Promise<{ key: BatchVerifyingKey; hash: string }>>();
  /** Retryable refusals: attempts so far and when the next may start (clock ms; in memory). */
  private readonly retries = new Map<string, { attempts: number; at: number }>();
  readonly market: string;

  constructor(
    private readonly ctx: WorkerContext,
    private readonly signal: AbortSignal,
    /** True once the worker's intake closed: waiting tasks park instead of holding the stop. */
    private readonly draining: () => boolean,
    private readonly poke: () => void,
  ) {
    this.store = new BatchStore(ctx.store, () => ctx.clock.now());
    this.market = getAddress(ctx.reader.addresses.batchMarket!);
  }

  get inFlight(): number {
    return this.tasks.size;
  }

  /** Ids of the batch jobs with a running task (`batch:<id>`). */
  taskKeys(): string[] {
    return [...this.tasks.keys()].map((k) => `batch:${k}`);
  }

  taskPromises(): Promise<void>[] {
    return [...this.tasks.values()];
  }

  // ------------------------------------------------------------------------------- events

  /** Applies one BatchMarket event inside the monitor's store transaction (synchronous). */
  onEvent(ev: ChainEvent): void {
    const jobId = ev.args.jobId as bigint | undefined;
    if (jobId === undefined) return;
    const row = this.store.get(jobId);
    const idle = row !== null && (row.state === "discovered" || row.state === "refused");
    switch (ev.name) {
      case "BatchPosted": {
        const terms = decodeBatchTerms(ev.args.terms as object);
        if (this.store.insert(jobId, terms, String(ev.args.inputsURI), ev.blockNumber)) {
          this.ctx.log.debug({ batchJobId: jobId.toString(), samples: terms.numSamples }, "batch job posted");
        }
        break;
      }
      case "BatchClaimed":
        if (
          idle &&
          getAddress(String(ev.args.provider)) !== this.ctx.address &&
          !this.tasks.has(key(jobId))
        ) {
          this.store.transition(jobId, "taken", { reason: "claimed_by_other" });
          this.over(jobId);
        }
        break;
      case "BatchCancelled":
      case "BatchReclaimed":
        if (idle && !this.tasks.has(key(jobId))) {
          this.store.transition(jobId, "taken", { reason: ev.name });
          this.over(jobId);
        }
        break;
      default:
        break;
    }
  }

  // ------------------------------------------------------------------------------- evaluate + claim

  /** Evaluates open batch jobs and starts a claim for each acceptable one. */
  async evaluateOpen(activeSingleJobs: number): Promise<void> {
    const { reader, settings, chainClock } = this.ctx;
    const candidates = this.store
      .list(["discovered", "refused"])
      .filter(
        (r) =>
          (r.state === "discovered" || (r.retryable && this.retryDue(r.jobId))) &&
          !this.tasks.has(key(r.jobId)),
      );
    if (candidates.length === 0) return;
    let freeStake = await reader.freeStake(this.ctx.address);
    let started = 0; // claims started this round (their rows may not be `claiming` yet)
    for (const row of candidates) {
      if (this.signal.aborted || this.draining()) return;
      // jobs that only wait out their challenge window do not take a slot
      const busy = this.store.count(BUSY_BATCH_STATES) + activeSingleJobs + started;
      if (busy >= settings.maxConcurrentJobs) return; // evaluated again once a job finishes
      const slot = await this.batchSlot(row.jobId);
      if (slot.status !== BatchStatus.Open) {
        this.store.transition(row.jobId, "taken", { reason: `status_${slot.status}` });
        this.over(row.jobId);
        continue;
      }
      const decision = await this.evaluate(row, freeStake, chainClock.nowSeconds());
      if (decision.accept) {
        freeStake -= row.terms.collateral;
        if (row.state === "refused")
          this.store.transition(row.jobId, "discovered", { reason: null, retryable: false, detail: null });
        this.startClaim(row.jobId);
        started++;
        continue;
      }
      this.refuse(row, decision.reason, decision.retryable, decision.detail);
    }
  }

  private async evaluate(
    row: BatchRow,
    freeStake: bigint,
    nowSec: number,
  ): Promise<{ accept: true } | { accept: false; reason: BatchRefusal; retryable: boolean; detail: string }> {
    const { settings } = this.ctx;
    const check = await this.ctx.artifacts.check(row.terms.circuitId);
    if (!check.ok) {
      return {
        accept: false,
        reason: check.reason,
        retryable: check.reason === "artifacts_unavailable" || check.reason === "circuit_inactive",
        detail: check.detail,
      };
    }
    const circuit = check.circuit;
    if (circuit.model === undefined || this.ctx.runner.infer === undefined) {
      return {
        accept: false,
        reason: "not_a_model_circuit",
        retryable: false,
        detail: `${circuit.name} proves no model (or the runner has no batch inference)`,
      };
    }
    // a sampling circuit has no key in the terms: its signal count is checked here, its shape by
    // a witness before the claim (startClaim)
    const keyHash = isSamplingJob(row.terms) ? row.terms.keyHash : (await this.keyOf(circuit)).hash;
    const decision = evaluateBatch({
      terms: row.terms,
      keyHash,
      circuitNumPublic: circuit.numPublic,
      price: batchPriceAt(row.terms, nowSec),
      nowSec,
      freeStake,
      minPrice: settings.batchMinPrice,
      maxSamples: settings.batchMaxSamples,
      samplesPerSecond: settings.batchSamplesPerSecond,
      proofSeconds: settings.defaultWorkSeconds,
      marginSec: settings.claimMarginSeconds,
      claimLatencySec: settings.claimLatencySeconds,
    });
    return decision;
  }

  /**
   * Records a refusal (once per reason) with its metric and log line; a retryable one is tried
   * again after its backoff, the files of a final one are removed.
   */
  private refuse(row: BatchRow, reason: string, retryable: boolean, detail: string): void {
    if (row.state === "discovered" || row.reason !== reason) {
      this.store.transition(row.jobId, "refused", { reason, retryable, detail });
      this.ctx.metrics.jobsRefused.inc({ reason });
      this.ctx.log.info({ batchJobId: row.jobId.toString(), reason, detail }, "batch job refused");
    }
    if (retryable) this.backoff(row.jobId);
    else this.over(row.jobId);
  }

  /** Whether a retryable refusal's backoff has passed. */
  private retryDue(jobId: bigint): boolean {
    const r = this.retries.get(key(jobId));
    return r === undefined || this.ctx.clock.now() >= r.at;
  }

  /** Schedules the next evaluation of a retryable refusal: base × 2^attempts, capped. */
  private backoff(jobId: bigint): void {
    const k = key(jobId);
    const attempts = (this.retries.get(k)?.attempts ?? 0) + 1;
    const base = this.ctx.settings.batchRetryBaseMs;
    const delay = Math.min(base * 2 ** (attempts - 1), base * RETRY_MAX_FACTOR);
    this.retries.set(k, { attempts, at: this.ctx.clock.now() + delay });
    this.ctx.log.debug(
      { batchJobId: jobId.toString(), attempts, retryInMs: delay },
      "batch job retry scheduled",
    );
  }

  /** The job is over for this worker: forget its retries and remove its files (in the background). */
  private over(jobId: bigint): void {
    this.retries.delete(key(jobId));
    void this.removeFiles(jobId);
  }

  private async removeFiles(jobId: bigint): Promise<void> {
    try {
      await rm(this.dir(jobId), { recursive: true, force: true });
    } catch (e) {
      this.ctx.log.warn(
        { batchJobId: jobId.toString(), err: errorMessage(e) },
        "batch job files not removed",
      );
    }
  }

  /**
   * Removes the directories of jobs that are over or unknown to the store (ended while the worker
   * was down, or a crash between the final state and the removal). Published outputs stay.
   */
  async sweep(): Promise<void> {
    const root = join(this.ctx.settings.dataDir, "batch");
    const prefix = `${this.ctx.chainId}-`;
    const names = await readdir(root).catch(() => [] as string[]);
    for (const name of names) {
      const id = name.startsWith(prefix) ? name.slice(prefix.length) : "";
      if (!/^\d+$/.test(id)) continue;
      const row = this.store.get(BigInt(id));
      if (row !== null && !OVER.includes(row.state) && !(row.state === "refused" && !row.retryable)) continue;
      await this.removeFiles(BigInt(id));
    }
  }

  /**
   * Checks the job's data (in the job's task, off the main loop: a large dataset takes a while),
   * then claims: the inputs file must be what the job committed to before anything is locked.
   */
  private startClaim(jobId: bigint): void {
    this.track(jobId, async () => {
      let row = this.store.get(jobId)!;
      const circuit = await this.circuit(row);
      this.ctx.log.info(
        { batchJobId: jobId.toString(), uri: row.inputsURI, samples: row.terms.numSamples },
        "checking batch inputs",
      );
      const loaded = await loadInputs(this.dir(jobId), row.inputsURI, row.terms, circuit.model!);
      if (!loaded.ok) return this.refuse(row, loaded.reason, loaded.retryable, loaded.detail);
      if (isSamplingJob(row.terms)) {
        const fits = await checkSamplingCircuit(circuit, loaded.inputs, row.terms.slots);
        if (!fits.ok) return this.refuse(row, "not_a_sampling_circuit", false, fits.detail);
      }
      this.retries.delete(key(jobId));
      this.inputs.set(key(jobId), Promise.resolve(loaded.inputs));
      if (this.signal.aborted || this.draining()) throw stopping();
      row = this.store.get(jobId)!;
      if (row.state !== "discovered") return; // taken meanwhile (event)
      const data = batchMarketInterface.encodeFunctionData("claim", [jobId, row.terms]);
      try {
        await this.send(jobId, "batch-claim", "claiming", data);
      } catch (e) {
        if (isProofworkError(e, ErrorCodes.WORKER_STOPPING)) throw e;
        const slot = await this.batchSlot(jobId);
        const now = this.store.get(jobId)!;
        if (now.state === "discovered") {
          if (slot.status !== BatchStatus.Open) {
            this.store.transition(jobId, "taken", { reason: "claim_lost" });
            this.over(jobId);
          } else {
            this.store.transition(jobId, "refused", {
              reason: "claim_failed",
              retryable: true,
              detail: errorMessage(e),
            });
            this.backoff(jobId);
          }
          this.ctx.log.warn({ batchJobId: jobId.toString(), err: errorMessage(e) }, "batch claim not sent");
          return;
        }
      }
      await this.drive(jobId);
    });
  }

  // ------------------------------------------------------------------------------- tasks

  /** Makes sure every owned batch job has its (single) task. */
  ensureTasks(): void {
    if (this.signal.aborted) return;
    for (const row of this.store.list(OWNED_BATCH_STATES)) {
      if (this.tasks.has(key(row.jobId))) continue;
      // a proven job with nothing to do yet is not re-driven while stopping
      if (this.draining() && row.state === "proven") continue;
      this.track(row.jobId, () => this.drive(row.jobId));
    }
    for (const s of BATCH_STATES) this.ctx.metrics.batchJobsByState.set({ state: s }, this.store.count([s]));
  }

  private track(jobId: bigint, fn: () => Promise<void>): void {
    const k = key(jobId);
    if (this.tasks.has(k)) return;
    const p = (async () => {
      try {
        await fn();
      } catch (e) {
        this.onTaskError(jobId, e);
      } finally {
        this.tasks.delete(k);
        this.poke();
      }
    })();
    this.tasks.set(k, p);
  }

  private onTaskError(jobId: bigint, e: unknown): void {
    const { log } = this.ctx;
    if (isProofworkError(e, ErrorCodes.WORKER_STOPPING) || this.signal.aborted) {
      log.info({ batchJobId: jobId.toString(), state: this.stateOf(jobId) }, "batch job parked for restart");
      return;
    }
    const code = e instanceof ProofworkError ? e.code : "UNEXPECTED";
    // transient (RPC, a failed send): the job stays in its durable state and is driven again next tick
    log.error(
      { batchJobId: jobId.toString(), state: this.stateOf(jobId), code, err: errorMessage(e) },
      "batch job step failed; retrying next tick",
    );
  }

  private stateOf(jobId: bigint): BatchState | undefined {
    return this.ctx.store.isOpen ? this.store.get(jobId)?.state : undefined;
  }

  /** Drives an owned job from its durable state until it is paid, failed or the worker stops. */
  private async drive(jobId: bigint): Promise<void> {
    for (;;) {
      if (this.signal.aborted) throw stopping();
      const row = this.store.get(jobId)!;
      switch (row.state) {
        case "claiming":
          await this.afterClaim(row);
          break;
        case "claimed":
          await this.run(row);
          break;
        case "executed":
          await this.commit(row);
          break;
        case "committing":
          await this.afterCommit(row);
          break;
        case "committed":
        case "sampled":
          await this.prove(row);
          break;
        case "sampling":
          await this.afterSample(row);
          break;
        case "proving":
          await this.afterProve(row);
          break;
        case "proven":
          await this.watch(row);
          break;
        case "challenged":
          await this.answer(row);
          break;
        case "answering":
        case "settling":
          await this.afterPayment(row);
          break;
        default:
          this.inputs.delete(key(jobId));
          return;
      }
    }
  }

  // ------------------------------------------------------------------------------- steps

  private async afterClaim(row: BatchRow): Promise<void> {
    const mined = await this.waitStored(row);
    const claimed = await this.eventOf(row, mined, "BatchClaimed");
    if (claimed && getAddress(String(claimed.args.provider)) === this.ctx.address) {
      this.store.transition(row.jobId, "claimed", {
        claimedAt: Number(claimed.args.claimedAt),
        pendingTx: null,
      });
      this.ctx.metrics.jobsClaimed.inc();
      this.ctx.log.info(
        { batchJobId: row.jobId.toString(), price: String(claimed.args.price), hash: mined?.hash },
        "batch job claimed",
      );
      await this.hook("batch.claimed", row.jobId);
      return;
    }
    if (mined === null && (await this.batchSlot(row.jobId)).status === BatchStatus.Open) {
      this.store.transition(row.jobId, "discovered", { pendingTx: null }, "claim tx dropped");
      throw new ProofworkError(ErrorCodes.TX_FAILED, `batch claim of job ${row.jobId} was dropped`);
    }
    this.store.transition(row.jobId, "taken", { reason: "claim_lost", pendingTx: null });
    this.ctx.metrics.claimsLost.inc();
    this.ctx.log.info({ batchJobId: row.jobId.toString() }, "batch claim lost");
  }

  private async run(row: BatchRow): Promise<void> {
    const { ctx } = this;
    if (await this.expired(row, row.claimedAt! + row.terms.commitWindow, "commit")) return;
    const circuit = await this.circuit(row);
    const inputs = await this.inputsOf(row, circuit);
    const jobKey = batchJobKey(ctx.chainId, this.market, row.jobId, ctx.address);
    const t0 = ctx.clock.now();
    let outputs = await runBatch({
      jobId: row.jobId,
      runner: ctx.runner,
      circuit,
      inputs,
      chunk: ctx.settings.batchChunkSize,
      salt: jobKey,
      log: ctx.log,
      metrics: ctx.metrics,
      signal: this.signal,
    });
    ctx.metrics.inferenceSeconds.observe((ctx.clock.now() - t0) / 1000);
    if (ctx.hooks.batchOutputs) outputs = ctx.hooks.batchOutputs(row.jobId, outputs);
    const built = await buildOutputs(inputs.commitments, outputs, row.terms.treeDepth);
    const dir = this.dir(row.jobId);
    const persisted = await persistOutputs(dir, built.file);
    const uri = await publishOutputs(
      persisted,
      ctx.settings.batchPublishDir ?? join(ctx.settings.dataDir, "batch", "published"),
      ctx.settings.batchPublishBaseUri,
      ctx.chainId,
      row.jobId,
      built.hash,
    );
    this.store.transition(row.jobId, "executed", {
      outputsRoot: built.root,
      outputsHash: built.hash,
      outputsURI: uri,
    });
    ctx.log.info(
      { batchJobId: row.jobId.toString(), outputsRoot: built.root, uri },
      "batch outputs persisted and published",
    );
    await this.hook("batch.outputsPersisted", row.jobId);
  }

  private async commit(row: BatchRow): Promise<void> {
    if (await this.expired(row, row.claimedAt! + row.terms.commitWindow, "commit")) return;
    const data = batchMarketInterface.encodeFunctionData("commit", [
      row.jobId,
      row.terms,
      row.claimedAt!,
      row.outputsRoot!,
      row.outputsHash!,
      row.outputsURI!,
    ]);
    await this.send(row.jobId, "batch-commit", "committing", data);
  }

  private async afterCommit(row: BatchRow): Promise<void> {
    const committed = await this.eventOf(row, await this.waitStored(row), "BatchCommitted");
    if (committed) {
      this.store.transition(row.jobId, "committed", { sampleBlock: Number(committed.args.sampleBlock) });
      this.ctx.log.info(
        { batchJobId: row.jobId.toString(), sampleBlock: Number(committed.args.sampleBlock) },
        "batch outputs committed",
      );
      await this.hook("batch.committed", row.jobId);
      return;
    }
    this.store.transition(row.jobId, "executed", { pendingTx: null }, "commit not mined: resend");
  }

  /** Proves the drawn samples (recording the randomness first when proving starts late). */
  private async prove(row: BatchRow): Promise<void> {
    const { ctx } = this;
    const slot = await this.batchSlot(row.jobId);
    if (slot.status === BatchStatus.Claimed) return this.reorgedOut(row, "commit");
    if (row.state === "sampled" && slot.status === BatchStatus.Committed)
      return this.reorgedOut(row, "sample");
    if (slot.status === BatchStatus.Slashed) return this.fail(row, "slashed", "slashed on-chain");
    if (row.state === "committed" && slot.status === BatchStatus.Sampled) {
      // a sample the worker re-sent after a reorg mined: take its recorded randomness
      const sampled = (await this.events(row)).findLast((l) => l.name === "BatchSampled");
      if (sampled !== undefined) {
        this.store.transition(
          row.jobId,
          "sampled",
          { randomness: String(sampled.args.randomness) },
          "randomness recorded on chain",
        );
        return;
      }
    }
    if (ctx.chainClock.nowSeconds() >= slot.deadline) {
      return this.fail(row, "expired", `prove deadline ${slot.deadline} passed`);
    }
    const sampleBlock = row.sampleBlock!;
    const head = await this.waitForBlock(sampleBlock);
    const late = head - sampleBlock;
    let randomness = row.randomness;
    let header = "0x";
    if (row.state === "committed") {
      if (late >= BLOCKHASH_WINDOW) {
        return this.fail(row, "randomness_expired", `sample block ${sampleBlock} is ${late} blocks old`);
      }
      header = await this.header(sampleBlock);
      if (late >= ctx.settings.batchSampleMarginBlocks) {
        const data = batchMarketInterface.encodeFunctionData("sample", [
          row.jobId,
          row.terms,
          this.record(row),
          header,
        ]);
        await this.send(row.jobId, "batch-sample", "sampling", data);
        return;
      }
      randomness = prevRandaoOfHeader(header);
    }
    const seed = batchSeed(randomness!, ctx.chainId, this.market, row.jobId);
    const indices = sampleIndices(seed, row.terms.numSamples, row.terms.sampleSize);
    ctx.log.info({ batchJobId: row.jobId.toString(), indices }, "batch samples drawn");
    const data = await this.proofCall(row, indices, header);
    if (data === null) return;
    await this.send(row.jobId, "batch-prove", "proving", data);
  }

  private async afterSample(row: BatchRow): Promise<void> {
    const sampled = await this.eventOf(row, await this.waitStored(row), "BatchSampled");
    if (sampled) {
      this.store.transition(row.jobId, "sampled", { randomness: String(sampled.args.randomness) });
      this.ctx.log.info({ batchJobId: row.jobId.toString() }, "batch randomness recorded");
      await this.hook("batch.sampled", row.jobId);
      return;
    }
    this.store.transition(row.jobId, "committed", { pendingTx: null }, "sample not mined: retry");
  }

  private async afterProve(row: BatchRow): Promise<void> {
    const proven = await this.eventOf(row, await this.waitStored(row), "BatchProven");
    if (proven) {
      this.store.transition(row.jobId, "proven", {});
      this.ctx.log.info(
        { batchJobId: row.jobId.toString(), challengeDeadline: Number(proven.args.challengeDeadline) },
        "batch samples proven",
      );
      await this.hook("batch.proven", row.jobId);
      return;
    }
    const back: BatchState = row.randomness !== null ? "sampled" : "committed";
    this.store.transition(row.jobId, back, { pendingTx: null }, "prove not mined: retry");
  }

  /** Waits out the challenge window; answers a challenge at once; settles after the window. */
  private async watch(row: BatchRow): Promise<void> {
    const { ctx } = this;
    for (;;) {
      const slot = await this.batchSlot(row.jobId);
      if (slot.status === BatchStatus.Challenged) {
        const ev = (await this.events(row)).find((l) => l.name === "BatchChallenged");
        if (ev !== undefined) {
          const indices = (ev.args.indices as bigint[]).map(Number);
          this.store.transition(row.jobId, "challenged", { challenged: indices });
          ctx.log.warn({ batchJobId: row.jobId.toString(), indices }, "batch job challenged");
          return;
        }
        // the node's logs lag its state: read them again next round
      }
      if (slot.status === BatchStatus.Paid) return this.paid(row, null);
      if (slot.status === BatchStatus.Slashed) return this.fail(row, "slashed", "slashed on-chain");
      if (slot.status === BatchStatus.Committed || slot.status === BatchStatus.Sampled)
        return this.reorgedOut(row, "prove");
      // the reorg took the commit too (and the sample and prove after it)
      if (slot.status === BatchStatus.Claimed) return this.reorgedOut(row, "commit");
      if (slot.status === BatchStatus.Proven && ctx.chainClock.nowSeconds() > slot.deadline) {
        const data = batchMarketInterface.encodeFunctionData("settle", [
          row.jobId,
          row.terms,
          this.record(row),
        ]);
        await this.send(row.jobId, "batch-settle", "settling", data);
        return;
      }
      if (this.draining()) throw stopping();
      await ctx.clock.sleep(ctx.settings.pollIntervalMs, this.signal);
      const head = await ctx.provider.getBlock("latest");
      if (head) ctx.chainClock.observe(head.timestamp);
    }
  }

  /**
   * The chain is behind the stored state: a reorg removed the commit, sample or prove transaction
   * that led to it, and the node did not take it back. Sends the same signed bytes again (same
   * nonce: it cannot land twice) and returns to the step's `…ing` state, whose handler reads the
   * outcome from the chain again (a re-mined commit has a new sample block). When the transaction
   * cannot be restored (its nonce went to another, or none is stored), the step is done anew.
   */
  private async reorgedOut(row: BatchRow, step: "commit" | "sample" | "prove"): Promise<void> {
    const { ctx } = this;
    const pending = { commit: "committing", sample: "sampling", prove: "proving" } as const;
    const redo: BatchState =
      step === "commit"
        ? "executed"
        : step === "sample"
          ? "committed"
          : row.randomness !== null
            ? "sampled"
            : "committed";
    ctx.log.warn(
      { batchJobId: row.jobId.toString(), state: row.state, tx: row.pendingTx },
      `our batch ${step} was reorged out: sending it again`,
    );
    const hash = row.pendingTx;
    if (hash !== null) {
      try {
        const stored = ctx.store.getTx(hash);
        const { earlier } = await ctx.tx.restoreReorgedOutWithEarlier(hash);
        // the commit went with the step(s) after it (a sample, a prove) in one reorg: the stored
        // transaction is the last of them, this job's commit is among the earlier ones re-sent first
        const commit =
          step === "commit" && stored?.kind !== "batch-commit"
            ? earlier.findLast((t) => t.kind === "batch-commit" && this.txJobId(t.raw) === row.jobId)
            : undefined;
        if (commit !== undefined) {
          this.store.transition(
            row.jobId,
            "committing",
            { pendingTx: commit.hash, sampleBlock: null, randomness: null },
            `commit ${commit.hash} and the ${stored?.kind ?? "step"} ${hash} after it reorged out: both re-sent`,
          );
          return;
        }
        this.store.transition(
          row.jobId,
          pending[step],
          { pendingTx: hash },
          `${step} ${hash} reorged out: re-sent`,
        );
        return;
      } catch (e) {
        if (!isProofworkError(e, WorkerErrorCodes.TX_FAILED)) throw e;
        ctx.log.warn(
          { batchJobId: row.jobId.toString(), err: errorMessage(e) },
          `batch ${step} cannot be restored`,
        );
      }
    }
    const patch =
      step === "commit" ? { pendingTx: null, sampleBlock: null, randomness: null } : { pendingTx: null };
    this.store.transition(row.jobId, redo, patch, `${step} reorged out: done anew`);
  }

  private async answer(row: BatchRow): Promise<void> {
    const slot = await this.batchSlot(row.jobId);
    if (slot.status === BatchStatus.Slashed) return this.fail(row, "slashed", "slashed on-chain");
    if (this.ctx.chainClock.nowSeconds() >= slot.deadline) {
      return this.fail(row, "expired", `answer deadline ${slot.deadline} passed`);
    }
    const indices = row.challenged ?? [];
    const data = await this.proofCall(row, indices);
    if (data === null) return;
    await this.send(row.jobId, "batch-answer", "answering", data);
  }

  /** `answering`/`settling`: the stored tx's outcome decides paid, or back a step. */
  private async afterPayment(row: BatchRow): Promise<void> {
    const mined = await this.waitStored(row);
    const slot = await this.batchSlot(row.jobId);
    if (slot.status === BatchStatus.Paid) return this.paid(row, mined);
    if (slot.status === BatchStatus.Slashed) return this.fail(row, "slashed", "slashed on-chain");
    const back: BatchState = row.state === "answering" ? "challenged" : "proven";
    this.store.transition(row.jobId, back, { pendingTx: null }, `${row.state} tx not mined: retry`);
  }

  private async paid(row: BatchRow, mined: MinedTx | null): Promise<void> {
    const ev = await this.eventOf(row, mined, "BatchPaid");
    const earned = ev !== undefined ? BigInt(ev.args.payout as bigint) : 0n;
    const answered = row.state === "answering";
    // paid on-chain: nothing needs the job's files any more (removed first, so `paid` implies it)
    this.inputs.delete(key(row.jobId));
    await this.removeFiles(row.jobId);
    this.store.transition(row.jobId, "paid", { earned, pendingTx: null }, mined?.hash);
    this.ctx.metrics.earningsWei.inc(Number(earned));
    this.ctx.metrics.jobsCompleted.inc();
    this.ctx.log.info(
      { batchJobId: row.jobId.toString(), earned: earned.toString(), answered },
      "batch job paid",
    );
    await this.hook(answered ? "batch.answered" : "batch.settled", row.jobId);
  }

  private fail(row: BatchRow, reason: string, detail: string): void {
    this.store.transition(row.jobId, "failed", { reason, detail, pendingTx: null });
    this.ctx.metrics.jobsFailed.inc({ reason });
    this.ctx.log.error({ batchJobId: row.jobId.toString(), reason, detail }, "batch job failed");
    this.inputs.delete(key(row.jobId));
    this.over(row.jobId);
  }

  /** Fails the job (true) when `deadline` passed. */
  private async expired(row: BatchRow, deadline: number, what: string): Promise<boolean> {
    if (this.ctx.chainClock.nowSeconds() < deadline) return false;
    const slot = await this.batchSlot(row.jobId);
    this.fail(
      row,
      slot.status === BatchStatus.Slashed ? "slashed" : "expired",
      `${what} deadline ${deadline} passed`,
    );
    return true;
  }

  /**
   * The calldata proving `indices` in the job's proof system: `prove`/`proveSampled` with the
   * sample block's `header`, or `answer`/`answerSampled` (no header); null when a sample cannot be
   * proven (the job failed).
   */
  private async proofCall(
    row: BatchRow,
    indices: readonly number[],
    header?: string,
  ): Promise<string | null> {
    const head = header === undefined ? [] : [header];
    if (isSamplingJob(row.terms)) {
      const proofs = await this.samplingProofsFor(row, indices);
      if (proofs === null) return null;
      return batchMarketInterface.encodeFunctionData(
        header === undefined ? "answerSampled" : "proveSampled",
        [row.jobId, row.terms, this.record(row), ...head, proofs],
      );
    }
    const proofs = await this.proofsFor(row, indices);
    if (proofs === null) return null;
    const { key } = await this.keyOf(await this.circuit(row));
    return batchMarketInterface.encodeFunctionData(header === undefined ? "answer" : "prove", [
      row.jobId,
      row.terms,
      this.record(row),
      ...head,
      key,
      proofs,
    ]);
  }

  /**
   * Real proofs of `indices` with their paths in both trees; null (and the job failed) when a
   * committed output is not the circuit's — such a sample cannot be proven, the deadline will pass.
   */
  private async proofsFor(row: BatchRow, indices: readonly number[]): Promise<BatchSampleProof[] | null> {
    const { ctx } = this;
    const circuit = await this.circuit(row);
    const inputs = await this.inputsOf(row, circuit);
    const outputs = await this.outputsOf(row, circuit, inputs);
    const jobKey = batchJobKey(ctx.chainId, this.market, row.jobId, ctx.address);
    const out: BatchSampleProof[] = [];
    for (const i of indices) {
      if (this.signal.aborted) throw stopping();
      const c = inputs.commitments[i]!;
      const bytes = inputOfFile(inputs.file, inputs.inputBytes, i);
      const exec = await ctx.runner.execute(circuit, bytes, { jobKey, inputCommitment: c });
      const committed = outputs.outputs[i]!;
      if (exec.outputs.length !== committed.length || exec.outputs.some((v, j) => v !== committed[j])) {
        this.fail(
          row,
          "unprovable",
          `sample ${i}: committed output ${committed.join(",")} is not the circuit's ${exec.outputs.join(",")}; it cannot be proven and the job will be slashed at its deadline`,
        );
        return null;
      }
      const t0 = ctx.clock.now();
      const proof = await ctx.runner.prove(circuit, exec.witness);
      ctx.metrics.provingSeconds.observe((ctx.clock.now() - t0) / 1000);
      out.push(batchSampleProof(i, c, committed, inputs.tree!, outputs.tree!, proof.proof as OnChainProof));
    }
    return out;
  }

  /**
   * A sampling-circuit job's proofs of `indices`: one real proof per chunk of `slots`
   * (`samplingProofInputs`), both paths inside the circuit; null (and the job failed) when a chunk
   * has no witness — a committed output that is not the model's cannot be proven.
   */
  private async samplingProofsFor(row: BatchRow, indices: readonly number[]): Promise<OnChainProof[] | null> {
    const { ctx } = this;
    const circuit = await this.circuit(row);
    const inputs = await this.inputsOf(row, circuit);
    const outputs = await this.outputsOf(row, circuit, inputs);
    const jobKey = batchJobKey(ctx.chainId, this.market, row.jobId, ctx.address);
    const chunks = samplingProofInputs(circuit.model!, {
      jobKey,
      slots: row.terms.slots,
      trees: { inputs: inputs.poseidon!, outputs: outputs.poseidon! },
      sample: (i) => inputOfFile(inputs.file, inputs.inputBytes, i),
      indices,
    });
    const out: OnChainProof[] = [];
    for (const [j, chunk] of chunks.entries()) {
      if (this.signal.aborted) throw stopping();
      const t0 = ctx.clock.now();
      let proof;
      try {
        proof = await ctx.runner.prove(circuit, chunk.input);
      } catch (e) {
        // only a chunk without a witness is unprovable (a committed output that is not the
        // model's); any other prover failure propagates and the step is tried again
        const witness = await computeWitness(circuit, chunk.input).then(
          () => undefined,
          (w: unknown) => w,
        );
        if (witness === undefined) throw e;
        this.fail(
          row,
          "unprovable",
          `chunk ${j} (indices ${samplingChunks(indices, row.terms.slots)[j]!.join(", ")}): ${errorMessage(witness)}; it cannot be proven and the job will be slashed at its deadline`,
        );
        return null;
      }
      out.push(proof.proof as OnChainProof);
      ctx.metrics.provingSeconds.observe((ctx.clock.now() - t0) / 1000);
    }
    return out;
  }

  // ------------------------------------------------------------------------------- helpers

  /** Signs, stores (moving the job to `pending` with the tx hash), broadcasts, waits for it. */
  private async send(jobId: bigint, kind: TxKind, pending: BatchState, data: string): Promise<void> {
    await this.ctx.tx.send({ kind, jobId: null, to: this.market, data }, (hash) => {
      this.store.transition(jobId, pending, { pendingTx: hash });
    });
    this.ctx.log.debug({ batchJobId: jobId.toString(), kind }, "batch transaction sent");
  }

  /** Waits for the stored transaction of an `…ing` state; null when it was dropped. */
  private async waitStored(row: BatchRow): Promise<MinedTx | null> {
    const stored = row.pendingTx === null ? null : this.ctx.store.getTx(row.pendingTx);
    if (stored === null) return null;
    try {
      const mined = await this.ctx.tx.waitMined(stored.nonce, { signal: this.signal });
      this.store.update(row.jobId, { gasSpent: (this.store.get(row.jobId)?.gasSpent ?? 0n) + mined.gasCost });
      if (!mined.success) {
        this.ctx.log.warn(
          { batchJobId: row.jobId.toString(), kind: stored.kind, revert: mined.revert?.text },
          "batch transaction reverted",
        );
      }
      return mined;
    } catch (e) {
      if (isProofworkError(e, ErrorCodes.WORKER_STOPPING) || this.signal.aborted) throw e;
      this.ctx.log.warn({ batchJobId: row.jobId.toString(), err: errorMessage(e) }, "batch transaction lost");
      return null;
    }
  }

  /** The batch job a signed BatchMarket transaction is for (its calls all take jobId first). */
  private txJobId(raw: string): bigint | undefined {
    try {
      const call = batchMarketInterface.parseTransaction({ data: Transaction.from(raw).data });
      return call === null ? undefined : BigInt(call.args[0] as bigint);
    } catch {
      return undefined;
    }
  }

  private async hook(b: Boundary, jobId: bigint): Promise<void> {
    await this.ctx.hooks.at(b, { jobId });
  }

  private dir(jobId: bigint): string {
    return jobDir(this.ctx.settings.dataDir, this.ctx.chainId, jobId);
  }

  private record(row: BatchRow): BatchRecord {
    return {
      provider: this.ctx.address,
      claimedAt: row.claimedAt ?? 0,
      outputsRoot: row.outputsRoot ?? ZERO_WORD,
      sampleBlock: row.sampleBlock ?? 0,
      randomness: row.randomness ?? ZERO_WORD,
      challenged: row.challenged ?? [],
    };
  }

  private async circuit(row: BatchRow): Promise<CircuitArtifacts> {
    const check = await this.ctx.artifacts.check(row.terms.circuitId);
    if (!check.ok) {
      throw new ProofworkError(
        ErrorCodes.EXECUTION_FAILED,
        `batch job ${row.jobId}: circuit not served: ${check.detail}`,
      );
    }
    return check.circuit;
  }

  /** The job's checked inputs (from memory, or re-read from its directory after a restart). */
  private inputsOf(row: BatchRow, circuit: CircuitArtifacts): Promise<BatchInputs> {
    const k = key(row.jobId);
    let p = this.inputs.get(k);
    if (p === undefined) {
      p = loadInputs(this.dir(row.jobId), row.inputsURI, row.terms, circuit.model!).then((r) => {
        if (!r.ok)
          throw new ProofworkError(ErrorCodes.EXECUTION_FAILED, `batch job ${row.jobId}: ${r.detail}`);
        return r.inputs;
      });
      p.catch(() => this.inputs.delete(k));
      this.inputs.set(k, p);
    }
    return p;
  }

  private async outputsOf(
    row: BatchRow,
    circuit: CircuitArtifacts,
    inputs: BatchInputs,
  ): Promise<BatchOutputs> {
    const perSample = outputElements(circuit.model!.output);
    return readOutputs(
      this.dir(row.jobId),
      inputs.commitments,
      perSample,
      row.outputsHash!,
      row.terms.treeDepth,
    );
  }

  /** The circuit's verifying key in the contract's encoding and its hash, from the verified zkey. */
  private keyOf(circuit: CircuitArtifacts): Promise<{ key: BatchVerifyingKey; hash: string }> {
    let p = this.keys.get(circuit.circuitId);
    if (p === undefined) {
      p = readFile(circuit.zkeyPath).then(async (zkey) => {
        const vkey = await exportVerificationKey(new Uint8Array(zkey));
        const k = batchVerifyingKey(vkey);
        return { key: k, hash: batchKeyHash(k) };
      });
      p.catch(() => this.keys.delete(circuit.circuitId));
      this.keys.set(circuit.circuitId, p);
    }
    return p;
  }

  private async batchSlot(jobId: bigint): Promise<{ status: number; deadline: number }> {
    const b = this.ctx.reader.contracts.batchMarket!;
    const slot = await b.getBatch(jobId);
    return { status: Number(slot.status), deadline: Number(slot.deadline) };
  }

  /**
   * The job's latest `name` event: from the mined transaction's own receipt when it has it (a
   * node's log index may lag its receipts), else from the job's logs.
   */
  private async eventOf(row: BatchRow, mined: MinedTx | null, name: string): Promise<BatchLog | undefined> {
    if (mined?.success) {
      for (const l of mined.receipt.logs) {
        if (getAddress(l.address) !== this.market) continue;
        const parsed = batchMarketInterface.parseLog(l);
        if (parsed?.name === name && BigInt(parsed.args[0] as bigint) === row.jobId) {
          return { name, args: parsed.args as unknown as BatchLog["args"], blockNumber: l.blockNumber };
        }
      }
    }
    return (await this.events(row)).find((l) => l.name === name);
  }

  /** Every BatchMarket log of the job since it was posted (all its events index jobId first). */
  private async events(row: BatchRow): Promise<BatchLog[]> {
    // in ranges of at most `logChunkSize` blocks (providers cap eth_getLogs ranges)
    // (the last range ends at "latest": a provider's cached block number may lag)
    const head = await this.ctx.provider.getBlockNumber();
    const step = Math.max(1, this.ctx.settings.logChunkSize);
    const logs: Log[] = [];
    for (let from = row.postedBlock; ; from += step) {
      const last = from + step - 1 >= head;
      logs.push(
        ...(await this.ctx.provider.getLogs({
          address: this.market,
          topics: [null, zeroPadValue(toBeHex(row.jobId), 32)],
          fromBlock: from,
          toBlock: last ? "latest" : from + step - 1,
        })),
      );
      if (last) break;
    }
    const out: BatchLog[] = [];
    for (const l of logs) {
      const parsed = batchMarketInterface.parseLog(l);
      if (parsed)
        out.push({
          name: parsed.name,
          args: parsed.args as unknown as BatchLog["args"],
          blockNumber: l.blockNumber,
        });
    }
    return out.reverse(); // newest first: `find` takes the latest of a kind
  }

  /** Waits until the chain's head reaches `block` (parks while stopping); returns the head. */
  private async waitForBlock(block: number): Promise<number> {
    for (;;) {
      const head = await this.ctx.provider.getBlockNumber();
      if (head >= block) return head;
      if (this.draining()) throw stopping();
      await this.ctx.clock.sleep(this.ctx.settings.pollIntervalMs, this.signal);
    }
  }

  private async header(block: number): Promise<string> {
    const rpc = this.ctx.provider as unknown as { send?: (m: string, p: unknown[]) => Promise<unknown> };
    if (typeof rpc.send !== "function") {
      throw new ProofworkError(ErrorCodes.RPC_FAILED, "the provider cannot send eth_getBlockByNumber");
    }
    const raw = (await rpc.send("eth_getBlockByNumber", [`0x${block.toString(16)}`, false])) as RawBlock;
    return blockHeaderRlp(raw);
  }
}

const key = (jobId: bigint): string => jobId.toString();
const stopping = (): ProofworkError => new ProofworkError(ErrorCodes.WORKER_STOPPING, "worker is stopping");
