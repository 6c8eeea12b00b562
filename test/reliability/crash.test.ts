/**
 * Crash at every stage, with the worker as a real separate process killed by SIGKILL from a fault
 * hook (`test/reliability/fault-worker.ts`, PROOFWORK_FAULT_KILL_AT) against `hardhat node`.
 *
 * Job A is driven through a chain of processes, each killed at the next boundary: claim tx sent
 * (no receipt read), claim receipt read (store not updated), claim confirmed, inference, proving,
 * submit tx sent (no receipt read). A resumed `submitting` job finds its result on chain without
 * reading the receipt again, so job B covers "submit receipt read, store not updated" with a
 * process of its own; a last clean process finishes both. The chain is the judge: exactly one claim and one submit tx from the provider.
 * A second job's worker dies after its claim and stays down past the deadline: the restarted
 * worker sends nothing, records the job as failed, and slashExpired settles it by the contract rules.
 */
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet, type Contract } from "ethers";
import { JobStatus } from "../../sdk/node.ts";
import { ChainReader } from "../../worker/chain.ts";
import { deployProtocol, postJob, waitFor, type Protocol } from "../../deploy/devnet/protocol.ts";
import { writeFixtureDeployment } from "../../deploy/devnet/record.ts";
import { startHardhatNode, type Child, type LocalNode } from "../../deploy/devnet/node.ts";
import {
  chainStatus,
  consistent,
  countMarketTxs,
  startFaultWorker,
  storePath,
  txCount,
  withStore,
  workerEnv,
  PROVEN,
} from "../../deploy/devnet/faults.ts";

const CHAIN: { at: string; delayMs?: number }[] = [
  { at: "claim.broadcast" },
  { at: "claim.mined" },
  { at: "claim.confirmed" },
  { at: "execute.start" },
  { at: "prove.start", delayMs: 20 },
  { at: "submit.broadcast" },
];

describe("reliability: SIGKILL at every stage (worker process, hardhat node)", function () {
  this.timeout(240_000);
  let node: LocalNode;
  let p: Protocol;
  let deploymentFile: string;
  const children: Child[] = [];

  before(async function () {
    node = await startHardhatNode();
    p = await deployProtocol(node.provider);
    deploymentFile = await writeFixtureDeployment(p);
  });

  afterEach(async function () {
    for (const c of children.splice(0)) {
      c.signal("SIGKILL");
      await c.exited;
    }
  });

  after(async function () {
    await node?.stop();
  });

  function spawn(env: Record<string, string>): Child {
    const c = startFaultWorker(env);
    children.push(c);
    return c;
  }

  it("test_crash_sigkillAtEachBoundaryInTurn_jobCompletedExactlyOnce", async function () {
    const key = p.providerKeys[0]!;
    const address = new Wallet(key).address;
    const dataDir = mkdtempSync(join(tmpdir(), "pw-crash-"));
    const base = { rpcUrl: node.url, key, deploymentFile, dataDir };
    const fromBlock = await node.provider.getBlockNumber();
    const balanceBefore = BigInt((await (p.token as Contract).getFunction("balanceOf")(address)) as bigint);
    const a = (await postJob(p)).jobId;
    const kill = async (step: { at: string; delayMs?: number }): Promise<void> => {
      const w = spawn(
        workerEnv({
          ...base,
          extra: {
            PROOFWORK_FAULT_KILL_AT: step.at,
            PROOFWORK_FAULT_KILL_DELAY_MS: String(step.delayMs ?? 0),
          },
        }),
      );
      await waitFor(() => w.proc.exitCode !== null || w.proc.signalCode !== null, 60_000, step.at).catch(
        (e: unknown) => {
          throw new Error(`${String(e)}\n${w.output()}`);
        },
      );
      expect(w.output(), `killed at ${step.at}`).to.include(`FAULT: SIGKILL at ${step.at}`);
    };
    for (const step of CHAIN) await kill(step);
    const b = (await postJob(p)).jobId;
    await kill({ at: "submit.mined" });
    expect(await chainStatus(p, b), "B's submit is on chain").to.be.oneOf(PROVEN);
    expect(
      withStore(storePath(dataDir, key), (s) => s.getJob(b)?.state),
      "B's store row predates the receipt",
    ).to.equal("submitting");

    const final = spawn(workerEnv(base));
    await waitFor(
      async () =>
        withStore(storePath(dataDir, key), (s) => [a, b].every((id) => s.getJob(id)?.state === "settled")) ||
        final.proc.exitCode !== null,
      120_000,
      "both settled",
    );
    final.signal("SIGTERM");
    expect(await final.exited, final.output()).to.equal(0);

    // the chain: one claim, one submit and one collect per job from the provider, nothing else
    const txs = await countMarketTxs(node.provider, p.addresses.market, address, fromBlock);
    const token = p.token as Contract;
    let paid = 0n;
    for (const id of [a, b]) {
      expect(await chainStatus(p, id)).to.be.oneOf(PROVEN);
      expect(txCount(txs, "claim", id), `claim txs of ${id}`).to.equal(1);
      expect(txCount(txs, "submit", id), `submit txs of ${id}`).to.equal(1);
      expect(txCount(txs, "collect", id), `collect txs of ${id}`).to.equal(1);
      expect(await p.market.queryFilter(p.market.filters.JobCompleted!(id))).to.have.length(1);
      const events = await p.market.queryFilter(p.market.filters.JobPaid!(id));
      expect(events).to.have.length(1);
      const payout = BigInt((events[0] as unknown as { args: { payout: bigint } }).args.payout);
      paid += payout;
      // the store agrees: one mined claim and one mined submit, the payout recorded
      withStore(storePath(dataDir, key), (s) => {
        expect(s.txsFor(id, "claim").map((t) => t.status)).to.deep.equal(["mined"]);
        expect(s.txsFor(id, "submit").map((t) => t.status)).to.deep.equal(["mined"]);
        expect(s.getJob(id)?.earned).to.equal(payout);
      });
    }
    expect(txs.total).to.equal(4 + txs.collects);
    withStore(storePath(dataDir, key), (s) => expect(s.pendingTxs()).to.have.length(0));
    // paid exactly once per job
    const balanceAfter = BigInt((await token.getFunction("balanceOf")(address)) as bigint);
    expect(balanceAfter - balanceBefore).to.equal(paid);
  });

  it("test_crash_deadlinePassedWhileDown_noSubmitJobFailedAndSlashExpired", async function () {
    const key = p.providerKeys[0]!;
    const address = new Wallet(key).address;
    const dataDir = mkdtempSync(join(tmpdir(), "pw-crash-exp-"));
    const base = { rpcUrl: node.url, key, deploymentFile, dataDir };
    const fromBlock = await node.provider.getBlockNumber();
    const { jobId } = await postJob(p, { executionWindow: 120 });
    const w = spawn(workerEnv({ ...base, extra: { PROOFWORK_FAULT_KILL_AT: "claim.confirmed" } }));
    await w.exited;
    expect(await chainStatus(p, jobId)).to.equal(JobStatus.Claimed);
    // the worker stays down past the deadline
    await node.provider.send("evm_increaseTime", [600]);
    await node.provider.send("evm_mine", []);
    const restarted = spawn(workerEnv(base));
    await waitFor(
      () =>
        withStore(storePath(dataDir, key), (s) => s.getJob(jobId)?.state === "failed") ||
        restarted.proc.exitCode !== null,
      60_000,
      "job failed in the store",
    );
    expect(
      withStore(storePath(dataDir, key), (s) => s.getJob(jobId)?.state),
      restarted.output(),
    ).to.equal("failed");
    // nothing was sent for it after the deadline
    const txs = await countMarketTxs(node.provider, p.addresses.market, address, fromBlock);
    expect(txCount(txs, "claim", jobId)).to.equal(1);
    expect(txCount(txs, "submit", jobId)).to.equal(0);
    // the contract's rule for a missed deadline: anyone slashes, the requester is refunded
    const staking = p.staking;
    const stakeBefore = (await staking.getFunction("getProvider")(address)) as { stake: bigint };
    const reqBefore = BigInt(
      (await (p.token as Contract).getFunction("balanceOf")(p.requesterAddress)) as bigint,
    );
    const terms = await new ChainReader(node.provider, p.addresses).getTerms(jobId);
    await (
      await (p.market.connect(p.requester) as Contract).getFunction("slashExpired")(jobId, terms, address)
    ).wait();
    expect(await chainStatus(p, jobId)).to.equal(JobStatus.Slashed);
    const stakeAfter = (await staking.getFunction("getProvider")(address)) as { stake: bigint };
    expect(BigInt(stakeBefore.stake) - BigInt(stakeAfter.stake)).to.equal(p.collateral);
    const reqAfter = BigInt(
      (await (p.token as Contract).getFunction("balanceOf")(p.requesterAddress)) as bigint,
    );
    expect(reqAfter > reqBefore, "requester refunded").to.equal(true);
    // the store still matches the chain after the slash
    await waitFor(
      () => withStore(storePath(dataDir, key), (s) => consistent(s.getJob(jobId)?.state, JobStatus.Slashed)),
      10_000,
      "store consistent with Slashed",
    );
    restarted.signal("SIGTERM");
    expect(await restarted.exited, restarted.output()).to.equal(0);
  });
});
