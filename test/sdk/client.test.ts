/**
 * The requester SDK against a real in-process chain: deploy (Ignition), post with a permit, a
 * provider claims and proves the binding_test circuit, waitForResult resolves, verifyResult
 * re-checks the proof locally; cancel/expiry reject with coded errors; reverts decode.
 */
import { expect } from "chai";
import { hexlify, parseEther, type Signer } from "ethers";
import * as snarkjs from "snarkjs";
import type { NetworkConnection } from "hardhat/types/network";
import { buildCircuits, specsFor } from "../../circuits/index.ts";
import { compileContracts, connectNetwork, deployProofwork, getHre, ROOT } from "../../deploy/index.ts";
import {
  ErrorCodes,
  JobStatus,
  ProviderAccount,
  RequesterClient,
  callRegisteredVerifier,
  commitInput,
  computeJobKey,
  encodeProof,
  fetchArtifact,
  isProofworkError,
  releaseSnarkjs,
  snarkjsSelector,
  toProofworkError,
  verifyGroth16,
  verifyResult,
  type Deployment,
  type ProofworkError,
} from "../../sdk/node.ts";

async function rejection(p: Promise<unknown>): Promise<ProofworkError> {
  try {
    await p;
  } catch (e) {
    if (isProofworkError(e)) return e;
    throw e;
  }
  throw new Error("expected a rejection");
}

describe("sdk/client (in-process chain, binding_test circuit)", function () {
  this.timeout(300_000);
  let conn: NetworkConnection;
  let deployment: Deployment;
  let requester: Signer;
  let provider: Signer;
  let client: RequesterClient;
  const input = Uint8Array.from({ length: 62 }, (_, i) => (i * 37 + 11) % 256);

  before(async () => {
    await buildCircuits(specsFor("test", ["binding_test"]), { log: () => undefined });
    const hre = await getHre();
    await compileContracts(hre);
    conn = await connectNetwork(hre, { network: "hardhat" });
    ({ deployment } = await deployProofwork(conn, {
      circuits: ["binding_test"],
      networkName: "hardhat",
      writeRecord: false,
    }));
    const signers = await conn.ethers.getSigners();
    requester = signers[1]!;
    provider = signers[2]!;
    client = new RequesterClient(deployment, requester, { pollIntervalMs: 50, confirmations: 1 });
    await new ProviderAccount(deployment, requester).faucet(parseEther("1000"));
    const p = new ProviderAccount(deployment, provider);
    await p.faucet(parseEther("1000"));
    await p.stake(parseEther("200"));
    await p.register({
      gpuModel: "cpu",
      memoryMB: 1024,
      backends: ["cpu", "wasm"],
      maxConcurrentJobs: 4,
      metadataURI: "",
    });
  });

  after(async () => {
    await releaseSnarkjs();
    await conn?.close();
  });

  async function proveAndSubmit(jobId: bigint): Promise<void> {
    const market = client.contracts.market.connect(provider);
    const { terms } = await client.getTerms(jobId);
    await (await market.claim(jobId, terms)).wait();
    const jobKey = computeJobKey(31337n, deployment.contracts.market, jobId, await provider.getAddress());
    const c = deployment.circuits["binding_test"]!;
    const { proof } = await snarkjs.groth16.fullProve(
      {
        jobKey: jobKey.toString(),
        inputCommitment: (await commitInput(input)).toString(),
        bytes: Array.from(input, String),
      },
      `${ROOT}/build/circuits/binding_test/binding_test.wasm`,
      `${ROOT}/build/circuits/binding_test/binding_test.zkey`,
    );
    expect(c.numPublic).to.equal(2);
    await (await market.submit(jobId, terms, encodeProof(proof), [])).wait();
  }

  it("test_postJob_withPermit_thenResultVerifies", async () => {
    const posted = await client.postJob({
      circuit: "binding_test",
      input,
      pricing: { price: parseEther("10") },
      collateral: parseEther("5"),
    });
    expect(posted.jobId).to.equal(1n);
    expect(posted.usedPermit).to.equal(true);
    const job = await client.getJob(posted.jobId);
    expect(job.status).to.equal(JobStatus.Open);
    expect(job.terms.inputCommitment).to.equal(posted.inputCommitment);

    const statuses: string[] = [];
    const waiting = client.waitForResult(posted.jobId, {
      timeoutMs: 120_000,
      onStatus: (j) => statuses.push(j.statusName),
    });
    await proveAndSubmit(posted.jobId);
    const result = await waiting;
    expect(result.outputs).to.deep.equal([]);
    expect(result.provider).to.equal(await provider.getAddress());
    expect(result.gasUsed > 0n).to.equal(true);
    expect(statuses).to.include("Completed");
    expect(result.paid).to.equal(false);
    expect(result.price).to.equal(parseEther("10"));

    // The provider pulls its payment; the result then reports the paid amounts.
    const account = new ProviderAccount(deployment, provider);
    const before = (await account.status()).tokenBalance;
    await account.collect([{ jobId: posted.jobId, terms: posted.terms, outputs: result.outputs }]);
    expect((await account.status()).tokenBalance - before).to.equal(result.payout);
    const paid = await client.findCompletion(posted.jobId);
    expect(paid?.paid).to.equal(true);
    expect(paid?.payout).to.equal(result.payout);
    expect((await client.getJob(posted.jobId)).status).to.equal(JobStatus.Paid);

    // Verified from the chain alone: the key comes from the registry's artifacts URI and is
    // trusted because the registered verifier embeds it (deep: and the registered zkey exports it).
    const report = await verifyResult(client, posted.jobId, { fetch: fetchArtifact, deep: true });
    expect(report.valid).to.equal(true);
    expect(report.commitmentMatches).to.equal(true);
    expect(report.onchainVerifierValid).to.equal(true);
    // A different jobKey (another provider or job) must not verify, locally or on-chain.
    const forged = [report.publicSignals[0]! + 1n, ...report.publicSignals.slice(1)];
    const circuitId = deployment.circuits["binding_test"]!.id;
    expect(await callRegisteredVerifier(client, circuitId, report.proof, forged)).to.equal(false);
    expect(report.key.embeddedInVerifier).to.equal(true);
    expect("matchesRegisteredZkey" in report.key && report.key.matchesRegisteredZkey).to.equal(true);
    expect(report.steps.map((s) => s.id)).to.deep.equal([
      "proof",
      "outputs",
      "commitment",
      "signals",
      "key",
      "groth16",
      "onchain",
    ]);
    const { vkey } = await (
      await import("../../sdk/node.ts")
    ).resolveVerificationKey(
      client.provider,
      await (await import("../../sdk/node.ts")).readCircuit(client.contracts.registry, circuitId),
      { fetch: fetchArtifact },
    );
    expect(await verifyGroth16(vkey, forged, report.proof)).to.equal(false);
    expect((await client.getJobInput(posted.jobId)).input).to.deep.equal(input);
  });

  it("test_postJob_auctionWithAllowance", async () => {
    const { token, market } = client.contracts;
    await (await token.approve(await market.getAddress(), parseEther("100"))).wait();
    const posted = await client.postJob({
      circuit: "binding_test",
      input,
      pricing: { minPrice: parseEther("1"), maxPrice: parseEther("3"), rampDuration: 600 },
    });
    expect(posted.usedPermit).to.equal(false);
    const job = await client.getJob(posted.jobId);
    expect(job.terms.minPrice).to.equal(parseEther("1"));
    expect(job.terms.maxPrice).to.equal(parseEther("3"));
    await client.cancel(posted.jobId);
  });

  it("test_waitForResult_rejectsWhenCancelled", async () => {
    const posted = await client.postJob({
      circuit: "binding_test",
      input,
      pricing: { price: parseEther("1") },
    });
    const waiting = client.waitForResult(posted.jobId, { timeoutMs: 60_000 });
    await client.cancel(posted.jobId);
    const err = await rejection(waiting);
    expect(err.code).to.equal(ErrorCodes.JOB_CANCELLED);
  });

  it("test_waitForResult_rejectsWhenExpiredUnclaimed_thenReclaim", async () => {
    const posted = await client.postJob({
      circuit: "binding_test",
      input,
      pricing: { price: parseEther("1") },
      claimPeriod: 30,
    });
    await conn.networkHelpers.time.increase(60);
    const err = await rejection(client.waitForResult(posted.jobId, { timeoutMs: 60_000 }));
    expect(err.code).to.equal(ErrorCodes.JOB_EXPIRED);
    await client.reclaim(posted.jobId);
    expect((await client.getJob(posted.jobId)).statusName).to.equal("Reclaimed");
  });

  it("test_revert_decodesCustomError", async () => {
    const posted = await client.postJob({
      circuit: "binding_test",
      input,
      pricing: { price: parseEther("1") },
    });
    const other = new RequesterClient(deployment, provider);
    const err = await rejection(other.cancel(posted.jobId));
    expect(err.code).to.equal(ErrorCodes.TX_REVERTED);
    expect(err.message).to.contain("Market__NotRequester");
    expect(err.message).to.not.contain("\n");
    const e2 = toProofworkError(new Error("boom"), "doing x");
    expect(e2.code).to.equal(ErrorCodes.RPC_FAILED);
  });

  it("test_getJob_unknownIdIsJobNotFound", async () => {
    const err = await rejection(client.getJob(999n));
    expect(err.code).to.equal(ErrorCodes.JOB_NOT_FOUND);
  });

  it("test_registry_selectorAndIdMatchTheSdk", async () => {
    const c = deployment.circuits["binding_test"]!;
    const onchain = await client.contracts.registry.getCircuit(c.id);
    expect(onchain.selector).to.equal(snarkjsSelector(2));
    expect(onchain.zkeyHash).to.equal(c.zkeyHash);
    expect(onchain.artifactsURI).to.match(/binding_test\/$/);
  });

  it("test_deploy_withExternalToken_usesIt", async () => {
    const { deployment: second } = await deployProofwork(conn, {
      circuits: [],
      networkName: "hardhat",
      writeRecord: false,
      tokenAddress: deployment.contracts.token,
    });
    expect(second.contracts.token).to.equal(deployment.contracts.token);
    expect(second.contracts.market).to.not.equal(deployment.contracts.market);
    expect(await client.contracts.staking.token()).to.equal(deployment.contracts.token);
  });

  it("test_postJob_rejectsWrongInputLength", async () => {
    const err = await rejection(
      client.postJob({ circuit: "binding_test", input: input.slice(1), pricing: { price: 1n } }),
    );
    expect(err.code).to.equal(ErrorCodes.INPUT_INVALID);
    expect(hexlify(input).length).to.equal(2 + 124);
  });
});
