/**
 * `npm run app:local`: the local marketplace and the web app in one command — a `hardhat node`,
 * the contracts deployed with the demo's circuits (built first, cached), a staked provider running
 * the worker, the MNIST held-out digits published as batch datasets (1,000 per model circuit, in a
 * datasets folder the app's dev server serves at /datasets/), and the app's dev server — then it
 * prints where to open the page. Ctrl-C stops
 * everything. The same processes as the README's "three terminals", for trying the app.
 *
 *   npm run app:local -- [--port 5173] [--rpc-port 8545] [--profile demo|test]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { JsonRpcProvider, Network, parseEther } from "ethers";
import { buildCircuits, specsFor, type Profile } from "../circuits/index.ts";
import { compileContracts, connectNetwork, deployProofwork, getHre } from "../deploy/index.ts";
import {
  ProviderAccount,
  createSigner,
  errorMessage,
  isProofworkError,
  parseArtifact,
  probeChainId,
} from "../sdk/node.ts";
import { publishMnistDataset } from "./mnist-datasets.ts";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const BIN = join(ROOT, "node_modules", ".bin");
// Hardhat's public development keys (as in the README): #0 deploys, #1 is the provider
const DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const PROVIDER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

const say = (line: string) => process.stdout.write(`${line}\n`);
const step = (line: string) => say(`\x1b[1m▸\x1b[0m ${line}`);

const children: ChildProcess[] = [];
let stopping = false;

function start(cmd: string, args: string[], env: Record<string, string>, log: string): ChildProcess {
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = createWriteStream(log);
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  children.push(child);
  return child;
}

async function until(
  what: string,
  ok: () => Promise<boolean>,
  child: ChildProcess,
  log: string,
): Promise<void> {
  const end = Date.now() + 120_000;
  for (;;) {
    if (await ok().catch(() => false)) return;
    if (child.exitCode !== null) throw new Error(`${what} exited (code ${child.exitCode}); see ${log}`);
    if (Date.now() > end) throw new Error(`${what} did not start within 2 minutes; see ${log}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stopAll(): Promise<void> {
  stopping = true;
  for (const c of children.reverse()) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "5173" },
      "rpc-port": { type: "string", default: "8545" },
      profile: { type: "string", default: "demo" },
    },
  });
  const profile = values.profile as Profile;
  const rpcUrl = `http://127.0.0.1:${values["rpc-port"]}`;
  const appUrl = `http://127.0.0.1:${values.port}/`;
  const logs = mkdtempSync(join(tmpdir(), "proofwork-app-"));
  const t0 = Date.now();

  if (
    await probeChainId(rpcUrl, 1000).then(
      () => true,
      () => false,
    )
  ) {
    throw new Error(
      `a chain already answers at ${rpcUrl}: stop it, pass --rpc-port, or serve the app alone with \`npm run app\``,
    );
  }

  step(`building the ${profile} circuits (cached after the first run)`);
  const built = await buildCircuits(specsFor(profile), { log: () => undefined });
  const circuits = built.filter((c) => c.zkey !== undefined && c.model !== undefined).map((c) => c.name);

  step(`starting a local chain at ${rpcUrl}`);
  const nodeLog = join(logs, "node.log");
  const node = start(join(BIN, "hardhat"), ["node", "--port", values["rpc-port"]], {}, nodeLog);
  await until("hardhat node", async () => (await probeChainId(rpcUrl, 1000)) > 0n, node, nodeLog);
  const network = Network.from(31337n);
  const provider = new JsonRpcProvider(rpcUrl, network, { staticNetwork: network });
  // a block every second besides automining: chain time moves on as on a live chain
  await provider.send("evm_setIntervalMining", [1000]);

  step(`deploying the contracts with ${circuits.join(", ")}`);
  const hre = await getHre();
  await compileContracts(hre);
  const conn = await connectNetwork(hre, { network: "localhost", rpcUrl, privateKey: DEPLOYER_KEY });
  // kept with the logs (not deployments/): this chain ends with the command, and a stale record
  // of it in deployments/ would mislead the CLI later
  const deploymentFile = join(logs, "deployment.json");
  const { deployment } = await deployProofwork(conn, {
    circuits,
    networkName: "localhost",
    outFile: deploymentFile,
  }).finally(() => conn.close());

  step("staking and registering a provider (Hardhat account #1), starting its worker");
  const account = new ProviderAccount(deployment, createSigner(PROVIDER_KEY, provider));
  await account.faucet(parseEther("1000"));
  await account.stake(parseEther("500"));
  await account.register({
    gpuModel: "local worker",
    memoryMB: 2048,
    backends: ["cpu", "wasm"],
    maxConcurrentJobs: 2,
    metadataURI: "",
  });
  const workerLog = join(logs, "worker.log");
  const worker = start(
    join(BIN, "tsx"),
    [join(ROOT, "worker", "main.ts")],
    {
      PROOFWORK_RPC_URL: rpcUrl,
      PROOFWORK_PRIVATE_KEY: PROVIDER_KEY,
      PROOFWORK_DEPLOYMENT: deploymentFile,
      PROOFWORK_DATA_DIR: join(logs, "worker"),
      PROOFWORK_WORKER_COLLECT_MAX_AGE_MS: "0",
      PROOFWORK_POLL_INTERVAL_MS: "500",
      PROOFWORK_LOG_LEVEL: "info",
    },
    workerLog,
  );

  step("publishing the MNIST held-out digits as batch datasets");
  const datasetDir = join(logs, "datasets");
  for (const name of circuits) {
    const model = parseArtifact(
      JSON.parse(readFileSync(join(ROOT, "build", "circuits", name, "model.json"), "utf8")),
    );
    publishMnistDataset(datasetDir, name, model, 1000);
  }

  step("serving the app");
  const appLog = join(logs, "app.log");
  const app = start(
    join(BIN, "vite"),
    ["--config", join(ROOT, "app", "vite.config.ts"), "--port", values.port, "--strictPort"],
    { PROOFWORK_RPC_URL: rpcUrl, PROOFWORK_DEPLOYMENT: deploymentFile, PROOFWORK_DATASET_DIR: datasetDir },
    appLog,
  );
  await until("the app server", async () => (await fetch(`${appUrl}config.json`)).ok, app, appLog);
  await until(
    "the worker",
    async () => /worker started/.test(readFileSync(workerLog, "utf8")),
    worker,
    workerLog,
  );
  provider.destroy();

  say("");
  say(`ready in ${((Date.now() - t0) / 1000).toFixed(0)} s — open \x1b[1m${appUrl}\x1b[0m`);
  say("  1. “Use dev wallet” (Hardhat account #2, a public test key), then “Get 100 PWT (test faucet)”");
  say("  2. draw a digit, “Post job”: the worker claims it, proves it and is paid within seconds");
  say("  3. on the job's page, “Verify”: the proof is checked again in your browser");
  say(
    "  4. “Batch (dataset)”: pick the 1,000 held-out digits, choose k, post; then “Download & verify outputs”",
  );
  say(
    `  the CLI on this chain: PROOFWORK_RPC_URL=${rpcUrl} PROOFWORK_DEPLOYMENT=${deploymentFile} bin/proofwork …`,
  );
  say(`  logs: ${logs}`);
  say("  Ctrl-C stops the chain, the worker and the app.");

  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    for (const c of [node, worker, app]) {
      c.once("exit", (code) => {
        if (!stopping && code !== 0 && code !== null) say(`a process stopped (code ${code}); logs: ${logs}`);
        stop();
      });
    }
  });
}

main()
  .catch((e: unknown) => {
    process.stderr.write(`${isProofworkError(e) ? e.toLine() : `error: ${errorMessage(e)}`}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopAll();
    const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } };
    await g.curve_bn128?.terminate();
    process.exit();
  });
