import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isProofworkError } from "../../sdk/errors.ts";
import { Store } from "../../worker/store.ts";
import { canTransition } from "../../worker/state.ts";

describe("worker/store", () => {
  it("test_insertJob_isIdempotent", () => {
    const s = Store.open(":memory:");
    expect(s.insertJob(1n, { circuitId: "0xab", price: 5n })).to.equal(true);
    expect(s.insertJob(1n, { circuitId: "0xcd" })).to.equal(false);
    const j = s.getJob(1n);
    expect(j?.state).to.equal("discovered");
    expect(j?.circuitId).to.equal("0xab");
    expect(j?.price).to.equal(5n);
  });

  it("test_transition_followsStateMachine", () => {
    const s = Store.open(":memory:");
    s.insertJob(7n);
    s.transition(7n, "claiming");
    s.transition(7n, "claimed", { deadline: 1234 });
    s.transition(7n, "executed", { outputs: [1n, 2n] });
    s.transition(7n, "proved", { proof: [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n] });
    const j = s.transition(7n, "submitting");
    expect(j.outputs).to.deep.equal([1n, 2n]);
    expect(j.proof?.length).to.equal(8);
    expect(j.deadline).to.equal(1234);
    expect(s.history(7n).map((h) => h.to)).to.deep.equal([
      "discovered",
      "claiming",
      "claimed",
      "executed",
      "proved",
      "submitting",
    ]);
  });

  it("test_transition_rejectsIllegalEdge", () => {
    const s = Store.open(":memory:");
    s.insertJob(1n);
    try {
      s.transition(1n, "completed");
      expect.fail("should throw");
    } catch (e) {
      expect(isProofworkError(e, "ILLEGAL_TRANSITION")).to.equal(true);
    }
    expect(s.getJob(1n)?.state).to.equal("discovered");
    expect(canTransition("settled", "claimed")).to.equal(false);
  });

  it("test_markEventSeen_deduplicates", () => {
    const s = Store.open(":memory:");
    expect(s.markEventSeen("0xAA", 0, 10)).to.equal(true);
    expect(s.markEventSeen("0xaa", 0, 10)).to.equal(false);
    expect(s.markEventSeen("0xaa", 1, 10)).to.equal(true);
  });

  it("test_transaction_rollsBackOnThrow", () => {
    const s = Store.open(":memory:");
    expect(() =>
      s.transaction(() => {
        s.insertJob(1n);
        s.setCursor(99);
        throw new Error("boom");
      }),
    ).to.throw("boom");
    expect(s.getJob(1n)).to.equal(null);
    expect(s.getCursor()).to.equal(null);
  });

  it("test_txs_storedAndFinished", () => {
    const s = Store.open(":memory:");
    s.insertTx({
      hash: "0xAB",
      jobId: 3n,
      kind: "submit",
      nonce: 4,
      raw: "0x00",
      maxFeePerGas: 10n,
      maxPriorityFeePerGas: 1n,
      sentAt: 1,
    });
    expect(s.pendingTxs().map((t) => t.hash)).to.deep.equal(["0xab"]);
    expect(s.maxNonce()).to.equal(4);
    s.finishTx("0xab", "mined", { gasUsed: 100n, effectiveGasPrice: 3n, blockNumber: 9 });
    expect(s.pendingTxs()).to.have.length(0);
    expect(s.totalGasSpent()).to.equal(300n);
    expect(s.txsFor(3n, "submit")[0]?.status).to.equal("mined");
  });

  it("test_reopen_keepsState", () => {
    const dir = mkdtempSync(join(tmpdir(), "pw-store-"));
    const path = join(dir, "worker.sqlite");
    const a = Store.open(path);
    a.insertJob(1n);
    a.transition(1n, "claiming");
    a.setCursor(42);
    a.close();
    const b = Store.open(path);
    expect(b.getJob(1n)?.state).to.equal("claiming");
    expect(b.getCursor()).to.equal(42);
    b.close();
  });
});
