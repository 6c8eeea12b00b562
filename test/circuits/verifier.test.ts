import { expect } from "chai";
import { network } from "hardhat";
import { FIELD_MODULUS } from "../../sdk/field.ts";
import { proveBinding, type BindingProof } from "../helpers/zk.ts";

/**
 * The generated snarkjs verifier in the loop: a fresh real proof verifies on the in-process EVM,
 * and every kind of tampering is rejected.
 */
describe("contracts/generated/BindingTestVerifier (real Groth16 verifier on EDR)", function () {
  let proof: BindingProof;

  before(async function () {
    proof = await proveBinding(987654321987654321n);
  });

  async function deploy(name: string) {
    const { ethers } = await network.create();
    return ethers.deployContract(name);
  }

  type Args = [[bigint, bigint], [[bigint, bigint], [bigint, bigint]], [bigint, bigint], [bigint, bigint]];
  function args(p: readonly bigint[], pub: readonly bigint[]): Args {
    return [
      [p[0]!, p[1]!],
      [
        [p[2]!, p[3]!],
        [p[4]!, p[5]!],
      ],
      [p[6]!, p[7]!],
      [pub[0]!, pub[1]!],
    ];
  }

  const pub = () => proof.publicSignals.map(BigInt);

  it("test_verifyProof_acceptsFreshRealProof", async function () {
    const v = await deploy("BindingTestVerifier");
    expect(await v.verifyProof(...args(proof.solidityProof, pub()))).to.equal(true);
  });

  it("test_verifyProof_rejectsTamperedProof", async function () {
    const v = await deploy("BindingTestVerifier");
    // Flip A's y coordinate (−A is still on the curve) and change C's x coordinate.
    const negA = [...proof.solidityProof];
    negA[1] =
      (21888242871839275222246405745257275088696311157297823662689037894645226208583n - negA[1]!) %
      21888242871839275222246405745257275088696311157297823662689037894645226208583n;
    expect(await v.verifyProof(...args(negA, pub()))).to.equal(false);
    const badC = [...proof.solidityProof];
    badC[6] = badC[6]! + 1n;
    expect(await v.verifyProof(...args(badC, pub()))).to.equal(false);
  });

  it("test_verifyProof_rejectsPublicSignalChangedByOne", async function () {
    const v = await deploy("BindingTestVerifier");
    for (const i of [0, 1]) {
      const changed = pub();
      changed[i] = changed[i]! + 1n;
      expect(await v.verifyProof(...args(proof.solidityProof, changed)), `signal ${i}`).to.equal(false);
    }
  });

  it("test_verifyProof_rejectsPublicSignalAtOrAboveFieldModulus", async function () {
    const v = await deploy("BindingTestVerifier");
    for (const i of [0, 1]) {
      // x + r is the same field element as x: only the verifier's range check stops this alias.
      const aliased = pub();
      aliased[i] = aliased[i]! + FIELD_MODULUS;
      expect(await v.verifyProof(...args(proof.solidityProof, aliased)), `signal ${i} + r`).to.equal(false);
      const modulus = pub();
      modulus[i] = FIELD_MODULUS;
      expect(await v.verifyProof(...args(proof.solidityProof, modulus)), `signal ${i} = r`).to.equal(false);
    }
  });

  it("test_verifyProof_rejectsProofUnderDifferentVerificationKey", async function () {
    // Same circuit, independent Groth16 setup: its verifier must not accept our proof…
    const other = await deploy("BindingTestRekeyedVerifier");
    expect(await other.verifyProof(...args(proof.solidityProof, pub()))).to.equal(false);
    // …while a proof made with its own key verifies there.
    const own = await proveBinding(proof.jobKey, proof.input, "binding_test_rekeyed");
    expect(await other.verifyProof(...args(own.solidityProof, own.publicSignals.map(BigInt)))).to.equal(true);
  });
});
