/**
 * The on-chain surface the worker uses, as human-readable ABI fragments mirroring
 * `contracts/interfaces/*.sol` (so the worker runs without Hardhat artifacts), plus typed readers
 * that turn ethers `Result`s into plain worker records.
 */
import { Contract, Interface, ZeroAddress, getAddress, type ContractRunner, type Provider } from "ethers";
import {
  JOB_SLOT_TUPLE as JOB,
  JOB_TERMS_TUPLE as TERMS,
  POST_PARAMS_TUPLE as POST_PARAMS,
  claimCommitment,
  claimedPrice,
  decodeJobSlot,
  decodeTerms,
  type JobTerms,
} from "../sdk/terms.ts";

const COLLECTION = `tuple(uint256 jobId, ${TERMS} terms, uint256[] outputs)[]`;
const CIRCUIT =
  "tuple(address verifier, bytes4 selector, uint16 numPublic, bool active, bytes32 modelCommitment, bytes32 zkeyHash, bytes32 wasmHash, string artifactsURI)";
const CAPABILITY =
  "tuple(string gpuModel, uint32 memoryMB, uint32 backends, uint16 maxConcurrentJobs, string metadataURI)";
const PROVIDER =
  "tuple(uint96 stake, uint96 locked, uint40 jailedUntil, uint16 openJobs, uint8 consecutiveFailures, uint96 unbonding, uint40 unbondingEnd, uint32 jobsCompleted, uint32 jobsFailed, uint96 totalSlashed)";

const STAKING_ERRORS = [
  "error Staking__ZeroAmount()",
  "error Staking__ZeroAddress()",
  "error Staking__AmountTooLarge(uint256 amount)",
  "error Staking__InsufficientStake(uint256 have, uint256 need)",
  "error Staking__BelowMinimumStake(uint256 have, uint256 need)",
  "error Staking__NotRegistered(address provider)",
  "error Staking__AlreadyRegistered(address provider)",
  "error Staking__InvalidCapability(uint8 reason)",
  "error Staking__Jailed(address provider, uint40 jailedUntil)",
  "error Staking__TooManyOpenJobs(address provider, uint16 openJobs, uint16 maxConcurrentJobs)",
  "error Staking__StillUnbonding(uint40 unbondingEnd)",
  "error Staking__NothingToWithdraw(uint256 unbonding, uint256 locked)",
  "error Staking__ExceedsLocked(uint256 locked, uint256 amount)",
  "error EnforcedPause()",
];

export const MARKET_ABI = [
  `function postJob(${POST_PARAMS} params) returns (uint256 jobId)`,
  `function claim(uint256 jobId, ${TERMS} terms)`,
  `function submit(uint256 jobId, ${TERMS} terms, uint256[8] proof, uint256[] outputs)`,
  `function slashExpired(uint256 jobId, ${TERMS} terms, address provider)`,
  `function collect(address provider, ${COLLECTION} jobs) returns (uint256 payout)`,
  `function getJob(uint256 jobId) view returns (${JOB})`,
  `function currentPrice(uint256 jobId, ${TERMS} terms) view returns (uint256)`,
  `function checkResult(uint256 jobId, ${TERMS} terms, address provider, uint256[] outputs) view returns (bool)`,
  "function jobKey(uint256 jobId, address provider) view returns (uint256)",
  "function nextJobId() view returns (uint256)",
  "function token() view returns (address)",
  "function staking() view returns (address)",
  "function registry() view returns (address)",
  "function feeBps() view returns (uint16)",
  `event JobPosted(uint256 indexed jobId, address indexed requester, bytes32 indexed circuitId, ${TERMS} terms, string inputURI)`,
  "event JobClaimed(uint256 indexed jobId, address indexed provider, uint96 price, uint40 deadline, uint256 jobKey)",
  "event JobCompleted(uint256 indexed jobId, address indexed provider, uint256[] outputs)",
  "event JobPaid(uint256 indexed jobId, address indexed provider, uint256 payout, uint256 fee, uint256 refund)",
  "event JobCancelled(uint256 indexed jobId, address indexed requester, uint256 refund)",
  "event JobReclaimed(uint256 indexed jobId, address indexed requester, uint256 refund)",
  "event JobSlashed(uint256 indexed jobId, address indexed provider, address indexed caller, uint256 toRequester, uint256 bounty, uint256 toTreasury, uint256 refund)",
  "error Market__ZeroAddress()",
  "error Market__JobNotOpen(uint256 jobId, uint8 status)",
  "error Market__JobNotClaimed(uint256 jobId, uint8 status)",
  "error Market__NotRequester(uint256 jobId, address caller)",
  "error Market__ClaimDeadlinePassed(uint256 jobId, uint40 claimDeadline)",
  "error Market__ClaimDeadlineNotPassed(uint256 jobId, uint40 claimDeadline)",
  "error Market__DeadlinePassed(uint256 jobId, uint40 deadline)",
  "error Market__DeadlineNotPassed(uint256 jobId, uint40 deadline)",
  "error Market__CircuitNotActive(bytes32 circuitId)",
  "error Market__NotInField(uint256 value)",
  "error Market__WrongOutputCount(uint256 given, uint256 expected)",
  "error Market__InvalidProof(uint256 jobId)",
  "error Market__NoInput()",
  "error Market__TermsMismatch(uint256 jobId)",
  "error Market__JobNotCompleted(uint256 jobId, uint8 status)",
  ...STAKING_ERRORS,
] as const;

export const STAKING_ABI = [
  "function stake(uint256 amount)",
  "function requestUnstake(uint256 amount)",
  "function withdraw() returns (uint256 amount)",
  `function register(${CAPABILITY} capability)`,
  `function updateCapability(${CAPABILITY} capability)`,
  `function getProvider(address provider) view returns (${PROVIDER})`,
  `function getCapability(address provider) view returns (${CAPABILITY})`,
  "function isRegistered(address provider) view returns (bool)",
  "function freeStake(address provider) view returns (uint256)",
  "function isActive(address provider) view returns (bool)",
  "function minStake() view returns (uint256)",
  "function token() view returns (address)",
  ...STAKING_ERRORS,
] as const;

export const REGISTRY_ABI = [
  `function getCircuit(bytes32 circuitId) view returns (${CIRCUIT})`,
  "function isActive(bytes32 circuitId) view returns (bool)",
  `event CircuitRegistered(bytes32 indexed circuitId, ${CIRCUIT} circuit)`,
  "event CircuitActiveSet(bytes32 indexed circuitId, bool active)",
  "event ArtifactsURISet(bytes32 indexed circuitId, string artifactsURI)",
  "error Registry__UnknownCircuit(bytes32 circuitId)",
] as const;

export const TOKEN_ABI = [
  "function balanceOf(address) view returns (uint256)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function approve(address spender, uint256 amount) returns (bool)",
  "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
  "error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
] as const;

export const marketInterface = new Interface(MARKET_ABI);
export const stakingInterface = new Interface(STAKING_ABI);
export const registryInterface = new Interface(REGISTRY_ABI);
export const tokenInterface = new Interface(TOKEN_ABI);

/** JobStatus enum of IJobMarket. */
export const JobStatus = {
  None: 0,
  Open: 1,
  Claimed: 2,
  Completed: 3,
  Cancelled: 4,
  Reclaimed: 5,
  Slashed: 6,
  Paid: 7,
} as const;
export type JobStatusValue = (typeof JobStatus)[keyof typeof JobStatus];

/**
 * A job as the worker sees it: the on-chain slot (status, deadline, commitment) with its terms
 * (from `JobPosted`) flattened in, and its claimer (zero until claimed).
 */
export interface OnchainJob {
  jobId: bigint;
  terms: JobTerms;
  commitment: string;
  requester: string;
  maxPrice: bigint;
  provider: string;
  deadline: number;
  status: number;
  executionWindow: number;
  minPrice: bigint;
  collateral: bigint;
  postedAt: number;
  price: bigint;
  claimDeadline: number;
  rampDuration: number;
  circuitId: string;
  inputCommitment: bigint;
  inputHash: string;
}

export interface OnchainCircuit {
  circuitId: string;
  verifier: string;
  numPublic: number;
  active: boolean;
  zkeyHash: string;
  wasmHash: string;
  artifactsURI: string;
}

/** The addresses the worker talks to. */
export interface Addresses {
  market: string;
  staking: string;
  registry: string;
  token: string;
}

/** Read-only views of the three contracts, typed. */
export class ChainReader {
  readonly market: Contract;
  readonly staking: Contract;
  readonly registry: Contract;
  readonly token: Contract;

  /**
   * @param fromBlock First block to search for a job's `JobPosted`/`JobClaimed` logs when they
   * are not known yet (the deployment's start block).
   * @param self The worker's address: a job claimed by it is recognised from the stored
   * commitment alone (no log read).
   */
  constructor(
    readonly provider: Provider,
    readonly addresses: Addresses,
    readonly fromBlock = 0,
    readonly self?: string,
  ) {
    const runner: ContractRunner = provider;
    this.market = new Contract(addresses.market, MARKET_ABI, runner);
    this.staking = new Contract(addresses.staking, STAKING_ABI, runner);
    this.registry = new Contract(addresses.registry, REGISTRY_ABI, runner);
    this.token = new Contract(addresses.token, TOKEN_ABI, runner);
  }

  /** Terms per job (immutable): remembered from `JobPosted` or the store, else read from logs. */
  private readonly terms = new Map<bigint, JobTerms>();
  /** Claimer per job (immutable once claimed). */
  private readonly claimers = new Map<bigint, string>();

  /** Records the terms of a job (from its `JobPosted` event or the worker's store). */
  rememberTerms(jobId: bigint, terms: JobTerms): void {
    this.terms.set(jobId, terms);
  }

  /** Forgets what is known of a job (a reorg re-posted its id). */
  forget(jobId: bigint): void {
    this.terms.delete(jobId);
    this.claimers.delete(jobId);
  }

  /** The terms of a job, from memory or its last `JobPosted` log. */
  async getTerms(jobId: bigint): Promise<JobTerms> {
    const known = this.terms.get(jobId);
    if (known !== undefined) return known;
    const ev = this.market.getEvent("JobPosted");
    const logs = await this.market.queryFilter(ev(jobId), this.fromBlock);
    const last = logs[logs.length - 1];
    if (last === undefined || !("args" in last)) throw new Error(`job ${jobId}: no JobPosted event`);
    const terms = decodeTerms(last.args.getValue("terms") as Record<string, unknown>);
    this.terms.set(jobId, terms);
    return terms;
  }

  /** The claimer of a claimed job: us when the stored commitment binds us, else from `JobClaimed`. */
  private async claimer(jobId: bigint, terms: JobTerms, commitment: string): Promise<string> {
    const self = this.self;
    if (self !== undefined && claimCommitment(terms, self) === commitment) return getAddress(self);
    const known = this.claimers.get(jobId);
    if (known !== undefined) return known;
    const ev = this.market.getEvent("JobClaimed");
    const logs = await this.market.queryFilter(ev(jobId), this.fromBlock);
    const last = logs[logs.length - 1];
    if (last === undefined || !("args" in last)) return ZeroAddress;
    const provider = getAddress(String(last.args.getValue("provider")));
    this.claimers.set(jobId, provider);
    return provider;
  }

  /** The job: slot + terms + claimer. */
  async getJob(jobId: bigint): Promise<OnchainJob> {
    const slot = decodeJobSlot((await this.market.getFunction("getJob")(jobId)) as Record<string, unknown>);
    const terms = await this.getTerms(jobId);
    const claimed =
      slot.status === JobStatus.Claimed ||
      slot.status === JobStatus.Completed ||
      slot.status === JobStatus.Slashed ||
      slot.status === JobStatus.Paid;
    const provider = claimed ? await this.claimer(jobId, terms, slot.commitment) : ZeroAddress;
    return {
      jobId,
      terms,
      commitment: slot.commitment,
      requester: terms.requester,
      maxPrice: terms.maxPrice,
      provider,
      deadline: slot.deadline,
      status: slot.status,
      executionWindow: terms.executionWindow,
      minPrice: terms.minPrice,
      collateral: terms.collateral,
      postedAt: terms.postedAt,
      price: claimed ? claimedPrice(terms, slot.deadline) : 0n,
      claimDeadline: terms.claimDeadline,
      rampDuration: terms.rampDuration,
      circuitId: terms.circuitId,
      inputCommitment: terms.inputCommitment,
      inputHash: terms.inputHash,
    };
  }

  async currentPrice(jobId: bigint): Promise<bigint> {
    const terms = await this.getTerms(jobId);
    return BigInt((await this.market.getFunction("currentPrice")(jobId, terms)) as bigint);
  }

  async getCircuit(circuitId: string): Promise<OnchainCircuit> {
    const c = (await this.registry.getFunction("getCircuit")(circuitId)) as Record<string, unknown>;
    return {
      circuitId,
      verifier: String(c.verifier),
      numPublic: Number(c.numPublic),
      active: Boolean(c.active),
      zkeyHash: String(c.zkeyHash),
      wasmHash: String(c.wasmHash),
      artifactsURI: String(c.artifactsURI),
    };
  }

  async freeStake(provider: string): Promise<bigint> {
    return BigInt((await this.staking.getFunction("freeStake")(provider)) as bigint);
  }

  async tokenBalance(owner: string): Promise<bigint> {
    return BigInt((await this.token.getFunction("balanceOf")(owner)) as bigint);
  }
}

/** Every error the worker's transactions can revert with, for decoding revert data. */
export const allErrorsInterface = new Interface([
  ...MARKET_ABI.filter((f) => f.startsWith("error ")),
  ...REGISTRY_ABI.filter((f) => f.startsWith("error ")),
  ...TOKEN_ABI.filter((f) => f.startsWith("error ")),
]);
