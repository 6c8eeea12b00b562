/**
 * The integration examples of docs/INTEGRATING.md, run as written against a real `hardhat node`,
 * the protocol deployed on it and a provider worker as its own process (binding_test circuit, real
 * Groth16 proofs): viem posts and reads the verified outputs; ethers + the SDK posts, waits and
 * re-verifies from the chain alone. The worker's log must hold no error-level line: a successful
 * job logs none.
 */
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import {
  BINDING_BYTES,
  CIRCUIT_ID,
  deployProtocol,
  devKey,
  startHardhatNode,
  startWorkerProcess,
  writeFixtureDeployment,
  type Child,
  type LocalNode,
  type Protocol,
} from "../../deploy/index.ts";
import { readDeployment } from "../../sdk/node.ts";
import { postAndVerifyWithEthers } from "../../docs/examples/ethers.ts";
import { postAndWaitWithViem } from "../../docs/examples/viem.ts";

/** Structured (pino JSON) lines of a log at error level or above (50 = error, 60 = fatal). */
export function errorLines(log: string): string[] {
  return log
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .filter((l) => {
      try {
        return (JSON.parse(l) as { level?: number }).level! >= 50;
      } catch {
        return false;
      }
    });
}

describe("docs: the integration examples run against a local node", function () {
  this.timeout(600_000);
  let node: LocalNode;
  let p: Protocol;
  let deploymentFile: string;
  let worker: Child;

  before(async function () {
    node = await startHardhatNode();
    p = await deployProtocol(node.provider);
    deploymentFile = await writeFixtureDeployment(p);
    worker = startWorkerProcess({
      PROOFWORK_RPC_URL: node.url,
      PROOFWORK_PRIVATE_KEY: p.providerKeys[0]!,
      PROOFWORK_DEPLOYMENT: deploymentFile,
      PROOFWORK_DATA_DIR: mkdtempSync(join(tmpdir(), "pw-doc-")),
      PROOFWORK_METRICS_PORT: "0",
      PROOFWORK_POLL_INTERVAL_MS: "200",
      PROOFWORK_CLAIM_MARGIN_SECONDS: "10",
      // the default batching: jobs are collected together, by count or age
      PROOFWORK_WORKER_COLLECT_BATCH: "2",
      PROOFWORK_WORKER_COLLECT_MAX_AGE_MS: "2000",
      PROOFWORK_LOG_LEVEL: "info",
    });
  });

  after(async function () {
    worker?.signal("SIGTERM");
    await worker?.exited;
    await node?.stop();
  });

  it("test_examples_viemAndEthersPostAndReadVerifiedResults_workerLogsNoError", async function () {
    const viem = await postAndWaitWithViem({
      rpcUrl: node.url,
      market: p.addresses.market as `0x${string}`,
      token: p.addresses.token as `0x${string}`,
      circuitId: CIRCUIT_ID as `0x${string}`,
      privateKey: devKey(1) as `0x${string}`,
      input: new Uint8Array(randomBytes(BINDING_BYTES)),
    });
    expect(viem.jobId).to.equal(1n);
    expect(viem.outputs).to.deep.equal([]); // binding_test proves the binding, no outputs

    const ethers = await postAndVerifyWithEthers(
      node.url,
      readDeployment(deploymentFile),
      devKey(1),
      "binding_test",
      new Uint8Array(randomBytes(BINDING_BYTES)),
    );
    expect(ethers.jobId).to.equal(2n);
    expect(ethers.verified).to.equal(true);

    // both jobs end paid (collected in a batch), and no error was logged on the way
    const market = p.market;
    for (const id of [1n, 2n]) {
      for (let i = 0; (await market.getFunction("getJob")(id)).status !== 7n; i++) {
        if (i > 600) throw new Error(`job ${id} not paid`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(errorLines(worker.output()), worker.output()).to.deep.equal([]);
  });
});
