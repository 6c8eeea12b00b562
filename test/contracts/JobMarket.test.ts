import { expect } from "chai";
import { network } from "hardhat";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import {
  CIRCUIT_ID,
  CIRCUIT_OUT_ID,
  DAY,
  E18,
  ECONOMICS,
  STAKING_CONFIG,
  FEE_BPS,
  HOUR,
  MIN_STAKE,
  Mode,
  PROOF,
  PROVIDER_STAKE,
  R,
  SLASH_BOUNTY_BPS,
  SLASH_REQUESTER_BPS,
  Status,
  claimerOf,
  deployProtocol,
  jobOf,
  jobParams,
  now,
  termsOf,
  jobSteps,
} from "./fixtures.ts";
import {
  claimCommitment,
  inputFromPostCalldata,
  resultCommitment,
  termsCommitment,
} from "../../sdk/terms.ts";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

/** JobMarket unit tests. Proofs are checked by MockVerifier (test-only); see RealProof.test.ts for a real one. */
describe("JobMarket (with MockVerifier)", function () {
  async function fixture() {
    return deployProtocol(ethers);
  }

  const { posted, claimed } = jobSteps(networkHelpers, fixture);

  function tsJobKey(chainId: bigint, market: string, jobId: bigint, provider: string): bigint {
    const enc = ethers.AbiCoder.defaultAbiCoder().encode(
      ["uint256", "address", "uint256", "address"],
      [chainId, market, jobId, provider],
    );
    return BigInt(ethers.keccak256(enc)) % R;
  }

  // ═══════════════════════════════════════════ postJob ═══════════════════════════════════════════

  describe("postJob", function () {
    it("test_postJob_escrowsMaxPriceAndStoresJob", async function () {
      const { market, token, requester } = await loadFixture(fixture);
      const params = jobParams(await now(networkHelpers), {
        minPrice: 4n * E18,
        maxPrice: 10n * E18,
        rampDuration: 600,
      });
      const before = await token.balanceOf(requester.address);
      await expect(market.connect(requester).postJob(params))
        .to.emit(market, "JobPosted")
        .withArgs(1n, requester.address, CIRCUIT_ID, anyValue, "");
      expect(await token.balanceOf(requester.address)).to.equal(before - 10n * E18);
      expect(await token.balanceOf(await market.getAddress())).to.equal(10n * E18);
      expect(await market.totalEscrowed()).to.equal(10n * E18);
      expect(await market.nextJobId()).to.equal(2n);
      const job = await jobOf(market, 1n);
      expect(job.requester).to.equal(requester.address);
      expect(job.status).to.equal(Status.Open);
      expect(job.maxPrice).to.equal(10n * E18);
      expect(job.minPrice).to.equal(4n * E18);
      expect(job.rampDuration).to.equal(600n);
      expect(job.collateral).to.equal(params.collateral);
      expect(job.claimDeadline).to.equal(BigInt(params.claimDeadline));
      expect(job.executionWindow).to.equal(BigInt(params.executionWindow));
      expect(job.circuitId).to.equal(CIRCUIT_ID);
      expect(job.inputCommitment).to.equal(params.inputCommitment);
      expect(job.inputHash).to.equal(ethers.keccak256(params.input));
      expect(job.provider).to.equal(ethers.ZeroAddress);
      expect(job.postedAt).to.equal(BigInt(await now(networkHelpers)));
      // One slot: status, deadline (0 until claimed) and the commitment to the terms.
      const terms = await termsOf(market, 1n);
      expect(job.deadline).to.equal(0n);
      expect(job.commitment).to.equal(await market.termsCommitment(terms));
      expect(job.commitment).to.equal(termsCommitment(terms as Parameters<typeof termsCommitment>[0]));
    });

    it("test_postJob_emitsTermsAndURI_inputBytesStayInCalldata", async function () {
      const { market, requester } = await loadFixture(fixture);
      const params = jobParams(await now(networkHelpers), {
        input: "0x0102030405",
        inputURI: "ipfs://input",
      });
      const sent = await market.connect(requester).postJob(params);
      const receipt = await sent.wait();
      const log = receipt!.logs
        .map((l) => market.interface.parseLog(l))
        .find((l) => l?.name === "JobPosted")!;
      expect(log.args.inputURI).to.equal("ipfs://input");
      expect(log.args.terms.inputCommitment).to.equal(params.inputCommitment);
      expect(log.args.terms.inputHash).to.equal(ethers.keccak256("0x0102030405"));
      // Not re-emitted: workers read the bytes from the posting transaction, checked by the hash.
      expect(
        ethers.hexlify(inputFromPostCalldata(sent.data, { inputHash: log.args.terms.inputHash })!),
      ).to.equal("0x0102030405");
      expect(inputFromPostCalldata(sent.data, { inputHash: ethers.ZeroHash })).to.equal(undefined);
    });

    it("test_postJob_acceptsURIOnlyInput", async function () {
      const { market, requester } = await loadFixture(fixture);
      const params = jobParams(await now(networkHelpers), { input: "0x", inputURI: "https://x/input.bin" });
      await market.connect(requester).postJob(params);
      expect((await jobOf(market, 1n)).inputHash).to.equal(ethers.keccak256("0x"));
    });

    it("test_postJob_idsAreSequentialAndIndependent", async function () {
      const { market, requester, other } = await loadFixture(fixture);
      const t = await now(networkHelpers);
      await market.connect(requester).postJob(jobParams(t));
      await market.connect(other).postJob(jobParams(t));
      expect((await jobOf(market, 1n)).requester).to.equal(requester.address);
      expect((await jobOf(market, 2n)).requester).to.equal(other.address);
      expect(await market.nextJobId()).to.equal(3n);
    });

    it("test_postJob_revertsWhenCommitmentNotInField", async function () {
      const { market, requester } = await loadFixture(fixture);
      const params = jobParams(await now(networkHelpers), { inputCommitment: R });
      await expect(market.connect(requester).postJob(params))
        .to.be.revertedWithCustomError(market, "Market__NotInField")
        .withArgs(R);
    });

    it("test_postJob_revertsWithoutInput", async function () {
      const { market, requester } = await loadFixture(fixture);
      const params = jobParams(await now(networkHelpers), { input: "0x", inputURI: "" });
      await expect(market.connect(requester).postJob(params)).to.be.revertedWithCustomError(
        market,
        "Market__NoInput",
      );
    });

    it("test_postJob_revertsOnInconsistentPricing", async function () {
      const { market, requester } = await loadFixture(fixture);
      const t = await now(networkHelpers);
      const cases: [bigint, bigint, number][] = [
        [11n, 10n, 60], // min > max
        [5n, 10n, 0], // auction without ramp
        [10n, 10n, 60], // ramp on a fixed price
        [5n, 10n, 7 * DAY + 1], // ramp beyond MAX_CLAIM_PERIOD
      ];
      for (const [minPrice, maxPrice, rampDuration] of cases) {
        await expect(market.connect(requester).postJob(jobParams(t, { minPrice, maxPrice, rampDuration })))
          .to.be.revertedWithCustomError(market, "Market__InvalidPricing")
          .withArgs(minPrice, maxPrice, rampDuration);
      }
    });

    it("test_postJob_revertsOnClaimDeadlineOutOfRange", async function () {
      const { market, requester } = await loadFixture(fixture);
      const t = await now(networkHelpers);
      await time.setNextBlockTimestamp(t + 10);
      await expect(market.connect(requester).postJob(jobParams(t, { claimDeadline: t + 9 })))
        .to.be.revertedWithCustomError(market, "Market__InvalidClaimDeadline")
        .withArgs(t + 9, t + 10 + 7 * DAY);
      await time.setNextBlockTimestamp(t + 20);
      await expect(market.connect(requester).postJob(jobParams(t, { claimDeadline: t + 20 + 7 * DAY + 1 })))
        .to.be.revertedWithCustomError(market, "Market__InvalidClaimDeadline")
        .withArgs(t + 20 + 7 * DAY + 1, t + 20 + 7 * DAY);
    });

    it("test_postJob_revertsOnExecutionWindowOutOfRange", async function () {
      const { market, requester } = await loadFixture(fixture);
      const t = await now(networkHelpers);
      for (const w of [59, 2 * DAY + 1]) {
        await expect(market.connect(requester).postJob(jobParams(t, { executionWindow: w })))
          .to.be.revertedWithCustomError(market, "Market__InvalidExecutionWindow")
          .withArgs(w, 60, 2 * DAY);
      }
    });

    it("test_postJob_revertsOnUnknownOrInactiveCircuit", async function () {
      const { market, registry, requester } = await loadFixture(fixture);
      const t = await now(networkHelpers);
      const unknown = "0x" + "99".repeat(32);
      await expect(market.connect(requester).postJob(jobParams(t, { circuitId: unknown })))
        .to.be.revertedWithCustomError(market, "Market__CircuitNotActive")
        .withArgs(unknown);
      await registry.setActive(CIRCUIT_ID, false);
      await expect(market.connect(requester).postJob(jobParams(t)))
        .to.be.revertedWithCustomError(market, "Market__CircuitNotActive")
        .withArgs(CIRCUIT_ID);
    });

    it("test_postJob_revertsWhilePaused", async function () {
      const { market, requester } = await loadFixture(fixture);
      await market.pause();
      await expect(
        market.connect(requester).postJob(jobParams(await now(networkHelpers))),
      ).to.be.revertedWithCustomError(market, "EnforcedPause");
    });

    it("test_postJob_revertsWithoutAllowance", async function () {
      const { market, token, provider } = await loadFixture(fixture);
      await expect(market.connect(provider).postJob(jobParams(await now(networkHelpers))))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(await market.getAddress(), 0n, 10n * E18);
    });
  });

  // ═══════════════════════════════════════ postJobWithPermit ═════════════════════════════════════

  describe("postJobWithPermit", function () {
    async function signPermit(p: Awaited<ReturnType<typeof fixture>>, value: bigint, deadline: number) {
      const { token, market, provider } = p;
      const domain = {
        name: await token.name(),
        version: "1",
        chainId: (await ethers.provider.getNetwork()).chainId,
        verifyingContract: await token.getAddress(),
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
      const message = {
        owner: provider.address,
        spender: await market.getAddress(),
        value,
        nonce: await token.nonces(provider.address),
        deadline,
      };
      return ethers.Signature.from(await provider.signTypedData(domain, types, message));
    }

    it("test_postJobWithPermit_postsInOneTransactionWithoutPriorApproval", async function () {
      const p = await loadFixture(fixture);
      const t = await now(networkHelpers);
      const params = jobParams(t);
      const sig = await signPermit(p, params.maxPrice, t + HOUR);
      const before = await p.token.balanceOf(p.provider.address);
      await expect(
        p.market.connect(p.provider).postJobWithPermit(params, t + HOUR, sig.v, sig.r, sig.s),
      ).to.emit(p.market, "JobPosted");
      expect(await p.token.balanceOf(p.provider.address)).to.equal(before - params.maxPrice);
      expect((await jobOf(p.market, 1n)).requester).to.equal(p.provider.address);
    });

    it("test_postJobWithPermit_succeedsWhenPermitWasFrontRun", async function () {
      const p = await loadFixture(fixture);
      const t = await now(networkHelpers);
      const params = jobParams(t);
      const sig = await signPermit(p, params.maxPrice, t + HOUR);
      // Someone relays the permit first: the market's own permit call fails but the allowance is there.
      await p.token
        .connect(p.other)
        .permit(
          p.provider.address,
          await p.market.getAddress(),
          params.maxPrice,
          t + HOUR,
          sig.v,
          sig.r,
          sig.s,
        );
      await expect(
        p.market.connect(p.provider).postJobWithPermit(params, t + HOUR, sig.v, sig.r, sig.s),
      ).to.emit(p.market, "JobPosted");
    });

    it("test_postJobWithPermit_revertsWithBadSignatureAndNoAllowance", async function () {
      const p = await loadFixture(fixture);
      const t = await now(networkHelpers);
      const params = jobParams(t);
      const sig = await signPermit(p, params.maxPrice - 1n, t + HOUR); // signed for another value
      await expect(p.market.connect(p.provider).postJobWithPermit(params, t + HOUR, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(p.token, "ERC20InsufficientAllowance")
        .withArgs(await p.market.getAddress(), 0n, params.maxPrice);
    });

    it("test_postJobWithPermit_revertsWhilePaused", async function () {
      const p = await loadFixture(fixture);
      await p.market.pause();
      const t = await now(networkHelpers);
      await expect(
        p.market
          .connect(p.provider)
          .postJobWithPermit(jobParams(t), t + HOUR, 27, ethers.ZeroHash, ethers.ZeroHash),
      ).to.be.revertedWithCustomError(p.market, "EnforcedPause");
    });
  });

  // ════════════════════════════════════════════ claim ════════════════════════════════════════════

  describe("claim", function () {
    it("test_claim_locksCollateralAndFixesPrice", async function () {
      const { market, staking, provider, params, jobId } = await posted();
      const chainId = (await ethers.provider.getNetwork()).chainId;
      const key = tsJobKey(chainId, await market.getAddress(), jobId, provider.address);
      const t = await now(networkHelpers);
      await time.setNextBlockTimestamp(t + 5);
      await expect(market.connect(provider).claim(jobId, await termsOf(market, jobId)))
        .to.emit(market, "JobClaimed")
        .withArgs(jobId, provider.address, params.maxPrice, t + 5 + params.executionWindow, key)
        .and.to.emit(staking, "CollateralLocked")
        .withArgs(provider.address, params.collateral, params.collateral);
      const job = await jobOf(market, jobId);
      expect(job.status).to.equal(Status.Claimed);
      expect(job.provider).to.equal(provider.address);
      expect(job.price).to.equal(params.maxPrice);
      expect(job.deadline).to.equal(BigInt(t + 5 + params.executionWindow));
      // The claim rewrites the job's one slot: the commitment now binds the claimer too.
      const terms = await termsOf(market, jobId);
      expect(job.commitment).to.equal(await market.claimCommitment(terms, provider.address));
      expect(job.commitment).to.equal(
        claimCommitment(terms as Parameters<typeof claimCommitment>[0], provider.address),
      );
      expect(await staking.freeStake(provider.address)).to.equal(PROVIDER_STAKE - params.collateral);
      const info = await staking.getProvider(provider.address);
      expect(info.locked).to.equal(params.collateral);
      expect(info.openJobs).to.equal(1n);
    });

    it("test_claim_auctionPriceRisesLinearlyOverRamp", async function () {
      const p = await loadFixture(fixture);
      const t = await now(networkHelpers);
      await time.setNextBlockTimestamp(t + 1);
      await p.market
        .connect(p.requester)
        .postJob(jobParams(t, { minPrice: 2n * E18, maxPrice: 12n * E18, rampDuration: 1000 }));
      expect(await p.market.currentPrice(1n, await termsOf(p.market, 1n))).to.equal(2n * E18);
      await time.setNextBlockTimestamp(t + 1 + 250);
      await p.market.connect(p.provider).claim(1n, await termsOf(p.market, 1n));
      const price = 2n * E18 + (10n * E18 * 250n) / 1000n;
      expect((await jobOf(p.market, 1n)).price).to.equal(price);
      // Once claimed, currentPrice no longer applies (the fixed price is priceAt(claim time)).
      await expect(p.market.currentPrice(1n, await termsOf(p.market, 1n)))
        .to.be.revertedWithCustomError(p.market, "Market__JobNotOpen")
        .withArgs(1n, Status.Claimed);
    });

    it("test_claim_revertsOnLostRace", async function () {
      const { market, provider, provider2, jobId } = await posted();
      await market.connect(provider).claim(jobId, await termsOf(market, jobId));
      await expect(market.connect(provider2).claim(jobId, await termsOf(market, jobId)))
        .to.be.revertedWithCustomError(market, "Market__JobNotOpen")
        .withArgs(jobId, Status.Claimed);
    });

    it("test_claim_revertsOnUnknownJob", async function () {
      const { market, provider } = await loadFixture(fixture);
      await expect(market.connect(provider).claim(7n, await termsOf(market, 7n)))
        .to.be.revertedWithCustomError(market, "Market__JobNotOpen")
        .withArgs(7n, Status.None);
    });

    it("test_claim_revertsOnForgedTerms (lower collateral, other requester, other verifier)", async function () {
      const { market, provider, other, jobId } = await posted();
      const terms = await termsOf(market, jobId);
      for (const forged of [
        { ...terms, collateral: 0n },
        { ...terms, requester: other.address },
        { ...terms, verifier: other.address },
        { ...terms, numPublic: 3 },
      ]) {
        await expect(market.connect(provider).claim(jobId, forged))
          .to.be.revertedWithCustomError(market, "Market__TermsMismatch")
          .withArgs(jobId);
      }
    });

    it("test_claim_revertsAfterClaimDeadline", async function () {
      const { market, provider, params, jobId } = await posted();
      await time.increaseTo(params.claimDeadline + 1);
      await expect(market.connect(provider).claim(jobId, await termsOf(market, jobId)))
        .to.be.revertedWithCustomError(market, "Market__ClaimDeadlinePassed")
        .withArgs(jobId, params.claimDeadline);
    });

    it("test_claim_revertsWhenProviderNotRegistered", async function () {
      const { market, staking, other, jobId } = await posted();
      await expect(market.connect(other).claim(jobId, await termsOf(market, jobId)))
        .to.be.revertedWithCustomError(staking, "Staking__NotRegistered")
        .withArgs(other.address);
    });

    it("test_claim_revertsWhenStakeBelowMinimum", async function () {
      const { market, staking, provider, jobId } = await posted();
      await staking.connect(provider).requestUnstake(PROVIDER_STAKE - MIN_STAKE + 1n);
      await expect(market.connect(provider).claim(jobId, await termsOf(market, jobId)))
        .to.be.revertedWithCustomError(staking, "Staking__BelowMinimumStake")
        .withArgs(MIN_STAKE - 1n, MIN_STAKE);
    });

    it("test_claim_revertsWhenTooManyOpenJobs", async function () {
      const p = await loadFixture(fixture);
      const t = await now(networkHelpers);
      await p.staking.connect(p.provider).updateCapability({
        gpuModel: "cpu",
        memoryMB: 1,
        backends: 1,
        maxConcurrentJobs: 1,
        metadataURI: "",
      });
      await p.market.connect(p.requester).postJob(jobParams(t));
      await p.market.connect(p.requester).postJob(jobParams(t));
      await p.market.connect(p.provider).claim(1n, await termsOf(p.market, 1n));
      await expect(p.market.connect(p.provider).claim(2n, await termsOf(p.market, 2n)))
        .to.be.revertedWithCustomError(p.staking, "Staking__TooManyOpenJobs")
        .withArgs(p.provider.address, 1, 1);
    });

    it("test_claim_revertsWhilePaused", async function () {
      const { market, provider, jobId } = await posted();
      await market.pause();
      await expect(
        market.connect(provider).claim(jobId, await termsOf(market, jobId)),
      ).to.be.revertedWithCustomError(market, "EnforcedPause");
    });

    it("test_claim_revertsWhileStakingPaused", async function () {
      const { market, staking, provider, jobId } = await posted();
      await staking.pause();
      await expect(
        market.connect(provider).claim(jobId, await termsOf(market, jobId)),
      ).to.be.revertedWithCustomError(staking, "EnforcedPause");
    });
  });

  describe("claim overcommit guard", function () {
    it("test_claim_revertsWhenFreeStakeBelowCollateral", async function () {
      const p = await loadFixture(fixture);
      const t = await now(networkHelpers);
      await p.market.connect(p.requester).postJob(jobParams(t, { collateral: 600n * E18 }));
      await p.market.connect(p.requester).postJob(jobParams(t, { collateral: 600n * E18 }));
      await p.market.connect(p.provider).claim(1n, await termsOf(p.market, 1n));
      await expect(p.market.connect(p.provider).claim(2n, await termsOf(p.market, 2n)))
        .to.be.revertedWithCustomError(p.staking, "Staking__InsufficientStake")
        .withArgs(400n * E18, 600n * E18);
      // Another provider with free stake can still take it.
      await p.market.connect(p.provider2).claim(2n, await termsOf(p.market, 2n));
    });
  });

  // ════════════════════════════════════════════ submit ═══════════════════════════════════════════

  describe("submit", function () {
    it("test_submit_mock_paysProviderFeeAndRefund", async function () {
      const p = await loadFixture(fixture);
      const t = await now(networkHelpers);
      await time.setNextBlockTimestamp(t + 1);
      await p.market
        .connect(p.requester)
        .postJob(jobParams(t, { minPrice: 4n * E18, maxPrice: 10n * E18, rampDuration: 100 }));
      await time.setNextBlockTimestamp(t + 1 + 50);
      await p.market.connect(p.provider).claim(1n, await termsOf(p.market, 1n));
      const price = 7n * E18;
      const fee = (price * FEE_BPS) / 10_000n;
      const refund = 3n * E18;
      const marketAddr = await p.market.getAddress();
      const terms = await termsOf(p.market, 1n);
      // submit: proven and collateral released; no token moves (payment is pulled by collect)
      const tx = p.market.connect(p.provider).submit(1n, terms, PROOF, []);
      await expect(tx).to.emit(p.market, "JobCompleted").withArgs(1n, p.provider.address, []);
      await expect(tx).to.changeTokenBalances(
        ethers,
        p.token,
        [p.provider, p.requester, marketAddr],
        [0n, 0n, 0n],
      );
      expect((await jobOf(p.market, 1n)).status).to.equal(Status.Completed);
      expect(await p.market.totalEscrowed()).to.equal(10n * E18);
      // collect (anyone may call): payout to the provider, refund to the requester, fee accrued
      const collect = p.market
        .connect(p.keeper)
        .collect(p.provider.address, [{ jobId: 1n, terms, outputs: [] }]);
      await expect(collect)
        .to.emit(p.market, "JobPaid")
        .withArgs(1n, p.provider.address, price - fee, fee, refund);
      await expect(collect).to.changeTokenBalances(
        ethers,
        p.token,
        [p.provider, p.requester, marketAddr, p.keeper],
        [price - fee, refund, -(price - fee + refund), 0n],
      );
      expect(await p.market.accruedFees()).to.equal(fee);
      expect(await p.market.totalEscrowed()).to.equal(0n);
      expect(await p.token.balanceOf(marketAddr)).to.equal(fee);
      const job = await jobOf(p.market, 1n);
      expect(job.status).to.equal(Status.Paid);
      expect(await p.market.checkResult(1n, terms, p.provider.address, [])).to.equal(true);
      const info = await p.staking.getProvider(p.provider.address);
      expect(info.locked).to.equal(0n);
      expect(info.openJobs).to.equal(0n);
      expect(info.jobsCompleted).to.equal(1n);
      expect(info.stake).to.equal(PROVIDER_STAKE);
    });

    it("test_submit_mock_buildsPublicSignalsAndStoresOutputs", async function () {
      const { market, verifier, provider, params, jobId } = await claimed({ circuitId: CIRCUIT_OUT_ID });
      const key = await market.jobKey(jobId, provider.address);
      await verifier.expectSignals([key, params.inputCommitment, 7n, 9n]);
      await expect(market.connect(provider).submit(jobId, await termsOf(market, jobId), PROOF, [7n, 8n]))
        .to.be.revertedWithCustomError(market, "Market__InvalidProof")
        .withArgs(jobId);
      await expect(market.connect(provider).submit(jobId, await termsOf(market, jobId), PROOF, [7n, 9n]))
        .to.emit(market, "JobCompleted")
        .withArgs(jobId, provider.address, [7n, 9n]);
      // The outputs are committed on-chain: a contract can check a result with the terms.
      const terms = await termsOf(market, jobId);
      expect(await market.checkResult(jobId, terms, provider.address, [7n, 9n])).to.equal(true);
      expect(await market.checkResult(jobId, terms, provider.address, [7n, 8n])).to.equal(false);
      expect(await market.checkResult(jobId, terms, ethers.ZeroAddress, [7n, 9n])).to.equal(false);
      expect((await jobOf(market, jobId)).commitment).to.equal(
        resultCommitment(terms as Parameters<typeof resultCommitment>[0], provider.address, [7n, 9n]),
      );
    });

    it("test_submit_mock_revertsOnInvalidProof (reject, revert, malformed answer)", async function () {
      const { market, verifier, provider, jobId } = await claimed();
      for (const mode of [Mode.RejectAll, Mode.Revert, Mode.ReturnMalformed]) {
        await verifier.setMode(mode);
        await expect(market.connect(provider).submit(jobId, await termsOf(market, jobId), PROOF, []))
          .to.be.revertedWithCustomError(market, "Market__InvalidProof")
          .withArgs(jobId);
      }
    });

    it("test_submit_revertsWhenNotClaimer (front-running a proof)", async function () {
      const { market, provider2, jobId } = await claimed();
      // The stored commitment binds the claimer: anyone else's submit does not match it.
      await expect(market.connect(provider2).submit(jobId, await termsOf(market, jobId), PROOF, []))
        .to.be.revertedWithCustomError(market, "Market__TermsMismatch")
        .withArgs(jobId);
    });

    it("test_submit_revertsOnForgedTerms", async function () {
      const { market, provider, other, jobId } = await claimed();
      const terms = await termsOf(market, jobId);
      await expect(market.connect(provider).submit(jobId, { ...terms, verifier: other.address }, PROOF, []))
        .to.be.revertedWithCustomError(market, "Market__TermsMismatch")
        .withArgs(jobId);
    });

    it("test_submit_revertsAfterDeadline", async function () {
      const { market, provider, jobId } = await claimed();
      const job = await jobOf(market, jobId);
      await time.increaseTo(job.deadline + 1n);
      await expect(market.connect(provider).submit(jobId, await termsOf(market, jobId), PROOF, []))
        .to.be.revertedWithCustomError(market, "Market__DeadlinePassed")
        .withArgs(jobId, job.deadline);
    });

    it("test_submit_acceptsAtExactDeadline", async function () {
      const { market, provider, jobId } = await claimed();
      const job = await jobOf(market, jobId);
      await time.setNextBlockTimestamp(job.deadline);
      await expect(market.connect(provider).submit(jobId, await termsOf(market, jobId), PROOF, [])).to.emit(
        market,
        "JobCompleted",
      );
    });

    it("test_submit_paysAtMostOnce", async function () {
      const { market, provider, jobId } = await claimed();
      await market.connect(provider).submit(jobId, await termsOf(market, jobId), PROOF, []);
      await expect(market.connect(provider).submit(jobId, await termsOf(market, jobId), PROOF, []))
        .to.be.revertedWithCustomError(market, "Market__JobNotClaimed")
        .withArgs(jobId, Status.Completed);
    });

    it("test_submit_revertsOnOpenJob", async function () {
      const { market, provider, jobId } = await posted();
      await expect(market.connect(provider).submit(jobId, await termsOf(market, jobId), PROOF, []))
        .to.be.revertedWithCustomError(market, "Market__JobNotClaimed")
        .withArgs(jobId, Status.Open);
    });

    it("test_submit_revertsOnWrongOutputCount", async function () {
      const { market, provider, jobId } = await claimed({ circuitId: CIRCUIT_OUT_ID });
      await expect(market.connect(provider).submit(jobId, await termsOf(market, jobId), PROOF, [1n]))
        .to.be.revertedWithCustomError(market, "Market__WrongOutputCount")
        .withArgs(1n, 2n);
    });

    it("test_submit_revertsOnOutputNotInField", async function () {
      const { market, provider, jobId } = await claimed({ circuitId: CIRCUIT_OUT_ID });
      await expect(market.connect(provider).submit(jobId, await termsOf(market, jobId), PROOF, [1n, R]))
        .to.be.revertedWithCustomError(market, "Market__NotInField")
        .withArgs(R);
    });

    it("test_submit_worksWhilePausedAndAfterCircuitDeactivated", async function () {
      const { market, registry, provider, jobId } = await claimed();
      await market.pause();
      await registry.setActive(CIRCUIT_ID, false);
      await expect(market.connect(provider).submit(jobId, await termsOf(market, jobId), PROOF, [])).to.emit(
        market,
        "JobCompleted",
      );
    });
  });

  // ═════════════════════════════════════ cancel / reclaim ═══════════════════════════════════════

  describe("cancel and reclaim", function () {
    it("test_cancel_refundsRequester", async function () {
      const { market, token, requester, params, jobId } = await posted();
      const tx = market.connect(requester).cancel(jobId, await termsOf(market, jobId));
      await expect(tx).to.emit(market, "JobCancelled").withArgs(jobId, requester.address, params.maxPrice);
      await expect(tx).to.changeTokenBalances(
        ethers,
        token,
        [requester, await market.getAddress()],
        [params.maxPrice, -params.maxPrice],
      );
      expect((await jobOf(market, jobId)).status).to.equal(Status.Cancelled);
      expect(await market.totalEscrowed()).to.equal(0n);
    });

    it("test_cancel_revertsWhenNotRequester", async function () {
      const { market, other, jobId } = await posted();
      await expect(market.connect(other).cancel(jobId, await termsOf(market, jobId)))
        .to.be.revertedWithCustomError(market, "Market__NotRequester")
        .withArgs(jobId, other.address);
    });

    it("test_cancel_revertsOnceClaimed", async function () {
      const { market, requester, jobId } = await claimed();
      await expect(market.connect(requester).cancel(jobId, await termsOf(market, jobId)))
        .to.be.revertedWithCustomError(market, "Market__JobNotOpen")
        .withArgs(jobId, Status.Claimed);
    });

    it("test_cancel_worksWhilePaused", async function () {
      const { market, requester, jobId } = await posted();
      await market.pause();
      await expect(market.connect(requester).cancel(jobId, await termsOf(market, jobId))).to.emit(
        market,
        "JobCancelled",
      );
    });

    it("test_reclaim_refundsRequesterWhenCalledByAnyone", async function () {
      const { market, token, requester, keeper, params, jobId } = await posted();
      await time.increaseTo(params.claimDeadline + 1);
      await market.pause();
      const tx = market.connect(keeper).reclaim(jobId, await termsOf(market, jobId));
      await expect(tx).to.emit(market, "JobReclaimed").withArgs(jobId, requester.address, params.maxPrice);
      await expect(tx).to.changeTokenBalances(
        ethers,
        token,
        [requester, keeper, await market.getAddress()],
        [params.maxPrice, 0n, -params.maxPrice],
      );
      expect((await jobOf(market, jobId)).status).to.equal(Status.Reclaimed);
    });

    it("test_reclaim_revertsBeforeClaimDeadline", async function () {
      const { market, keeper, params, jobId } = await posted();
      await time.setNextBlockTimestamp(params.claimDeadline);
      await expect(market.connect(keeper).reclaim(jobId, await termsOf(market, jobId)))
        .to.be.revertedWithCustomError(market, "Market__ClaimDeadlineNotPassed")
        .withArgs(jobId, params.claimDeadline);
    });

    it("test_reclaim_revertsOnClaimedJob", async function () {
      const { market, keeper, params, jobId } = await claimed();
      await time.increaseTo(params.claimDeadline + 1);
      await expect(market.connect(keeper).reclaim(jobId, await termsOf(market, jobId)))
        .to.be.revertedWithCustomError(market, "Market__JobNotOpen")
        .withArgs(jobId, Status.Claimed);
    });
  });

  // ════════════════════════════════════════ slashExpired ════════════════════════════════════════

  describe("slashExpired", function () {
    it("test_slashExpired_splitsCollateralAndRefundsPrice", async function () {
      const { market, staking, token, requester, provider, keeper, params, jobId } = await claimed();
      const job = await jobOf(market, jobId);
      await time.increaseTo(job.deadline + 1n);
      const c = params.collateral;
      const toRequester = (c * SLASH_REQUESTER_BPS) / 10_000n;
      const bounty = (c * SLASH_BOUNTY_BPS) / 10_000n;
      const toTreasury = c - toRequester - bounty;
      const tx = market
        .connect(keeper)
        .slashExpired(jobId, await termsOf(market, jobId), await claimerOf(market, jobId));
      await expect(tx)
        .to.emit(market, "JobSlashed")
        .withArgs(jobId, provider.address, keeper.address, toRequester, bounty, toTreasury, params.maxPrice);
      await expect(tx).to.changeTokenBalances(
        ethers,
        token,
        [requester, keeper, await market.getAddress(), await staking.getAddress(), provider],
        [params.maxPrice + toRequester, bounty, toTreasury - params.maxPrice, -c, 0n],
      );
      expect(await market.accruedFees()).to.equal(toTreasury);
      const info = await staking.getProvider(provider.address);
      expect(info.stake).to.equal(PROVIDER_STAKE - c);
      expect(info.locked).to.equal(0n);
      expect(info.jobsFailed).to.equal(1n);
      expect(info.totalSlashed).to.equal(c);
      expect(info.consecutiveFailures).to.equal(1n);
      expect((await jobOf(market, jobId)).status).to.equal(Status.Slashed);
    });

    it("test_slashExpired_revertsBeforeDeadline", async function () {
      const { market, keeper, jobId } = await claimed();
      const job = await jobOf(market, jobId);
      await time.setNextBlockTimestamp(job.deadline);
      await expect(
        market
          .connect(keeper)
          .slashExpired(jobId, await termsOf(market, jobId), await claimerOf(market, jobId)),
      )
        .to.be.revertedWithCustomError(market, "Market__DeadlineNotPassed")
        .withArgs(jobId, job.deadline);
    });

    it("test_slashExpired_revertsOnUnclaimedOrSettledJob", async function () {
      const { market, keeper, provider, jobId } = await posted();
      await expect(
        market
          .connect(keeper)
          .slashExpired(jobId, await termsOf(market, jobId), await claimerOf(market, jobId)),
      )
        .to.be.revertedWithCustomError(market, "Market__JobNotClaimed")
        .withArgs(jobId, Status.Open);
      await market.connect(provider).claim(jobId, await termsOf(market, jobId));
      await market.connect(provider).submit(jobId, await termsOf(market, jobId), PROOF, []);
      await time.increase(DAY);
      await expect(
        market
          .connect(keeper)
          .slashExpired(jobId, await termsOf(market, jobId), await claimerOf(market, jobId)),
      )
        .to.be.revertedWithCustomError(market, "Market__JobNotClaimed")
        .withArgs(jobId, Status.Completed);
    });

    it("test_slashExpired_jailsAfterConsecutiveFailures", async function () {
      const p = await loadFixture(fixture);
      const t = await now(networkHelpers);
      for (let i = 0; i < 4; i++) {
        await p.market.connect(p.requester).postJob(jobParams(t, { claimDeadline: t + 3 * DAY }));
      }
      for (const id of [1n, 2n, 3n])
        await p.market.connect(p.provider).claim(id, await termsOf(p.market, id));
      await time.increase(HOUR);
      await p.market.pause(); // slashing is never paused
      await p.market
        .connect(p.keeper)
        .slashExpired(1n, await termsOf(p.market, 1n), await claimerOf(p.market, 1n));
      await p.market
        .connect(p.keeper)
        .slashExpired(2n, await termsOf(p.market, 2n), await claimerOf(p.market, 2n));
      const tx = p.market
        .connect(p.keeper)
        .slashExpired(3n, await termsOf(p.market, 3n), await claimerOf(p.market, 3n));
      const until = BigInt((await now(networkHelpers)) + 1 + DAY);
      await expect(tx).to.emit(p.staking, "Jailed").withArgs(p.provider.address, until);
      await p.market.unpause();
      expect(await p.staking.isActive(p.provider.address)).to.equal(false);
      await expect(p.market.connect(p.provider).claim(4n, await termsOf(p.market, 4n)))
        .to.be.revertedWithCustomError(p.staking, "Staking__Jailed")
        .withArgs(p.provider.address, until);
      await time.increaseTo(until);
      await p.market.connect(p.provider).claim(4n, await termsOf(p.market, 4n));
    });

    it("test_slashExpired_successResetsConsecutiveFailures", async function () {
      const p = await loadFixture(fixture);
      const t = await now(networkHelpers);
      for (let i = 0; i < 2; i++)
        await p.market.connect(p.requester).postJob(jobParams(t, { claimDeadline: t + DAY }));
      await p.market.connect(p.provider).claim(1n, await termsOf(p.market, 1n));
      await p.market.connect(p.provider).claim(2n, await termsOf(p.market, 2n));
      await p.market.connect(p.provider).submit(2n, await termsOf(p.market, 2n), PROOF, []);
      await time.increase(HOUR);
      await p.market
        .connect(p.keeper)
        .slashExpired(1n, await termsOf(p.market, 1n), await claimerOf(p.market, 1n));
      expect((await p.staking.getProvider(p.provider.address)).consecutiveFailures).to.equal(1n);
    });
  });

  // ════════════════════════════════════════════ collect ══════════════════════════════════════════

  describe("collect", function () {
    async function completed(n: number) {
      const p = await loadFixture(fixture);
      const t = await now(networkHelpers);
      const jobs = [];
      for (let i = 1n; i <= BigInt(n); i++) {
        await p.market.connect(p.requester).postJob(jobParams(t));
        const terms = await termsOf(p.market, i);
        await p.market.connect(p.provider).claim(i, terms);
        await p.market.connect(p.provider).submit(i, terms, PROOF, []);
        jobs.push({ jobId: i, terms, outputs: [] as bigint[] });
      }
      return { ...p, jobs };
    }

    it("test_collect_paysManyJobsInOneTransfer", async function () {
      const { market, token, provider, jobs } = await completed(3);
      const price = 10n * E18;
      const fee = (price * FEE_BPS) / 10_000n;
      const tx = market.connect(provider).collect(provider.address, jobs);
      await expect(tx).to.changeTokenBalances(ethers, token, [provider], [3n * (price - fee)]);
      const receipt = await (await tx).wait();
      const transfers = receipt!.logs.filter((l) => token.interface.parseLog(l)?.name === "Transfer");
      expect(transfers.length).to.equal(1); // fixed price: no refunds, one payout transfer
      expect(await market.accruedFees()).to.equal(3n * fee);
      expect(await market.totalEscrowed()).to.equal(0n);
      for (const j of jobs) expect((await market.getJob(j.jobId)).status).to.equal(Status.Paid);
    });

    it("test_collect_revertsOnceAlreadyPaid", async function () {
      const { market, keeper, provider, jobs } = await completed(1);
      await market.connect(keeper).collect(provider.address, jobs);
      await expect(market.connect(keeper).collect(provider.address, jobs))
        .to.be.revertedWithCustomError(market, "Market__JobNotCompleted")
        .withArgs(1n, Status.Paid);
    });

    it("test_collect_revertsForOtherProviderOrOutputs", async function () {
      const { market, keeper, provider2, provider, jobs } = await completed(1);
      await expect(market.connect(keeper).collect(provider2.address, jobs))
        .to.be.revertedWithCustomError(market, "Market__TermsMismatch")
        .withArgs(1n);
      await expect(market.connect(keeper).collect(provider.address, [{ ...jobs[0]!, outputs: [1n] }]))
        .to.be.revertedWithCustomError(market, "Market__TermsMismatch")
        .withArgs(1n);
    });

    it("test_collect_revertsOnClaimedJob", async function () {
      const { market, keeper, provider, jobId } = await claimed();
      const terms = await termsOf(market, jobId);
      await expect(market.connect(keeper).collect(provider.address, [{ jobId, terms, outputs: [] }]))
        .to.be.revertedWithCustomError(market, "Market__JobNotCompleted")
        .withArgs(jobId, Status.Claimed);
    });

    it("test_collect_worksWhilePaused", async function () {
      const { market, keeper, provider, jobs } = await completed(1);
      await market.pause();
      await expect(market.connect(keeper).collect(provider.address, jobs)).to.emit(market, "JobPaid");
    });
  });

  // ══════════════════════════════════════ fees and governance ═══════════════════════════════════

  describe("fees and governance", function () {
    it("test_withdrawFees_sendsAccruedFeesToTreasury", async function () {
      const { market, token, treasury, keeper, provider, jobId } = await claimed();
      const terms = await termsOf(market, jobId);
      await market.connect(provider).submit(jobId, terms, PROOF, []);
      await market.connect(provider).collect(provider.address, [{ jobId, terms, outputs: [] }]);
      const fee = await market.accruedFees();
      expect(fee).to.be.greaterThan(0n);
      await market.pause();
      const tx = market.connect(keeper).withdrawFees();
      await expect(tx).to.emit(market, "FeesWithdrawn").withArgs(treasury.address, fee);
      await expect(tx).to.changeTokenBalances(
        ethers,
        token,
        [treasury, await market.getAddress()],
        [fee, -fee],
      );
      expect(await market.accruedFees()).to.equal(0n);
    });

    it("test_withdrawFees_revertsWhenNothingAccrued", async function () {
      const { market } = await loadFixture(fixture);
      await expect(market.withdrawFees()).to.be.revertedWithCustomError(market, "Market__NoFees");
    });

    it("test_setFee_boundedAndEmits", async function () {
      const { market } = await loadFixture(fixture);
      await expect(market.setFee(1_000)).to.emit(market, "FeeSet").withArgs(1_000);
      expect(await market.feeBps()).to.equal(1_000n);
      await expect(market.setFee(1_001))
        .to.be.revertedWithCustomError(market, "Market__ParameterOutOfBounds")
        .withArgs(1_001, 1_000);
    });

    it("test_setTreasury_rejectsZeroAndEmits", async function () {
      const { market, other } = await loadFixture(fixture);
      await expect(market.setTreasury(other.address)).to.emit(market, "TreasurySet").withArgs(other.address);
      expect(await market.treasury()).to.equal(other.address);
      await expect(market.setTreasury(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        market,
        "Market__ZeroAddress",
      );
    });

    it("test_setSlashSplit_boundedAndEmits", async function () {
      const { market } = await loadFixture(fixture);
      await expect(market.setSlashSplit(7_000, 2_000))
        .to.emit(market, "SlashSplitSet")
        .withArgs(7_000, 2_000);
      expect(await market.slashRequesterBps()).to.equal(7_000n);
      expect(await market.slashBountyBps()).to.equal(2_000n);
      await expect(market.setSlashSplit(0, 2_001))
        .to.be.revertedWithCustomError(market, "Market__ParameterOutOfBounds")
        .withArgs(2_001, 2_000);
      // The treasury keeps at least 10% (MIN_SLASH_TREASURY_BPS): self-slashing always costs.
      await expect(market.setSlashSplit(7_001, 2_000))
        .to.be.revertedWithCustomError(market, "Market__ParameterOutOfBounds")
        .withArgs(9_001, 9_000);
      await expect(market.setSlashSplit(9_000, 0)).to.emit(market, "SlashSplitSet").withArgs(9_000, 0);
    });

    it("test_governance_revertsForNonAdmin", async function () {
      const { market, other } = await loadFixture(fixture);
      const admin = await market.DEFAULT_ADMIN_ROLE();
      const pauser = await market.PAUSER_ROLE();
      for (const call of [
        () => market.connect(other).setFee(1),
        () => market.connect(other).setTreasury(other.address),
        () => market.connect(other).setSlashSplit(1, 1),
      ]) {
        await expect(call())
          .to.be.revertedWithCustomError(market, "AccessControlUnauthorizedAccount")
          .withArgs(other.address, admin);
      }
      for (const call of [() => market.connect(other).pause(), () => market.connect(other).unpause()]) {
        await expect(call())
          .to.be.revertedWithCustomError(market, "AccessControlUnauthorizedAccount")
          .withArgs(other.address, pauser);
      }
    });

    it("test_constructor_rejectsBadParameters", async function () {
      const { token, registry, admin, treasury } = await loadFixture(fixture);
      const t = await token.getAddress();
      const r = await registry.getAddress();
      const factory = await ethers.getContractFactory("JobMarket");
      const deploy = (tokenAddr: string, economics: typeof ECONOMICS) =>
        ethers.deployContract("JobMarket", [
          tokenAddr,
          r,
          admin.address,
          treasury.address,
          economics,
          STAKING_CONFIG,
          ethers.ZeroHash,
        ]);
      await expect(deploy(ethers.ZeroAddress, ECONOMICS)).to.be.revertedWithCustomError(
        factory,
        "Market__ZeroAddress",
      );
      await expect(deploy(t, { ...ECONOMICS, feeBps: 1_001n }))
        .to.be.revertedWithCustomError(factory, "Market__ParameterOutOfBounds")
        .withArgs(1_001, 1_000);
      await expect(deploy(t, { ...ECONOMICS, slashRequesterBps: 9_000n, slashBountyBps: 1n }))
        .to.be.revertedWithCustomError(factory, "Market__ParameterOutOfBounds")
        .withArgs(9_001, 9_000);
    });

    it("test_constructor_deploysItsOwnStakingBoundToIt", async function () {
      const { market, staking, token, admin, batchMarket } = await loadFixture(fixture);
      expect(await market.staking()).to.equal(await staking.getAddress());
      expect(await staking.market()).to.equal(await market.getAddress());
      expect(await staking.batchMarket()).to.equal(await batchMarket.getAddress());
      expect(await staking.token()).to.equal(await token.getAddress());
      expect(await staking.hasRole(await staking.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await staking.minStake()).to.equal(STAKING_CONFIG.minStake);
    });
  });

  // ════════════════════════════════════════════ views ═══════════════════════════════════════════

  describe("views", function () {
    it("test_jobKey_matchesArchitectureDefinition", async function () {
      const { market, provider } = await loadFixture(fixture);
      const chainId = (await ethers.provider.getNetwork()).chainId;
      for (const id of [1n, 2n, 10n ** 20n]) {
        expect(await market.jobKey(id, provider.address)).to.equal(
          tsJobKey(chainId, await market.getAddress(), id, provider.address),
        );
      }
    });

    it("test_currentPrice_rampsAndCaps", async function () {
      const p = await loadFixture(fixture);
      const t = await now(networkHelpers);
      await time.setNextBlockTimestamp(t + 1);
      await p.market
        .connect(p.requester)
        .postJob(jobParams(t, { minPrice: 0n, maxPrice: 1000n, rampDuration: 3 }));
      for (const [dt, price] of [
        [1, 333n],
        [2, 666n],
        [3, 1000n],
        [100, 1000n],
      ] as const) {
        await time.setNextBlockTimestamp(t + 1 + dt);
        await networkHelpers.mine();
        expect(await p.market.currentPrice(1n, await termsOf(p.market, 1n))).to.equal(price);
      }
      await expect(p.market.currentPrice(99n, await termsOf(p.market, 99n)))
        .to.be.revertedWithCustomError(p.market, "Market__JobNotOpen")
        .withArgs(99n, Status.None);
    });

    it("test_views_exposeWiring", async function () {
      const { market, staking, registry, token, treasury } = await loadFixture(fixture);
      expect(await market.token()).to.equal(await token.getAddress());
      expect(await market.staking()).to.equal(await staking.getAddress());
      expect(await market.registry()).to.equal(await registry.getAddress());
      expect(await market.treasury()).to.equal(treasury.address);
      expect((await market.getJob(1n)).status).to.equal(Status.None);
    });
  });
});
