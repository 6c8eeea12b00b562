/**
 * The requester client: post jobs (fixed price or Dutch-auction ramp, with EIP-2612 permit),
 * read them, wait for their results, cancel and reclaim them. Plain ethers v6; every dependency
 * (signer/provider, deployment record) is passed in.
 *
 * The market stores one slot per job (status, deadline, a commitment to the terms); the client
 * rebuilds a full job record from that slot, the terms in `JobPosted` and the claimer in
 * `JobClaimed` (see sdk/terms.ts), and passes the terms back to cancel/reclaim.
 */
import {
  Signature,
  getAddress,
  hexlify,
  isAddress,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type Provider,
  type Result,
  type Signer,
} from "ethers";
import { commitInput } from "./commitment.ts";
import { decodeTerms, inputFromPostCalldata, type JobTerms } from "./terms.ts";
import {
  connectContracts,
  guard,
  latestTimestamp,
  sendAndConfirm,
  type ProofworkContracts,
} from "./contracts.ts";
import { circuitRecord, type CircuitRecord, type Deployment } from "./deployments.ts";
import { ErrorCodes, ProofworkError } from "./errors.ts";
import { JobReader, JobStatus, type Job, type PostedRecord } from "./jobs.ts";

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** Pricing of a job: one fixed price, or a linear ramp from `min` to `max` over `rampDuration` s. */
export type Pricing = { price: bigint } | { minPrice: bigint; maxPrice: bigint; rampDuration: number };

export interface PostJobRequest {
  /** Circuit build name in the deployment (e.g. "mnist_mlp") or its bytes32 id. */
  circuit: string;
  /** Input bytes (posted inline: they stay in the posting transaction's calldata). */
  input: Uint8Array;
  /** Optional URI where the input can also be fetched. */
  inputURI?: string;
  pricing: Pricing;
  /** Collateral the provider locks (default: the max price). */
  collateral?: bigint;
  /** Seconds from now the job stays claimable (default 3600). */
  claimPeriod?: number;
  /** Seconds the provider has from its claim to prove (default 600). */
  executionWindow?: number;
  /** Use an EIP-2612 permit when the allowance is short (default true); else approve first. */
  permit?: boolean;
}

export interface PostedJob {
  jobId: bigint;
  /** The job's terms (pass them back to `cancel`/`reclaim`, or store them). */
  terms: JobTerms;
  txHash: string;
  blockNumber: number;
  gasUsed: bigint;
  inputCommitment: bigint;
  maxPrice: bigint;
  /** Whether the escrow was authorised with a permit (else an allowance). */
  usedPermit: boolean;
}

export interface JobResult {
  jobId: bigint;
  provider: string;
  outputs: bigint[];
  /** Price fixed by the claim. */
  price: bigint;
  /** Whether `collect` paid the job out yet (else payout/fee/refund are at the current fee). */
  paid: boolean;
  payout: bigint;
  fee: bigint;
  refund: bigint;
  txHash: string;
  blockNumber: number;
  gasUsed: bigint;
}

export interface WaitOptions {
  /** Give up after this many milliseconds (TIMEOUT). Default: no limit. */
  timeoutMs?: number;
  /** First block to search for the completion event (default: the deployment's start block). */
  fromBlock?: number;
  /** Abort waiting. */
  signal?: AbortSignal;
  /** Called on every status change (for progress output). */
  onStatus?: (job: Job) => void;
}

export interface ClientOptions {
  /** Blocks to wait after each transaction (default 1). */
  confirmations?: number;
  /** Maximum block range per eth_getLogs request (default 1000). */
  logChunkSize?: number;
  /** Poll interval while waiting, in ms (default 1000). */
  pollIntervalMs?: number;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Whether a runner can sign (a Signer rather than a bare Provider). */
export function isSigner(runner: Signer | Provider): runner is Signer {
  return "signMessage" in runner && typeof runner.signMessage === "function";
}

/** The runner as a Signer, for an action that sends a transaction (MISSING_KEY otherwise). */
export function requireSigner(runner: Signer | Provider): Signer {
  if (!isSigner(runner)) {
    throw new ProofworkError(
      ErrorCodes.MISSING_KEY,
      "this action sends a transaction: configure a private key",
    );
  }
  return runner;
}

/** Parses a user-given job id (BAD_NUMBER unless a positive integer). */
export function parseJobId(v: string | number | bigint): bigint {
  let id: bigint;
  try {
    id = typeof v === "bigint" ? v : BigInt(typeof v === "string" ? v.trim() : v);
  } catch {
    throw new ProofworkError(ErrorCodes.BAD_NUMBER, `job id must be a positive integer, got "${String(v)}"`);
  }
  if (id <= 0n)
    throw new ProofworkError(ErrorCodes.BAD_NUMBER, `job id must be a positive integer, got "${String(v)}"`);
  return id;
}

/** Parses an address (BAD_ADDRESS with the offending value otherwise). */
export function parseAddress(v: string, what = "address"): string {
  if (!isAddress(v))
    throw new ProofworkError(ErrorCodes.BAD_ADDRESS, `${what} is not a valid address: "${v}"`);
  return getAddress(v);
}

/** Resolves after the next block (or `ms`, whichever is first), or when aborted. */
function nextBlockOrTimeout(provider: Provider, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void provider.off("block", finish);
      signal?.removeEventListener("abort", finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    void provider.on("block", finish);
    signal?.addEventListener("abort", finish);
  });
}

// ---------------------------------------------------------------------------------------------
// The clients
// ---------------------------------------------------------------------------------------------

/**
 * What the requester's job and batch clients share: the deployment record, the runner (a signer,
 * or a provider for reading only) and its provider, confirmations, sending and circuit lookup.
 */
export abstract class ClientBase {
  readonly provider: Provider;
  protected readonly confirmations: number;

  /**
   * @param deployment Deployment record of the chain.
   * @param runner A signer (needed to send transactions) or a provider (read only).
   */
  constructor(
    readonly deployment: Deployment,
    readonly runner: Signer | Provider,
    options: { confirmations?: number } = {},
  ) {
    const provider = isSigner(runner) ? runner.provider : runner;
    if (provider === null)
      throw new ProofworkError(ErrorCodes.CONFIG_INVALID, "the signer is not connected to a provider");
    this.provider = provider;
    this.confirmations = options.confirmations ?? 1;
  }

  protected signer(): Signer {
    return requireSigner(this.runner);
  }

  protected send(
    action: string,
    tx: () => Promise<ContractTransactionResponse>,
  ): Promise<ContractTransactionReceipt> {
    return sendAndConfirm(action, this.confirmations, tx);
  }

  /** The deployment's record of a circuit given by name or bytes32 id. */
  circuit(nameOrId: string): CircuitRecord {
    return circuitRecord(this.deployment, nameOrId);
  }
}

export class RequesterClient extends ClientBase {
  readonly contracts: ProofworkContracts;
  /** Reads jobs (terms and claimers cached: they never change). */
  readonly jobs: JobReader;
  private readonly pollIntervalMs: number;

  /**
   * @param deployment Deployment record of the chain.
   * @param runner A signer (needed to post/cancel/reclaim) or a provider (read only).
   */
  constructor(deployment: Deployment, runner: Signer | Provider, options: ClientOptions = {}) {
    super(deployment, runner, options);
    this.contracts = connectContracts(deployment, runner);
    this.jobs = new JobReader(this.contracts.market, {
      fromBlock: deployment.startBlock,
      logChunkSize: options.logChunkSize ?? 1000,
    });
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
  }

  /** Latest block timestamp (chain time, which may differ from the wall clock on dev chains). */
  async chainTime(): Promise<bigint> {
    return BigInt(await latestTimestamp(this.provider));
  }

  /** Posts a job, escrowing its max price (permit or allowance). */
  async postJob(req: PostJobRequest): Promise<PostedJob> {
    const signer = this.signer();
    const owner = await signer.getAddress();
    const circuit = this.circuit(req.circuit);
    if (circuit.sampling !== undefined) {
      throw new ProofworkError(
        ErrorCodes.BAD_ARGUMENT,
        `circuit ${circuit.name} is a sampling circuit: it proves batch jobs only (post with --batch / BatchClient.postBatch)`,
      );
    }
    if (circuit.inputBytes > 0 && req.input.length !== circuit.inputBytes) {
      throw new ProofworkError(
        ErrorCodes.INPUT_INVALID,
        `circuit ${circuit.name} takes ${circuit.inputBytes} input bytes, got ${req.input.length}`,
      );
    }
    const { minPrice, maxPrice, rampDuration } =
      "price" in req.pricing
        ? { minPrice: req.pricing.price, maxPrice: req.pricing.price, rampDuration: 0 }
        : req.pricing;
    if (minPrice < 0n || maxPrice < minPrice) {
      throw new ProofworkError(ErrorCodes.BAD_NUMBER, `invalid pricing: min ${minPrice} > max ${maxPrice}`);
    }
    const inputCommitment = await commitInput(req.input);
    const now = await this.chainTime();
    const params = {
      circuitId: circuit.id,
      inputCommitment,
      input: hexlify(req.input),
      inputURI: req.inputURI ?? "",
      minPrice,
      maxPrice,
      rampDuration,
      collateral: req.collateral ?? maxPrice,
      claimDeadline: now + BigInt(req.claimPeriod ?? 3600),
      executionWindow: req.executionWindow ?? 600,
      verificationMode: 0,
    };
    const { market, token } = this.contracts;
    const marketAddress = await market.getAddress();
    const allowance = await guard("reading the token allowance", () => token.allowance(owner, marketAddress));
    let receipt: ContractTransactionReceipt;
    let usedPermit = false;
    if (allowance >= maxPrice || maxPrice === 0n) {
      receipt = await this.send("posting the job", () => market.postJob(params));
    } else if (req.permit ?? true) {
      const deadline = now + 3600n;
      const sig = await this.signPermit(owner, marketAddress, maxPrice, deadline);
      usedPermit = true;
      receipt = await this.send("posting the job with a permit", () =>
        market.postJobWithPermit(params, deadline, sig.v, sig.r, sig.s),
      );
    } else {
      await this.send("approving the token", () => token.approve(marketAddress, maxPrice));
      receipt = await this.send("posting the job", () => market.postJob(params));
    }
    const posted = receipt.logs
      .map((l) => market.interface.parseLog(l))
      .find((p) => p !== null && p.name === "JobPosted");
    if (posted === undefined || posted === null) {
      throw new ProofworkError(ErrorCodes.TX_REVERTED, `no JobPosted event in ${receipt.hash}`);
    }
    const jobId = posted.args.getValue("jobId") as bigint;
    const terms = decodeTerms(posted.args.getValue("terms") as Result);
    this.jobs.remember(jobId, {
      terms,
      inputURI: params.inputURI,
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
    });
    return {
      jobId,
      terms,
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
      inputCommitment,
      maxPrice,
      usedPermit,
    };
  }

  /** Signs an EIP-2612 permit of `value` to `spender`. */
  private async signPermit(
    owner: string,
    spender: string,
    value: bigint,
    deadline: bigint,
  ): Promise<Signature> {
    const { token } = this.contracts;
    const [d, nonce] = await guard("reading the token permit domain", () =>
      Promise.all([token.eip712Domain(), token.nonces(owner)]),
    );
    const domain = {
      name: d.name,
      version: d.version,
      chainId: d.chainId,
      verifyingContract: d.verifyingContract,
    };
    const types = {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    };
    const raw = await this.signer().signTypedData(domain, types, {
      owner,
      spender,
      value,
      nonce,
      deadline,
    });
    return Signature.from(raw);
  }

  /** The job's terms, input URI and posting transaction, from its `JobPosted` event. */
  async getTerms(jobId: bigint): Promise<PostedRecord> {
    return this.jobs.postedRecord(jobId);
  }

  /** The job: its slot, terms and claimer (JOB_NOT_FOUND for an unused id). */
  async getJob(jobId: bigint): Promise<Job> {
    return this.jobs.getJob(jobId);
  }

  /** The price a claim would fix now (an open job). */
  async currentPrice(jobId: bigint): Promise<bigint> {
    return this.jobs.currentPrice(jobId);
  }

  /** The `JobCompleted` event of a job (with its transaction), if it completed. */
  async findCompletion(jobId: bigint, fromBlock?: number): Promise<JobResult | undefined> {
    const log = await this.jobs.lastEvent("JobCompleted", jobId, fromBlock);
    if (log === undefined) return undefined;
    const receipt = await guard("reading the submit receipt", () =>
      this.provider.getTransactionReceipt(log.transactionHash),
    );
    const outputs = (log.args.getValue("outputs") as Result).toArray() as bigint[];
    const job = await this.getJob(jobId);
    const paidLog =
      job.status === JobStatus.Paid ? await this.jobs.lastEvent("JobPaid", jobId, fromBlock) : undefined;
    let payout: bigint, fee: bigint, refund: bigint;
    if (paidLog !== undefined) {
      payout = paidLog.args.getValue("payout") as bigint;
      fee = paidLog.args.getValue("fee") as bigint;
      refund = paidLog.args.getValue("refund") as bigint;
    } else {
      // not collected yet: what `collect` will pay, at the fee fixed in the job's terms
      fee = (job.price * BigInt(job.terms.feeBps)) / 10_000n;
      payout = job.price - fee;
      refund = job.terms.maxPrice - job.price;
    }
    return {
      jobId,
      provider: getAddress(String(log.args.getValue("provider"))),
      outputs,
      price: job.price,
      paid: paidLog !== undefined,
      payout,
      fee,
      refund,
      txHash: log.transactionHash,
      blockNumber: log.blockNumber,
      gasUsed: receipt?.gasUsed ?? 0n,
    };
  }

  /**
   * Waits until the job completes and resolves with its proven outputs. Rejects with
   * JOB_CANCELLED (cancelled), JOB_EXPIRED (reclaimed, slashed, or unclaimed past its claim
   * deadline), TIMEOUT (`timeoutMs`).
   */
  async waitForResult(jobId: bigint, options: WaitOptions = {}): Promise<JobResult> {
    const started = Date.now();
    let lastStatus: number | undefined;
    for (;;) {
      if (options.signal?.aborted)
        throw new ProofworkError(ErrorCodes.TIMEOUT, `stopped waiting for job ${jobId}`);
      const job = await this.getJob(jobId);
      if (job.status !== lastStatus) {
        lastStatus = job.status;
        options.onStatus?.(job);
      }
      switch (job.statusName) {
        case "Completed":
        case "Paid": {
          const result = await this.findCompletion(jobId, options.fromBlock);
          if (result !== undefined) return result;
          break; // the log may lag behind the state on some nodes: poll again
        }
        case "Cancelled":
          throw new ProofworkError(ErrorCodes.JOB_CANCELLED, `job ${jobId} was cancelled by its requester`, {
            jobId,
          });
        case "Reclaimed":
          throw new ProofworkError(
            ErrorCodes.JOB_EXPIRED,
            `job ${jobId} expired unclaimed and was refunded`,
            { jobId },
          );
        case "Slashed":
          throw new ProofworkError(
            ErrorCodes.JOB_EXPIRED,
            `job ${jobId} expired: provider ${job.provider} missed its deadline and was slashed`,
            { jobId },
          );
        case "Open":
          if ((await this.chainTime()) > BigInt(job.terms.claimDeadline)) {
            throw new ProofworkError(
              ErrorCodes.JOB_EXPIRED,
              `job ${jobId} expired unclaimed (claim deadline passed); run \`proofwork job reclaim ${jobId}\` for a refund`,
              { jobId },
            );
          }
          break;
        case "Claimed":
        case "None":
          break;
      }
      if (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs) {
        throw new ProofworkError(
          ErrorCodes.TIMEOUT,
          `job ${jobId} still ${job.statusName} after ${options.timeoutMs} ms`,
          { jobId, status: job.statusName },
        );
      }
      await nextBlockOrTimeout(this.provider, this.pollIntervalMs, options.signal);
    }
  }

  /** Cancels an unclaimed job (requester only); returns the refund receipt. */
  async cancel(jobId: bigint): Promise<ContractTransactionReceipt> {
    const { terms } = await this.getJob(jobId);
    return this.send(`cancelling job ${jobId}`, () => this.contracts.market.cancel(jobId, terms));
  }

  /** Refunds an unclaimed job past its claim deadline. */
  async reclaim(jobId: bigint): Promise<ContractTransactionReceipt> {
    const { terms } = await this.getJob(jobId);
    return this.send(`reclaiming job ${jobId}`, () => this.contracts.market.reclaim(jobId, terms));
  }

  /**
   * The inline input bytes of a job, from the calldata of its posting transaction (the market
   * does not re-emit them), checked against the hash in its terms.
   */
  async getJobInput(jobId: bigint): Promise<{ input: Uint8Array; inputURI: string; txHash: string }> {
    const { terms, inputURI, txHash } = await this.getTerms(jobId);
    const tx = await guard("reading the posting transaction", () => this.provider.getTransaction(txHash));
    const input = tx === null ? undefined : inputFromPostCalldata(tx.data, terms);
    if (input === undefined) {
      throw new ProofworkError(
        ErrorCodes.COMMITMENT_MISMATCH,
        `job ${jobId}: no input bytes matching its hash in posting transaction ${txHash}`,
      );
    }
    return { input, inputURI, txHash };
  }
}
