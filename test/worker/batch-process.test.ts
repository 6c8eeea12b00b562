/**
 * The worker's batch mode as a separate process (`tsx worker/main.ts`, configured only by
 * environment variables) against `hardhat node` over JSON-RPC: a batch of 1,000 real held-out
 * digits whose inputs file is served over HTTP is fetched, checked, run and committed; the process
 * is SIGKILLed while it waits for the sample block, a new one resumes from its store, proves the
 * drawn samples and settles after the window; the provider is paid, and the requester downloads
 * the outputs file over HTTP (published by the worker into the served directory) and checks it
 * against the committed root and the reference.
 */
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Wallet, parseEther, type Contract } from "ethers";
import { releaseCurves } from "../../circuits/pipeline.ts";
import { writeFixtureDeployment } from "../../deploy/devnet/record.ts";
import {
  startHardhatNode,
  startWorkerProcess,
  type Child,
  type LocalNode,
} from "../../deploy/devnet/node.ts";
import { waitFor, type Protocol } from "../../deploy/devnet/protocol.ts";
import { BatchStatus, type BatchMarket } from "../../sdk/node.ts";
import { BATCH_CIRCUIT, loadBatchDataset, type BatchDataset } from "../helpers/batch.ts";
import {
  HOUR,
  advance,
  batchProtocol,
  postBatchJob,
  requesterOutputs,
  serveDir,
} from "../helpers/batch-worker.ts";

const PRICE = parseEther("20");

describe("worker batch mode as a separate process (hardhat node)", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let p: Protocol & { batchMarket: BatchMarket };
  let deploymentFile: string;
  let ds: BatchDataset;
  const servers: Server[] = [];
  const children: Child[] = [];

  before(async function () {
    ds = await loadBatchDataset(1000);
    node = await startHardhatNode();
    p = await batchProtocol(node.provider);
    deploymentFile = await writeFixtureDeployment(p, undefined, undefined, {
      name: BATCH_CIRCUIT,
      numPublic: 3,
      inputBytes: 784,
    });
  });

  after(async function () {
    for (const c of children) {
      c.signal("SIGKILL");
      await c.exited;
    }
    for (const s of servers) s.close();
    await node?.stop();
    await releaseCurves();
  });

  it("test_batchProcess_thousandDigitsOverHttp_sigkillWhileWaiting_resumedAndPaid", async function () {
    const key = p.providerKeys[0]!;
    const address = new Wallet(key).address;
    const dataDir = mkdtempSync(join(tmpdir(), "pw-batch-proc-"));
    const publishDir = mkdtempSync(join(tmpdir(), "pw-batch-pub-"));
    const inputsDir = mkdtempSync(join(tmpdir(), "pw-batch-req-"));
    const published = await serveDir(publishDir);
    const inputs = await serveDir(inputsDir);
    servers.push(published.server, inputs.server);
    const env = {
      PROOFWORK_RPC_URL: node.url,
      PROOFWORK_PRIVATE_KEY: key,
      PROOFWORK_DEPLOYMENT: deploymentFile,
      PROOFWORK_DATA_DIR: dataDir,
      PROOFWORK_POLL_INTERVAL_MS: "200",
      PROOFWORK_CLAIM_MARGIN_SECONDS: "10",
      PROOFWORK_EXECUTOR_BACKEND: "wasm",
      PROOFWORK_PROVER_THREADS: "1",
      PROOFWORK_LOG_LEVEL: "info",
      PROOFWORK_WORKER_SHUTDOWN_GRACE_MS: "5000",
      PROOFWORK_BATCH_PUBLISH_DIR: publishDir,
      PROOFWORK_BATCH_PUBLISH_BASE_URI: published.url,
    };
    const start = (): Child => {
      const c = startWorkerProcess(env);
      children.push(c);
      return c;
    };
    const token = p.token as Contract;
    const balance = async () => BigInt((await token.getFunction("balanceOf")(address)) as bigint);
    const before = await balance();
    const m = p.batchMarket;
    const rpc = node.provider;

    const first = start();
    const { jobId } = await postBatchJob(p, ds, {
      dir: inputsDir,
      uri: (path) => `${inputs.url}${relative(inputsDir, path)}`,
    });
    // committed: the worker now waits for the sample block, which no transaction mines yet
    await waitFor(
      async () =>
        (await m.queryFilter(m.filters.BatchCommitted(jobId))).length === 1 || first.proc.exitCode !== null,
      180_000,
      "committed",
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${first.output().slice(-4000)}`);
    });
    expect(first.proc.exitCode, first.output()).to.equal(null);
    expect(first.output()).to.contain("batch progress");
    first.signal("SIGKILL");
    await first.exited;

    const second = start();
    // blocks arrive (the sample block and later); the resumed worker proves from its store
    await waitFor(
      async () => {
        if ((await m.queryFilter(m.filters.BatchProven(jobId))).length === 1) return true;
        await rpc.send("evm_mine", []);
        return second.proc.exitCode !== null;
      },
      180_000,
      "proven",
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${second.output().slice(-4000)}`);
    });
    expect(second.proc.exitCode, second.output()).to.equal(null);
    await advance(p, HOUR + 1);
    await waitFor(
      async () =>
        Number((await m.getBatch(jobId)).status) === BatchStatus.Paid || second.proc.exitCode !== null,
      120_000,
      "paid",
    );
    expect(Number((await m.getBatch(jobId)).status), second.output()).to.equal(BatchStatus.Paid);
    expect((await balance()) - before).to.equal(PRICE - (PRICE * 100n) / 10_000n);
    // one commit (the killed process's), one prove and one settle by the provider
    for (const f of [
      m.filters.BatchClaimed(jobId),
      m.filters.BatchCommitted(jobId),
      m.filters.BatchProven(jobId),
    ])
      expect(await m.queryFilter(f)).to.have.length(1);

    // the requester downloads the outputs over HTTP and checks them against the root and the reference
    const view = await requesterOutputs(m, jobId, ds.commitments);
    expect(view.uri.startsWith(published.url)).to.equal(true);
    expect(view.outputs).to.deep.equal(ds.outputs);

    second.signal("SIGTERM");
    expect(await second.exited, second.output()).to.equal(0);
  });
});
