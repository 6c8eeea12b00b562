import { expect } from "chai";
import { network } from "hardhat";
import {
  DAY,
  E18,
  JAIL_PERIOD,
  JAIL_THRESHOLD,
  MIN_STAKE,
  PROOF,
  PROVIDER_STAKE,
  UNBONDING_PERIOD,
  capability,
  deployProtocol,
  jobParams,
  now,
  termsOf,
  claimerOf,
} from "./fixtures.ts";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

const MIN_UNBONDING = 11 * DAY; // MAX_CLAIM_PERIOD 7d + MAX_EXECUTION_WINDOW 2d + SLASH_WINDOW 2d

describe("ComputeStaking", function () {
  async function fixture() {
    return deployProtocol(ethers);
  }

  /** A standalone staking contract whose markets are the `keeper` and `treasury` signers, for the
   * direct lock/unlock/slash unit tests (in production the markets are the JobMarket that deployed
   * it and its BatchMarket). */
  async function directFixture() {
    const p = await deployProtocol(ethers);
    const direct = await ethers.deployContract("ComputeStaking", [
      await p.token.getAddress(),
      p.keeper.address,
      p.treasury.address,
      p.admin.address,
      MIN_STAKE,
      UNBONDING_PERIOD,
      JAIL_THRESHOLD,
      JAIL_PERIOD,
    ]);
    await p.token.connect(p.provider).approve(await direct.getAddress(), ethers.MaxUint256);
    await direct.connect(p.provider).stake(PROVIDER_STAKE);
    await direct.connect(p.provider).register(capability());
    return { ...p, staking: direct.connect(p.keeper), direct };
  }

  // ═════════════════════════════════════════ stake ══════════════════════════════════════════════

  describe("stake", function () {
    it("test_stake_pullsTokensAndBonds", async function () {
      const { staking, token, other } = await loadFixture(fixture);
      await token.connect(other).approve(await staking.getAddress(), 500n * E18);
      const tx = staking.connect(other).stake(500n * E18);
      await expect(tx)
        .to.emit(staking, "Staked")
        .withArgs(other.address, 500n * E18, 500n * E18);
      await expect(tx).to.changeTokenBalances(
        ethers,
        token,
        [other, await staking.getAddress()],
        [-500n * E18, 500n * E18],
      );
      expect((await staking.getProvider(other.address)).stake).to.equal(500n * E18);
      expect(await staking.totalStaked()).to.equal(2n * PROVIDER_STAKE + 500n * E18);
      expect(await staking.freeStake(other.address)).to.equal(500n * E18);
    });

    it("test_stake_revertsOnZero", async function () {
      const { staking, provider } = await loadFixture(fixture);
      await expect(staking.connect(provider).stake(0)).to.be.revertedWithCustomError(
        staking,
        "Staking__ZeroAmount",
      );
    });

    it("test_stake_revertsWhilePaused", async function () {
      const { staking, provider } = await loadFixture(fixture);
      await staking.pause();
      await expect(staking.connect(provider).stake(1)).to.be.revertedWithCustomError(
        staking,
        "EnforcedPause",
      );
    });

    it("test_stake_revertsBeyondUint96", async function () {
      const { staking, provider } = await loadFixture(fixture);
      const tooMuch = 2n ** 96n;
      await expect(staking.connect(provider).stake(tooMuch))
        .to.be.revertedWithCustomError(staking, "Staking__AmountTooLarge")
        .withArgs(tooMuch + PROVIDER_STAKE);
    });
  });

  // ═══════════════════════════════════ requestUnstake / withdraw ════════════════════════════════

  describe("requestUnstake and withdraw", function () {
    it("test_requestUnstake_movesStakeToUnbonding", async function () {
      const { staking, provider } = await loadFixture(fixture);
      const t = await now(networkHelpers);
      await time.setNextBlockTimestamp(t + 1);
      await expect(staking.connect(provider).requestUnstake(300n * E18))
        .to.emit(staking, "UnstakeRequested")
        .withArgs(provider.address, 300n * E18, 300n * E18, t + 1 + UNBONDING_PERIOD);
      const info = await staking.getProvider(provider.address);
      expect(info.stake).to.equal(PROVIDER_STAKE - 300n * E18);
      expect(info.unbonding).to.equal(300n * E18);
      expect(info.unbondingEnd).to.equal(BigInt(t + 1 + UNBONDING_PERIOD));
      expect(await staking.totalStaked()).to.equal(2n * PROVIDER_STAKE);
    });

    it("test_requestUnstake_revertsOnZeroOrMoreThanBonded", async function () {
      const { staking, provider } = await loadFixture(fixture);
      await expect(staking.connect(provider).requestUnstake(0)).to.be.revertedWithCustomError(
        staking,
        "Staking__ZeroAmount",
      );
      await expect(staking.connect(provider).requestUnstake(PROVIDER_STAKE + 1n))
        .to.be.revertedWithCustomError(staking, "Staking__InsufficientStake")
        .withArgs(PROVIDER_STAKE, PROVIDER_STAKE + 1n);
    });

    it("test_withdraw_afterUnbondingPeriod", async function () {
      const { staking, token, provider } = await loadFixture(fixture);
      await staking.connect(provider).requestUnstake(300n * E18);
      const end = (await staking.getProvider(provider.address)).unbondingEnd;
      await time.setNextBlockTimestamp(end - 1n);
      await expect(staking.connect(provider).withdraw())
        .to.be.revertedWithCustomError(staking, "Staking__StillUnbonding")
        .withArgs(end);
      await staking.pause(); // withdraw is never paused
      const tx = staking.connect(provider).withdraw();
      await expect(tx)
        .to.emit(staking, "Withdrawn")
        .withArgs(provider.address, 300n * E18);
      await expect(tx).to.changeTokenBalances(
        ethers,
        token,
        [provider, await staking.getAddress()],
        [300n * E18, -300n * E18],
      );
      expect((await staking.getProvider(provider.address)).unbonding).to.equal(0n);
      expect(await staking.totalStaked()).to.equal(2n * PROVIDER_STAKE - 300n * E18);
    });

    it("test_withdraw_revertsWithNothingUnbonding", async function () {
      const { staking, provider } = await loadFixture(fixture);
      await expect(staking.connect(provider).withdraw())
        .to.be.revertedWithCustomError(staking, "Staking__NothingToWithdraw")
        .withArgs(0n, 0n);
    });

    it("test_withdraw_keepsUnbondingStakeThatBacksLockedCollateral", async function () {
      const { staking, provider } = await loadFixture(directFixture);
      await staking.lock(provider.address, 400n * E18);
      await staking.connect(provider).requestUnstake(PROVIDER_STAKE); // all of it, locked part included
      expect(await staking.freeStake(provider.address)).to.equal(0n);
      await time.increase(UNBONDING_PERIOD);
      await expect(staking.connect(provider).withdraw())
        .to.emit(staking, "Withdrawn")
        .withArgs(provider.address, PROVIDER_STAKE - 400n * E18);
      await expect(staking.connect(provider).withdraw())
        .to.be.revertedWithCustomError(staking, "Staking__NothingToWithdraw")
        .withArgs(400n * E18, 400n * E18);
      // The job settles: the collateral is released and becomes withdrawable.
      await staking.unlock(provider.address, 400n * E18);
      await expect(staking.connect(provider).withdraw())
        .to.emit(staking, "Withdrawn")
        .withArgs(provider.address, 400n * E18);
    });

    it("test_slash_drawsFromUnbondingStake (unbonding stays slashable)", async function () {
      const p = await loadFixture(fixture);
      const t = await now(networkHelpers);
      await p.market.connect(p.requester).postJob(jobParams(t, { collateral: 400n * E18 }));
      await p.market.connect(p.provider).claim(1n, await termsOf(p.market, 1n));
      await p.staking.connect(p.provider).requestUnstake(PROVIDER_STAKE);
      await time.increase(DAY);
      await p.market
        .connect(p.keeper)
        .slashExpired(1n, await termsOf(p.market, 1n), await claimerOf(p.market, 1n));
      const info = await p.staking.getProvider(p.provider.address);
      expect(info.stake).to.equal(0n);
      expect(info.unbonding).to.equal(PROVIDER_STAKE - 400n * E18);
      expect(info.locked).to.equal(0n);
      await time.increase(UNBONDING_PERIOD);
      await expect(p.staking.connect(p.provider).withdraw())
        .to.emit(p.staking, "Withdrawn")
        .withArgs(p.provider.address, PROVIDER_STAKE - 400n * E18);
    });
  });

  // ═══════════════════════════════════════ registration ═════════════════════════════════════════

  describe("register and updateCapability", function () {
    it("test_register_storesCapability", async function () {
      const { staking, other } = await loadFixture(fixture);
      expect(await staking.isRegistered(other.address)).to.equal(false);
      await expect(staking.connect(other).register(capability(2))).to.emit(staking, "ProviderRegistered");
      expect(await staking.isRegistered(other.address)).to.equal(true);
      const c = await staking.getCapability(other.address);
      expect(c.gpuModel).to.equal("NVIDIA L4");
      expect(c.memoryMB).to.equal(24_576n);
      expect(c.backends).to.equal(3n);
      expect(c.maxConcurrentJobs).to.equal(2n);
      expect(c.metadataURI).to.equal("https://provider.example/meta.json");
    });

    it("test_register_revertsWhenAlreadyRegistered", async function () {
      const { staking, provider } = await loadFixture(fixture);
      await expect(staking.connect(provider).register(capability()))
        .to.be.revertedWithCustomError(staking, "Staking__AlreadyRegistered")
        .withArgs(provider.address);
    });

    it("test_register_revertsOnInvalidCapability", async function () {
      const { staking, other } = await loadFixture(fixture);
      const cases: [ReturnType<typeof capability>, number][] = [
        [{ ...capability(), maxConcurrentJobs: 0 }, 1],
        [{ ...capability(), gpuModel: "x".repeat(65) }, 2],
        [{ ...capability(), metadataURI: "x".repeat(257) }, 3],
      ];
      for (const [cap, reason] of cases) {
        await expect(staking.connect(other).register(cap))
          .to.be.revertedWithCustomError(staking, "Staking__InvalidCapability")
          .withArgs(reason);
      }
    });

    it("test_updateCapability_replacesRecord", async function () {
      const { staking, provider, other } = await loadFixture(fixture);
      await expect(staking.connect(provider).updateCapability({ ...capability(9), gpuModel: "cpu" })).to.emit(
        staking,
        "CapabilityUpdated",
      );
      const c = await staking.getCapability(provider.address);
      expect(c.gpuModel).to.equal("cpu");
      expect(c.maxConcurrentJobs).to.equal(9n);
      await expect(staking.connect(other).updateCapability(capability()))
        .to.be.revertedWithCustomError(staking, "Staking__NotRegistered")
        .withArgs(other.address);
    });
  });

  // ════════════════════════════════════ lock / unlock / slash ═══════════════════════════════════

  describe("market functions", function () {
    it("test_lock_unlock_recordsReputation", async function () {
      const { staking, provider } = await loadFixture(directFixture);
      await expect(staking.lock(provider.address, 100n * E18))
        .to.emit(staking, "CollateralLocked")
        .withArgs(provider.address, 100n * E18, 100n * E18);
      expect(await staking.freeStake(provider.address)).to.equal(PROVIDER_STAKE - 100n * E18);
      await expect(staking.unlock(provider.address, 100n * E18))
        .to.emit(staking, "CollateralUnlocked")
        .withArgs(provider.address, 100n * E18, 0n);
      const info = await staking.getProvider(provider.address);
      expect(info.jobsCompleted).to.equal(1n);
      expect(info.openJobs).to.equal(0n);
    });

    it("test_lock_revertsWhenFreeStakeTooLow", async function () {
      const { staking, provider } = await loadFixture(directFixture);
      await staking.lock(provider.address, 900n * E18);
      await expect(staking.lock(provider.address, 100n * E18 + 1n))
        .to.be.revertedWithCustomError(staking, "Staking__InsufficientStake")
        .withArgs(100n * E18, 100n * E18 + 1n);
    });

    it("test_unlockAndSlash_revertBeyondLocked", async function () {
      const { staking, provider, keeper } = await loadFixture(directFixture);
      await staking.lock(provider.address, 10n);
      await expect(staking.unlock(provider.address, 11n))
        .to.be.revertedWithCustomError(staking, "Staking__ExceedsLocked")
        .withArgs(10n, 11n);
      await expect(staking.slash(provider.address, 11n, keeper.address))
        .to.be.revertedWithCustomError(staking, "Staking__ExceedsLocked")
        .withArgs(10n, 11n);
    });

    it("test_slash_transfersToRecipientAndCountsFailure", async function () {
      const { staking, token, provider, keeper } = await loadFixture(directFixture);
      await staking.lock(provider.address, 10n * E18);
      const tx = staking.slash(provider.address, 10n * E18, keeper.address);
      await expect(tx)
        .to.emit(staking, "Slashed")
        .withArgs(provider.address, 10n * E18, keeper.address);
      await expect(tx).to.changeTokenBalances(
        ethers,
        token,
        [keeper, await staking.getAddress()],
        [10n * E18, -10n * E18],
      );
      const info = await staking.getProvider(provider.address);
      expect(info.totalSlashed).to.equal(10n * E18);
      expect(info.jobsFailed).to.equal(1n);
      expect(info.consecutiveFailures).to.equal(1n);
    });

    it("test_marketFunctions_revertForNonMarket", async function () {
      const { staking, provider, other } = await loadFixture(directFixture);
      for (const call of [
        () => staking.connect(other).lock(provider.address, 1),
        () => staking.connect(other).unlock(provider.address, 1),
        () => staking.connect(other).slash(provider.address, 1, other.address),
      ]) {
        await expect(call())
          .to.be.revertedWithCustomError(staking, "Staking__NotMarket")
          .withArgs(other.address);
      }
    });

    it("test_marketFunctions_acceptTheSecondMarket (the batch market)", async function () {
      const { direct, token, provider, treasury } = await loadFixture(directFixture);
      const batch = direct.connect(treasury);
      // two jobs: one completed, one slashed
      await expect(batch.lock(provider.address, 4n * E18))
        .to.emit(direct, "CollateralLocked")
        .withArgs(provider.address, 4n * E18, 4n * E18);
      await batch.lock(provider.address, 6n * E18);
      await expect(batch.unlock(provider.address, 4n * E18))
        .to.emit(direct, "CollateralUnlocked")
        .withArgs(provider.address, 4n * E18, 6n * E18);
      await expect(batch.slash(provider.address, 6n * E18, treasury.address)).to.changeTokenBalances(
        ethers,
        token,
        [treasury, await direct.getAddress()],
        [6n * E18, -6n * E18],
      );
      expect(await direct.batchMarket()).to.equal(treasury.address);
      const info = await direct.getProvider(provider.address);
      expect([info.locked, info.openJobs, info.jobsCompleted, info.jobsFailed]).to.deep.equal([
        0n,
        0n,
        1n,
        1n,
      ]);
    });

    it("test_isActive_reflectsStakeJailAndRegistration", async function () {
      const { staking, provider, other } = await loadFixture(fixture);
      expect(await staking.isActive(provider.address)).to.equal(true);
      expect(await staking.isActive(other.address)).to.equal(false);
      await staking.connect(provider).requestUnstake(PROVIDER_STAKE - MIN_STAKE + 1n);
      expect(await staking.isActive(provider.address)).to.equal(false);
    });
  });

  // ═════════════════════════════════════════ governance ═════════════════════════════════════════

  describe("governance", function () {
    it("test_setMinStake_boundedAndEmits", async function () {
      const { staking } = await loadFixture(fixture);
      await expect(staking.setMinStake(E18)).to.emit(staking, "MinStakeSet").withArgs(E18);
      expect(await staking.minStake()).to.equal(E18);
      await expect(staking.setMinStake(10n ** 27n + 1n))
        .to.be.revertedWithCustomError(staking, "Staking__ParameterOutOfBounds")
        .withArgs(10n ** 27n + 1n, E18, 10n ** 27n);
      // A lower bound above zero: a provider identity must cost something (ProtocolBounds).
      for (const tooLow of [0n, E18 - 1n]) {
        await expect(staking.setMinStake(tooLow))
          .to.be.revertedWithCustomError(staking, "Staking__ParameterOutOfBounds")
          .withArgs(tooLow, E18, 10n ** 27n);
      }
    });

    it("test_setUnbondingPeriod_mustExceedJobLifetimePlusSlashWindow", async function () {
      const { staking } = await loadFixture(fixture);
      await expect(staking.setUnbondingPeriod(MIN_UNBONDING))
        .to.be.revertedWithCustomError(staking, "Staking__ParameterOutOfBounds")
        .withArgs(MIN_UNBONDING, MIN_UNBONDING + 1, 90 * DAY);
      await expect(staking.setUnbondingPeriod(90 * DAY + 1))
        .to.be.revertedWithCustomError(staking, "Staking__ParameterOutOfBounds")
        .withArgs(90 * DAY + 1, MIN_UNBONDING + 1, 90 * DAY);
      await expect(staking.setUnbondingPeriod(MIN_UNBONDING + 1))
        .to.emit(staking, "UnbondingPeriodSet")
        .withArgs(MIN_UNBONDING + 1);
      expect(await staking.unbondingPeriod()).to.equal(BigInt(MIN_UNBONDING + 1));
    });

    it("test_setJailPolicy_boundedAndEmits", async function () {
      const { staking } = await loadFixture(fixture);
      await expect(staking.setJailPolicy(5, 2 * DAY))
        .to.emit(staking, "JailPolicySet")
        .withArgs(5, 2 * DAY);
      expect(await staking.jailThreshold()).to.equal(5n);
      expect(await staking.jailPeriod()).to.equal(BigInt(2 * DAY));
      await expect(staking.setJailPolicy(0, DAY))
        .to.be.revertedWithCustomError(staking, "Staking__ParameterOutOfBounds")
        .withArgs(0, 1, 100);
      await expect(staking.setJailPolicy(101, DAY))
        .to.be.revertedWithCustomError(staking, "Staking__ParameterOutOfBounds")
        .withArgs(101, 1, 100);
      await expect(staking.setJailPolicy(3, 90 * DAY + 1))
        .to.be.revertedWithCustomError(staking, "Staking__ParameterOutOfBounds")
        .withArgs(90 * DAY + 1, 0, 90 * DAY);
    });

    it("test_governance_revertsForNonAdmin", async function () {
      const { staking, other } = await loadFixture(fixture);
      const admin = await staking.DEFAULT_ADMIN_ROLE();
      const pauser = await staking.PAUSER_ROLE();
      for (const call of [
        () => staking.connect(other).setMinStake(1),
        () => staking.connect(other).setUnbondingPeriod(MIN_UNBONDING + 1),
        () => staking.connect(other).setJailPolicy(1, 1),
      ]) {
        await expect(call())
          .to.be.revertedWithCustomError(staking, "AccessControlUnauthorizedAccount")
          .withArgs(other.address, admin);
      }
      await expect(staking.connect(other).pause())
        .to.be.revertedWithCustomError(staking, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, pauser);
    });

    it("test_constructor_enforcesBounds", async function () {
      const { token, admin } = await loadFixture(fixture);
      const factory = await ethers.getContractFactory("ComputeStaking");
      const t = await token.getAddress();
      await expect(
        ethers.deployContract("ComputeStaking", [
          t,
          admin.address,
          admin.address,
          admin.address,
          MIN_STAKE,
          MIN_UNBONDING,
          JAIL_THRESHOLD,
          JAIL_PERIOD,
        ]),
      )
        .to.be.revertedWithCustomError(factory, "Staking__ParameterOutOfBounds")
        .withArgs(MIN_UNBONDING, MIN_UNBONDING + 1, 90 * DAY);
      await expect(
        ethers.deployContract("ComputeStaking", [
          ethers.ZeroAddress,
          admin.address,
          admin.address,
          admin.address,
          MIN_STAKE,
          UNBONDING_PERIOD,
          JAIL_THRESHOLD,
          JAIL_PERIOD,
        ]),
      ).to.be.revertedWithCustomError(factory, "Staking__ZeroAddress");
      // a zero market, a zero batch market, and a minimum stake of zero
      for (const [market, batchMarket] of [
        [ethers.ZeroAddress, admin.address],
        [admin.address, ethers.ZeroAddress],
      ]) {
        await expect(
          ethers.deployContract("ComputeStaking", [
            t,
            market,
            batchMarket,
            admin.address,
            MIN_STAKE,
            UNBONDING_PERIOD,
            JAIL_THRESHOLD,
            JAIL_PERIOD,
          ]),
        ).to.be.revertedWithCustomError(factory, "Staking__ZeroAddress");
      }
      await expect(
        ethers.deployContract("ComputeStaking", [
          t,
          admin.address,
          admin.address,
          admin.address,
          0n,
          UNBONDING_PERIOD,
          JAIL_THRESHOLD,
          JAIL_PERIOD,
        ]),
      )
        .to.be.revertedWithCustomError(factory, "Staking__ParameterOutOfBounds")
        .withArgs(0n, E18, 10n ** 27n);
    });
  });

  it("test_reputation_countsCompletedAndFailedJobsThroughMarket", async function () {
    const p = await loadFixture(fixture);
    const t = await now(networkHelpers);
    await p.market.connect(p.requester).postJob(jobParams(t));
    await p.market.connect(p.requester).postJob(jobParams(t));
    await p.market.connect(p.provider).claim(1n, await termsOf(p.market, 1n));
    await p.market.connect(p.provider).claim(2n, await termsOf(p.market, 2n));
    await p.market.connect(p.provider).submit(1n, await termsOf(p.market, 1n), PROOF, []);
    await time.increase(DAY);
    await p.market
      .connect(p.keeper)
      .slashExpired(2n, await termsOf(p.market, 2n), await claimerOf(p.market, 2n));
    const info = await p.staking.getProvider(p.provider.address);
    expect(info.jobsCompleted).to.equal(1n);
    expect(info.jobsFailed).to.equal(1n);
    expect(info.totalSlashed).to.equal(jobParams(t).collateral);
  });
});
