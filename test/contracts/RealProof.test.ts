import { expect } from "chai";
import { network } from "hardhat";
import { loadBuiltCircuit, releaseCurves } from "../../circuits/pipeline.ts";
import { commitInput } from "../../sdk/commitment.ts";
import { BINDING_TEST_BYTES, proveBinding } from "../helpers/zk.ts";
import { FEE_BPS, Status, deployProtocol, emptyCircuit, jobParams, now, termsOf, jobOf } from "./fixtures.ts";

const { ethers, networkHelpers } = await network.create();

const BINDING_ID = ethers.id("proofwork/binding_test");

/**
 * Settlement against a REAL Groth16 proof: the binding_test circuit and its generated
 * BindingTestVerifier (public signals [jobKey, inputCommitment]), proven with snarkjs.
 * Needs `npm run circuits:build` (build/circuits/binding_test, contracts/generated/).
 */
describe("JobMarket settlement with a real Groth16 proof (BindingTestVerifier)", function () {
  before(async function () {
    const circuit = await loadBuiltCircuit("binding_test");
    if (!circuit.zkey) throw new Error("binding_test was built without keys: run `npm run circuits:build`");
  });
  after(releaseCurves);

  async function fixture() {
    const p = await deployProtocol(ethers);
    const verifier = await ethers.deployContract("BindingTestVerifier");
    const circuit = emptyCircuit(await verifier.getAddress(), await p.registry.snarkjsSelector(2), 2);
    await p.registry.registerCircuit(BINDING_ID, circuit);
    const input = new Uint8Array(BINDING_TEST_BYTES).map((_, i) => (i * 37 + 11) & 0xff);
    const inputCommitment = await commitInput(input);
    const t = await now(networkHelpers);
    const params = jobParams(t, {
      circuitId: BINDING_ID,
      inputCommitment,
      input: ethers.hexlify(input),
      minPrice: 20n * 10n ** 18n,
      maxPrice: 20n * 10n ** 18n,
    });
    await p.market.connect(p.requester).postJob(params);
    await p.market.connect(p.requester).postJob(params);
    return { ...p, input, params };
  }

  it("test_submit_realProof_paysProviderAndCompletesJob", async function () {
    const { market, token, staking, provider, requester, input, params } =
      await networkHelpers.loadFixture(fixture);
    await market.connect(provider).claim(1n, await termsOf(market, 1n));
    const key = await market.jobKey(1n, provider.address);
    const proof = await proveBinding(key, input);
    expect(proof.inputCommitment).to.equal(params.inputCommitment);

    const fee = (params.maxPrice * FEE_BPS) / 10_000n;
    const terms = await termsOf(market, 1n);
    await expect(market.connect(provider).submit(1n, terms, proof.solidityProof, []))
      .to.emit(market, "JobCompleted")
      .withArgs(1n, provider.address, []);
    expect((await jobOf(market, 1n)).status).to.equal(Status.Completed);
    expect(await market.checkResult(1n, terms, provider.address, [])).to.equal(true);
    const tx = market.connect(provider).collect(provider.address, [{ jobId: 1n, terms, outputs: [] }]);
    await expect(tx)
      .to.emit(market, "JobPaid")
      .withArgs(1n, provider.address, params.maxPrice - fee, fee, 0n);
    await expect(tx).to.changeTokenBalances(
      ethers,
      token,
      [provider, requester, await market.getAddress()],
      [params.maxPrice - fee, 0n, -(params.maxPrice - fee)],
    );
    expect((await jobOf(market, 1n)).status).to.equal(Status.Paid);
    expect((await staking.getProvider(provider.address)).jobsCompleted).to.equal(1n);
  });

  it("test_submit_realProof_rejectsReplayByAnotherProviderOrOnAnotherJob", async function () {
    const { market, provider, provider2, input } = await networkHelpers.loadFixture(fixture);
    await market.connect(provider).claim(1n, await termsOf(market, 1n));
    await market.connect(provider2).claim(2n, await termsOf(market, 2n));
    // A valid proof for job 1 / provider 1 ...
    const proof = await proveBinding(await market.jobKey(1n, provider.address), input);
    // ... cannot be replayed by provider 2 on job 2 (jobKey differs) ...
    await expect(market.connect(provider2).submit(2n, await termsOf(market, 2n), proof.solidityProof, []))
      .to.be.revertedWithCustomError(market, "Market__InvalidProof")
      .withArgs(2n);
    // ... nor stolen from the mempool for job 1 (the stored commitment binds the claimer).
    await expect(market.connect(provider2).submit(1n, await termsOf(market, 1n), proof.solidityProof, []))
      .to.be.revertedWithCustomError(market, "Market__TermsMismatch")
      .withArgs(1n);
    // The rightful provider still settles.
    await expect(
      market.connect(provider).submit(1n, await termsOf(market, 1n), proof.solidityProof, []),
    ).to.emit(market, "JobCompleted");
  });

  it("test_submit_realProof_rejectsProofOfOtherInput", async function () {
    const { market, provider, input } = await networkHelpers.loadFixture(fixture);
    await market.connect(provider).claim(1n, await termsOf(market, 1n));
    const other = input.slice();
    other[0] ^= 1;
    const proof = await proveBinding(await market.jobKey(1n, provider.address), other);
    await expect(market.connect(provider).submit(1n, await termsOf(market, 1n), proof.solidityProof, []))
      .to.be.revertedWithCustomError(market, "Market__InvalidProof")
      .withArgs(1n);
  });
});
