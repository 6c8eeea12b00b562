import { expect } from "chai";
import { marketInterface } from "../../sdk/node.ts";
import { DEFAULT_FEE_POLICY, bumpFees } from "../../worker/fees.ts";
import { decodeRevert, findRevertData } from "../../sdk/node.ts";

describe("worker/tx", () => {
  it("test_bumpFees_raisesByAtLeastPolicyPercent", () => {
    const old = { maxFeePerGas: 100n, maxPriorityFeePerGas: 10n };
    const b = bumpFees(old, { maxFeePerGas: 50n, maxPriorityFeePerGas: 1n }, DEFAULT_FEE_POLICY);
    expect(b.maxFeePerGas >= 115n).to.equal(true);
    expect(b.maxPriorityFeePerGas >= 11n).to.equal(true);
  });

  it("test_bumpFees_followsMarketAndCap", () => {
    const policy = { ...DEFAULT_FEE_POLICY, maxFeePerGas: 1000n };
    const b = bumpFees(
      { maxFeePerGas: 100n, maxPriorityFeePerGas: 10n },
      { maxFeePerGas: 5000n, maxPriorityFeePerGas: 20n },
      policy,
    );
    expect(b.maxFeePerGas).to.equal(1000n);
    expect(b.maxPriorityFeePerGas).to.equal(20n);
  });

  it("test_decodeRevert_findsNestedCustomError", () => {
    const data = marketInterface.encodeErrorResult("Market__JobNotOpen", [5n, 2]);
    const err = { message: "execution reverted", info: { error: { code: 3, data } } };
    const found = findRevertData(err);
    expect(found).to.equal(data);
    const d = decodeRevert(found);
    expect(d?.name).to.equal("Market__JobNotOpen");
    expect(d?.text).to.equal("Market__JobNotOpen(jobId=5, status=2)");
  });
});
