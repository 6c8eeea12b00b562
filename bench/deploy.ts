/**
 * The benches' protocol on an in-process chain (bench/gas.ts, bench/batch-gas.ts,
 * bench/batch-sampling.ts): token, registry, market with its staking and batch market, funded
 * requesters and two staked providers; a circuit's registration and a batch post's common terms.
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { ZeroHash, keccak256 } from "ethers";
import {
  connectContracts,
  snarkjsSelector,
  type PostBatchParams,
  type ProofworkContracts,
} from "../sdk/node.ts";

const E18 = 10n ** 18n;
const DAY = 86_400;
/** > MAX_JOB_LIFETIME + SLASH_WINDOW. */
export const UNBONDING_PERIOD = 12 * DAY;

/** The protocol on the in-process chain: token, registry, market (+ its staking), two staked providers. */
export async function deployForBench(ethers: HardhatEthers) {
  const [admin, treasury, requester, provider, provider2, keeper, other] = await ethers.getSigners();
  const token = await ethers.deployContract("TestToken", ["Proofwork Test", "PWT"]);
  const registry = await ethers.deployContract("CircuitRegistry", [admin!.address]);
  const batchCode = (await ethers.getContractFactory("BatchMarket")).bytecode;
  const market = await ethers.deployContract("JobMarket", [
    await token.getAddress(),
    await registry.getAddress(),
    admin!.address,
    treasury!.address,
    { feeBps: 250, slashRequesterBps: 5_000, slashBountyBps: 1_000 },
    { minStake: 100n * E18, unbondingPeriod: UNBONDING_PERIOD, jailThreshold: 3, jailPeriod: DAY },
    keccak256(batchCode),
  ]);
  await market.getFunction("deployBatchMarket")(batchCode);
  const contracts: ProofworkContracts = connectContracts(
    {
      contracts: {
        token: await token.getAddress(),
        registry: await registry.getAddress(),
        market: await market.getAddress(),
        staking: await market.getFunction("staking")(),
        batchMarket: await market.getFunction("batchMarket")(),
      },
    },
    admin!,
  );
  const cap = (maxConcurrentJobs: number) => ({
    gpuModel: "NVIDIA L4",
    memoryMB: 24_576,
    backends: 3,
    maxConcurrentJobs,
    metadataURI: "https://provider.example/meta.json",
  });
  for (const who of [requester!, provider!, provider2!, other!])
    await contracts.token.faucet(who.address, 100_000n * E18);
  for (const who of [requester!, other!]) {
    await contracts.token.connect(who).approve(await market.getAddress(), ethers.MaxUint256);
  }
  for (const [p, jobs] of [
    [provider!, 4],
    [provider2!, 1000],
  ] as const) {
    await contracts.token.connect(p).approve(await contracts.staking.getAddress(), ethers.MaxUint256);
    await contracts.staking.connect(p).stake(1_000n * E18);
    await contracts.staking.connect(p).register(cap(jobs));
  }
  return {
    ...contracts,
    requester: requester!,
    provider: provider!,
    provider2: provider2!,
    keeper: keeper!,
    other: other!,
  };
}

/** Registers `verifier` for `circuitId` with `numPublic` signals (placeholder artifact hashes). */
export async function registerBenchCircuit(
  p: Pick<ProofworkContracts, "registry">,
  circuitId: string,
  verifier: string,
  numPublic: number,
): Promise<void> {
  await (
    await p.registry.registerCircuit(circuitId, {
      verifier,
      selector: snarkjsSelector(numPublic),
      numPublic,
      active: true,
      modelCommitment: ZeroHash,
      zkeyHash: "0x" + "bb".repeat(32),
      wasmHash: "0x" + "cc".repeat(32),
      artifactsURI: "ipfs://artifacts",
    })
  ).wait();
}

const HOUR = 3_600;

/**
 * A batch post of the benches: 100 PWT fixed price, 200 PWT collateral, 4 challenges of 1 PWT,
 * hour-long windows, claimable for an hour from `now`; the job's own fields in `job`.
 */
export function benchBatchParams(
  now: number,
  job: Pick<
    PostBatchParams,
    "circuitId" | "keyHash" | "inputsRoot" | "inputsHash" | "numSamples" | "sampleSize"
  > &
    Partial<PostBatchParams>,
): PostBatchParams {
  return {
    slots: 0,
    treeDepth: 0,
    inputsURI: "https://datasets.example/mnist-10k.bin",
    maxChallenges: 4,
    challengeBond: E18,
    minPrice: 100n * E18,
    maxPrice: 100n * E18,
    rampDuration: 0,
    collateral: 200n * E18,
    claimDeadline: now + HOUR,
    commitWindow: HOUR,
    proveWindow: HOUR,
    challengeWindow: HOUR,
    answerWindow: HOUR,
    ...job,
  };
}
