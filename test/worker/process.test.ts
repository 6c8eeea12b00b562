/**
 * The worker as a separate process (`tsx worker/main.ts`, configured by environment variables)
 * against `hardhat node` over JSON-RPC: a posted job is claimed, proven, submitted and paid;
 * /healthz and /metrics answer; SIGTERM stops it cleanly; a SIGKILLed worker resumes on restart.
 */
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet, parseEther, type Contract } from "ethers";
import { JobStatus } from "../../sdk/node.ts";
import { deployProtocol, postJob, waitFor, type Protocol } from "../../deploy/devnet/protocol.ts";
import { writeFixtureDeployment } from "../../deploy/devnet/record.ts";
import {
  freePort,
  startHardhatNode,
  startWorkerProcess,
  type Child,
  type LocalNode,
} from "../../deploy/devnet/node.ts";

describe("worker as a separate process over JSON-RPC (hardhat node)", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let p: Protocol;
  let deploymentFile: string;

  before(async function () {
    node = await startHardhatNode();
    p = await deployProtocol(node.provider);
    deploymentFile = await writeFixtureDeployment(p);
  });

  after(async function () {
    await node?.stop();
  });

  function workerEnv(dataDir: string, metricsPort: number): Record<string, string> {
    return {
      PROOFWORK_RPC_URL: node.url,
      PROOFWORK_PRIVATE_KEY: p.providerKeys[0]!,
      PROOFWORK_DEPLOYMENT: deploymentFile,
      PROOFWORK_DATA_DIR: dataDir,
      PROOFWORK_METRICS_PORT: String(metricsPort),
      PROOFWORK_POLL_INTERVAL_MS: "200",
      PROOFWORK_WORKER_COLLECT_MAX_AGE_MS: "0",
      PROOFWORK_CLAIM_MARGIN_SECONDS: "10",
      PROOFWORK_LOG_LEVEL: "info",
      PROOFWORK_WORKER_SHUTDOWN_GRACE_MS: "20000",
    };
  }

  async function healthy(port: number): Promise<boolean> {
    try {
      return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
    } catch {
      return false;
    }
  }

  async function status(jobId: bigint): Promise<number> {
    return Number(((await p.market.getFunction("getJob")(jobId)) as { status: bigint }).status);
  }

  it("test_process_jobPaidMetricsServedAndSigtermStopsCleanly", async function () {
    const dataDir = mkdtempSync(join(tmpdir(), "pw-proc-"));
    const port = await freePort();
    const w: Child = startWorkerProcess(workerEnv(dataDir, port));
    try {
      await waitFor(async () => (await healthy(port)) || w.proc.exitCode !== null, 120_000, "worker healthy");
      expect(w.proc.exitCode, w.output()).to.equal(null);
      const provider = new Wallet(p.providerKeys[0]!).address;
      const token = p.token as Contract;
      const before = BigInt((await token.getFunction("balanceOf")(provider)) as bigint);
      const { jobId } = await postJob(p);
      // the worker proves (Completed), then collects its payment (Paid)
      await waitFor(async () => (await status(jobId)) === JobStatus.Paid, 120_000, "job paid");
      const after = BigInt((await token.getFunction("balanceOf")(provider)) as bigint);
      expect(after - before).to.equal(parseEther("5") - (parseEther("5") * 100n) / 10_000n);
      await waitFor(
        async () =>
          /proofwork_earnings_total [1-9]/.test(
            await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
          ),
        30_000,
        "earnings metric",
      );
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).to.match(/proofwork_jobs_completed_total 1/);
      expect(metrics).to.match(/proofwork_last_processed_block [1-9]/);
      // the executor backend metric is registered (values appear once a model job chose a backend)
      expect(metrics).to.contain("# TYPE proofwork_executor_backend gauge");
    } finally {
      w.signal("SIGTERM");
    }
    expect(await w.exited, w.output()).to.equal(0);
  });

  it("test_process_sigkillMidPipeline_restartCompletesExactlyOnce", async function () {
    const dataDir = mkdtempSync(join(tmpdir(), "pw-proc-kill-"));
    const port = await freePort();
    const env = workerEnv(dataDir, port);
    const first = startWorkerProcess(env);
    await waitFor(
      async () => (await healthy(port)) || first.proc.exitCode !== null,
      120_000,
      "worker healthy",
    );
    const { jobId } = await postJob(p);
    // kill -9 as soon as the claim is on chain (proving has not finished or not even started)
    await waitFor(async () => (await status(jobId)) !== JobStatus.Open, 60_000, "claimed");
    first.signal("SIGKILL");
    await first.exited;
    const claimedAtKill = await status(jobId);
    const second = startWorkerProcess(env);
    try {
      await waitFor(
        async () =>
          (await status(jobId)) >= JobStatus.Completed && (await status(jobId)) !== JobStatus.Slashed,
        120_000,
        "completed after restart",
      );
      const completed = await p.market.queryFilter(p.market.filters.JobCompleted!(jobId));
      const claimed = await p.market.queryFilter(p.market.filters.JobClaimed!(jobId));
      expect(completed).to.have.length(1);
      expect(claimed).to.have.length(1);
      expect(claimedAtKill).to.be.oneOf([JobStatus.Claimed, JobStatus.Completed, JobStatus.Paid]);
    } finally {
      second.signal("SIGTERM");
      await second.exited;
    }
  });
});
