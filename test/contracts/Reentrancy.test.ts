import { expect } from "chai";
import { network } from "hardhat";
import {
  DAY,
  PROOF,
  UNBONDING_PERIOD,
  deployProtocol,
  jobParams,
  now,
  termsOf,
  claimerOf,
} from "./fixtures.ts";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

/**
 * A token with a transfer hook (ReentrantToken, test-only) tries to re-enter every token-moving
 * function from inside its transfer; the transient reentrancy guard must stop each attempt.
 */
describe("Reentrancy (ReentrantToken)", function () {
  async function fixture() {
    const p = await deployProtocol(ethers, "ReentrantToken");
    const evil = await ethers.getContractAt("ReentrantToken", await p.token.getAddress());
    const t = await now(networkHelpers);
    await p.market.connect(p.requester).postJob(jobParams(t));
    await p.market.connect(p.requester).postJob(jobParams(t));
    return { ...p, evil };
  }

  it("test_cancel_cannotBeReenteredFromTokenHook", async function () {
    const { market, evil, requester } = await loadFixture(fixture);
    const terms2 = await termsOf(market, 2n);
    await evil.arm(await market.getAddress(), market.interface.encodeFunctionData("cancel", [2n, terms2]));
    await expect(
      market.connect(requester).cancel(1n, await termsOf(market, 1n)),
    ).to.be.revertedWithCustomError(market, "ReentrancyGuard__ReentrantCall");
  });

  it("test_collect_cannotBeReenteredFromTokenHook", async function () {
    const { market, evil, provider } = await loadFixture(fixture);
    const terms = await termsOf(market, 1n);
    await market.connect(provider).claim(1n, terms);
    await market.connect(provider).submit(1n, terms, PROOF, []);
    const jobs = [{ jobId: 1n, terms, outputs: [] }];
    await evil.arm(
      await market.getAddress(),
      market.interface.encodeFunctionData("collect", [provider.address, jobs]),
    );
    await expect(market.connect(provider).collect(provider.address, jobs)).to.be.revertedWithCustomError(
      market,
      "ReentrancyGuard__ReentrantCall",
    );
  });

  it("test_slashExpired_cannotBeReenteredFromTokenHook", async function () {
    const { market, evil, provider, keeper } = await loadFixture(fixture);
    await market.connect(provider).claim(1n, await termsOf(market, 1n));
    await time.increase(DAY);
    await evil.arm(await market.getAddress(), market.interface.encodeFunctionData("withdrawFees"));
    await expect(
      market.connect(keeper).slashExpired(1n, await termsOf(market, 1n), await claimerOf(market, 1n)),
    ).to.be.revertedWithCustomError(market, "ReentrancyGuard__ReentrantCall");
  });

  it("test_withdraw_cannotBeReenteredFromTokenHook", async function () {
    const { staking, evil, provider } = await loadFixture(fixture);
    await staking.connect(provider).requestUnstake(10n);
    await time.increase(UNBONDING_PERIOD);
    await evil.arm(await staking.getAddress(), staking.interface.encodeFunctionData("withdraw"));
    await expect(staking.connect(provider).withdraw()).to.be.revertedWithCustomError(
      staking,
      "ReentrancyGuard__ReentrantCall",
    );
  });

  it("test_unarmedReentrantToken_settlesNormally", async function () {
    const { market, provider } = await loadFixture(fixture);
    await market.connect(provider).claim(1n, await termsOf(market, 1n));
    await expect(market.connect(provider).submit(1n, await termsOf(market, 1n), PROOF, [])).to.emit(
      market,
      "JobCompleted",
    );
  });
});
