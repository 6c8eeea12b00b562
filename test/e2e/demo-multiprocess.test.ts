/**
 * The multi-terminal flow, each terminal a real process:
 *   1. `npx hardhat node --port <free>`
 *   2. `proofwork deploy` to it (Ignition; writes a deployment record)
 *   3. `proofwork provider faucet|stake|register`, then `proofwork worker start` (long-running)
 *   4. `proofwork job post --digit …` as a requester, `proofwork --json job watch --verify`
 * and finally SIGINT to the worker, which must stop cleanly. The circuit artifacts are published
 * over HTTP as a testnet deployer would (`PROOFWORK_ARTIFACT_BASE_URI`, a static file server over
 * the build folder): the worker fetches them from there, and `proofwork job verify` run from
 * another directory, with no build folder and an empty circuit cache, succeeds from the chain and
 * the published files alone.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { buildCircuits, specsFor } from "../../circuits/index.ts";
import { CLI, TSX, runCli, type CliRun } from "../helpers/cli.ts";
import { waitForOutput } from "../helpers/process.ts";
import { devKey, freePort } from "../../deploy/index.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HARDHAT = join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
const CIRCUIT = "mnist_mlp_small_b1";

// Hardhat's well-known development accounts #0–#2 (never use them on a real network).
const DEPLOYER_KEY = devKey(0);
const REQUESTER_KEY = devKey(1);
const PROVIDER_KEY = devKey(2);

type Run = CliRun;

/** A static file server over `root` (what a deployer's CDN or bucket is); records what was fetched. */
function serveFiles(root: string, fetched: string[]): Promise<{ server: Server; url: string }> {
  const server = createHttpServer((req, res) => {
    const rel = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(
      /^\/+/,
      "",
    );
    const file = join(root, rel);
    if (rel.startsWith("..") || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    fetched.push(rel);
    res.writeHead(200, { "content-length": statSync(file).size });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof a === "object" && a !== null ? a.port : 0}/` });
    }),
  );
}

describe("e2e: hardhat node + CLI deploy + worker process + CLI requester", function () {
  this.timeout(600_000);
  let dir: string;
  let node: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let env: Record<string, string>;
  let files: Server | undefined;
  const fetched: string[] = [];

  function cli(args: string[], extra: Record<string, string> = {}): Promise<Run> {
    // the full environment of the flow (node URL, keys, deployment) plus `extra`
    return runCli(args, { ...env, ...extra }, dir);
  }

  async function ok(args: string[], extra: Record<string, string> = {}): Promise<Run> {
    const r = await cli(args, extra);
    expect(r.code, `proofwork ${args.join(" ")}\n${r.stderr}`).to.equal(0);
    return r;
  }

  before(async () => {
    await buildCircuits(specsFor("test", [CIRCUIT]), { log: () => undefined });
    dir = mkdtempSync(join(tmpdir(), "proofwork-e2e-"));
    const port = await freePort();
    node = spawn(process.execPath, [HARDHAT, "node", "--port", String(port)], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    await waitForOutput(node, /Started HTTP and WebSocket JSON-RPC server/, 120_000, "hardhat node");
    const served = await serveFiles(join(ROOT, "build", "circuits"), fetched);
    files = served.server;
    env = {
      PROOFWORK_ARTIFACT_BASE_URI: served.url,
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      PROOFWORK_RPC_URL: `http://127.0.0.1:${port}`,
      PROOFWORK_NETWORK: "localhost",
      PROOFWORK_DEPLOYMENT: join(dir, "deployment.json"),
      PROOFWORK_POLL_INTERVAL_MS: "200",
      PROOFWORK_WORKER_COLLECT_MAX_AGE_MS: "0",
      PROOFWORK_BUILD_DIR: join(ROOT, "build", "circuits"),
    };
  });

  after(async () => {
    for (const p of [worker, node]) {
      if (p !== undefined && p.exitCode === null && p.signalCode === null) {
        const exited = new Promise((r) => p.once("exit", r));
        p.kill("SIGTERM");
        await exited;
      }
    }
    files?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("test_e2e_postedDigitIsProvenAndVerifiedAcrossProcesses", async () => {
    // Terminal 2: deploy.
    const deployed = await ok(["--json", "deploy", "--circuits", CIRCUIT], {
      PROOFWORK_PRIVATE_KEY: DEPLOYER_KEY,
    });
    const record = JSON.parse(deployed.stdout) as {
      deployment: { circuits: Record<string, { id: string }> };
      path: string;
    };
    expect(record.deployment.circuits[CIRCUIT]?.id).to.match(/^0x[0-9a-f]{64}$/);

    // Terminal 3: provider setup, then the worker.
    const asProvider = { PROOFWORK_PRIVATE_KEY: PROVIDER_KEY };
    await ok(["provider", "faucet", "1000"], asProvider);
    await ok(["provider", "stake", "500"], asProvider);
    await ok(["provider", "register", "--max-jobs", "4"], asProvider);
    const status = JSON.parse((await ok(["--json", "provider", "status"], asProvider)).stdout) as {
      status: { active: boolean };
    };
    expect(status.status.active).to.equal(true);

    worker = spawn(process.execPath, ["--import", TSX, CLI, "worker", "start"], {
      cwd: dir,
      env: { ...env, ...asProvider, PROOFWORK_DATA_DIR: join(dir, "worker") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    await waitForOutput(worker, /running on chain/, 60_000, "worker");

    // Terminal 4: the requester posts a held-out "7" and waits for the verified result.
    const asRequester = { PROOFWORK_PRIVATE_KEY: REQUESTER_KEY };
    await ok(["provider", "faucet", "100"], asRequester);
    const posted = JSON.parse(
      (
        await ok(
          [
            "--json",
            "job",
            "post",
            "-c",
            CIRCUIT,
            "--digit",
            "7",
            "--index",
            "3",
            "--price",
            "2",
            "--collateral",
            "5",
          ],
          asRequester,
        )
      ).stdout,
    ) as { jobId: string; usedPermit: boolean };
    expect(posted.usedPermit).to.equal(true);

    const watched = JSON.parse(
      (await ok(["--json", "job", "watch", posted.jobId, "--verify", "--timeout", "300"])).stdout,
    ) as {
      result: { outputs: string[]; provider: string; gasUsed: string };
      verified: boolean;
    };
    expect(watched.verified).to.equal(true);
    // the worker fetched the circuit's files over HTTP, from the URI the registry records
    expect(fetched).to.include.members([`${CIRCUIT}/${CIRCUIT}.wasm`, `${CIRCUIT}/${CIRCUIT}.zkey`]);

    // another machine: another directory, no build folder, an empty cache; only the chain, the
    // deployment record and the published files
    const elsewhere = mkdtempSync(join(tmpdir(), "proofwork-verifier-"));
    const before = fetched.length;
    const verifiedElsewhere = await runCli(
      ["--json", "job", "verify", posted.jobId, "--deep"],
      {
        ...env,
        PROOFWORK_BUILD_DIR: join(elsewhere, "no-build"),
        PROOFWORK_CACHE: join(elsewhere, "empty-cache"),
      },
      elsewhere,
    );
    rmSync(elsewhere, { recursive: true, force: true });
    expect(verifiedElsewhere.code, verifiedElsewhere.stderr).to.equal(0);
    expect((JSON.parse(verifiedElsewhere.stdout) as { report: { valid: boolean } }).report.valid).to.equal(
      true,
    );
    expect(fetched.slice(before)).to.include.members([
      `${CIRCUIT}/verification_key.json`,
      `${CIRCUIT}/${CIRCUIT}.zkey`,
    ]);
    expect(watched.result.outputs).to.have.length(1);
    expect(BigInt(watched.result.gasUsed) > 0n).to.equal(true);

    const shown = JSON.parse((await ok(["--json", "job", "status", posted.jobId])).stdout) as {
      job: { status: string };
    };
    // proven; "Paid" once the worker's collect landed
    expect(shown.job.status).to.be.oneOf(["Completed", "Paid"]);

    // `job post --wait`: one command from post to the decoded prediction.
    const waited = await ok(
      ["job", "post", "-c", CIRCUIT, "--digit", "2", "--price", "1", "--wait", "--timeout", "300"],
      asRequester,
    );
    expect(waited.stdout).to.match(/job \d+ completed by 0x[0-9a-fA-F]{40}/);
    expect(waited.stdout).to.match(/sample 0: predicted \d/);

    // Ctrl-C: the worker drains and exits 0.
    const exited = new Promise<number | null>((r) => worker!.once("exit", (code) => r(code)));
    worker.kill("SIGINT");
    expect(await exited).to.equal(0);
  });
});
