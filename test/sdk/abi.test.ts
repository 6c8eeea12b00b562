/** The SDK's one ABI source (sdk/abi/index.ts, generated) matches the compiled contracts exactly. */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { Interface } from "ethers";
import { ABI_MODULE, renderAbiModule } from "../../deploy/export-abi.ts";
import { compileContracts, getHre } from "../../deploy/index.ts";
import { jobMarketAbi, protocolErrorsAbi } from "../../sdk/index.ts";

describe("sdk/abi", function () {
  this.timeout(300_000);

  it("test_abi_generatedModuleMatchesTheCompiledContracts", async () => {
    const hre = await getHre();
    const warning = await compileContracts(hre);
    const fresh = await renderAbiModule();
    expect(readFileSync(ABI_MODULE, "utf8"), "sdk/abi/index.ts drifted: run `npm run abi`").to.equal(fresh);
    expect(warning).to.equal(undefined);
    // and the module itself does not change when compiling (no script rewrites it)
    expect(readFileSync(ABI_MODULE, "utf8")).to.equal(fresh);
  });

  it("test_abi_marketAbiDecodesTheErrorsItsCallsBubbleUp", () => {
    const market = new Interface(jobMarketAbi);
    // a market call that fails in the token or in staking reverts with their errors
    for (const name of [
      "ERC20InsufficientAllowance",
      "Staking__InsufficientStake",
      "Market__TermsMismatch",
    ]) {
      expect(market.getError(name), name).to.not.equal(null);
    }
    const all = new Interface(protocolErrorsAbi);
    for (const name of ["Registry__SelectorMismatch", "Timelock__DelayTooShort", "ERC2612InvalidSigner"]) {
      expect(all.getError(name), name).to.not.equal(null);
    }
  });
});
