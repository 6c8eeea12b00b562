import { expect } from "chai";
import { network } from "hardhat";
import {
  CIRCUIT_OUT_ID,
  DAY,
  E18,
  PROOF,
  R,
  deployProtocol,
  jobOf,
  jobParams,
  jobSteps,
  now,
  termsOf,
  type Protocol,
} from "../contracts/fixtures.ts";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

/**
 * Bad-input catalogue, contract side (docs/BAD-INPUTS.md): each case asserts the custom error AND
 * that nothing moved — every actor's token balance, both contracts' balances, the providers' stake
 * and locked collateral, and the job's on-chain slot are identical before and after.
 * Proofs are checked by MockVerifier (test-only); real-proof failures are in RealProof.test.ts.
 */
describe("reliability: contract bad inputs leave state and funds intact (with MockVerifier)", function () {
  async function fixture() {
    return deployProtocol(ethers);
  }

  const { posted, claimed } = jobSteps(networkHelpers, fixture);

  /** Everything a bad input could disturb. */
  async function snapshot(p: Protocol, jobId = 1n) {
    const who = [p.requester, p.provider, p.provider2, p.other, p.treasury, p.keeper];
    const balances = await Promise.all(who.map((w) => p.token.balanceOf(w.address)));
    const contracts = await Promise.all(
      [p.market, p.staking].map(async (c) => p.token.balanceOf(await c.getAddress())),
    );
    const providers = await Promise.all(
      [p.provider, p.provider2].map(async (w) => {
        const r = await p.staking.getProvider(w.address);
        return [r.stake, r.locked, r.jailedUntil];
      }),
    );
    const job = await jobOf(p.market, jobId);
    return JSON.stringify({ balances, contracts, providers, job }, (_k, v: unknown) =>
      typeof v === "bigint" ? v.toString() : v,
    );
  }

  async function expectIntact(p: Protocol, action: () => Promise<void>, jobId = 1n) {
    const before = await snapshot(p, jobId);
    await action();
    expect(await snapshot(p, jobId), "state and funds after the rejected call").to.equal(before);
  }

  it("test_badInput_contract_inconsistentPricing_revertsFundsIntact", async function () {
    const p = await loadFixture(fixture);
    const t = await now(networkHelpers);
    await expectIntact(p, async () => {
      await expect(
        p.market.connect(p.requester).postJob(jobParams(t, { minPrice: 11n * E18, maxPrice: 10n * E18 })),
      )
        .to.be.revertedWithCustomError(p.market, "Market__InvalidPricing")
        .withArgs(11n * E18, 10n * E18, 0);
    });
  });

  it("test_badInput_contract_claimDeadlineTooFar_revertsFundsIntact", async function () {
    const p = await loadFixture(fixture);
    const t = await now(networkHelpers);
    await expectIntact(p, async () => {
      await expect(
        p.market.connect(p.requester).postJob(jobParams(t, { claimDeadline: t + 30 * DAY })),
      ).to.be.revertedWithCustomError(p.market, "Market__InvalidClaimDeadline");
    });
  });

  it("test_badInput_contract_inputCommitmentAtFieldModulus_revertsFundsIntact", async function () {
    const p = await loadFixture(fixture);
    const t = await now(networkHelpers);
    await expectIntact(p, async () => {
      await expect(p.market.connect(p.requester).postJob(jobParams(t, { inputCommitment: R })))
        .to.be.revertedWithCustomError(p.market, "Market__NotInField")
        .withArgs(R);
    });
  });

  it("test_badInput_contract_outputAtFieldModulus_revertsEscrowAndCollateralIntact", async function () {
    const p = await claimed({ circuitId: CIRCUIT_OUT_ID });
    await expectIntact(p, async () => {
      await expect(
        p.market.connect(p.provider).submit(p.jobId, await termsOf(p.market, p.jobId), PROOF, [R, 1n]),
      )
        .to.be.revertedWithCustomError(p.market, "Market__NotInField")
        .withArgs(R);
    });
  });

  it("test_badInput_contract_wrongOutputCount_revertsEscrowAndCollateralIntact", async function () {
    const p = await claimed({ circuitId: CIRCUIT_OUT_ID });
    await expectIntact(p, async () => {
      await expect(
        p.market.connect(p.provider).submit(p.jobId, await termsOf(p.market, p.jobId), PROOF, [1n]),
      )
        .to.be.revertedWithCustomError(p.market, "Market__WrongOutputCount")
        .withArgs(1, 2);
    });
  });

  it("test_badInput_contract_cancelAfterClaim_revertsEscrowIntact", async function () {
    const p = await claimed();
    await expectIntact(p, async () => {
      await expect(p.market.connect(p.requester).cancel(p.jobId, await termsOf(p.market, p.jobId)))
        .to.be.revertedWithCustomError(p.market, "Market__JobNotOpen")
        .withArgs(p.jobId, 2);
    });
  });

  it("test_badInput_contract_claimByUnregisteredAccount_revertsFundsIntact", async function () {
    const p = await posted();
    await expectIntact(p, async () => {
      await expect(
        p.market.connect(p.other).claim(p.jobId, await termsOf(p.market, p.jobId)),
      ).to.be.revertedWithCustomError(p.staking, "Staking__NotRegistered");
    });
  });

  it("test_badInput_contract_unstakeMoreThanBonded_revertsStakeAndLockedIntact", async function () {
    const p = await claimed();
    const r = await p.staking.getProvider(p.provider.address);
    await expectIntact(p, async () => {
      await expect(p.staking.connect(p.provider).requestUnstake(r.stake + 1n))
        .to.be.revertedWithCustomError(p.staking, "Staking__InsufficientStake")
        .withArgs(r.stake, r.stake + 1n);
    });
  });

  it("test_badInput_contract_withdrawBeforeUnbondingEnds_revertsFundsIntact", async function () {
    const p = await loadFixture(fixture);
    await p.staking.connect(p.provider).requestUnstake(10n * E18);
    await expectIntact(p, async () => {
      await expect(p.staking.connect(p.provider).withdraw()).to.be.revertedWithCustomError(
        p.staking,
        "Staking__StillUnbonding",
      );
    });
  });

  it("test_badInput_contract_slashBeforeDeadline_revertsCollateralIntact", async function () {
    const p = await claimed();
    await expectIntact(p, async () => {
      await expect(
        p.market
          .connect(p.keeper)
          .slashExpired(p.jobId, await termsOf(p.market, p.jobId), p.provider.address),
      ).to.be.revertedWithCustomError(p.market, "Market__DeadlineNotPassed");
    });
  });

  it("test_badInput_contract_reclaimBeforeClaimDeadline_revertsEscrowIntact", async function () {
    const p = await posted();
    await expectIntact(p, async () => {
      await expect(
        p.market.connect(p.requester).reclaim(p.jobId, await termsOf(p.market, p.jobId)),
      ).to.be.revertedWithCustomError(p.market, "Market__ClaimDeadlineNotPassed");
    });
    // …and the rule still works once the deadline has passed (nothing was lost on the way).
    await time.increase(2 * 3600);
    await expect(p.market.connect(p.requester).reclaim(p.jobId, await termsOf(p.market, p.jobId))).to.emit(
      p.market,
      "JobReclaimed",
    );
  });
});
