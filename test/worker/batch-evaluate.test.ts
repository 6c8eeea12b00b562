/**
 * The batch evaluation rules (worker/batch/evaluate.ts, pure): each refusal with its reason and
 * whether it may become acceptable later, and an acceptable job accepted.
 */
import { expect } from "chai";
import type { BatchTerms } from "../../sdk/batch.ts";
import { evaluateBatch, type BatchFacts } from "../../worker/batch/evaluate.ts";

const KEY = "0x" + "ab".repeat(32);
const ZERO = "0x" + "00".repeat(32);
const NOW = 1_000_000;

function facts(terms: Partial<BatchTerms> = {}, over: Partial<BatchFacts> = {}): BatchFacts {
  const t: BatchTerms = {
    requester: "0x0000000000000000000000000000000000000001",
    circuitId: "0x" + "01".repeat(32),
    numPublic: 3,
    keyHash: KEY,
    slots: 0,
    treeDepth: 0,
    inputsRoot: "0x" + "02".repeat(32),
    inputsHash: "0x" + "03".repeat(32),
    numSamples: 1000,
    sampleSize: 16,
    maxChallenges: 4,
    challengeBond: 1n,
    minPrice: 100n,
    maxPrice: 100n,
    rampDuration: 0,
    collateral: 50n,
    postedAt: NOW - 10,
    claimDeadline: NOW + 3600,
    commitWindow: 3600,
    proveWindow: 3600,
    challengeWindow: 3600,
    answerWindow: 3600,
    feeBps: 100,
    slashRequesterBps: 5000,
    slashBountyBps: 1000,
    ...terms,
  };
  return {
    terms: t,
    keyHash: KEY,
    circuitNumPublic: 3,
    price: t.maxPrice,
    nowSec: NOW,
    freeStake: 1000n,
    minPrice: 10n,
    maxSamples: 1 << 20,
    samplesPerSecond: 100,
    proofSeconds: 5,
    marginSec: 30,
    claimLatencySec: 5,
    ...over,
  };
}

describe("worker/batch/evaluate", function () {
  it("test_evaluateBatch_acceptsAFeasibleJob", () => {
    expect(evaluateBatch(facts())).to.deep.equal({ accept: true });
    // a sampling-circuit job: no key to match, the signal count fits
    expect(
      evaluateBatch(facts({ slots: 4, treeDepth: 10, keyHash: ZERO }, { circuitNumPublic: 4 })),
    ).to.deep.equal({ accept: true });
  });

  it("test_evaluateBatch_refusesEachInfeasibleJobWithItsReason", () => {
    const cases: [BatchFacts, string, boolean][] = [
      [facts({}, { keyHash: "0x" + "cd".repeat(32) }), "key_mismatch", false],
      // a sampling-circuit job (zero keyHash by rule) on a circuit whose signal count does not fit
      // 4 slots over depth 10 (3 + ⌈4 / 24⌉ = 4): its own reason, not a key mismatch
      [
        facts({ slots: 4, treeDepth: 10, keyHash: ZERO }, { circuitNumPublic: 3 }),
        "not_a_sampling_circuit",
        false,
      ],
      [facts({ numSamples: 5000 }, { maxSamples: 4096 }), "too_many_samples", false],
      [facts({ claimDeadline: NOW + 2 }), "claim_deadline_passed", false],
      // a rising auction may reach the floor: retryable; a flat one below it: not
      [
        facts({ minPrice: 1n, maxPrice: 100n, rampDuration: 600 }, { price: 1n, minPrice: 50n }),
        "price_too_low",
        true,
      ],
      [facts({}, { minPrice: 500n }), "price_too_low", false],
      [facts({ collateral: 5000n }), "insufficient_stake", true],
      // 1,000 samples at 100/s plus the margin do not fit a 30 s commit window
      [facts({ commitWindow: 30 }), "window_too_short", false],
      // 16 proofs of ~5 s each plus the sample delay do not fit a minute
      [facts({ proveWindow: 60 }), "window_too_short", false],
      [facts({ answerWindow: 40 }), "window_too_short", false],
    ];
    for (const [f, reason, retryable] of cases) {
      const d = evaluateBatch(f);
      expect(d.accept, reason).to.equal(false);
      if (!d.accept) {
        expect(d.reason).to.equal(reason);
        expect(d.retryable, reason).to.equal(retryable);
        expect(d.detail).to.be.a("string").and.not.equal("");
      }
    }
  });

  it("test_evaluateBatch_noChallengesNeedsNoAnswerWindowRoom", () => {
    expect(evaluateBatch(facts({ maxChallenges: 0, answerWindow: 60 })).accept).to.equal(true);
  });
});
