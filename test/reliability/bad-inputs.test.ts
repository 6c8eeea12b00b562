/**
 * Bad-input catalogue, the cases other suites do not already cover (docs/BAD-INPUTS.md lists all):
 * every case asserts a clear error (a worker refusal reason, a coded SDK/CLI error or a decoded
 * custom error) AND that nothing moved — token balances of requester, provider and market, the
 * provider's stake and locked collateral, and the job's on-chain status are the same before and
 * after. One `hardhat node` and one in-process worker serve all cases; the CLI runs as a process.
 */
import { expect } from "chai";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  Interface,
  NonceManager,
  Transaction,
  Wallet,
  ZeroHash,
  keccak256,
  parseEther,
  toUtf8Bytes,
  type Contract,
} from "ethers";
import {
  RequesterClient,
  errorInterface,
  isProofworkError,
  jobMarketAbi,
  readDeployment,
} from "../../sdk/node.ts";
import { sha256File } from "../../worker/artifacts.ts";
import type { JobTerms } from "../../sdk/terms.ts";
import { JobStatus, marketInterface } from "../../sdk/node.ts";
import { ChainReader } from "../../worker/chain.ts";
import { runCli, type CliRun } from "../helpers/cli.ts";
import { startWorker, type WorkerHandle, type WorkerOptions } from "../../worker/index.ts";
import { silentLogger } from "../../worker/log.ts";
import { createMetrics } from "../../worker/metrics.ts";
import {
  BINDING_BYTES,
  CIRCUIT_DIR,
  CIRCUIT_ID,
  deployProtocol,
  devKey,
  postJob,
  waitFor,
  type Protocol,
} from "../../deploy/devnet/protocol.ts";
import { writeFixtureDeployment } from "../../deploy/devnet/record.ts";
import { startHardhatNode, type LocalNode } from "../../deploy/devnet/node.ts";
import { chainStatus } from "../../deploy/devnet/faults.ts";

interface Funds {
  requester: bigint;
  provider: bigint;
  market: bigint;
  stake: bigint;
  locked: bigint;
  /** the hand-driven second provider */
  provider2: bigint;
  stake2: bigint;
  locked2: bigint;
}

const FAST: Partial<WorkerOptions> = {
  pollIntervalMs: 100,
  collectMaxAgeMs: 0,
  claimMarginSeconds: 10,
  defaultWorkSeconds: 5,
  submitReserveSeconds: 5,
  shutdownGraceMs: 0,
};

describe("reliability: bad-input catalogue (clear error, state and funds intact)", function () {
  this.timeout(120_000);
  let node: LocalNode;
  let p: Protocol;
  let deploymentFile: string;
  let worker: WorkerHandle;
  let dataDir: string;
  let providerAddr: string;
  const inactiveCircuit = keccak256(toUtf8Bytes("proofwork.binding_test.inactive"));
  const unservedCircuit = keccak256(toUtf8Bytes("proofwork.binding_test.unserved"));
  let inactiveJob: bigint;
  let admin: NonceManager;

  async function funds(): Promise<Funds> {
    const token = p.token as Contract;
    const bal = async (a: string): Promise<bigint> =>
      BigInt((await token.getFunction("balanceOf")(a)) as bigint);
    const prov = (await p.staking.getFunction("getProvider")(providerAddr)) as {
      stake: bigint;
      locked: bigint;
    };
    const addr2 = new Wallet(p.providerKeys[1]!).address;
    const prov2 = (await p.staking.getFunction("getProvider")(addr2)) as { stake: bigint; locked: bigint };
    return {
      requester: await bal(p.requesterAddress),
      provider: await bal(providerAddr),
      market: await bal(p.addresses.market),
      stake: BigInt(prov.stake),
      locked: BigInt(prov.locked),
      provider2: await bal(addr2),
      stake2: BigInt(prov2.stake),
      locked2: BigInt(prov2.locked),
    };
  }

  async function registerCircuit(id: string, artifactsURI: string): Promise<void> {
    const real = (await p.registry.getFunction("getCircuit")(CIRCUIT_ID)) as {
      verifier: string;
      selector: string;
    };
    const reg = p.registry.connect(admin) as Contract;
    await (
      await reg.getFunction("registerCircuit")(id, {
        verifier: real.verifier,
        selector: real.selector,
        numPublic: 2,
        active: true,
        modelCommitment: ZeroHash,
        zkeyHash: await sha256File(join(CIRCUIT_DIR, "binding_test.zkey")),
        wasmHash: await sha256File(join(CIRCUIT_DIR, "binding_test.wasm")),
        artifactsURI,
      })
    ).wait();
  }

  async function start(dir: string): Promise<WorkerHandle> {
    return startWorker(
      {
        provider: node.provider,
        signer: new Wallet(p.providerKeys[0]!, node.provider),
        addresses: p.addresses,
        startBlock: p.startBlock,
        log: silentLogger(),
        metrics: createMetrics({ defaults: false }),
      },
      { dataDir: dir, ...FAST, maxInputBytes: 4096 },
    );
  }

  before(async function () {
    node = await startHardhatNode();
    p = await deployProtocol(node.provider, { providers: 2 });
    admin = p.registry.runner as NonceManager; // the deployer's nonce manager
    providerAddr = new Wallet(p.providerKeys[0]!).address;
    deploymentFile = await writeFixtureDeployment(p);
    // a circuit that is deactivated after a job was posted on it, and one whose artifacts are nowhere
    await registerCircuit(inactiveCircuit, pathToFileURL(CIRCUIT_DIR).href + "/");
    inactiveJob = (await postJob(p, { circuitId: inactiveCircuit })).jobId;
    await (
      await (p.registry.connect(admin) as Contract).getFunction("setActive")(inactiveCircuit, false)
    ).wait();
    await registerCircuit(unservedCircuit, "file:///nonexistent/proofwork/artifacts/");
    dataDir = mkdtempSync(join(tmpdir(), "pw-bad-"));
    worker = await start(dataDir);
  });

  after(async function () {
    await worker?.stop(0);
    await node?.stop();
  });

  /** Posts a bad job; the worker must refuse it with `reason`, spend nothing and leave it open. */
  async function expectRefused(
    post: () => Promise<bigint>,
    reason: string,
  ): Promise<{ jobId: bigint; before: Funds }> {
    const jobId = await post();
    const before = await funds();
    await waitFor(() => worker.store.getJob(jobId)?.state === "refused", 30_000, `refusal ${reason}`);
    expect(worker.store.getJob(jobId)?.reason).to.equal(reason);
    expect(worker.store.txsFor(jobId, "claim"), "no claim sent").to.have.length(0);
    expect(await chainStatus(p, jobId)).to.equal(JobStatus.Open);
    expect(await funds()).to.deep.equal(before);
    return { jobId, before };
  }

  // ------------------------------------------------------------------------------------- worker

  it("test_badInput_worker_wrongLengthInput_refusedNothingSpent", async function () {
    await expectRefused(
      async () => (await postJob(p, { input: new Uint8Array(61).fill(7) })).jobId,
      "input_malformed",
    );
  });

  it("test_badInput_worker_commitmentMismatch_refusedNothingSpent", async function () {
    await expectRefused(async () => (await postJob(p, { commitment: 424242n })).jobId, "commitment_mismatch");
  });

  it("test_badInput_worker_oversizedInlineInput_refusedNothingSpent", async function () {
    await expectRefused(
      async () => (await postJob(p, { input: new Uint8Array(3000).fill(1) })).jobId,
      "input_malformed",
    );
  });

  it("test_badInput_worker_unreachableInputUri_refusedNothingSpent", async function () {
    await expectRefused(
      async () => (await postJob(p, { inputURI: "http://127.0.0.1:9/proofwork-input" })).jobId,
      "input_missing",
    );
  });

  it("test_badInput_worker_oversizedUriInput_refusedNothingSpent", async function () {
    const file = join(mkdtempSync(join(tmpdir(), "pw-big-")), "input.bin");
    writeFileSync(file, new Uint8Array(8192).fill(3)); // above the worker's maxInputBytes (4096)
    await expectRefused(
      async () => (await postJob(p, { inputURI: pathToFileURL(file).href })).jobId,
      "input_missing",
    );
  });

  it("test_badInput_worker_deactivatedCircuit_refusedNothingSpent", async function () {
    await expectRefused(async () => inactiveJob, "circuit_inactive");
  });

  it("test_badInput_worker_unservableCircuitArtifacts_refusedNothingSpent", async function () {
    await expectRefused(
      async () => (await postJob(p, { circuitId: unservedCircuit })).jobId,
      "artifacts_unavailable",
    );
  });

  // ------------------------------------------------------------------------- SDK and contracts

  function client(key: string): RequesterClient {
    return new RequesterClient(readDeployment(deploymentFile), new Wallet(key, node.provider), {
      confirmations: 1,
      pollIntervalMs: 100,
    });
  }

  async function expectFails(fn: () => Promise<unknown>, code: string, text?: RegExp): Promise<void> {
    let err: unknown;
    try {
      await fn();
    } catch (e) {
      err = e;
    }
    expect(isProofworkError(err), String(err)).to.equal(true);
    expect((err as { code: string }).code, String(err)).to.equal(code);
    if (text) expect(String((err as Error).message)).to.match(text);
  }

  it("test_badInput_sdk_priceBeyondUint96_rejectedFundsIntact", async function () {
    const before = await funds();
    const input = new Uint8Array(BINDING_BYTES).fill(5);
    let err: unknown;
    try {
      await client(devKey(1)).postJob({ circuit: "binding_test", input, pricing: { price: 2n ** 96n } });
    } catch (e) {
      err = e;
    }
    expect(err, "huge price rejected").to.be.instanceOf(Error);
    expect(String(err)).to.match(/overflow|out of (range|bounds)|BAD_NUMBER|uint96|value/i);
    expect(await funds()).to.deep.equal(before);
  });

  it("test_badInput_sdk_priceAboveBalance_revertsFundsIntact", async function () {
    // a fresh requester with 1 token tries to escrow 2
    const poor = Wallet.createRandom().connect(node.provider);
    await (await admin.sendTransaction({ to: poor.address, value: parseEther("1") })).wait();
    await (
      await (p.token.connect(admin) as Contract).getFunction("faucet")(poor.address, parseEther("1"))
    ).wait();
    const before = await funds();
    await expectFails(
      () =>
        client(poor.privateKey).postJob({
          circuit: "binding_test",
          input: new Uint8Array(BINDING_BYTES).fill(6),
          pricing: { price: parseEther("2") },
        }),
      "TX_REVERTED",
      /ERC20InsufficientBalance|insufficient/i,
    );
    expect(await funds()).to.deep.equal(before);
    expect(BigInt((await (p.token as Contract).getFunction("balanceOf")(poor.address)) as bigint)).to.equal(
      parseEther("1"),
    );
  });

  it("test_badInput_sdk_cancelByStranger_revertsEscrowIntact", async function () {
    const { jobId } = await postJob(p, { commitment: 99n }); // refused by the worker: stays open
    const before = await funds();
    await expectFails(() => client(devKey(5)).cancel(jobId), "TX_REVERTED", /Market__NotRequester/);
    expect(await chainStatus(p, jobId)).to.equal(JobStatus.Open);
    expect(await funds()).to.deep.equal(before);
  });

  /** Sends market calldata from `key` (calldata built with the worker's ABI, not raw selectors). */
  async function sendMarket(key: string, data: string): Promise<unknown> {
    const w = new Wallet(key, node.provider);
    try {
      await w.call({ to: p.addresses.market, data });
    } catch (e) {
      return e;
    }
    return null;
  }

  it("test_badInput_contract_garbageProofFromNonClaimer_revertsEscrowAndStakeIntact", async function () {
    const { jobId } = await postJob(p, { commitment: 98n }); // open, unclaimed
    const before = await funds();
    const terms = await new ChainReader(node.provider, p.addresses).getTerms(jobId);
    const data = marketInterface.encodeFunctionData("submit", [jobId, terms, Array(8).fill(1n), []]);
    const err = await sendMarket(devKey(6), data);
    expect(err, "reverts").to.not.equal(null);
    const decoded = marketInterface.parseError(
      (err as { data?: string }).data ??
        (err as { info?: { error?: { data?: string } } }).info?.error?.data ??
        "0x",
    );
    expect(decoded?.name).to.be.oneOf(["Market__JobNotClaimed", "Market__TermsMismatch"]);
    expect(await chainStatus(p, jobId)).to.equal(JobStatus.Open);
    expect(await funds()).to.deep.equal(before);
  });

  it("test_badInput_contract_claimUnknownJob_revertsStakeIntact", async function () {
    const before = await funds();
    // an unknown job has no JobPosted: any terms (here a real job's) meet a `None` status first
    const terms = await new ChainReader(node.provider, p.addresses).getTerms(1n);
    const data = marketInterface.encodeFunctionData("claim", [10_000n, terms]);
    const err = await sendMarket(p.providerKeys[0]!, data);
    expect(err, "reverts").to.not.equal(null);
    expect(await funds()).to.deep.equal(before);
  });

  // ------------------------------------------------------------------ contracts (on-chain reverts)

  /**
   * Sends `data` from `key` with a fixed gas limit, so the call is mined and reverts on chain (no
   * estimate to stop it first); returns the custom error's name, decoded by replaying it as a call.
   */
  async function revertOnChain(
    key: string,
    to: string,
    data: string,
    mine = true,
  ): Promise<string | undefined> {
    const w = new Wallet(key, node.provider);
    let name: string | undefined;
    try {
      await w.call({ to, data });
    } catch (e) {
      const raw =
        (e as { data?: string }).data ?? (e as { info?: { error?: { data?: string } } }).info?.error?.data;
      try {
        name = errorInterface.parseError(raw ?? "0x")?.name;
      } catch {
        /* not a known custom error */
      }
      name ??= String((e as Error).message);
    }
    if (!mine) return name;
    // raw JSON-RPC (no provider-side caching of the nonce); the node may report the revert on send
    const nonce = Number(
      BigInt((await node.provider.send("eth_getTransactionCount", [w.address, "pending"])) as string),
    );
    const base = (await node.provider.getBlock("latest"))?.baseFeePerGas;
    const signed = await w.signTransaction({
      to,
      data,
      nonce,
      gasLimit: 2_000_000,
      chainId: 31337n,
      type: 2,
      maxFeePerGas: 3n * (base ?? 10n ** 9n) + 10n ** 9n,
      maxPriorityFeePerGas: 10n ** 9n,
    });
    await node.provider.send("eth_sendRawTransaction", [signed]).catch((e: unknown) => {
      // an automining node mines the tx and reports its revert here; anything else is a real error
      if (!/revert/i.test(String(e))) throw e;
    });
    // an automined tx already has its receipt: read it directly (waitForTransaction alone waits for
    // a new-block poll that an idle automining node may never trigger)
    const hash = Transaction.from(signed).hash!;
    const receipt =
      (await node.provider.getTransactionReceipt(hash)) ?? (await node.provider.waitForTransaction(hash));
    expect(receipt?.status, "mined and reverted").to.equal(0);
    return name;
  }

  /** A job's terms, from its `JobPosted` event (what claim/submit/slashExpired take back). */
  function termsOf(jobId: bigint): Promise<JobTerms> {
    return new ChainReader(node.provider, p.addresses).getTerms(jobId);
  }

  /** A job provider 2 claims by hand (bad commitment: the worker refuses it, so it stays open). */
  async function claimedByProvider2(commitment: bigint): Promise<bigint> {
    const { jobId } = await postJob(p, { commitment });
    await waitFor(() => worker.store.getJob(jobId)?.state === "refused", 30_000, "worker refusal");
    const w = new NonceManager(new Wallet(p.providerKeys[1]!, node.provider));
    const nonce = Number(
      BigInt(
        (await node.provider.send("eth_getTransactionCount", [await w.getAddress(), "pending"])) as string,
      ),
    );
    const tx = await w.sendTransaction({
      to: p.addresses.market,
      data: marketInterface.encodeFunctionData("claim", [jobId, await termsOf(jobId)]),
      nonce,
    });
    await tx.wait();
    expect(await chainStatus(p, jobId)).to.equal(JobStatus.Claimed);
    return jobId;
  }

  it("test_badInput_contract_doubleClaim_revertsCollateralLockedOnce", async function () {
    const jobId = await claimedByProvider2(96n);
    const before = await funds();
    expect(before.locked2).to.equal(p.collateral);
    const data = marketInterface.encodeFunctionData("claim", [jobId, await termsOf(jobId)]);
    expect(await revertOnChain(p.providerKeys[1]!, p.addresses.market, data)).to.equal("Market__JobNotOpen");
    expect(await funds()).to.deep.equal({ ...before, provider2: before.provider2 });
    expect((await funds()).locked2).to.equal(p.collateral);
  });

  it("test_badInput_contract_wrongProof_revertsEscrowAndCollateralIntact", async function () {
    const jobId = await claimedByProvider2(95n);
    const before = await funds();
    // binding_test has no outputs: public signals are [jobKey, commitment]; the proof is garbage
    const data = marketInterface.encodeFunctionData("submit", [
      jobId,
      await termsOf(jobId),
      Array(8).fill(1n),
      [],
    ]);
    expect(await revertOnChain(p.providerKeys[1]!, p.addresses.market, data)).to.equal(
      "Market__InvalidProof",
    );
    expect(await chainStatus(p, jobId)).to.equal(JobStatus.Claimed);
    expect(await funds()).to.deep.equal(before);
  });

  it("test_badInput_contract_lateSubmit_revertsThenSlashExpiredByTheRules", async function () {
    const jobId = await claimedByProvider2(93n);
    await node.provider.send("evm_increaseTime", [3600]);
    await node.provider.send("evm_mine", []);
    const before = await funds();
    const data = marketInterface.encodeFunctionData("submit", [
      jobId,
      await termsOf(jobId),
      Array(8).fill(1n),
      [],
    ]);
    expect(await revertOnChain(p.providerKeys[1]!, p.addresses.market, data, false)).to.equal(
      "Market__DeadlinePassed",
    );
    expect(await chainStatus(p, jobId)).to.equal(JobStatus.Claimed);
    expect(await funds()).to.deep.equal(before);
    // the rule for a missed deadline: slashExpired refunds the price and splits the collateral
    const provider2 = new Wallet(p.providerKeys[1]!).address;
    await (
      await (p.market.connect(p.requester) as Contract).getFunction("slashExpired")(
        jobId,
        await termsOf(jobId),
        provider2,
      )
    ).wait();
    const after = await funds();
    expect(await chainStatus(p, jobId)).to.equal(JobStatus.Slashed);
    expect(before.stake2 - after.stake2).to.equal(p.collateral);
    expect(before.locked2 - after.locked2).to.equal(p.collateral);
    expect(after.requester > before.requester, "requester refunded").to.equal(true);
  });

  it("test_badInput_contract_postWhilePaused_revertsFundsIntact", async function () {
    const market = p.market.connect(admin) as Contract;
    await (await market.getFunction("pause")()).wait();
    try {
      const before = await funds();
      await expectFails(
        () =>
          client(devKey(1)).postJob({
            circuit: "binding_test",
            input: new Uint8Array(BINDING_BYTES).fill(8),
            pricing: { price: parseEther("1") },
            permit: false,
          }),
        "TX_REVERTED",
        /EnforcedPause|paused/i,
      );
      expect(await funds()).to.deep.equal(before);
    } finally {
      await (await market.getFunction("unpause")()).wait();
    }
  });

  it("test_badInput_contract_feeAboveBound_revertsFeeUnchanged", async function () {
    const market = p.market.connect(admin) as Contract;
    const fee = BigInt((await market.getFunction("feeBps")()) as bigint);
    const before = await funds();
    const data = new Interface(jobMarketAbi).encodeFunctionData("setFee", [10_000]);
    // as a call: the admin key's nonces belong to the deployer's nonce manager
    expect(await revertOnChain(devKey(0), p.addresses.market, data, false)).to.equal(
      "Market__ParameterOutOfBounds",
    );
    expect(BigInt((await market.getFunction("feeBps")()) as bigint)).to.equal(fee);
    expect(await funds()).to.deep.equal(before);
  });

  // ------------------------------------------------------------------------------- CLI, config

  function cli(args: string[], env: Record<string, string>): Promise<CliRun> {
    return runCli(args, env, mkdtempSync(join(tmpdir(), "pw-cli-")));
  }

  function cliEnv(key: string): Record<string, string> {
    return {
      PROOFWORK_RPC_URL: node.url,
      PROOFWORK_PRIVATE_KEY: key,
      PROOFWORK_DEPLOYMENT: deploymentFile,
      PROOFWORK_CONFIRMATIONS: "1",
    };
  }

  function expectCliError(r: { code: number | null; stderr: string }, code: string): void {
    const lines = r.stderr
      .trim()
      .split("\n")
      .filter((l) => !/ExperimentalWarning|trace-warnings/.test(l));
    expect(r.code, r.stderr).to.equal(1);
    expect(lines, r.stderr).to.have.length(1);
    expect(lines[0]).to.match(new RegExp(`^error\\[${code}\\]: `));
  }

  it("test_badInput_cli_jobPostBadPrice_badNumberNoFundsMoved", async function () {
    const before = await funds();
    const r = await cli(
      ["job", "post", "-c", "binding_test", "--input", `0x${"07".repeat(BINDING_BYTES)}`, "--price", "ten"],
      cliEnv(devKey(1)),
    );
    expectCliError(r, "BAD_NUMBER");
    expect(await funds()).to.deep.equal(before);
  });

  it("test_badInput_cli_cancelOthersJob_txRevertedEscrowIntact", async function () {
    const { jobId } = await postJob(p, { commitment: 97n });
    const before = await funds();
    const r = await cli(["job", "cancel", jobId.toString()], cliEnv(devKey(7)));
    expectCliError(r, "TX_REVERTED");
    expect(r.stderr).to.match(/Market__NotRequester/);
    expect(await chainStatus(p, jobId)).to.equal(JobStatus.Open);
    expect(await funds()).to.deep.equal(before);
  });

  it("test_badInput_cli_wrongChainId_wrongChainNothingSent", async function () {
    const before = await funds();
    const nonce = await node.provider.getTransactionCount(p.requesterAddress);
    const r = await cli(["provider", "stake", "1"], {
      ...cliEnv(p.providerKeys[0]!),
      PROOFWORK_CHAIN_ID: "11155111",
    });
    expectCliError(r, "WRONG_CHAIN");
    expect(await node.provider.getTransactionCount(p.requesterAddress)).to.equal(nonce);
    expect(await funds()).to.deep.equal(before);
  });

  it("test_badInput_cli_stakeBadAmount_badNumberStakeIntact", async function () {
    const before = await funds();
    const r = await cli(["provider", "stake", "-5"], cliEnv(p.providerKeys[0]!));
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.match(/error\[(BAD_NUMBER|BAD_ARGUMENT)\]/);
    expect(await funds()).to.deep.equal(before);
  });

  // ----------------------------------------------------------------- corrupted local artifacts

  it("test_badInput_worker_corruptedCachedArtifacts_refetchedJobPaidOnce", async function () {
    // the shared worker has cached binding_test's files; corrupt them on disk and restart
    await worker.stop(0);
    const dir = join(dataDir, "circuits");
    const corrupted: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const f = join(d, e.name);
        if (e.isDirectory()) walk(f);
        else if (/\.(wasm|zkey)$/.test(e.name)) {
          writeFileSync(f, "corrupted");
          corrupted.push(f);
        }
      }
    };
    walk(dir);
    expect(corrupted.length, "cached artifacts found").to.be.greaterThan(0);
    worker = await start(dataDir);
    const before = await funds();
    const { jobId } = await postJob(p);
    await waitFor(
      () => worker.store.getJob(jobId)?.state === "settled",
      60_000,
      "settled with refetched files",
    );
    const after = await funds();
    const payout = parseEther("5") - (parseEther("5") * 100n) / 10_000n;
    expect(after.provider - before.provider).to.equal(payout);
    expect(after.locked).to.equal(before.locked);
    expect(after.stake).to.equal(before.stake);
    expect(worker.store.txsFor(jobId, "submit").map((t) => t.status)).to.deep.equal(["mined"]);
    for (const f of corrupted) {
      const name = f.endsWith(".wasm") ? "binding_test.wasm" : "binding_test.zkey";
      expect(await sha256File(f), f).to.equal(await sha256File(join(CIRCUIT_DIR, name)));
    }
  });
});
