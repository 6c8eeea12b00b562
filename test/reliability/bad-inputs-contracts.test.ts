import { expect } from "chai";
import { network } from "hardhat";
import {
  CIRCUIT_OUT_ID,
  DAY,
  E18,
  ECONOMICS,
  PROOF,
  PROVIDER_STAKE,
  R,
  Status,
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
 * Bad-input catalogue, contract side (docs/BAD-INPUTS.md): each case asserts the exact custom error,
 * then carries on through the protocol's normal path and checks the state that sequence must end in
 * — every actor's balance, the contracts' balances, stake and collateral, the job's status — against
 * values computed from the rules. A revert cannot move tokens, so comparing balances around it
 * proves nothing; what can go wrong is that the rejected call is accepted, or that the job cannot
 * settle correctly afterwards, and these checks fail in both cases.
 * Proofs are checked by MockVerifier (test-only); real-proof failures are in RealProof.test.ts.
 */
describe("reliability: contract bad inputs are refused and the job still settles by the rules (with MockVerifier)", function () {
  async function fixture() {
    return deployProtocol(ethers);
  }

  const { posted, claimed } = jobSteps(networkHelpers, fixture);

  type Ledger = Record<string, bigint>;

  /** Token balances of every actor and contract, and the providers' stake and locked collateral. */
  async function ledger(p: Protocol): Promise<Ledger> {
    const out: Ledger = {};
    for (const [name, w] of Object.entries({
      requester: p.requester,
      provider: p.provider,
      provider2: p.provider2,
      other: p.other,
      treasury: p.treasury,
      keeper: p.keeper,
    })) {
      out[name] = await p.token.balanceOf(w.address);
    }
    out.market = await p.token.balanceOf(await p.market.getAddress());
    out.staking = await p.token.balanceOf(await p.staking.getAddress());
    out.accrued = await p.market.accruedFees();
    for (const [name, w] of Object.entries({ provider: p.provider, provider2: p.provider2 })) {
      const r = await p.staking.getProvider(w.address);
      out[`${name}.stake`] = r.stake;
      out[`${name}.locked`] = r.locked;
    }
    return out;
  }

  /** `after - before` must be exactly `deltas` for the named entries and zero for every other one. */
  function expectDeltas(before: Ledger, after: Ledger, deltas: Ledger): void {
    for (const key of Object.keys(before)) {
      expect(after[key]! - before[key]!, key).to.equal(deltas[key] ?? 0n);
    }
  }

  /** Completes a claimed fixed-price job by the rules (submit + collect) from `start`. */
  async function submitCollectAndCheck(
    p: Protocol & { jobId: bigint },
    start: Ledger,
    outputs: bigint[] = [],
  ) {
    const terms = await termsOf(p.market, p.jobId);
    await p.market.connect(p.provider).submit(p.jobId, terms, PROOF, outputs);
    await p.market.connect(p.keeper).collect(p.provider.address, [{ jobId: p.jobId, terms, outputs }]);
    const fee = (terms.maxPrice * BigInt(terms.feeBps)) / 10_000n;
    expectDeltas(start, await ledger(p), {
      provider: terms.maxPrice - fee,
      market: -terms.maxPrice + fee,
      accrued: fee,
      "provider.locked": -terms.collateral,
    });
    expect((await jobOf(p.market, p.jobId)).status).to.equal(Status.Paid);
  }

  it("test_badInput_contract_inconsistentPricing_thenAValidPostEscrowsExactly", async function () {
    const p = await loadFixture(fixture);
    const t = await now(networkHelpers);
    const start = await ledger(p);
    await expect(
      p.market.connect(p.requester).postJob(jobParams(t, { minPrice: 11n * E18, maxPrice: 10n * E18 })),
    )
      .to.be.revertedWithCustomError(p.market, "Market__InvalidPricing")
      .withArgs(11n * E18, 10n * E18, 0);
    await p.market.connect(p.requester).postJob(jobParams(t, { minPrice: 10n * E18, maxPrice: 10n * E18 }));
    expectDeltas(start, await ledger(p), { requester: -10n * E18, market: 10n * E18 });
    expect(await p.market.nextJobId()).to.equal(2n, "the rejected post consumed no job id");
  });

  it("test_badInput_contract_claimDeadlineTooFar_thenPostWithinBoundsIsClaimable", async function () {
    const p = await loadFixture(fixture);
    const t = await now(networkHelpers);
    await expect(
      p.market.connect(p.requester).postJob(jobParams(t, { claimDeadline: t + 30 * DAY })),
    ).to.be.revertedWithCustomError(p.market, "Market__InvalidClaimDeadline");
    await p.market.connect(p.requester).postJob(jobParams(t, { claimDeadline: t + 7 * DAY }));
    await p.market.connect(p.provider).claim(1n, await termsOf(p.market, 1n));
    expect((await jobOf(p.market, 1n)).status).to.equal(Status.Claimed);
  });

  it("test_badInput_contract_inputCommitmentAtFieldModulus_thenRMinusOneIsAccepted", async function () {
    const p = await loadFixture(fixture);
    const t = await now(networkHelpers);
    await expect(p.market.connect(p.requester).postJob(jobParams(t, { inputCommitment: R })))
      .to.be.revertedWithCustomError(p.market, "Market__NotInField")
      .withArgs(R);
    await p.market.connect(p.requester).postJob(jobParams(t, { inputCommitment: R - 1n }));
    expect((await termsOf(p.market, 1n)).inputCommitment).to.equal(R - 1n);
  });

  it("test_badInput_contract_outputAtFieldModulus_thenValidOutputsSettleExactly", async function () {
    const p = await claimed({ circuitId: CIRCUIT_OUT_ID });
    const start = await ledger(p);
    await expect(
      p.market.connect(p.provider).submit(p.jobId, await termsOf(p.market, p.jobId), PROOF, [R, 1n]),
    )
      .to.be.revertedWithCustomError(p.market, "Market__NotInField")
      .withArgs(R);
    await submitCollectAndCheck(p, start, [R - 1n, 1n]);
  });

  it("test_badInput_contract_wrongOutputCount_thenTheRightCountSettlesExactly", async function () {
    const p = await claimed({ circuitId: CIRCUIT_OUT_ID });
    const start = await ledger(p);
    await expect(p.market.connect(p.provider).submit(p.jobId, await termsOf(p.market, p.jobId), PROOF, [1n]))
      .to.be.revertedWithCustomError(p.market, "Market__WrongOutputCount")
      .withArgs(1, 2);
    await submitCollectAndCheck(p, start, [1n, 2n]);
  });

  it("test_badInput_contract_cancelAfterClaim_thenTheJobStillSettlesForTheProvider", async function () {
    const p = await claimed();
    const start = await ledger(p);
    await expect(p.market.connect(p.requester).cancel(p.jobId, await termsOf(p.market, p.jobId)))
      .to.be.revertedWithCustomError(p.market, "Market__JobNotOpen")
      .withArgs(p.jobId, Status.Claimed);
    await submitCollectAndCheck(p, start);
  });

  it("test_badInput_contract_claimByUnregisteredAccount_thenARegisteredProviderClaims", async function () {
    const p = await posted();
    const start = await ledger(p);
    await expect(
      p.market.connect(p.other).claim(p.jobId, await termsOf(p.market, p.jobId)),
    ).to.be.revertedWithCustomError(p.staking, "Staking__NotRegistered");
    await p.market.connect(p.provider2).claim(p.jobId, await termsOf(p.market, p.jobId));
    const job = await jobOf(p.market, p.jobId);
    expect(job.provider).to.equal(p.provider2.address);
    expectDeltas(start, await ledger(p), { "provider2.locked": p.params.collateral });
  });

  it("test_badInput_contract_unstakeMoreThanBonded_thenSlashStillTakesTheCollateral", async function () {
    const p = await claimed();
    const r = await p.staking.getProvider(p.provider.address);
    const start = await ledger(p);
    await expect(p.staking.connect(p.provider).requestUnstake(r.stake + 1n))
      .to.be.revertedWithCustomError(p.staking, "Staking__InsufficientStake")
      .withArgs(r.stake, r.stake + 1n);
    // Unbonding everything it has is allowed — and leaves the locked collateral slashable.
    await p.staking.connect(p.provider).requestUnstake(r.stake);
    await time.increase(p.params.executionWindow + 1);
    await p.market
      .connect(p.keeper)
      .slashExpired(p.jobId, await termsOf(p.market, p.jobId), p.provider.address);
    const c = p.params.collateral;
    const toRequester = (c * ECONOMICS.slashRequesterBps) / 10_000n;
    const bounty = (c * ECONOMICS.slashBountyBps) / 10_000n;
    expectDeltas(start, await ledger(p), {
      requester: p.params.maxPrice + toRequester,
      keeper: bounty,
      market: -p.params.maxPrice + (c - toRequester - bounty),
      accrued: c - toRequester - bounty,
      staking: -c,
      "provider.stake": -r.stake,
      "provider.locked": -c,
    });
    expect((await p.staking.getProvider(p.provider.address)).unbonding).to.equal(r.stake - c);
  });

  it("test_badInput_contract_withdrawBeforeUnbondingEnds_thenWithdrawsExactlyAfter", async function () {
    const p = await loadFixture(fixture);
    await p.staking.connect(p.provider).requestUnstake(10n * E18);
    const start = await ledger(p);
    await expect(p.staking.connect(p.provider).withdraw()).to.be.revertedWithCustomError(
      p.staking,
      "Staking__StillUnbonding",
    );
    await time.increase(await p.staking.unbondingPeriod());
    await p.staking.connect(p.provider).withdraw();
    expectDeltas(start, await ledger(p), { provider: 10n * E18, staking: -10n * E18 });
    expect((await p.staking.getProvider(p.provider.address)).stake).to.equal(PROVIDER_STAKE - 10n * E18);
  });

  it("test_badInput_contract_slashBeforeDeadline_thenTheProviderCanStillProve", async function () {
    const p = await claimed();
    const start = await ledger(p);
    await expect(
      p.market.connect(p.keeper).slashExpired(p.jobId, await termsOf(p.market, p.jobId), p.provider.address),
    ).to.be.revertedWithCustomError(p.market, "Market__DeadlineNotPassed");
    await submitCollectAndCheck(p, start);
  });

  it("test_badInput_contract_reclaimBeforeClaimDeadline_thenReclaimRefundsExactly", async function () {
    const p = await posted();
    const start = await ledger(p);
    await expect(
      p.market.connect(p.requester).reclaim(p.jobId, await termsOf(p.market, p.jobId)),
    ).to.be.revertedWithCustomError(p.market, "Market__ClaimDeadlineNotPassed");
    await time.increase(2 * 3600);
    await p.market.connect(p.keeper).reclaim(p.jobId, await termsOf(p.market, p.jobId));
    expectDeltas(start, await ledger(p), { requester: p.params.maxPrice, market: -p.params.maxPrice });
    expect((await jobOf(p.market, p.jobId)).status).to.equal(Status.Reclaimed);
  });
});
