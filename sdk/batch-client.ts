/**
 * The requester side of batch jobs (docs/BATCH.md): build a dataset's commitments (inputs file,
 * input commitments, inputs tree), post it, read a job's state and record back from its events,
 * check a downloaded outputs file against the committed hash and root, challenge indices and
 * settle. Every protocol rule (leaves, trees, files, key hash) is `sdk/batch.ts`'s; this module
 * only drives them. Browser-safe: downloading and publishing files is `sdk/node/batch.ts`.
 */
import {
  ZeroHash,
  getAddress,
  keccak256,
  type ContractTransactionReceipt,
  type EventLog,
  type Provider,
  type Signer,
} from "ethers";
import {
  BatchStatus,
  EMPTY_RECORD,
  MAX_CHALLENGES,
  MAX_SAMPLE_SIZE,
  batchKeyHash,
  batchPriceAt,
  decodeBatchTerms,
  decodeOutputsFile,
  encodeInputsFile,
  inputOfFile,
  type BatchMerkleTree,
  type BatchRecord,
  type BatchStatusValue,
  type BatchTerms,
  type PostBatchParams,
} from "./batch.ts";
import { ClientBase, type Pricing } from "./client.ts";
import { commitInput } from "./commitment.ts";
import { connectContracts, guard, latestTimestamp, type BatchMarket, type JobMarket } from "./contracts.ts";
import type { Deployment } from "./deployments.ts";
import { ErrorCodes, ProofworkError } from "./errors.ts";
import { queryLogsChunked } from "./jobs.ts";
import type { VerificationKey } from "./proof.ts";
import { batchInputsTree, batchOutputsRoot, checkSamplingShape, type SamplingShape } from "./sampling.ts";

// ---------------------------------------------------------------------------------------------
// Datasets
// ---------------------------------------------------------------------------------------------

/** A batch's inputs as the requester commits to them at post. */
export interface BatchInputs {
  /** Input bytes per sample (the circuit's input size). */
  inputBytes: number;
  numSamples: number;
  /** The inputs file (docs/BATCH.md): the samples' bytes concatenated. */
  inputsFile: Uint8Array;
  /** `commitInput` of each sample, in index order. */
  commitments: bigint[];
  /** The keccak inputs tree (sample-proof jobs, `treeDepth` 0); absent for a sampling circuit's Poseidon tree. */
  tree?: BatchMerkleTree;
  /** The root to post: of `tree`, or of the Poseidon tree of `treeDepth` (`batchInputsRoot`). */
  inputsRoot: string;
  /** keccak256 of the inputs file. */
  inputsHash: string;
}

/** Progress of a long step: `done` of `total` (samples or bytes). */
export type ProgressFn = (done: number, total: number) => void;

/**
 * A batch's inputs from its samples (each `inputBytes` long) or from an inputs file of
 * `inputBytes`-byte samples: computes every input commitment (Poseidon, ~1 ms a sample), the
 * inputs tree and the file's hash.
 */
export async function buildBatchInputs(
  samples: readonly Uint8Array[] | { file: Uint8Array; inputBytes: number },
  onProgress?: ProgressFn,
  /** 0 (the default): the keccak tree of sample-proof jobs; else a sampling circuit's tree depth. */
  treeDepth = 0,
): Promise<BatchInputs> {
  let file: Uint8Array;
  let inputBytes: number;
  if ("file" in samples) {
    file = samples.file;
    inputBytes = samples.inputBytes;
  } else {
    file = encodeInputsFile(samples);
    inputBytes = samples[0]?.length ?? 0;
  }
  if (inputBytes < 1 || file.length === 0 || file.length % inputBytes !== 0) {
    throw new ProofworkError(
      ErrorCodes.DATASET_INVALID,
      `a batch needs at least one sample of ${inputBytes} bytes (inputs file of ${file.length} bytes)`,
    );
  }
  const numSamples = file.length / inputBytes;
  const commitments: bigint[] = [];
  for (let i = 0; i < numSamples; i++) {
    commitments.push(await commitInput(inputOfFile(file, inputBytes, i)));
    if (onProgress !== undefined && ((i + 1) % 256 === 0 || i + 1 === numSamples))
      onProgress(i + 1, numSamples);
  }
  const { root, tree } = await batchInputsTree(commitments, treeDepth);
  return {
    inputBytes,
    numSamples,
    inputsFile: file,
    commitments,
    ...(tree !== undefined ? { tree } : {}),
    inputsRoot: root,
    inputsHash: keccak256(file),
  };
}

/**
 * Checks a downloaded inputs file against a job's terms (its `inputsHash` and `inputsRoot`) and
 * returns its commitments (what checking the outputs needs). DATASET_INVALID when it is not the
 * job's.
 */
export async function checkBatchInputs(
  terms: Pick<BatchTerms, "inputsHash" | "inputsRoot" | "numSamples" | "treeDepth">,
  file: Uint8Array,
  onProgress?: ProgressFn,
): Promise<BatchInputs> {
  if (keccak256(file).toLowerCase() !== terms.inputsHash.toLowerCase()) {
    throw new ProofworkError(
      ErrorCodes.DATASET_INVALID,
      `the inputs file's keccak256 ${keccak256(file)} is not the job's inputsHash ${terms.inputsHash}`,
    );
  }
  if (file.length % terms.numSamples !== 0) {
    throw new ProofworkError(
      ErrorCodes.DATASET_INVALID,
      `an inputs file of ${file.length} bytes does not hold ${terms.numSamples} equal samples`,
    );
  }
  const inputs = await buildBatchInputs(
    { file, inputBytes: file.length / terms.numSamples },
    onProgress,
    terms.treeDepth,
  );
  if (inputs.inputsRoot.toLowerCase() !== terms.inputsRoot.toLowerCase()) {
    throw new ProofworkError(
      ErrorCodes.DATASET_INVALID,
      `the inputs file's tree root ${inputs.inputsRoot} is not the job's inputsRoot ${terms.inputsRoot}`,
    );
  }
  return inputs;
}

/**
 * Checks a downloaded outputs file against what the provider committed: its keccak256 against
 * `outputsHash` (from `BatchCommitted`) and the outputs tree over `commitments` against the
 * committed `outputsRoot` (the root the proven samples were checked against). Returns each
 * sample's outputs. OUTPUTS_MISMATCH when either differs.
 */
export async function verifyBatchOutputs(o: {
  file: Uint8Array;
  outputsHash: string;
  outputsRoot: string;
  commitments: readonly bigint[];
  /** Output field elements per sample (`numPublic − 2` for sample-proof jobs; the model's for a sampling circuit). */
  perSample: number;
  /** The terms' `treeDepth`: 0 for the keccak tree of sample-proof jobs (the default), else the Poseidon tree's. */
  treeDepth?: number;
}): Promise<bigint[][]> {
  const hash = keccak256(o.file);
  if (hash.toLowerCase() !== o.outputsHash.toLowerCase()) {
    throw new ProofworkError(
      ErrorCodes.OUTPUTS_MISMATCH,
      `the outputs file's keccak256 ${hash} is not the committed outputsHash ${o.outputsHash}`,
    );
  }
  let rows: bigint[][];
  try {
    rows = decodeOutputsFile(o.file, o.perSample);
  } catch (e) {
    throw new ProofworkError(
      ErrorCodes.OUTPUTS_MISMATCH,
      `the outputs file is malformed: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (rows.length !== o.commitments.length) {
    throw new ProofworkError(
      ErrorCodes.OUTPUTS_MISMATCH,
      `the outputs file holds ${rows.length} samples, the job ${o.commitments.length}`,
    );
  }
  const root = await batchOutputsRoot(o.commitments, rows, o.treeDepth ?? 0);
  if (root.toLowerCase() !== o.outputsRoot.toLowerCase()) {
    throw new ProofworkError(
      ErrorCodes.OUTPUTS_MISMATCH,
      `the outputs file's tree root ${root} is not the committed outputsRoot ${o.outputsRoot}`,
    );
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Jobs
// ---------------------------------------------------------------------------------------------

const STATUS_NAMES = Object.fromEntries(Object.entries(BatchStatus).map(([k, v]) => [v, k])) as Record<
  number,
  BatchStatusName
>;
export type BatchStatusName = keyof typeof BatchStatus;

/** A batch job's slot now and what its `BatchPosted` event says. */
export interface BatchPosting {
  jobId: bigint;
  status: BatchStatusValue;
  statusName: BatchStatusName;
  /** The current status's deadline (0 when final). */
  deadline: bigint;
  terms: BatchTerms;
  inputsURI: string;
  postedBlock: number;
}

/** A batch job as read from the chain: its slot, terms and record, and what its events say. */
export interface BatchJob extends BatchPosting {
  /** What every call after the claim takes (zero fields until reached). */
  record: BatchRecord;
  /** From `BatchClaimed`. */
  price?: bigint;
  /** From `BatchCommitted`. */
  outputsHash?: string;
  outputsURI?: string;
  /** From `BatchProven`: the drawn indices, in draw order. */
  provenIndices?: number[];
  challengeDeadline?: number;
  /** From `BatchPaid`. */
  paid?: { payout: bigint; fee: bigint; refund: bigint; txHash: string };
  /** From `BatchSlashed`. */
  slashed?: { toRequester: bigint; refund: bigint; txHash: string };
  /** The transaction of each step reached (for gas accounting). */
  txs: Partial<Record<"posted" | "claimed" | "committed" | "proven" | "challenged" | "final", string>>;
}

/** A batch job in a listing (`listBatchJobs`): its posting and the post's transaction. */
export interface BatchListing extends BatchPosting {
  txHash: string;
}

/** What `listBatchJobs` keeps. */
export interface BatchListFilter {
  /** Only jobs posted by this address. */
  requester?: string;
  /** Only jobs of this circuit (bytes32 id). */
  circuitId?: string;
  /** Only jobs in these statuses. */
  status?: readonly BatchStatusName[];
  /** At most this many (newest first; default 50). */
  limit?: number;
}

export interface PostBatchRequest {
  /** Circuit name in the deployment or its bytes32 id. */
  circuit: string;
  /** The dataset's root, hash and size (`buildBatchInputs`). */
  inputs: Pick<BatchInputs, "inputsRoot" | "inputsHash" | "numSamples">;
  /** Where providers fetch the inputs file. */
  inputsURI: string;
  /**
   * How the samples are proven: the model circuit's verification key (trusted:
   * `resolveVerificationKey`) or its `keyHash` (sample proofs, `prove`); or `sampling`: `circuit`
   * is the model's sampling circuit, proving `slots` samples per proof over Poseidon trees of
   * `treeDepth` (`inputs` built with `buildBatchInputs(…, { treeDepth })`, `proveSampled`).
   */
  key: { vkey: VerificationKey } | { keyHash: string } | { sampling: SamplingShape };
  /** k: samples proven on-chain. */
  sampleSize: number;
  /** m: indices the requester may challenge (default 4). */
  maxChallenges?: number;
  /** Bond per challenged index (default 0). */
  challengeBond?: bigint;
  pricing: Pricing;
  /** Collateral the provider locks (default: the max price). */
  collateral?: bigint;
  /** Seconds from now the job stays claimable (default 3600). */
  claimPeriod?: number;
  /** Seconds each: commit after the claim, prove after the commit, challenge, answer (default 3600, 3600, 600, 3600). */
  windows?: Partial<Record<"commit" | "prove" | "challenge" | "answer", number>>;
}

export interface PostedBatch {
  jobId: bigint;
  terms: BatchTerms;
  txHash: string;
  blockNumber: number;
  gasUsed: bigint;
  /** Gas of the approval transaction, when one was needed. */
  approveGasUsed: bigint;
}

/** Where batch jobs live in a deployment record (BATCH_UNSUPPORTED when absent). */
export function batchMarketOf(deployment: Deployment, runner: Signer | Provider): BatchMarket {
  const market = connectContracts(deployment, runner).batchMarket;
  if (market === undefined) {
    throw new ProofworkError(
      ErrorCodes.BATCH_UNSUPPORTED,
      `the deployment record of chain ${deployment.chainId} has no batch market (deployed before batch jobs existed)`,
    );
  }
  return market;
}

/**
 * The requester's batch client: post, read, challenge, settle. Plain ethers v6; the deployment
 * record and the signer (or a provider, read only) are passed in.
 */
export class BatchClient extends ClientBase {
  readonly market: BatchMarket;
  private readonly logChunkSize: number;
  private readonly terms = new Map<
    bigint,
    { terms: BatchTerms; inputsURI: string; block: number; txHash: string }
  >();

  constructor(
    deployment: Deployment,
    runner: Signer | Provider,
    options: { confirmations?: number; logChunkSize?: number } = {},
  ) {
    super(deployment, runner, options);
    this.market = batchMarketOf(deployment, runner);
    this.logChunkSize = options.logChunkSize ?? 1000;
  }

  private chainTime(): Promise<number> {
    return latestTimestamp(this.provider);
  }

  /** Approves `amount` of the token to the batch market when the allowance is short. */
  private async ensureAllowance(amount: bigint): Promise<bigint> {
    if (amount === 0n) return 0n;
    const owner = await this.signer().getAddress();
    const { token } = connectContracts(this.deployment, this.runner);
    const spender = await this.market.getAddress();
    const allowance = await guard("reading the token allowance", () => token.allowance(owner, spender));
    if (allowance >= amount) return 0n;
    const r = await this.send("approving the token for the batch market", () =>
      token.approve(spender, amount),
    );
    return r.gasUsed;
  }

  /** Posts a batch job, escrowing its max price (one approval when the allowance is short). */
  async postBatch(req: PostBatchRequest): Promise<PostedBatch> {
    this.signer();
    const circuit = this.circuit(req.circuit);
    const { minPrice, maxPrice, rampDuration } =
      "price" in req.pricing
        ? { minPrice: req.pricing.price, maxPrice: req.pricing.price, rampDuration: 0 }
        : req.pricing;
    if (minPrice < 0n || maxPrice < minPrice) {
      throw new ProofworkError(ErrorCodes.BAD_NUMBER, `invalid pricing: min ${minPrice} > max ${maxPrice}`);
    }
    const n = req.inputs.numSamples;
    const k = req.sampleSize;
    if (!Number.isInteger(k) || k < 1 || k > Math.min(n, MAX_SAMPLE_SIZE)) {
      throw new ProofworkError(
        ErrorCodes.BAD_NUMBER,
        `the sample size must be between 1 and ${Math.min(n, MAX_SAMPLE_SIZE)} for ${n} samples, got ${k}`,
      );
    }
    const m = req.maxChallenges ?? 4;
    if (!Number.isInteger(m) || m < 0 || m > MAX_CHALLENGES) {
      throw new ProofworkError(
        ErrorCodes.BAD_NUMBER,
        `the challenge count must be between 0 and ${MAX_CHALLENGES}, got ${m}`,
      );
    }
    if ("sampling" in req.key) checkSamplingShape(req.key.sampling, n);
    const w = { commit: 3600, prove: 3600, challenge: 600, answer: 3600, ...req.windows };
    const now = await this.chainTime();
    const params: PostBatchParams = {
      circuitId: circuit.id,
      keyHash:
        "vkey" in req.key ? batchKeyHash(req.key.vkey) : "keyHash" in req.key ? req.key.keyHash : ZeroHash,
      slots: "sampling" in req.key ? req.key.sampling.slots : 0,
      treeDepth: "sampling" in req.key ? req.key.sampling.treeDepth : 0,
      inputsRoot: req.inputs.inputsRoot,
      inputsHash: req.inputs.inputsHash,
      inputsURI: req.inputsURI,
      numSamples: n,
      sampleSize: k,
      maxChallenges: m,
      challengeBond: req.challengeBond ?? 0n,
      minPrice,
      maxPrice,
      rampDuration,
      collateral: req.collateral ?? maxPrice,
      claimDeadline: now + (req.claimPeriod ?? 3600),
      commitWindow: w.commit,
      proveWindow: w.prove,
      challengeWindow: w.challenge,
      answerWindow: w.answer,
    };
    const approveGasUsed = await this.ensureAllowance(maxPrice);
    const receipt = await this.send("posting the batch job", () => this.market.postBatch(params));
    const posted = receipt.logs
      .map((l) => {
        try {
          return this.market.interface.parseLog(l);
        } catch {
          return null;
        }
      })
      .find((p) => p !== null && p.name === "BatchPosted");
    if (posted === undefined || posted === null) {
      throw new ProofworkError(ErrorCodes.TX_REVERTED, `no BatchPosted event in ${receipt.hash}`);
    }
    const jobId = posted.args.getValue("jobId") as bigint;
    const terms = decodeBatchTerms(posted.args.getValue("terms") as object);
    this.terms.set(jobId, {
      terms,
      inputsURI: req.inputsURI,
      block: receipt.blockNumber,
      txHash: receipt.hash,
    });
    return {
      jobId,
      terms,
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
      approveGasUsed,
    };
  }

  /** The events of `event` for a job, oldest first. */
  private async events(event: string, jobId: bigint, fromBlock: number): Promise<EventLog[]> {
    // queryLogsChunked reads `filters`, `queryFilter` and the runner: the same on every contract
    const logs = await queryLogsChunked(
      this.market as unknown as JobMarket,
      event,
      [jobId],
      fromBlock,
      "latest",
      this.logChunkSize,
    );
    return logs.filter((l): l is EventLog => "args" in l);
  }

  /**
   * Batch jobs posted since the deployment's start block, newest first, with their status now:
   * `BatchPosted` logs (filtered by requester and circuit in the query, both are indexed), then one
   * `getBatch` per job until `limit` match.
   */
  async listBatchJobs(filter: BatchListFilter = {}): Promise<BatchListing[]> {
    const limit = filter.limit ?? 50;
    const logs = await queryLogsChunked(
      this.market as unknown as JobMarket,
      "BatchPosted",
      [null, filter.requester ?? null, filter.circuitId ?? null],
      this.deployment.startBlock,
      "latest",
      this.logChunkSize,
    );
    const out: BatchListing[] = [];
    for (const log of logs.filter((l): l is EventLog => "args" in l).reverse()) {
      if (out.length >= limit) break;
      const jobId = BigInt(log.args.getValue("jobId") as bigint);
      const slot = await guard(`reading batch job ${jobId}`, () => this.market.getBatch(jobId));
      const status = Number(slot.status) as BatchStatusValue;
      const statusName = STATUS_NAMES[status]!;
      if (filter.status !== undefined && !filter.status.includes(statusName)) continue;
      const terms = decodeBatchTerms(log.args.getValue("terms") as object);
      const inputsURI = String(log.args.getValue("inputsURI"));
      this.terms.set(jobId, { terms, inputsURI, block: log.blockNumber, txHash: log.transactionHash });
      out.push({
        jobId,
        status,
        statusName,
        deadline: BigInt(slot.deadline),
        terms,
        inputsURI,
        postedBlock: log.blockNumber,
        txHash: log.transactionHash,
      });
    }
    return out;
  }

  /** A batch job: its slot, terms (`BatchPosted`) and record and outcome (later events). */
  async getBatchJob(jobId: bigint): Promise<BatchJob> {
    const slot = await guard(`reading batch job ${jobId}`, () => this.market.getBatch(jobId));
    const status = Number(slot.status) as BatchStatusValue;
    if (status === BatchStatus.None) {
      throw new ProofworkError(ErrorCodes.JOB_NOT_FOUND, `batch job ${jobId} does not exist`, { jobId });
    }
    let posted = this.terms.get(jobId);
    if (posted === undefined) {
      const log = (await this.events("BatchPosted", jobId, this.deployment.startBlock)).at(-1);
      if (log === undefined) {
        throw new ProofworkError(ErrorCodes.JOB_NOT_FOUND, `batch job ${jobId}: no BatchPosted event`, {
          jobId,
        });
      }
      posted = {
        terms: decodeBatchTerms(log.args.getValue("terms") as object),
        inputsURI: String(log.args.getValue("inputsURI")),
        block: log.blockNumber,
        txHash: log.transactionHash,
      };
      this.terms.set(jobId, posted);
    }
    const job: BatchJob = {
      jobId,
      status,
      statusName: STATUS_NAMES[status]!,
      deadline: BigInt(slot.deadline),
      terms: posted.terms,
      inputsURI: posted.inputsURI,
      record: { ...EMPTY_RECORD, challenged: [] },
      postedBlock: posted.block,
      txs: { posted: posted.txHash },
    };
    if (status === BatchStatus.Open || status === BatchStatus.Cancelled || status === BatchStatus.Reclaimed)
      return job;
    const from = posted.block;
    const claimed = (await this.events("BatchClaimed", jobId, from)).at(-1);
    if (claimed !== undefined) {
      job.record.provider = getAddress(String(claimed.args.getValue("provider")));
      job.record.claimedAt = Number(claimed.args.getValue("claimedAt"));
      job.price = BigInt(claimed.args.getValue("price") as bigint);
      job.txs.claimed = claimed.transactionHash;
    }
    const committed = (await this.events("BatchCommitted", jobId, from)).at(-1);
    if (committed !== undefined) {
      job.record.outputsRoot = String(committed.args.getValue("outputsRoot"));
      job.record.sampleBlock = Number(committed.args.getValue("sampleBlock"));
      job.outputsHash = String(committed.args.getValue("outputsHash"));
      job.outputsURI = String(committed.args.getValue("outputsURI"));
      job.txs.committed = committed.transactionHash;
    }
    const sampled = (await this.events("BatchSampled", jobId, from)).at(-1);
    if (sampled !== undefined) job.record.randomness = String(sampled.args.getValue("randomness"));
    const proven = (await this.events("BatchProven", jobId, from)).at(-1);
    if (proven !== undefined) {
      job.provenIndices = (proven.args.getValue("indices") as bigint[]).map(Number);
      job.challengeDeadline = Number(proven.args.getValue("challengeDeadline"));
      job.txs.proven = proven.transactionHash;
    }
    const challenged = (await this.events("BatchChallenged", jobId, from)).at(-1);
    if (challenged !== undefined) {
      job.record.challenged = (challenged.args.getValue("indices") as bigint[]).map(Number);
      job.txs.challenged = challenged.transactionHash;
    }
    if (status === BatchStatus.Paid) {
      const paid = (await this.events("BatchPaid", jobId, from)).at(-1);
      if (paid !== undefined) {
        job.paid = {
          payout: paid.args.getValue("payout") as bigint,
          fee: paid.args.getValue("fee") as bigint,
          refund: paid.args.getValue("refund") as bigint,
          txHash: paid.transactionHash,
        };
        job.txs.final = paid.transactionHash;
      }
    }
    if (status === BatchStatus.Slashed) {
      const s = (await this.events("BatchSlashed", jobId, from)).at(-1);
      if (s !== undefined) {
        job.slashed = {
          toRequester: s.args.getValue("toRequester") as bigint,
          refund: s.args.getValue("refund") as bigint,
          txHash: s.transactionHash,
        };
        job.txs.final = s.transactionHash;
      }
    }
    return job;
  }

  /** The price a claim would fix now (an open job). */
  async currentPrice(jobId: bigint): Promise<bigint> {
    const job = await this.getBatchJob(jobId);
    return batchPriceAt(job.terms, await this.chainTime());
  }

  /**
   * Challenges `indices` of a proven job (requester, before the challenge deadline): sorts them,
   * checks they are distinct, below N and at most m, and that the window is open, approves the
   * bonds and sends one transaction. BAD_ARGUMENT / BAD_NUMBER / BATCH_STATE with the reason otherwise.
   */
  async challenge(jobId: bigint, indices: readonly number[]): Promise<ContractTransactionReceipt> {
    const job = await this.getBatchJob(jobId);
    const t = job.terms;
    if (job.status !== BatchStatus.Proven) {
      throw new ProofworkError(
        ErrorCodes.BATCH_STATE,
        `batch job ${jobId} is ${job.statusName}: only a Proven job can be challenged`,
        { jobId },
      );
    }
    const sorted = [...indices].sort((a, b) => a - b);
    if (sorted.length === 0 || sorted.length > t.maxChallenges) {
      throw new ProofworkError(
        ErrorCodes.BAD_ARGUMENT,
        `batch job ${jobId} takes 1 to ${t.maxChallenges} challenged indices, got ${sorted.length}`,
      );
    }
    sorted.forEach((i, j) => {
      if (!Number.isInteger(i) || i < 0 || i >= t.numSamples)
        throw new ProofworkError(
          ErrorCodes.BAD_NUMBER,
          `index ${i} is not a sample of 0…${t.numSamples - 1}`,
        );
      if (j > 0 && sorted[j - 1] === i)
        throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, `index ${i} is named twice`);
    });
    if (job.challengeDeadline !== undefined && (await this.chainTime()) > job.challengeDeadline) {
      throw new ProofworkError(
        ErrorCodes.BATCH_STATE,
        `batch job ${jobId}: its challenge window closed at ${new Date(job.challengeDeadline * 1000).toISOString()}`,
        { jobId },
      );
    }
    const bonds = t.challengeBond * BigInt(sorted.length);
    await this.ensureAllowance(bonds);
    return this.send(`challenging batch job ${jobId}`, () =>
      this.market.challenge(jobId, t, job.record, sorted),
    );
  }

  /** Pays a proven job out after its challenge window (anyone). */
  async settle(jobId: bigint): Promise<ContractTransactionReceipt> {
    const job = await this.getBatchJob(jobId);
    if (job.status !== BatchStatus.Proven) {
      throw new ProofworkError(
        ErrorCodes.BATCH_STATE,
        `batch job ${jobId} is ${job.statusName}: only a Proven job past its challenge window is settled`,
        { jobId },
      );
    }
    return this.send(`settling batch job ${jobId}`, () => this.market.settle(jobId, job.terms, job.record));
  }

  /** Gives an unclaimed job's escrow back to its requester after the claim deadline (anyone). */
  async reclaim(jobId: bigint): Promise<ContractTransactionReceipt> {
    const job = await this.getBatchJob(jobId);
    return this.send(`reclaiming batch job ${jobId}`, () => this.market.reclaim(jobId, job.terms));
  }

  /**
   * Slashes the provider of a claimed, committed, sampled or challenged job past its current
   * deadline (anyone; the caller gets the bounty share).
   */
  async slashExpired(jobId: bigint): Promise<ContractTransactionReceipt> {
    const job = await this.getBatchJob(jobId);
    return this.send(`slashing the provider of batch job ${jobId}`, () =>
      this.market.slashExpired(jobId, job.terms, job.record),
    );
  }

  /** Cancels an unclaimed batch job (requester). */
  async cancel(jobId: bigint): Promise<ContractTransactionReceipt> {
    const job = await this.getBatchJob(jobId);
    return this.send(`cancelling batch job ${jobId}`, () => this.market.cancel(jobId, job.terms));
  }

  /**
   * Polls until the job reaches one of `statuses` (or a final status), calling `onStatus` on each
   * change. TIMEOUT after `timeoutMs`.
   */
  async waitForStatus(
    jobId: bigint,
    statuses: readonly BatchStatusValue[],
    o: { timeoutMs?: number; pollIntervalMs?: number; onStatus?: (job: BatchJob) => void } = {},
  ): Promise<BatchJob> {
    const started = Date.now();
    const final: BatchStatusValue[] = [
      BatchStatus.Paid,
      BatchStatus.Cancelled,
      BatchStatus.Reclaimed,
      BatchStatus.Slashed,
    ];
    let last: number | undefined;
    for (;;) {
      const job = await this.getBatchJob(jobId);
      if (job.status !== last) {
        last = job.status;
        o.onStatus?.(job);
      }
      if (statuses.includes(job.status) || final.includes(job.status)) return job;
      if (o.timeoutMs !== undefined && Date.now() - started > o.timeoutMs) {
        throw new ProofworkError(
          ErrorCodes.TIMEOUT,
          `batch job ${jobId} still ${job.statusName} after ${o.timeoutMs} ms`,
          { jobId },
        );
      }
      await new Promise((r) => setTimeout(r, o.pollIntervalMs ?? 1000));
    }
  }
}
