/**
 * The benches' protocol on an in-process chain (bench/gas.ts, bench/batch-sampling.ts): token,
 * registry, market with its staking and batch market, funded requesters and two staked providers.
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { keccak256 } from "ethers";
import { connectContracts, type ProofworkContracts } from "../sdk/node.ts";

const E18 = 10n ** 18n;
const DAY = 86_400;
/** > MAX_JOB_LIFETIME + SLASH_WINDOW. */
export const UNBONDING_PERIOD = 12 * DAY;

export /** The protocol on the in-process chain: token, registry, market (+ its staking), two staked providers. */
async function deployForBench(ethers: HardhatEthers) {
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
