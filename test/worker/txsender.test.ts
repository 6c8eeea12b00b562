/**
 * TxSender against the in-process chain with automining off: a stuck transaction is fee-bumped
 * with the same nonce and only one version is ever mined and paid for; a transaction stored but
 * never broadcast (crash between the two) is re-sent by the next process, byte for byte.
 */
import { expect } from "chai";
import { Interface, Transaction, Wallet } from "ethers";
import { network } from "hardhat";
import { systemClock } from "../../worker/clock.ts";
import { silentLogger } from "../../worker/log.ts";
import { Store } from "../../worker/store.ts";
import { DEFAULT_FEE_POLICY } from "../../worker/fees.ts";
import { TxSender } from "../../worker/tx.ts";
import { devKey, waitFor } from "../../deploy/devnet/protocol.ts";

const ERC20 = new Interface(["function approve(address spender, uint256 amount) returns (bool)"]);

describe("worker/tx TxSender (in-process chain)", function () {
  this.timeout(120_000);

  async function setup(keyIndex: number) {
    const { ethers, networkHelpers } = await network.create();
    const token = await ethers.deployContract("TestToken", ["T", "T"]);
    const signer = new Wallet(devKey(keyIndex), ethers.provider);
    const store = Store.open(":memory:");
    const policy = { ...DEFAULT_FEE_POLICY, bumpAfterMs: 150, pollMs: 30 };
    const sender = new TxSender(
      { provider: ethers.provider, signer, store, clock: systemClock, log: silentLogger() },
      policy,
    );
    const data = ERC20.encodeFunctionData("approve", [signer.address, 1n]);
    return { ethers, networkHelpers, token: await token.getAddress(), signer, store, sender, policy, data };
  }

  it("test_stuckTx_isBumpedSameNonceAndPaidOnce", async function () {
    const { ethers, networkHelpers, token, store, sender, data } = await setup(6);
    await ethers.provider.send("evm_setAutomine", [false]);
    await sender.init();
    const sent = await sender.send({ kind: "other", jobId: 9n, to: token, data, gasLimit: 100_000n });
    const mined = sender.waitMined(sent.nonce);
    await waitFor(() => store.txsWithNonce(sent.nonce).length >= 2, 30_000, "fee bump");
    await networkHelpers.mine(1);
    const r = await mined;
    const versions = store.txsWithNonce(sent.nonce);
    expect(r.success).to.equal(true);
    expect(r.hash).to.not.equal(sent.hash);
    expect(versions.filter((v) => v.status === "mined").map((v) => v.hash)).to.deep.equal([r.hash]);
    expect(versions.filter((v) => v.status !== "mined").every((v) => v.status === "dropped")).to.equal(true);
    expect(versions[1]!.maxFeePerGas > versions[0]!.maxFeePerGas).to.equal(true);
    expect(store.getJob(9n)).to.equal(null);
    expect(store.totalGasSpent()).to.equal(r.gasCost);
    await ethers.provider.send("evm_setAutomine", [true]);
  });

  it("test_storedButNeverBroadcast_isResentByNextProcessOnce", async function () {
    const { ethers, signer, store, policy, data, token } = await setup(7);
    // a first process stored a signed tx and died before broadcasting it
    const nonce = await ethers.provider.getTransactionCount(signer.address, "latest");
    const raw = await signer.signTransaction({
      type: 2,
      chainId: 31337n,
      nonce,
      to: token,
      data,
      gasLimit: 100_000n,
      maxFeePerGas: 10n ** 11n,
      maxPriorityFeePerGas: 10n ** 9n,
    });
    const hash = Transaction.from(raw).hash!;
    store.insertTx({
      hash,
      jobId: null,
      kind: "other",
      nonce,
      raw,
      maxFeePerGas: 10n ** 11n,
      maxPriorityFeePerGas: 10n ** 9n,
      sentAt: Date.now(),
    });
    // the next process reconciles: re-broadcasts the very same bytes
    const next = new TxSender(
      { provider: ethers.provider, signer, store, clock: systemClock, log: silentLogger() },
      policy,
    );
    await next.init();
    const r = await next.waitMined(nonce);
    expect(r.hash).to.equal(hash);
    expect(r.success).to.equal(true);
    expect(await ethers.provider.getTransactionCount(signer.address, "latest")).to.equal(nonce + 1);
    // and the following transaction takes the next nonce
    const sent = await next.send({ kind: "other", jobId: null, to: token, data });
    expect(sent.nonce).to.equal(nonce + 1);
  });

  it("test_revertingCall_isRefusedBeforeSigning", async function () {
    const { ethers, sender, store, signer } = await setup(8);
    await sender.init();
    const bad = new Interface([
      "function transferFrom(address from, address to, uint256 amount) returns (bool)",
    ]);
    const token = await (await ethers.deployContract("TestToken", ["U", "U"])).getAddress();
    const data = bad.encodeFunctionData("transferFrom", [
      "0x000000000000000000000000000000000000dEaD",
      signer.address,
      10n ** 30n,
    ]);
    try {
      await sender.send({ kind: "other", jobId: null, to: token, data });
      expect.fail("should throw");
    } catch (e) {
      expect((e as { code?: string }).code).to.equal("TX_REVERTED");
      expect((e as Error).message).to.match(/ERC20InsufficientAllowance|revert/);
    }
    expect(store.pendingTxs()).to.have.length(0);
  });
});
