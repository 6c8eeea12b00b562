/**
 * The web app in a real browser (headless Chromium through playwright-core) against a real
 * `hardhat node`, the deployed contracts and a running provider worker process — a requester's
 * whole path: draw a digit → post (permit) → see it proven → verify the proof in the page; an
 * auction post through an injected EIP-1193 wallet; cancelling with a refund; and the plain-language
 * messages for a missing deployment, a wrong network, no balance and a rejected signature.
 *
 * Screenshots of every page go to test-results/app/ (git-ignored). Chromium comes from
 * `scripts/browser.sh` (Debian's `chromium`, installed with apt when missing).
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HDNodeWallet, Wallet, parseEther } from "ethers";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { specsFor } from "../../circuits/manifest.ts";
import { buildCircuits } from "../../circuits/pipeline.ts";
import {
  ROOT,
  compileContracts,
  connectNetwork,
  deployProofwork,
  freePort,
  getHre,
  startChild,
  startHardhatNode,
  startWorkerProcess,
  waitFor,
  type Child,
  type LocalNode,
} from "../../deploy/index.ts";
import {
  ProviderAccount,
  RequesterClient,
  createSigner,
  decodePredictions,
  parseArtifact,
  type Deployment,
} from "../../sdk/node.ts";

const CIRCUIT = "mnist_mlp_small_b1";
const SHOTS = join(ROOT, "test-results", "app");
// Hardhat's public development keys: #0 deploys, #1 is the provider (as in the README)
const DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const PROVIDER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
/** The page's dev wallet uses account #3; the injected test wallet account #4. */
const DEV_ACCOUNT = 3;
const DEV_ADDRESS = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
const INJECTED_ACCOUNT = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
/** The worker claims nothing below this price: jobs below it stay open (to cancel them). */
const WORKER_MIN_PRICE = parseEther("1");

const BROWSER_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

interface TestWallet {
  /** The chain id the wallet reports (hex). */
  chainId: string;
  account: string;
  rejectSignatures: boolean;
}

/**
 * An injected EIP-1193 wallet for the page (`window.ethereum`): it forwards requests to the
 * node's JSON-RPC (whose dev accounts are unlocked, so it signs and sends), reports the chain it
 * is told, switches chain on request and can refuse signatures like a user would (code 4001).
 * Plain JavaScript source: the test runner's transpiler would add helpers a page does not have.
 */
function testWalletScript(rpc: string, wallet: TestWallet): string {
  return `(() => {
  const state = ${JSON.stringify(wallet)};
  const rpc = ${JSON.stringify(rpc)};
  const listeners = {};
  const emit = (ev, arg) => (listeners[ev] || []).forEach((f) => f(arg));
  let id = 0;
  const call = async (method, params) => {
    const res = await fetch(rpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
    });
    const body = await res.json();
    if (body.error) throw Object.assign(new Error(body.error.message), body.error);
    return body.result;
  };
  window.__testWallet = state;
  window.ethereum = {
    async request({ method, params = [] }) {
      switch (method) {
        case "eth_requestAccounts":
        case "eth_accounts":
          return [state.account];
        case "eth_chainId":
          return state.chainId;
        case "net_version":
          return String(parseInt(state.chainId, 16));
        case "wallet_switchEthereumChain":
          state.chainId = params[0].chainId;
          setTimeout(() => emit("chainChanged", state.chainId), 0);
          return null;
        case "eth_signTypedData_v4":
          if (state.rejectSignatures) throw Object.assign(new Error("User rejected the request."), { code: 4001 });
          return call(method, params);
        default:
          return call(method, params);
      }
    },
    on(ev, f) {
      (listeners[ev] = listeners[ev] || []).push(f);
    },
    removeListener(ev, f) {
      listeners[ev] = (listeners[ev] || []).filter((g) => g !== f);
    },
  };
})();`;
}

describe("app: the requester's dApp in a real browser", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let deployment: Deployment;
  let worker: Child;
  let vite: Child;
  let appUrl: string;
  let browser: Browser;
  let dataDir: string;
  const contexts: BrowserContext[] = [];
  const timings: string[] = [];

  async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    const r = await fn();
    timings.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    return r;
  }

  before(async function () {
    this.timeout(600_000);
    const executablePath = await timed("browser", async () =>
      execFileSync("bash", [join(ROOT, "scripts", "browser.sh")], { encoding: "utf8" }).trim(),
    );
    await timed("circuit", () => buildCircuits(specsFor("test", [CIRCUIT]), { log: () => undefined }));
    node = await timed("node", () => startHardhatNode());
    // a block every second besides automining, as a live chain has: chain time (deadlines, the
    // auction price) moves on while nobody sends a transaction
    await node.provider.send("evm_setIntervalMining", [1000]);
    dataDir = mkdtempSync(join(tmpdir(), "pw-app-"));
    const deploymentFile = join(dataDir, "deployment.json");
    deployment = await timed("deploy", async () => {
      const hre = await getHre();
      // the verifiers of the circuit build just made (a no-op when they are already compiled)
      await compileContracts(hre);
      const conn = await connectNetwork(hre, {
        network: "localhost",
        rpcUrl: node.url,
        privateKey: DEPLOYER_KEY,
      });
      try {
        const r = await deployProofwork(conn, {
          circuits: [CIRCUIT],
          networkName: "localhost",
          outFile: deploymentFile,
        });
        return r.deployment;
      } finally {
        await conn.close();
      }
    });
    await timed("provider", async () => {
      const account = new ProviderAccount(deployment, createSigner(PROVIDER_KEY, node.provider));
      await account.faucet(parseEther("1000"));
      await account.stake(parseEther("500"));
      await account.register({
        gpuModel: "test CPU",
        memoryMB: 1024,
        backends: ["cpu", "wasm"],
        maxConcurrentJobs: 2,
        metadataURI: "",
      });
    });
    worker = startWorkerProcess({
      PROOFWORK_RPC_URL: node.url,
      PROOFWORK_PRIVATE_KEY: PROVIDER_KEY,
      PROOFWORK_DEPLOYMENT: deploymentFile,
      PROOFWORK_DATA_DIR: join(dataDir, "worker"),
      PROOFWORK_POLL_INTERVAL_MS: "200",
      PROOFWORK_WORKER_COLLECT_MAX_AGE_MS: "0",
      PROOFWORK_CLAIM_MARGIN_SECONDS: "10",
      PROOFWORK_MIN_PRICE: WORKER_MIN_PRICE.toString(),
      PROOFWORK_PROVER_THREADS: "1",
      PROOFWORK_LOG_LEVEL: "info",
    });
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}/`;
    vite = startChild(
      join(ROOT, "node_modules", ".bin", "vite"),
      ["--config", join(ROOT, "app", "vite.config.ts"), "--port", String(port), "--strictPort"],
      { PROOFWORK_RPC_URL: node.url, PROOFWORK_DEPLOYMENT: deploymentFile },
    );
    await timed("app server", () =>
      waitFor(
        async () => {
          if (vite.proc.exitCode !== null) throw new Error(`vite exited:\n${vite.output()}`);
          return (await fetch(`${appUrl}config.json`).catch(() => undefined))?.ok === true;
        },
        60_000,
        "app server",
      ),
    );
    await timed("worker", () =>
      waitFor(
        async () => {
          if (worker.proc.exitCode !== null) throw new Error(`worker exited:\n${worker.output()}`);
          return /worker started/.test(worker.output());
        },
        120_000,
        "worker started",
      ),
    );
    browser = await chromium.launch({ executablePath, args: BROWSER_ARGS });
    mkdirSync(SHOTS, { recursive: true });
  });

  after(async function () {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    vite?.signal("SIGTERM");
    worker?.signal("SIGTERM");
    await Promise.all([vite?.exited, worker?.exited]);
    await node?.stop();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    console.log(`      timings: ${timings.join(", ")}`);
  });

  let lastPage: Page | undefined;
  /** Uncaught errors in any page: there must be none. */
  const pageErrors: string[] = [];

  afterEach(async function () {
    if (this.currentTest?.state !== "failed") {
      expect(pageErrors, "uncaught errors in the page").to.deep.equal([]);
      return;
    }
    const name = (this.currentTest.title || "unknown").replace(/[^A-Za-z0-9_]/g, "_");
    await lastPage
      ?.screenshot({ path: join(SHOTS, `FAILED-${name}.png`), fullPage: true })
      .catch(() => undefined);
    console.log(`      worker output (tail):\n${worker.output().split("\n").slice(-15).join("\n")}`);
  });

  /** A fresh page (own storage), optionally with the injected test wallet, at phone or desktop width. */
  async function openPage(
    opts: { wallet?: TestWallet; hash?: string; width?: number; height?: number } = {},
  ): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
    });
    contexts.push(context);
    if (opts.wallet !== undefined) {
      await context.addInitScript({ content: testWalletScript(`${appUrl}rpc`, opts.wallet) });
    }
    const page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(`${appUrl}${opts.hash ?? ""}`);
    lastPage = page;
    return page;
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  async function ready(page: Page): Promise<void> {
    await page.getByRole("heading", { name: "Post an inference job" }).waitFor({ timeout: 60_000 });
  }

  /** Draws a 7 on the canvas with the mouse. */
  async function drawSeven(page: Page): Promise<void> {
    const canvas = page.getByRole("img", { name: /Drawing area/ });
    const box = (await canvas.boundingBox())!;
    const at = (x: number, y: number) => [box.x + box.width * x, box.y + box.height * y] as const;
    await page.mouse.move(...at(0.28, 0.2));
    await page.mouse.down();
    await page.mouse.move(...at(0.72, 0.2), { steps: 10 });
    await page.mouse.move(...at(0.45, 0.85), { steps: 14 });
    await page.mouse.up();
    await page.getByRole("heading", { name: "What the circuit commits to" }).waitFor();
  }

  async function useDevWallet(page: Page, index: number): Promise<void> {
    await page.getByLabel("Dev account").selectOption(String(index));
    await page.getByRole("button", { name: "Use dev wallet" }).click();
    await page.getByText(`Dev wallet · Hardhat account #${index}`).waitFor();
  }

  function jobIdOf(page: Page): bigint {
    const m = /#\/job\/(\d+)/.exec(page.url());
    expect(m, page.url()).to.not.equal(null);
    return BigInt(m![1]!);
  }

  it("test_app_missingDeployment_saysSoInPlainWords", async function () {
    const page = await openPage();
    await page.route("**/deployment.json", (r) => r.fulfill({ status: 404, body: "{}" }));
    await page.reload();
    const alert = page.getByRole("alert").filter({ hasText: "No deployment found" });
    await alert.waitFor();
    expect(await alert.textContent()).to.match(/proofwork --network localhost deploy/);
    await shot(page, "missing-deployment");

    // a record whose contracts are not on this chain (the node was restarted since)
    const stale = {
      ...deployment,
      contracts: { ...deployment.contracts, market: Wallet.createRandom().address },
    };
    await page.unroute("**/deployment.json");
    await page.route("**/deployment.json", (r) => r.fulfill({ status: 200, json: stale }));
    await page.reload();
    await page.getByRole("alert").filter({ hasText: "No deployment on this chain" }).waitFor();
    expect(await page.locator("body").textContent()).to.not.match(/at \w+ \(|Error:/); // no stack trace
  });

  it("test_app_drawPostProveVerify_withDevWallet", async function () {
    const page = await openPage();
    await ready(page);
    await shot(page, "post-empty");
    await useDevWallet(page, DEV_ACCOUNT);
    await drawSeven(page);
    const full = (await page.getByText(/^Poseidon commitment: \d+$/).textContent())!.replace(/\D/g, "");

    // account #3 holds no PWT yet: the page says so and offers the test faucet
    const noBalance = page.getByRole("alert").filter({ hasText: "Not enough PWT" });
    await noBalance.waitFor();
    expect(await noBalance.textContent()).to.match(/Your balance is 0 PWT, and this job escrows 2 PWT/);
    expect(await page.getByRole("button", { name: "Post job" }).isDisabled()).to.equal(true);
    await shot(page, "post-no-balance");
    await noBalance.getByRole("button", { name: /test faucet/ }).click();
    await noBalance.waitFor({ state: "detached" });

    await page.getByRole("button", { name: "Post job" }).click();
    await page.getByRole("heading", { name: /^Job #\d+/ }).waitFor({ timeout: 60_000 });
    const jobId = jobIdOf(page);
    const reader = new RequesterClient(deployment, node.provider);
    expect((await reader.getJob(jobId)).terms.inputCommitment.toString()).to.equal(full);

    // the worker claims, proves and collects; the page follows the lifecycle
    await page.getByText("Predicted class:").waitFor({ timeout: 120_000 });
    await page.getByRole("heading", { name: /^Job #\d+ Paid$/ }).waitFor({ timeout: 60_000 });
    const shown = Number(await page.getByTestId("predicted").textContent());
    const completion = (await reader.findCompletion(jobId))!;
    const model = parseArtifact(
      JSON.parse(readFileSync(join(ROOT, "build", "circuits", CIRCUIT, "model.json"), "utf8")),
    );
    expect(shown).to.equal(decodePredictions(model, completion.outputs)[0]!.predicted);
    await shot(page, "job-proven");

    await page.getByRole("button", { name: "Verify", exact: true }).click();
    await page.getByText("✓ Verified in your browser").waitFor({ timeout: 120_000 });
    const steps = page.getByRole("list", { name: "Verification steps" }).getByRole("listitem");
    expect(await steps.count()).to.equal(7);
    for (const text of await steps.allTextContents()) expect(text).to.match(/: passed/);
    await shot(page, "job-verified");
  });

  it("test_app_wrongNetwork_offersToSwitch", async function () {
    const page = await openPage({
      wallet: { chainId: "0x1", account: INJECTED_ACCOUNT, rejectSignatures: false },
    });
    await ready(page);
    await page.getByRole("button", { name: "Connect wallet" }).click();
    const warning = page.getByRole("alert").filter({ hasText: "Wrong network" });
    await warning.waitFor();
    expect(await warning.textContent()).to.match(
      /Ethereum mainnet \(chain id 1\).*Hardhat \(local\) \(chain id 31337\)/,
    );
    await shot(page, "wrong-network");
    await warning.getByRole("button", { name: "Switch to Hardhat (local)" }).click();
    await page.getByText("Browser wallet").waitFor();
    await warning.waitFor({ state: "detached" });
  });

  it("test_app_rejectedSignature_thenAuctionPostWithInjectedWallet", async function () {
    const wallet: TestWallet = { chainId: "0x7a69", account: INJECTED_ACCOUNT, rejectSignatures: true };
    const page = await openPage({ wallet });
    await ready(page);
    await page.getByRole("button", { name: "Connect wallet" }).click();
    await page.getByText("Browser wallet").waitFor();
    await page.getByRole("button", { name: /test faucet/ }).click();
    await page.getByRole("button", { name: /test faucet/ }).waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Draw a sample 1" }).click();

    // reverse Dutch auction: 0.5 → 2 PWT over 20 s; the worker waits until it pays 1 PWT
    await page.getByLabel("Reverse Dutch auction").check();
    await page.getByLabel("Start price (PWT)").fill("0.5");
    await page.getByLabel("End price (PWT)").fill("2");
    await page.getByLabel("Ramp (seconds)").fill("20");
    await page.getByText("Price rises from 0.5 PWT to 2 PWT over 20 s").first().waitFor();

    // the user refuses the permit signature in the wallet
    await page.getByRole("button", { name: "Post job" }).click();
    const refused = page.getByRole("alert").filter({ hasText: "You rejected the request in your wallet" });
    await refused.waitFor();
    expect(await refused.textContent()).to.match(/nothing was signed or sent/);
    await shot(page, "post-rejected-signature");

    // the user accepts this time: one permit signature, one transaction
    await page.evaluate(() => {
      (
        globalThis as unknown as { __testWallet: { rejectSignatures: boolean } }
      ).__testWallet.rejectSignatures = false;
    });
    await page.getByRole("button", { name: "Post job" }).click();
    await page.getByRole("heading", { name: /^Job #\d+/ }).waitFor({ timeout: 60_000 });
    const jobId = jobIdOf(page);
    await page.getByRole("img", { name: /Price rises from 0.5 PWT to 2 PWT over 20 s/ }).waitFor();
    await page.getByText("Predicted class:").waitFor({ timeout: 120_000 });
    const job = await new RequesterClient(deployment, node.provider).getJob(jobId);
    expect(job.terms.rampDuration).to.equal(20);
    expect(job.price >= WORKER_MIN_PRICE && job.price < parseEther("2"), `claimed at ${job.price}`).to.equal(
      true,
    );
    expect(await page.getByRole("img", { name: /Price rises/ }).textContent()).to.match(
      /claimed at: 1(\.\d+)? PWT/,
    );
    await shot(page, "job-auction");
  });

  it("test_app_cancelOpenJob_refundsTheEscrow", async function () {
    const page = await openPage();
    await ready(page);
    await useDevWallet(page, DEV_ACCOUNT);
    await page.getByRole("button", { name: "Draw a sample 4" }).click();
    // below the worker's minimum price: nobody claims it
    await page.getByLabel("Price (PWT)").fill("0.5");
    const token = new RequesterClient(deployment, node.provider).contracts.token;
    const before = await token.balanceOf(DEV_ADDRESS);
    await page.getByRole("button", { name: "Post job" }).click();
    await page.getByRole("heading", { name: /^Job #\d+/ }).waitFor({ timeout: 60_000 });
    await page.getByRole("timer", { name: "Claim deadline in" }).waitFor();
    expect(await token.balanceOf(DEV_ADDRESS)).to.equal(before - parseEther("0.5"));
    await shot(page, "job-open");

    await page.getByRole("button", { name: "Cancel and refund 0.5 PWT" }).click();
    await page.getByText(/cancelled: 0\.5 PWT refunded to you/).waitFor({ timeout: 60_000 });
    await page
      .getByRole("list", { name: "Job lifecycle" })
      .getByText("0.5 PWT refunded to the requester")
      .waitFor();
    expect(await token.balanceOf(DEV_ADDRESS)).to.equal(before);
    await shot(page, "job-cancelled");
  });

  it("test_app_explore_listsJobsProvidersAndModels", async function () {
    const page = await openPage({ hash: "#/explore" });
    await page.getByRole("heading", { name: "Explore the market" }).waitFor({ timeout: 60_000 });
    await waitFor(
      async () => Number(await page.getByTestId("total-jobs").textContent()) >= 3,
      30_000,
      "3 jobs",
    );
    const jobs = page.getByRole("table").first();
    await page.getByLabel("Status").selectOption("Cancelled");
    expect(await jobs.getByRole("row").count()).to.equal(2); // header + the cancelled job
    await page.getByLabel("Status").selectOption("");
    const providers = page.getByRole("region", { name: "Providers" });
    await providers.getByText("test CPU · cpu, wasm · 2 at once").waitFor();
    const models = page.getByRole("region", { name: "Models" });
    await models.getByText(CIRCUIT).waitFor();
    // the circuit's constraints, from the deployment record (its build)
    const built = JSON.parse(
      readFileSync(join(ROOT, "build", "circuits", CIRCUIT, "manifest.json"), "utf8"),
    ) as {
      constraints: number;
    };
    await models
      .getByRole("cell", { name: built.constraints.toLocaleString("en-US"), exact: true })
      .waitFor();
    await page.getByText(/post \+ claim \+ submit \+ collect share/).waitFor({ timeout: 30_000 });
    await shot(page, "explore");

    // phone width: no sideways scrolling of the page itself
    const phone = await openPage({ width: 390, height: 844 });
    await ready(phone);
    // keyboard only: a sample digit, then its committed bytes
    await phone.getByRole("button", { name: "Draw a sample 7" }).focus();
    await phone.keyboard.press("Enter");
    await phone.getByRole("heading", { name: "What the circuit commits to" }).waitFor();
    await shot(phone, "post-phone");
    const overflow = await phone.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).to.be.at.most(0);
  });

  it("test_app_reclaimAndSlash_offeredOnceTheirDeadlinesPass", async function () {
    const dev = (i: number) =>
      HDNodeWallet.fromPhrase(
        "test test test test test test test test test test test junk",
        undefined,
        `m/44'/60'/0'/0/${i}`,
      );
    // two jobs below the worker's minimum price, posted by the dev wallet's account through the SDK
    const requester = new RequesterClient(
      deployment,
      createSigner(dev(DEV_ACCOUNT).privateKey, node.provider),
    );
    const post = () =>
      requester.postJob({
        circuit: CIRCUIT,
        input: new Uint8Array(196).fill(9),
        pricing: { price: parseEther("0.25") },
        claimPeriod: 30,
        executionWindow: 60,
      });
    const unclaimed = await post();
    const abandoned = await post();
    // another provider claims the second one and never proves it
    const lazy = createSigner(dev(5).privateKey, node.provider);
    const account = new ProviderAccount(deployment, lazy);
    await account.faucet(parseEther("200"));
    await account.stake(parseEther("150"));
    await account.register({
      gpuModel: "idle",
      memoryMB: 1,
      backends: ["cpu"],
      maxConcurrentJobs: 1,
      metadataURI: "",
    });
    await (await account.contracts.market.claim(abandoned.jobId, abandoned.terms)).wait();
    // two minutes later: past the claim deadline of one and the proof deadline of the other
    await node.provider.send("evm_increaseTime", [120]);
    await node.provider.send("evm_mine", []);

    const page = await openPage({ hash: `#/job/${unclaimed.jobId}` });
    await useDevWallet(page, DEV_ACCOUNT);
    await page
      .getByRole("timer", { name: "Claim deadline in" })
      .getByText(/passed/)
      .waitFor();
    await page.getByRole("button", { name: "Reclaim the escrow (0.25 PWT to the requester)" }).click();
    await page.getByRole("heading", { name: /^Job #\d+ Reclaimed$/ }).waitFor({ timeout: 60_000 });
    await page
      .getByRole("list", { name: "Job lifecycle" })
      .getByText("0.25 PWT refunded to the requester")
      .waitFor();

    await page.goto(`${appUrl}#/job/${abandoned.jobId}`);
    await page.getByRole("heading", { name: /^Job #\d+ Claimed$/ }).waitFor({ timeout: 60_000 });
    await page
      .getByRole("timer", { name: "Proof due in" })
      .getByText(/passed/)
      .waitFor();
    await shot(page, "job-expired");
    await page.getByRole("button", { name: "Slash the provider (it missed the deadline)" }).click();
    await page.getByRole("heading", { name: /^Job #\d+ Slashed$/ }).waitFor({ timeout: 60_000 });
    await page
      .getByRole("list", { name: "Job lifecycle" })
      .getByText(/collateral split: 0\.125 PWT to the requester/)
      .waitFor();
    await shot(page, "job-slashed");
  });
});
