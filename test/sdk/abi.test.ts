/** The ABIs shipped in sdk/abi/ (read at run time without Hardhat) match the compiled contracts. */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { compileContracts, getHre } from "../../deploy/deploy.ts";
import { ABI_DIR, CONTRACT_NAMES } from "../../sdk/contracts.ts";

describe("sdk/abi", function () {
  this.timeout(300_000);

  it("test_abi_shippedAbisMatchArtifacts", async () => {
    const hre = await getHre();
    const before = Object.fromEntries(
      CONTRACT_NAMES.map((n) => [n, readFileSync(`${ABI_DIR}${n}.json`, "utf8")]),
    );
    await compileContracts(hre); // re-exports sdk/abi from fresh artifacts
    for (const name of CONTRACT_NAMES) {
      const artifact = await hre.artifacts.readArtifact(name);
      const shipped: unknown = JSON.parse(readFileSync(`${ABI_DIR}${name}.json`, "utf8"));
      expect(shipped, `${name}: run \`npm run abi\` and commit sdk/abi`).to.deep.equal(artifact.abi);
      expect(readFileSync(`${ABI_DIR}${name}.json`, "utf8"), `${name} changed: commit sdk/abi`).to.equal(
        before[name],
      );
    }
  });
});
