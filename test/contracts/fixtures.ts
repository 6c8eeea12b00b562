/**
 * Shared deployment fixtures for the contract tests: token, registry, staking and market wired as
 * in production, with a MockVerifier (test-only, its name says so) registered as the circuit.
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import { keccak256, type EventLog, type Result } from "ethers";
import { ZERO_TERMS, decodeTerms, type JobTerms as SdkJobTerms } from "../../sdk/terms.ts";
import type { JobMarket } from "../../sdk/types/JobMarket.ts";

export const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
export const E18 = 10n ** 18n;
export const DAY = 86_400;
export const HOUR = 3_600;

/** Constructor parameters of the fixture. */
export const MIN_STAKE = 100n * E18;
export const UNBONDING_PERIOD = 12 * DAY; // > MAX_JOB_LIFETIME (9 days) + SLASH_WINDOW (2 days)
export const JAIL_THRESHOLD = 3;
export const JAIL_PERIOD = DAY;
export const FEE_BPS = 250n;
export const SLASH_REQUESTER_BPS = 5_000n;
export const SLASH_BOUNTY_BPS = 1_000n;
export const PROVIDER_STAKE = 1_000n * E18;
/** `IJobMarket.Economics` of the fixture. */
export const ECONOMICS = {
  feeBps: FEE_BPS,
  slashRequesterBps: SLASH_REQUESTER_BPS,
  slashBountyBps: SLASH_BOUNTY_BPS,
};
/** `IJobMarket.StakingConfig` of the fixture. */
export const STAKING_CONFIG = {
  minStake: MIN_STAKE,
  unbondingPeriod: UNBONDING_PERIOD,
  jailThreshold: JAIL_THRESHOLD,
  jailPeriod: JAIL_PERIOD,
};

export const CIRCUIT_ID = "0x" + "11".repeat(32);
export const CIRCUIT_OUT_ID = "0x" + "22".repeat(32); // 2 outputs (numPublic 4)

/** MockVerifier.Mode */
export const Mode = { AcceptAll: 0, RejectAll: 1, MatchSignals: 2, Revert: 3, ReturnMalformed: 4 } as const;

/** JobMarket.JobStatus */
export const Status = {
  None: 0,
  Open: 1,
  Claimed: 2,
  Completed: 3,
  Cancelled: 4,
  Reclaimed: 5,
  Slashed: 6,
  Paid: 7,
} as const;

export interface PostJobParams {
  circuitId: string;
  inputCommitment: bigint;
  input: string;
  inputURI: string;
  minPrice: bigint;
  maxPrice: bigint;
  rampDuration: number;
  collateral: bigint;
  claimDeadline: number;
  executionWindow: number;
  verificationMode: number;
}

export const PROOF: bigint[] = [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n];

export function capability(maxConcurrentJobs = 4) {
  return {
    gpuModel: "NVIDIA L4",
    memoryMB: 24_576,
    backends: 0b11,
    maxConcurrentJobs,
    metadataURI: "https://provider.example/meta.json",
  };
}

export function emptyCircuit(verifier: string, selector: string, numPublic: number) {
  return {
    verifier,
    selector,
    numPublic,
    active: true,
    modelCommitment: "0x" + "aa".repeat(32),
    zkeyHash: "0x" + "bb".repeat(32),
    wasmHash: "0x" + "cc".repeat(32),
    artifactsURI: "ipfs://artifacts",
  };
}

/** Deploys the protocol with `tokenName` ("TestToken" or "ReentrantToken"). */
export async function deployProtocol(
  ethers: HardhatEthers,
  tokenName: "TestToken" | "ReentrantToken" = "TestToken",
) {
  const [admin, treasury, requester, provider, provider2, keeper, other] = await ethers.getSigners();
  const deployed =
    tokenName === "TestToken"
      ? await ethers.deployContract("TestToken", ["Proofwork Test", "PWT"])
      : await ethers.deployContract("ReentrantToken");
  // Both expose faucet/approve/balanceOf with the same ABI.
  const token = await ethers.getContractAt("TestToken", await deployed.getAddress());
  const registry = await ethers.deployContract("CircuitRegistry", [admin.address]);
  // The market deploys its own staking contract (whose markets it and the batch market are,
  // immutably), then the batch market from the creation code whose hash it was built with.
  const batchCode = await batchMarketCreationCode(ethers);
  const market = await ethers.deployContract("JobMarket", [
    await token.getAddress(),
    await registry.getAddress(),
    admin.address,
    treasury.address,
    ECONOMICS,
    STAKING_CONFIG,
    keccak256(batchCode),
  ]);
  const staking = await ethers.getContractAt("ComputeStaking", await market.staking());
  await market.deployBatchMarket(batchCode);
  const batchMarket = await ethers.getContractAt("BatchMarket", await market.batchMarket());

  const verifier = await ethers.deployContract("MockVerifier");
  await registry.registerCircuit(
    CIRCUIT_ID,
    emptyCircuit(await verifier.getAddress(), await registry.snarkjsSelector(2), 2),
  );
  await registry.registerCircuit(
    CIRCUIT_OUT_ID,
    emptyCircuit(await verifier.getAddress(), await registry.snarkjsSelector(4), 4),
  );

  for (const who of [requester, provider, provider2, other]) await token.faucet(who.address, 100_000n * E18);
  for (const who of [requester, other]) {
    await token.connect(who).approve(await market.getAddress(), ethers.MaxUint256);
    await token.connect(who).approve(await batchMarket.getAddress(), ethers.MaxUint256);
  }
  for (const p of [provider, provider2]) {
    await token.connect(p).approve(await staking.getAddress(), ethers.MaxUint256);
    await staking.connect(p).stake(PROVIDER_STAKE);
    await staking.connect(p).register(capability());
  }
  return {
    token,
    reentrantToken: deployed,
    registry,
    staking,
    market,
    batchMarket,
    verifier,
    admin,
    treasury,
    requester,
    provider,
    provider2,
    keeper,
    other,
  };
}

export type Protocol = Awaited<ReturnType<typeof deployProtocol>>;

/** The BatchMarket creation code (no constructor arguments): its keccak256 is the JobMarket's
 * last constructor argument, and `deployBatchMarket` takes it. */
export async function batchMarketCreationCode(ethers: HardhatEthers): Promise<string> {
  return (await ethers.getContractFactory("BatchMarket")).bytecode;
}

/** Job terms with sensible defaults relative to `now`. */
export function jobParams(now: number, overrides: Partial<PostJobParams> = {}): PostJobParams {
  return {
    circuitId: CIRCUIT_ID,
    inputCommitment: 12345n,
    input: "0x" + "07".repeat(62),
    inputURI: "",
    minPrice: 10n * E18,
    maxPrice: 10n * E18,
    rampDuration: 0,
    collateral: 50n * E18,
    claimDeadline: now + HOUR,
    executionWindow: 10 * 60,
    verificationMode: 0,
    ...overrides,
  };
}

/** Reads `block.timestamp` of the latest block. */
export async function now(networkHelpers: NetworkHelpers): Promise<number> {
  return Number(await networkHelpers.time.latest());
}

/** Job terms as the market takes them back (`IJobMarket.JobTerms`), decoded by the SDK. */
export type JobTerms = SdkJobTerms;

/** The terms of job `jobId`, from its last `JobPosted` event (what claim/submit/cancel/... take);
 * all-zero terms for a job that was never posted (the market then reverts on its status). */
export async function termsOf(market: JobMarket, jobId: bigint | number): Promise<JobTerms> {
  const logs = await market.queryFilter(market.filters.JobPosted(jobId));
  const log = logs[logs.length - 1] as unknown as EventLog | undefined;
  if (log === undefined) return ZERO_TERMS;
  return decodeTerms(log.args.getValue("terms") as Result);
}

/** The claimer of job `jobId`, from its last `JobClaimed` event (zero address if never claimed). */
export async function claimerOf(market: JobMarket, jobId: bigint | number): Promise<string> {
  const logs = await market.queryFilter(market.filters.JobClaimed(jobId));
  const log = logs[logs.length - 1] as unknown as EventLog | undefined;
  return log === undefined ? "0x" + "00".repeat(20) : (log.args.getValue("provider") as string);
}

/** A job as a flat record: its slot, its terms, its claimer and the price its claim fixed. */
export async function jobOf(market: JobMarket, jobId: bigint | number) {
  const slot = await market.getJob(jobId);
  const terms = await termsOf(market, jobId);
  const status = Number(slot.status);
  const claimed = [Status.Claimed, Status.Completed, Status.Slashed, Status.Paid].includes(
    status as 2 | 3 | 6 | 7,
  );
  return {
    ...terms,
    status: slot.status,
    deadline: slot.deadline,
    commitment: slot.commitment,
    provider: claimed ? await claimerOf(market, jobId) : "0x" + "00".repeat(20),
    price: claimed ? await market.priceAt(terms, slot.deadline - BigInt(terms.executionWindow)) : 0n,
  };
}

/**
 * `posted()` / `claimed()`: the fixture with job 1 posted by the requester (and claimed by
 * `provider`), for tests that start from an open or a claimed job.
 */
export function jobSteps(networkHelpers: NetworkHelpers, fixture: () => Promise<Protocol>) {
  async function posted(overrides: Partial<PostJobParams> = {}) {
    const p = await networkHelpers.loadFixture(fixture);
    const params = jobParams(await now(networkHelpers), overrides);
    await p.market.connect(p.requester).postJob(params);
    return { ...p, params, jobId: 1n };
  }
  async function claimed(overrides: Partial<PostJobParams> = {}) {
    const p = await posted(overrides);
    await p.market.connect(p.provider).claim(p.jobId, await termsOf(p.market, p.jobId));
    return p;
  }
  return { posted, claimed };
}
