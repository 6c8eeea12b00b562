import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ErrorCodes,
  circuitIdOf,
  confirmationsFor,
  deploymentPath,
  findDeployment,
  isProofworkError,
  readDeployment,
  snarkjsSelector,
  writeDeployment,
  type DeploymentInput,
} from "../../sdk/node.ts";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isProofworkError(e)) return e.code;
    throw e;
  }
  throw new Error("expected a ProofworkError");
}

const h = (c: string) => `0x${c.repeat(64)}`;
const record: DeploymentInput = {
  chainId: 31337,
  network: "localhost",
  startBlock: 0,
  deployer: "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
  deployedAt: "2026-01-01T00:00:00.000Z",
  contracts: {
    token: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
    staking: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
    registry: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    market: "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
  },
  circuits: {
    binding_test: {
      id: h("a"),
      name: "binding_test",
      verifier: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      numPublic: 2,
      inputBytes: 62,
      vkHash: h("b"),
      zkeyHash: h("c"),
      wasmHash: h("d"),
      zkeyUri: "file:///x/binding_test.zkey",
      wasmUri: "file:///x/binding_test.wasm",
      vkUri: "file:///x/verification_key.json",
    },
  },
};

describe("sdk/deployments", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "proofwork-dep-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("test_deploymentPath_localChainsAreGitIgnoredNames", () => {
    expect(deploymentPath("deployments", 31337)).to.equal(join("deployments", "31337.local.json"));
    expect(deploymentPath("deployments", 11155111n)).to.equal(join("deployments", "11155111.json"));
  });

  it("test_writeThenFind_roundTripsAndChecksumsAddresses", () => {
    const path = writeDeployment(deploymentPath(dir, 31337), record);
    const d = readDeployment(path);
    expect(d.deployer).to.equal("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    expect(findDeployment({ dir, chainId: 31337n }).contracts.market).to.equal(record.contracts.market);
  });

  it("test_findDeployment_wrongChainOrMissingOrMalformed", () => {
    const path = writeDeployment(join(dir, "other.json"), record);
    expect(codeOf(() => findDeployment({ file: path, dir, chainId: 1n }))).to.equal(ErrorCodes.WRONG_CHAIN);
    expect(codeOf(() => findDeployment({ dir, chainId: 5n }))).to.equal(ErrorCodes.DEPLOYMENT_NOT_FOUND);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{ not json");
    expect(codeOf(() => readDeployment(bad))).to.equal(ErrorCodes.DEPLOYMENT_NOT_FOUND);
    writeFileSync(bad, JSON.stringify({ ...record, contracts: { ...record.contracts, market: "0x12" } }));
    expect(codeOf(() => readDeployment(bad))).to.equal(ErrorCodes.DEPLOYMENT_NOT_FOUND);
  });

  it("test_circuitIdOf_dependsOnNameAndKey", () => {
    expect(circuitIdOf("a", h("1"))).to.equal(circuitIdOf("a", h("1")));
    expect(circuitIdOf("a", h("1"))).to.not.equal(circuitIdOf("a", h("2")));
    expect(circuitIdOf("a", h("1"))).to.not.equal(circuitIdOf("b", h("1")));
  });

  it("test_snarkjsSelector_isVerifyProofWithNSignals", () => {
    // keccak256("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[2])")[0..4]
    expect(snarkjsSelector(2)).to.match(/^0x[0-9a-f]{8}$/);
    expect(snarkjsSelector(2)).to.not.equal(snarkjsSelector(3));
  });

  it("test_confirmationsFor_defaultsByChain", () => {
    expect(confirmationsFor(undefined, 31337)).to.equal(0);
    expect(confirmationsFor(undefined, 11155111)).to.equal(1);
    expect(confirmationsFor(3, 31337)).to.equal(3);
  });
});
