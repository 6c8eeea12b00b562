import { expect } from "chai";
import { keccak256 } from "ethers";
import { JobStatus, commitInput, jobFrom, type Job, type JobTerms } from "../../sdk/node.ts";
import type { CircuitCheck } from "../../worker/artifacts.ts";
import { checkInput, evaluateJob, type EvaluationContext } from "../../worker/evaluate.ts";

const circuit: CircuitCheck = {
  ok: true,
  circuit: { circuitId: "0x01", name: "c", wasmPath: "", zkeyPath: "", numPublic: 2 },
  onchain: {
    circuitId: "0x01",
    verifier: "0x1",
    selector: "0x00000000",
    numPublic: 2,
    active: true,
    modelCommitment: "0x",
    zkeyHash: "0x",
    wasmHash: "0x",
    artifactsURI: "",
  },
};

async function ctx(
  over: Partial<EvaluationContext> = {},
  job: { status?: number; terms?: Partial<JobTerms> } = {},
): Promise<EvaluationContext> {
  const input = new Uint8Array([1, 2, 3]);
  const inputCommitment = await commitInput(input);
  const terms: JobTerms = {
    requester: "0x0000000000000000000000000000000000000001",
    circuitId: "0x01",
    verifier: "0x0000000000000000000000000000000000000002",
    selector: "0x12345678",
    numPublic: 3,
    inputCommitment,
    inputHash: keccak256(input),
    minPrice: 50n,
    maxPrice: 100n,
    rampDuration: 100,
    collateral: 10n,
    postedAt: 1000,
    claimDeadline: 5000,
    executionWindow: 600,
    feeBps: 100,
    slashRequesterBps: 5_000,
    slashBountyBps: 1_000,
    verificationMode: 0,
  };
  const j: Job = jobFrom(
    1n,
    { status: job.status ?? JobStatus.Open, deadline: 0, commitment: "0x" },
    { ...terms, ...job.terms },
    "0x0000000000000000000000000000000000000000",
  );
  return {
    job: j,
    circuit,
    input: await checkInput(input, j),
    price: 60n,
    nowSec: 1100,
    freeStake: 100n,
    activeJobs: 0,
    maxConcurrentJobs: 2,
    minPrice: 0n,
    expectedWorkSec: 20,
    marginSec: 30,
    claimLatencySec: 5,
    ...over,
  };
}

describe("worker/evaluate", () => {
  it("test_evaluate_acceptsGoodJob", async () => {
    expect(evaluateJob(await ctx())).to.deep.equal({ accept: true });
  });

  it("test_evaluate_refusalsCarryReasonAndRetryability", async () => {
    const cases: [
      Partial<EvaluationContext>,
      { status?: number; terms?: Partial<JobTerms> },
      string,
      boolean,
    ][] = [
      [{}, { status: JobStatus.Claimed }, "not_open", false],
      [{ nowSec: 4999 }, {}, "claim_deadline_passed", false],
      [{ circuit: { ok: false, reason: "unknown_circuit", detail: "" } }, {}, "unknown_circuit", false],
      [{}, { terms: { executionWindow: 45 } }, "deadline_unachievable", false],
      [{ minPrice: 70n }, {}, "price_too_low", true],
      [{ minPrice: 200n }, {}, "price_too_low", false],
      [{ freeStake: 5n }, {}, "insufficient_stake", true],
      [{ activeJobs: 2 }, {}, "at_capacity", true],
    ];
    for (const [over, job, reason, retryable] of cases) {
      const d = evaluateJob(await ctx(over, job));
      expect(d.accept, reason).to.equal(false);
      if (!d.accept) {
        expect(d.reason).to.equal(reason);
        expect(d.retryable, reason).to.equal(retryable);
      }
    }
  });

  it("test_checkInput_detectsMissingHashAndCommitmentProblems", async () => {
    const input = new Uint8Array([1, 2, 3]);
    const base = (await ctx()).job;
    expect((await checkInput(null, base)).ok).to.equal(false);
    const r1 = await checkInput(new Uint8Array([1, 2, 4]), base);
    expect(r1.ok ? "" : r1.reason).to.equal("input_hash_mismatch");
    const r2 = await checkInput(input, { ...base, terms: { ...base.terms, inputCommitment: 5n } });
    expect(r2.ok ? "" : r2.reason).to.equal("commitment_mismatch");
    const r3 = await checkInput(input, base, 62);
    expect(r3.ok ? "" : r3.reason).to.equal("input_malformed");
  });
});
