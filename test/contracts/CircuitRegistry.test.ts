import { expect } from "chai";
import { network } from "hardhat";
import { Mode, emptyCircuit } from "./fixtures.ts";

const { ethers, networkHelpers } = await network.create();

describe("CircuitRegistry", function () {
  const ID = "0x" + "42".repeat(32);

  async function fixture() {
    const [admin, other] = await ethers.getSigners();
    const registry = await ethers.deployContract("CircuitRegistry", [admin.address]);
    const verifier = await ethers.deployContract("MockVerifier");
    const selector2 = await registry.snarkjsSelector(2);
    return {
      registry,
      verifier,
      admin,
      other,
      selector2,
      circuit: emptyCircuit(await verifier.getAddress(), selector2, 2),
    };
  }

  it("test_snarkjsSelector_matchesGeneratedVerifierSignature", async function () {
    const { registry } = await networkHelpers.loadFixture(fixture);
    for (const n of [2, 12]) {
      const sig = `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[${n}])`;
      expect(await registry.snarkjsSelector(n)).to.equal(ethers.id(sig).slice(0, 10));
    }
  });

  it("test_registerCircuit_storesActiveRecord", async function () {
    const { registry, circuit } = await networkHelpers.loadFixture(fixture);
    await expect(registry.registerCircuit(ID, { ...circuit, active: false })).to.emit(
      registry,
      "CircuitRegistered",
    );
    const c = await registry.getCircuit(ID);
    expect(c.verifier).to.equal(circuit.verifier);
    expect(c.numPublic).to.equal(2n);
    expect(c.active).to.equal(true);
    expect(c.modelCommitment).to.equal(circuit.modelCommitment);
    expect(c.zkeyHash).to.equal(circuit.zkeyHash);
    expect(c.wasmHash).to.equal(circuit.wasmHash);
    expect(c.artifactsURI).to.equal(circuit.artifactsURI);
    const v = await registry.getVerifier(ID);
    expect([v.verifier, v.selector, v.numPublic, v.active]).to.deep.equal([
      circuit.verifier,
      circuit.selector,
      2n,
      true,
    ]);
    expect(await registry.isActive(ID)).to.equal(true);
  });

  it("test_registerCircuit_revertsOnBadInput", async function () {
    const { registry, circuit, other } = await networkHelpers.loadFixture(fixture);
    await expect(registry.registerCircuit(ethers.ZeroHash, circuit)).to.be.revertedWithCustomError(
      registry,
      "Registry__ZeroCircuitId",
    );
    await expect(registry.registerCircuit(ID, { ...circuit, verifier: other.address }))
      .to.be.revertedWithCustomError(registry, "Registry__VerifierNotContract")
      .withArgs(other.address);
    for (const n of [1, 65]) {
      await expect(registry.registerCircuit(ID, { ...circuit, numPublic: n }))
        .to.be.revertedWithCustomError(registry, "Registry__InvalidNumPublic")
        .withArgs(n, 2, 64);
    }
    await registry.registerCircuit(ID, circuit);
    await expect(registry.registerCircuit(ID, circuit))
      .to.be.revertedWithCustomError(registry, "Registry__CircuitExists")
      .withArgs(ID);
  });

  it("test_registerCircuit_revertsWhenSelectorDoesNotMatchNumPublic", async function () {
    const { registry, circuit } = await networkHelpers.loadFixture(fixture);
    // A selector for 3 signals on a 2-signal entry (a prover could pad outputs the verifier
    // ignores), or none at all: the selector is a function of numPublic.
    for (const selector of [await registry.snarkjsSelector(3), "0x00000000"]) {
      await expect(registry.registerCircuit(ID, { ...circuit, selector }))
        .to.be.revertedWithCustomError(registry, "Registry__SelectorMismatch")
        .withArgs(selector, circuit.selector);
    }
  });

  it("test_registerCircuit_probesTheRealVerifierForItsNumberOfSignals", async function () {
    const { registry } = await networkHelpers.loadFixture(fixture);
    // snarkjs' verifier of binding_test takes 2 public signals: registered as 3 (with the matching
    // selector for 3) it has no such function, so every job on the entry would be unprovable.
    const real = await ethers.deployContract("BindingTestVerifier");
    const addr = await real.getAddress();
    const as3 = emptyCircuit(addr, await registry.snarkjsSelector(3), 3);
    await expect(registry.registerCircuit(ID, as3))
      .to.be.revertedWithCustomError(registry, "Registry__VerifierRejectsSelector")
      .withArgs(addr, as3.selector);
    await expect(
      registry.registerCircuit(ID, emptyCircuit(addr, await registry.snarkjsSelector(2), 2)),
    ).to.emit(registry, "CircuitRegistered");
  });

  it("test_registerCircuit_rejectsVerifierThatDoesNotAnswerABoolean", async function () {
    const { registry, verifier, circuit } = await networkHelpers.loadFixture(fixture);
    for (const mode of [Mode.Revert, Mode.ReturnMalformed]) {
      await verifier.setMode(mode);
      await expect(registry.registerCircuit(ID, circuit))
        .to.be.revertedWithCustomError(registry, "Registry__VerifierRejectsSelector")
        .withArgs(circuit.verifier, circuit.selector);
    }
  });

  it("test_setActive_and_setArtifactsURI", async function () {
    const { registry, circuit } = await networkHelpers.loadFixture(fixture);
    await registry.registerCircuit(ID, circuit);
    await expect(registry.setActive(ID, false)).to.emit(registry, "CircuitActiveSet").withArgs(ID, false);
    expect(await registry.isActive(ID)).to.equal(false);
    await expect(registry.setArtifactsURI(ID, "https://new"))
      .to.emit(registry, "ArtifactsURISet")
      .withArgs(ID, "https://new");
    expect((await registry.getCircuit(ID)).artifactsURI).to.equal("https://new");
    const unknown = "0x" + "43".repeat(32);
    await expect(registry.setActive(unknown, true))
      .to.be.revertedWithCustomError(registry, "Registry__UnknownCircuit")
      .withArgs(unknown);
    await expect(registry.setArtifactsURI(unknown, ""))
      .to.be.revertedWithCustomError(registry, "Registry__UnknownCircuit")
      .withArgs(unknown);
    await expect(registry.getCircuit(unknown))
      .to.be.revertedWithCustomError(registry, "Registry__UnknownCircuit")
      .withArgs(unknown);
  });

  it("test_governance_revertsForNonAdmin", async function () {
    const { registry, circuit, other } = await networkHelpers.loadFixture(fixture);
    const role = await registry.CIRCUIT_ADMIN_ROLE();
    await expect(registry.connect(other).registerCircuit(ID, circuit))
      .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
      .withArgs(other.address, role);
    await expect(registry.connect(other).setActive(ID, false))
      .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
      .withArgs(other.address, role);
    await expect(registry.connect(other).setArtifactsURI(ID, ""))
      .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
      .withArgs(other.address, role);
  });
});
