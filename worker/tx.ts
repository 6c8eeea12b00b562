/**
 * Transaction sending for the provider key: one nonce allocator, EIP-1559 fees (worker/fees.ts),
 * sign → **store** → broadcast (a crash can only ever re-send the very same signed
 * transaction), receipts, fee bumping of stuck transactions (same nonce, so at most one of the
 * versions is ever mined and paid for); reverts are decoded by the SDK's one decoder.
 *
 * Nothing else in the worker sends transactions for the key, so the local nonce is authoritative
 * once `init` reconciled it with the chain and the store.
 */
import { Transaction, type Provider, type Signer, type TransactionReceipt } from "ethers";
import {
  ProofworkError,
  decodeRevert,
  errorMessage,
  findRevertData,
  type DecodedRevert,
} from "../sdk/node.ts";
import { DEFAULT_FEE_POLICY, bumpFees, estimateFees, type FeePolicy, type Fees } from "./fees.ts";
import type { Clock } from "./clock.ts";
import { WorkerErrorCodes } from "./errors.ts";
import { BOUNDARIES, noHooks, type Boundary, type WorkerHooks } from "./hooks.ts";
import type { Logger } from "./log.ts";
import type { WorkerMetrics } from "./metrics.ts";
import type { Store, TxKind, TxRow } from "./store.ts";

/** An ethers provider; raw JSON-RPC (`send`, for eth_feeHistory) is used when it has it. */
export type RpcProvider = Provider;

export interface TxSenderDeps {
  provider: RpcProvider;
  signer: Signer;
  store: Store;
  clock: Clock;
  log: Logger;
  metrics?: WorkerMetrics;
  hooks?: WorkerHooks;
}

export interface TxRequest {
  kind: TxKind;
  jobId: bigint | null;
  to: string;
  data: string;
  /** Skip estimation (and its revert check) with a fixed limit. */
  gasLimit?: bigint;
}

export interface SentTx {
  hash: string;
  nonce: number;
}

export interface MinedTx {
  hash: string;
  nonce: number;
  success: boolean;
  receipt: TransactionReceipt;
  /** Gas paid, wei. */
  gasCost: bigint;
  /** Decoded custom error of a reverted tx (`Name(args)`), when recoverable. */
  revert?: DecodedRevert;
}

function isRevertError(e: unknown): boolean {
  const msg = errorMessage(e).toLowerCase();
  return findRevertData(e) !== undefined || msg.includes("revert") || msg.includes("execution reverted");
}

function isAlreadyKnown(e: unknown): boolean {
  const m = errorMessage(e).toLowerCase();
  return m.includes("already known") || m.includes("known transaction") || m.includes("already imported");
}

function isNonceTooLow(e: unknown): boolean {
  const m = errorMessage(e).toLowerCase();
  return (
    m.includes("nonce too low") || m.includes("nonce has already been used") || m.includes("nonce is too low")
  );
}

// --------------------------------------------------------------------------------- sender

/** Serialises async critical sections. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

export class TxSender {
  private readonly mutex = new Mutex();
  /** Reorged-out transactions being re-sent now (by hash). */
  private readonly restoring = new Set<string>();
  private readonly lastCheck = new Map<string, number>();
  private nextNonce: number | null = null;
  private address = "";
  private chainId = 0n;
  private readonly hooks: WorkerHooks;

  constructor(
    private readonly deps: TxSenderDeps,
    readonly policy: FeePolicy = DEFAULT_FEE_POLICY,
  ) {
    this.hooks = deps.hooks ?? noHooks;
  }

  get from(): string {
    return this.address;
  }

  /**
   * Reconciles the store with the chain: settles stored transactions that were mined, marks those
   * whose nonce was used by another as dropped, re-broadcasts the rest (same bytes, same hash),
   * and sets the next nonce above both the chain's and the store's.
   */
  async init(): Promise<void> {
    const { provider, signer, store, log } = this.deps;
    this.address = await signer.getAddress();
    this.chainId = (await provider.getNetwork()).chainId;
    const latest = await provider.getTransactionCount(this.address, "latest");
    for (const tx of store.pendingTxs()) {
      const receipt = await provider.getTransactionReceipt(tx.hash);
      if (receipt) {
        this.recordReceipt(tx, receipt);
        continue;
      }
      if (tx.nonce < latest) {
        // the nonce is used; if no sibling was mined either, the original is simply gone
        store.finishTx(tx.hash, "dropped");
        continue;
      }
      await this.broadcast(tx.raw, tx.hash);
      log.info(
        { hash: tx.hash, nonce: tx.nonce, kind: tx.kind, jobId: tx.jobId?.toString() },
        "re-broadcast stored transaction",
      );
    }
    const pending = await provider.getTransactionCount(this.address, "pending");
    const stored = store.pendingTxs().reduce((m, t) => Math.max(m, t.nonce + 1), 0);
    this.nextNonce = Math.max(pending, stored, latest);
  }

  /** Fees the next transaction would pay. */
  fees(): Promise<Fees> {
    return estimateFees(this.deps.provider, this.policy);
  }

  /**
   * Estimates (a revert here throws TX_REVERTED with the decoded error, and nothing is sent),
   * signs, stores (running `persist` inside the same store transaction, e.g. the job's state
   * change), then broadcasts.
   */
  async send(req: TxRequest, persist?: (hash: string) => void): Promise<SentTx> {
    return this.mutex.run(async () => {
      const { provider, signer, store, clock, metrics } = this.deps;
      if (this.nextNonce === null) await this.init();
      let gasLimit = req.gasLimit;
      if (gasLimit === undefined) {
        try {
          const est = await provider.estimateGas({ from: this.address, to: req.to, data: req.data });
          gasLimit = (est * BigInt(this.policy.gasLimitPercent)) / 100n;
        } catch (e) {
          throw this.revertError(e, req);
        }
      }
      const fees = await this.fees();
      const nonce = this.nextNonce!;
      const signed = await signer.signTransaction({
        type: 2,
        chainId: this.chainId,
        nonce,
        to: req.to,
        data: req.data,
        value: 0n,
        gasLimit,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      });
      const hash = Transaction.from(signed).hash!;
      store.transaction(() => {
        store.insertTx({
          hash,
          jobId: req.jobId,
          kind: req.kind,
          nonce,
          raw: signed,
          ...fees,
          sentAt: clock.now(),
        });
        persist?.(hash);
      });
      this.nextNonce = nonce + 1;
      await this.hook(req.kind, "persisted", req.jobId, hash);
      await this.broadcast(signed, hash);
      metrics?.txSent.inc({ kind: req.kind });
      await this.hook(req.kind, "broadcast", req.jobId, hash);
      this.deps.log.debug(
        { hash, nonce, kind: req.kind, jobId: req.jobId?.toString(), gasLimit: gasLimit.toString() },
        "transaction sent",
      );
      return { hash, nonce };
    });
  }

  /**
   * Waits until one of the stored versions of the transaction with `nonce` is mined, bumping fees
   * when it is stuck. Rejects with TX_FAILED when the nonce was consumed by none of them, with
   * TIMEOUT-like SUBMIT/CLAIM errors left to the caller via `deadlineMs` (wall clock).
   */
  async waitMined(nonce: number, opts: { deadlineMs?: number; signal?: AbortSignal } = {}): Promise<MinedTx> {
    const { provider, store, clock } = this.deps;
    for (;;) {
      const versions = store.txsWithNonce(nonce);
      if (versions.length === 0)
        throw new ProofworkError(WorkerErrorCodes.TX_FAILED, `no stored transaction with nonce ${nonce}`);
      for (const v of versions) {
        const receipt = v.status === "dropped" ? null : await provider.getTransactionReceipt(v.hash);
        if (receipt) {
          await this.hook(v.kind, "mined", v.jobId, v.hash);
          const mined = this.recordReceipt(v, receipt);
          for (const other of versions)
            if (other.hash !== v.hash && other.status === "pending") store.finishTx(other.hash, "dropped");
          if (!mined.success) mined.revert = await this.replayRevert(v, receipt);
          return mined;
        }
      }
      const latestNonce = await provider.getTransactionCount(this.address, "latest");
      if (latestNonce > nonce) {
        // one more look: a receipt may have landed between the two reads
        const again = await Promise.all(versions.map((v) => provider.getTransactionReceipt(v.hash)));
        if (again.every((r) => r === null)) {
          for (const v of versions) store.finishTx(v.hash, "dropped");
          throw new ProofworkError(
            WorkerErrorCodes.TX_FAILED,
            `nonce ${nonce} was used by a transaction the worker did not send`,
            { nonce },
          );
        }
        continue;
      }
      const newest = versions[versions.length - 1]!;
      await this.ensureKnown(newest);
      if (opts.deadlineMs !== undefined && clock.now() > opts.deadlineMs) {
        throw new ProofworkError(WorkerErrorCodes.TX_FAILED, `transaction ${newest.hash} not mined in time`, {
          hash: newest.hash,
          nonce,
        });
      }
      if (clock.now() - newest.sentAt >= this.policy.bumpAfterMs) await this.bump(newest);
      await clock.sleep(this.policy.pollMs, opts.signal);
    }
  }

  /**
   * A transaction the store records as mined whose receipt the node no longer has: its block was
   * reorged out and the node did not take it back into its pool. Sends the same signed bytes again
   * (same nonce: it cannot be paid twice) and waits for them; resolves null when the transaction
   * is still on chain, rejects with TX_FAILED when its nonce went to another transaction.
   */
  async restoreReorgedOut(hash: string): Promise<MinedTx | null> {
    return (await this.restoreReorgedOutWithEarlier(hash)).mined;
  }

  /**
   * `restoreReorgedOut`, and the earlier transactions of this account the same reorg removed (its
   * receipt gone too; up to 16 nonces back): those are re-sent first, in nonce order, the same
   * signed bytes — else the gap below would hold this one back for ever. Each may now revert (a
   * step that depended on chain state the reorg changed) but it fills its nonce. Returns them.
   */
  async restoreReorgedOutWithEarlier(hash: string): Promise<{ mined: MinedTx | null; earlier: TxRow[] }> {
    const { provider, store, log } = this.deps;
    const row = store.getTx(hash);
    if (row?.status !== "mined" || (await provider.getTransactionReceipt(hash)) !== null)
      return { mined: null, earlier: [] };
    const earlier: TxRow[] = [];
    for (const t of store.minedTxsBelow(row.nonce, 16)) {
      if ((await provider.getTransactionReceipt(t.hash)) !== null) break;
      earlier.unshift(t);
    }
    const mine: string[] = [];
    try {
      for (const t of [...earlier, row]) {
        // another job's task may be restoring the same transaction: re-send and un-count it once
        if (this.restoring.has(t.hash)) continue;
        this.restoring.add(t.hash);
        mine.push(t.hash);
        log.warn(
          { hash: t.hash, nonce: t.nonce, kind: t.kind },
          "mined transaction reorged out; re-broadcasting it",
        );
        // its gas is no longer spent; waitMined records the new receipt's
        if (t.jobId !== null && t.gasUsed !== null && t.effectiveGasPrice !== null)
          store.addGasSpent(t.jobId, -(t.gasUsed * t.effectiveGasPrice));
        await this.broadcast(t.raw, t.hash);
      }
      for (const t of earlier) await this.waitMined(t.nonce);
      return { mined: await this.waitMined(row.nonce), earlier };
    } finally {
      for (const h of mine) this.restoring.delete(h);
    }
  }

  /**
   * Re-broadcasts a stored transaction the node does not know (stored, then the process died or
   * the broadcast failed before it reached the node). Same bytes: it cannot be paid twice.
   */
  private async ensureKnown(tx: TxRow): Promise<void> {
    const last = this.lastCheck.get(tx.hash) ?? 0;
    if (this.deps.clock.now() - last < 2_000) return;
    this.lastCheck.set(tx.hash, this.deps.clock.now());
    if ((await this.deps.provider.getTransaction(tx.hash)) === null) {
      this.deps.log.info(
        { hash: tx.hash, nonce: tx.nonce },
        "stored transaction unknown to the node; re-broadcasting",
      );
      await this.broadcast(tx.raw, tx.hash);
    }
  }

  /** Re-sends `tx` with the same nonce and data and higher fees (stored before broadcast). */
  private async bump(tx: TxRow): Promise<void> {
    await this.mutex.run(async () => {
      const { signer, store, clock, log, metrics } = this.deps;
      const parsed = Transaction.from(tx.raw);
      let market: Fees;
      try {
        market = await this.fees();
      } catch (e) {
        log.warn({ err: errorMessage(e), hash: tx.hash }, "not bumping: fee market above cap");
        return;
      }
      const fees = bumpFees(tx, market, this.policy);
      if (fees.maxFeePerGas <= tx.maxFeePerGas) {
        log.warn({ hash: tx.hash }, "stuck transaction already at the fee cap");
        return;
      }
      const signed = await signer.signTransaction({
        type: 2,
        chainId: this.chainId,
        nonce: tx.nonce,
        to: parsed.to,
        data: parsed.data,
        value: parsed.value,
        gasLimit: parsed.gasLimit,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      });
      const hash = Transaction.from(signed).hash!;
      store.insertTx({
        hash,
        jobId: tx.jobId,
        kind: tx.kind,
        nonce: tx.nonce,
        raw: signed,
        ...fees,
        sentAt: clock.now(),
      });
      await this.broadcast(signed, hash);
      metrics?.txBumped.inc({ kind: tx.kind });
      log.info(
        { old: tx.hash, hash, nonce: tx.nonce, maxFeePerGas: fees.maxFeePerGas.toString() },
        "bumped stuck transaction",
      );
    });
  }

  private async broadcast(raw: string, hash: string): Promise<void> {
    try {
      await this.deps.provider.broadcastTransaction(raw);
    } catch (e) {
      if (isAlreadyKnown(e)) return;
      if (isRevertError(e)) {
        // an automining node (Hardhat) mines at once and reports the revert here: the tx is on
        // chain, its receipt (status 0) will say so
        this.deps.log.debug({ hash }, "broadcast: mined and reverted");
        return;
      }
      if (isNonceTooLow(e)) {
        // mined already (receipt will show) or replaced; waitMined sorts it out
        this.deps.log.debug({ hash }, "broadcast: nonce already used");
        return;
      }
      throw new ProofworkError(
        WorkerErrorCodes.TX_FAILED,
        `broadcast of ${hash} failed: ${errorMessage(e).split("\n")[0]}`,
        { hash },
        { cause: e },
      );
    }
  }

  private recordReceipt(tx: TxRow, receipt: TransactionReceipt): MinedTx {
    const { store, metrics } = this.deps;
    const success = receipt.status === 1;
    const price = receipt.gasPrice;
    const gasCost = receipt.gasUsed * price;
    store.finishTx(tx.hash, success ? "mined" : "reverted", {
      gasUsed: receipt.gasUsed,
      effectiveGasPrice: price,
      blockNumber: receipt.blockNumber,
    });
    if (tx.jobId !== null) store.addGasSpent(tx.jobId, gasCost);
    metrics?.gasSpentWei.inc({ kind: tx.kind }, Number(gasCost));
    return { hash: tx.hash, nonce: tx.nonce, success, receipt, gasCost };
  }

  /** Re-runs a reverted transaction as a call on the parent block to recover its custom error. */
  private async replayRevert(tx: TxRow, receipt: TransactionReceipt): Promise<DecodedRevert | undefined> {
    const parsed = Transaction.from(tx.raw);
    try {
      await this.deps.provider.call({
        from: this.address,
        to: parsed.to,
        data: parsed.data,
        blockTag: receipt.blockNumber - 1,
      });
      return undefined;
    } catch (e) {
      return decodeRevert(findRevertData(e));
    }
  }

  private revertError(e: unknown, req: TxRequest): ProofworkError {
    if (e instanceof ProofworkError) return e;
    const revert = decodeRevert(findRevertData(e));
    if (revert || isRevertError(e)) {
      return new ProofworkError(
        WorkerErrorCodes.TX_REVERTED,
        `${req.kind}${req.jobId !== null ? ` of job ${req.jobId}` : ""} would revert: ${revert?.text ?? errorMessage(e).split("\n")[0]}`,
        { revert: revert?.name, args: revert?.args.map(String) },
        { cause: e },
      );
    }
    return new ProofworkError(
      WorkerErrorCodes.TX_FAILED,
      `${req.kind}: ${errorMessage(e).split("\n")[0]}`,
      {},
      { cause: e },
    );
  }

  private async hook(
    kind: TxKind,
    phase: "persisted" | "broadcast" | "mined",
    jobId: bigint | null,
    hash: string,
  ): Promise<void> {
    const name = kind.startsWith("batch-") ? `batch.${kind.slice(6)}.${phase}` : `${kind}.${phase}`;
    if (!(BOUNDARIES as readonly string[]).includes(name)) return;
    const b = name as Boundary;
    await this.hooks.at(b, { jobId: jobId ?? undefined, txHash: hash });
  }
}

/** The decoded revert carried by a TX_REVERTED error, if any. */
export function revertName(e: unknown): string | undefined {
  if (e instanceof ProofworkError && typeof e.details.revert === "string") return e.details.revert;
  return undefined;
}
