/**
 * What governance can and cannot do (issue 10): no role reaches a provider's stake or a requester's
 * escrow except through the protocol's rules; the deal of a job (fee, slash split) is fixed when it
 * is posted; a deactivated circuit stops being served and its open jobs refund at once; tokens that
 * do not move what they say are refused at deposit; the timelock that holds the admin roles on
 * public networks waits longer than any job lives. Proofs are checked by MockVerifier (test-only).
 */
import { expect } from "chai";
import { keccak256 } from "ethers";
import { network } from "hardhat";
import {
  CIRCUIT_ID,
  batchMarketCreationCode,
  DAY,
  E18,
  ECONOMICS,
  HOUR,
  PROOF,
  PROVIDER_STAKE,
  STAKING_CONFIG,
  Status,
  capability,
  deployProtocol,
  emptyCircuit,
  jobOf,
  jobParams,
  jobSteps,
  now,
  termsOf,
} from "./fixtures.ts";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

/** ProtocolBounds.MAX_JOB_LIFETIME + SLASH_WINDOW: 7 + 2 + 2 days. */
const MIN_GOVERNANCE_DELAY = 11 * DAY;

describe("Governance cannot touch funds or deals", function () {
  async function fixture() {
    return deployProtocol(ethers);
  }
  const { posted, claimed } = jobSteps(networkHelpers, fixture);

  describe("stake and escrow", function () {
    it("test_governance_cannotLockUnlockOrSlashStake (even after granting itself every role)", async function () {
      const { staking, market, admin, provider } = await loadFixture(fixture);
      // The market is fixed at construction: no role, whatever its name, grants lock/unlock/slash.
      for (const role of [
        await staking.DEFAULT_ADMIN_ROLE(),
        await staking.PAUSER_ROLE(),
        ethers.id("MARKET_ROLE"),
      ]) {
        await staking.grantRole(role, admin.address);
      }
      expect(await staking.market()).to.equal(await market.getAddress());
      for (const call of [
        () => staking.lock(provider.address, PROVIDER_STAKE),
        () => staking.unlock(provider.address, 0),
        () => staking.slash(provider.address, 0, admin.address),
      ]) {
        await expect(call())
          .to.be.revertedWithCustomError(staking, "Staking__NotMarket")
          .withArgs(admin.address);
      }
    });

    it("test_governance_cannotUnlockLiveCollateral_slashExpiredStillPaysTheRequester", async function () {
      const { market, staking, token, admin, requester, provider, keeper, params, jobId } = await claimed();
      // The old attack: unlock the live job's collateral so that slashExpired reverts for ever.
      await staking.grantRole(ethers.id("MARKET_ROLE"), admin.address);
      await expect(staking.unlock(provider.address, params.collateral))
        .to.be.revertedWithCustomError(staking, "Staking__NotMarket")
        .withArgs(admin.address);
      await time.increase(params.executionWindow + 1);
      const toRequester = (params.collateral * BigInt(ECONOMICS.slashRequesterBps)) / 10_000n;
      const before = await token.balanceOf(requester.address);
      await market.connect(keeper).slashExpired(jobId, await termsOf(market, jobId), provider.address);
      expect((await token.balanceOf(requester.address)) - before).to.equal(params.maxPrice + toRequester);
      expect((await staking.getProvider(provider.address)).locked).to.equal(0n);
    });
  });

  describe("the deal is fixed when the job is posted", function () {
    it("test_feeChangeAfterPost_doesNotApplyToThePostedJob", async function () {
      const { market, token, provider, keeper, params, jobId } = await posted();
      const terms = await termsOf(market, jobId);
      expect(terms.feeBps).to.equal(Number(ECONOMICS.feeBps));
      await market.setFee(1_000); // 2.5% → 10%, after the post, before the claim
      await market.connect(provider).claim(jobId, terms);
      await market.connect(provider).submit(jobId, terms, PROOF, []);
      const fee = (params.maxPrice * ECONOMICS.feeBps) / 10_000n;
      const tx = market.connect(keeper).collect(provider.address, [{ jobId, terms, outputs: [] }]);
      await expect(tx)
        .to.emit(market, "JobPaid")
        .withArgs(jobId, provider.address, params.maxPrice - fee, fee, 0n);
      await expect(tx).to.changeTokenBalances(ethers, token, [provider], [params.maxPrice - fee]);
      expect(await market.accruedFees()).to.equal(fee);
      // A job posted now gets the new fee.
      await market.connect((await ethers.getSigners())[2]!).postJob(jobParams(await now(networkHelpers)));
      expect((await termsOf(market, 2n)).feeBps).to.equal(1_000);
    });

    it("test_slashSplitChangeAfterPost_doesNotApplyToThePostedJob", async function () {
      const { market, token, requester, provider, keeper, params, jobId } = await posted();
      const terms = await termsOf(market, jobId);
      await market.setSlashSplit(0, 0); // everything to the treasury, after the post
      await market.connect(provider).claim(jobId, terms);
      await time.increase(params.executionWindow + 1);
      const toRequester = (params.collateral * ECONOMICS.slashRequesterBps) / 10_000n;
      const bounty = (params.collateral * ECONOMICS.slashBountyBps) / 10_000n;
      const tx = market.connect(keeper).slashExpired(jobId, terms, provider.address);
      await expect(tx)
        .to.emit(market, "JobSlashed")
        .withArgs(
          jobId,
          provider.address,
          keeper.address,
          toRequester,
          bounty,
          params.collateral - toRequester - bounty,
          params.maxPrice,
        );
      await expect(tx).to.changeTokenBalances(
        ethers,
        token,
        [requester, keeper],
        [params.maxPrice + toRequester, bounty],
      );
    });

    it("test_termsWithAnotherFee_areForgedTerms", async function () {
      const { market, provider, jobId } = await posted();
      const terms = await termsOf(market, jobId);
      await expect(market.connect(provider).claim(jobId, { ...terms, feeBps: 0 }))
        .to.be.revertedWithCustomError(market, "Market__TermsMismatch")
        .withArgs(jobId);
    });
  });

  describe("deactivating a circuit", function () {
    it("test_deactivatedCircuit_stopsNewClaims", async function () {
      const { market, registry, provider, jobId } = await posted();
      await registry.setActive(CIRCUIT_ID, false);
      await expect(market.connect(provider).claim(jobId, await termsOf(market, jobId)))
        .to.be.revertedWithCustomError(market, "Market__CircuitNotActive")
        .withArgs(CIRCUIT_ID);
      await registry.setActive(CIRCUIT_ID, true);
      await expect(market.connect(provider).claim(jobId, await termsOf(market, jobId))).to.emit(
        market,
        "JobClaimed",
      );
    });

    it("test_deactivatedCircuit_openJobsRefundAtOnce (reclaim before the claim deadline, cancel)", async function () {
      const p = await loadFixture(fixture);
      const t = await now(networkHelpers);
      await p.market.connect(p.requester).postJob(jobParams(t, { claimDeadline: t + 6 * HOUR }));
      await p.market.connect(p.requester).postJob(jobParams(t, { claimDeadline: t + 6 * HOUR }));
      await expect(p.market.connect(p.keeper).reclaim(1n, await termsOf(p.market, 1n)))
        .to.be.revertedWithCustomError(p.market, "Market__ClaimDeadlineNotPassed")
        .withArgs(1n, t + 6 * HOUR);
      await p.registry.setActive(CIRCUIT_ID, false);
      const maxPrice = (await termsOf(p.market, 1n)).maxPrice;
      await expect(
        p.market.connect(p.keeper).reclaim(1n, await termsOf(p.market, 1n)),
      ).to.changeTokenBalances(ethers, p.token, [p.requester], [maxPrice]);
      await expect(p.market.connect(p.requester).cancel(2n, await termsOf(p.market, 2n)))
        .to.emit(p.market, "JobCancelled")
        .withArgs(2n, p.requester.address, maxPrice);
      expect((await jobOf(p.market, 1n)).status).to.equal(Status.Reclaimed);
      expect(await p.market.totalEscrowed()).to.equal(0n);
    });
  });

  describe("tokens that do not move what they say", function () {
    async function skewedFixture() {
      const [admin, treasury, requester, provider] = await ethers.getSigners();
      const token = await ethers.deployContract("SkewedToken");
      const registry = await ethers.deployContract("CircuitRegistry", [admin.address]);
      const market = await ethers.deployContract("JobMarket", [
        await token.getAddress(),
        await registry.getAddress(),
        admin.address,
        treasury.address,
        ECONOMICS,
        STAKING_CONFIG,
        keccak256(await batchMarketCreationCode(ethers)),
      ]);
      const staking = await ethers.getContractAt("ComputeStaking", await market.staking());
      const verifier = await ethers.deployContract("MockVerifier");
      await registry.registerCircuit(
        CIRCUIT_ID,
        emptyCircuit(await verifier.getAddress(), await registry.snarkjsSelector(2), 2),
      );
      for (const who of [requester, provider]) await token.faucet(who.address, 1_000_000n * E18);
      await token.connect(requester).approve(await market.getAddress(), ethers.MaxUint256);
      await token.connect(provider).approve(await staking.getAddress(), ethers.MaxUint256);
      return { token, market, staking, requester, provider };
    }

    it("test_feeOnTransferAndRebasingTokens_refusedAtDeposit", async function () {
      const { token, market, staking, requester, provider } = await loadFixture(skewedFixture);
      const amount = 1_000n * E18;
      // −1%: a fee-on-transfer token; +0.5%: a rebase that lands inside the transfer.
      for (const [skew, received] of [
        [-100, amount - amount / 100n],
        [50, amount + amount / 200n],
      ] as const) {
        await token.setSkew(skew);
        await expect(staking.connect(provider).stake(amount))
          .to.be.revertedWithCustomError(staking, "Staking__TransferMismatch")
          .withArgs(amount, received);
        await expect(
          market
            .connect(requester)
            .postJob(jobParams(await now(networkHelpers), { minPrice: amount, maxPrice: amount })),
        )
          .to.be.revertedWithCustomError(market, "Market__TransferMismatch")
          .withArgs(amount, received);
      }
      // The same token, delivering exactly, is accepted: the check is on what moved.
      await token.setSkew(0);
      await staking.connect(provider).stake(amount);
      await staking.connect(provider).register(capability());
      await market
        .connect(requester)
        .postJob(jobParams(await now(networkHelpers), { minPrice: amount, maxPrice: amount }));
      expect(await token.balanceOf(await staking.getAddress())).to.equal(await staking.totalStaked());
      expect(await token.balanceOf(await market.getAddress())).to.equal(await market.totalEscrowed());
    });
  });

  describe("the governance timelock", function () {
    it("test_timelock_delayMustExceedLongestJobPlusSlashWindow", async function () {
      const [proposer] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("ProofworkTimelock");
      await expect(ethers.deployContract("ProofworkTimelock", [MIN_GOVERNANCE_DELAY, [proposer.address], []]))
        .to.be.revertedWithCustomError(factory, "Timelock__DelayTooShort")
        .withArgs(MIN_GOVERNANCE_DELAY, MIN_GOVERNANCE_DELAY);
      const timelock = await ethers.deployContract("ProofworkTimelock", [
        MIN_GOVERNANCE_DELAY + 1,
        [proposer.address],
        [ethers.ZeroAddress],
      ]);
      expect(await timelock.getMinDelay()).to.equal(BigInt(MIN_GOVERNANCE_DELAY + 1));

      // Lowering the delay through the timelock itself is refused too.
      const data = timelock.interface.encodeFunctionData("updateDelay", [DAY]);
      const salt = ethers.ZeroHash;
      await timelock.schedule(
        await timelock.getAddress(),
        0,
        data,
        ethers.ZeroHash,
        salt,
        MIN_GOVERNANCE_DELAY + 1,
      );
      await time.increase(MIN_GOVERNANCE_DELAY + 1);
      await expect(timelock.execute(await timelock.getAddress(), 0, data, ethers.ZeroHash, salt))
        .to.be.revertedWithCustomError(timelock, "Timelock__DelayTooShort")
        .withArgs(DAY, MIN_GOVERNANCE_DELAY);
    });
  });
});
