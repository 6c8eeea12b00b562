/**
 * Batch jobs in the web app, in a real browser (headless Chromium through playwright-core) against
 * the in-process chain served over JSON-RPC with the deployed contracts and the app's dev server:
 * pick the published MNIST held-out digits (N = 64) → the page computes the inputs root and hash
 * with the SDK → k = 4 with its detection-probability table (the SDK's values) and the minimum
 * collateral rule → approve + post. The provider side is driven from this test with the batch
 * helper (claim, commit, real `mnist_mlp_small_b1` Groth16 proofs of the drawn samples): the page
 * shows the sampled indices and "Proven", "download & verify outputs" checks both files against
 * the chain and shows the predictions and their accuracy, a challenge of two other indices is
 * answered with real proofs and the page shows "Paid". Also: a JSON tensor uploaded through the
 * dev server's endpoint, and the explorer's batch table. Screenshots go to test-results/app/.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ZeroHash, keccak256, parseEther, type Signer } from "ethers";
import { loadBuiltCircuit } from "../../circuits/pipeline.ts";
import type { NetworkConnection } from "hardhat/types/network";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import {
  ROOT,
  connectNetwork,
  deployProofwork,
  freePort,
  getHre,
  startChild,
  waitFor,
  type Child,
} from "../../deploy/index.ts";
import {
  BatchClient,
  BatchStatus,
  DETECTION_TABLE_FRACTIONS,
  ProviderAccount,
  buildBatchInputs,
  connectContracts,
  decodePredictions,
  detectionProbability,
  encodeOutputsFile,
  minimumBatchCollateral,
  releaseSnarkjs,
  rootHex,
  samplingTrees,
  writeDeployment,
  type BatchMarket,
  type BatchRecord,
  type BatchTerms,
  type Deployment,
} from "../../sdk/node.ts";
import { publishMnistDataset } from "../../app/mnist-datasets.ts";
import { heldOutInterleaved } from "../../model/data.ts";
import {
  BATCH_CIRCUIT,
  batchRecordOf,
  batchTermsOf,
  committedTree,
  drawnIndices,
  loadBatchDataset,
  samplingProofs,
  sampleProofs,
  type BatchDataset,
} from "../helpers/batch.ts";

const N = 64;
/** The small model's sampling circuit (4 samples per proof, trees of depth 10). */
const SAMPLING_CIRCUIT = "mnist_mlp_small_s4d10";
const SHOTS = join(ROOT, "test-results", "app");
/** The page's dev wallet uses Hardhat account #3 (the requester); #1 is the provider. */
const DEV_ACCOUNT = 3;
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

describe("app: batch jobs in a real browser (real proofs)", function () {
  this.timeout(600_000);
  let dir: string;
  let datasetDir: string;
  let conn: NetworkConnection;
  let closeServer: () => Promise<void>;
  let deployment: Deployment;
  let provider: Signer;
  let market: BatchMarket;
  let ds: BatchDataset;
  let vite: Child;
  let appUrl: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  let lastPage: Page | undefined;

  before(async function () {
    const executablePath = execFileSync("bash", [join(ROOT, "scripts", "browser.sh")], {
      encoding: "utf8",
    }).trim();
    ds = await loadBatchDataset(N);
    dir = mkdtempSync(join(tmpdir(), "pw-app-batch-"));
    datasetDir = join(dir, "datasets");
    const hre = await getHre();
    const server = await hre.network.createServer("default", "127.0.0.1", 0);
    const { port: rpcPort } = await server.listen();
    closeServer = () => server.close();
    const rpc = `http://127.0.0.1:${rpcPort}`;
    conn = await connectNetwork(hre, { network: "localhost", rpcUrl: rpc });
    ({ deployment } = await deployProofwork(conn, {
      circuits: [BATCH_CIRCUIT, SAMPLING_CIRCUIT],
      networkName: "localhost",
      writeRecord: false,
    }));
    const deploymentFile = join(dir, "deployment.json");
    writeDeployment(deploymentFile, deployment);
    provider = (await conn.ethers.getSigners())[1]!;
    const p = new ProviderAccount(deployment, provider);
    await p.faucet(parseEther("1000"));
    await p.stake(parseEther("500"));
    await p.register({
      gpuModel: "cpu",
      memoryMB: 1024,
      backends: ["cpu", "wasm"],
      maxConcurrentJobs: 4,
      metadataURI: "",
    });
    market = connectContracts(deployment, provider).batchMarket!;

    // the published dataset, as `npm run app:local` writes it
    const entry = publishMnistDataset(datasetDir, BATCH_CIRCUIT, ds.artifact, N);
    expect(new Uint8Array(readFileSync(join(datasetDir, entry.file)))).to.deep.equal(ds.inputsFile);
    publishMnistDataset(datasetDir, SAMPLING_CIRCUIT, ds.artifact, N);

    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}/`;
    vite = startChild(
      join(ROOT, "node_modules", ".bin", "vite"),
      ["--config", join(ROOT, "app", "vite.config.ts"), "--port", String(port), "--strictPort"],
      { PROOFWORK_RPC_URL: rpc, PROOFWORK_DEPLOYMENT: deploymentFile, PROOFWORK_DATASET_DIR: datasetDir },
    );
    await waitFor(
      async () => {
        if (vite.proc.exitCode !== null) throw new Error(`vite exited:\n${vite.output()}`);
        return (await fetch(`${appUrl}config.json`).catch(() => undefined))?.ok === true;
      },
      60_000,
      "app server",
    );
    browser = await chromium.launch({ executablePath, args: BROWSER_ARGS });
    mkdirSync(SHOTS, { recursive: true });
  });

  after(async function () {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    vite?.signal("SIGTERM");
    await vite?.exited;
    await releaseSnarkjs();
    await conn?.close();
    await closeServer?.();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async function () {
    if (this.currentTest?.state !== "failed") {
      expect(pageErrors, "uncaught errors in the page").to.deep.equal([]);
      return;
    }
    const name = (this.currentTest.title || "unknown").replace(/[^A-Za-z0-9_]/g, "_");
    await lastPage
      ?.screenshot({ path: join(SHOTS, `FAILED-${name}.png`), fullPage: true })
      .catch(() => undefined);
  });

  async function openPage(hash: string, width = 1280, height = 900): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height } });
    contexts.push(context);
    const page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(`${appUrl}${hash}`);
    lastPage = page;
    return page;
  }
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const overflow = (page: Page) =>
    page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
  const pct = (p: number) => `${(100 * p).toFixed(2)}%`;

  /**
   * The provider (helper) claims `jobId` and commits `root` with the true outputs file published
   * next to the datasets (where the page downloads it); returns the record after the commit.
   */
  async function claimAndCommit(jobId: bigint, terms: BatchTerms, root: string): Promise<BatchRecord> {
    await (await market.claim(jobId, terms)).wait();
    const record = await batchRecordOf(market, jobId);
    const outputsFile = encodeOutputsFile(ds.outputs);
    const outputsName = `${keccak256(outputsFile).slice(2)}.outputs.bin`;
    writeFileSync(join(datasetDir, outputsName), outputsFile);
    await (
      await market.commit(
        jobId,
        terms,
        record.claimedAt,
        root,
        keccak256(outputsFile),
        `${appUrl}datasets/${outputsName}`,
      )
    ).wait();
    return batchRecordOf(market, jobId);
  }

  async function useDevWallet(page: Page): Promise<void> {
    await page.getByLabel("Dev account").selectOption(String(DEV_ACCOUNT));
    await page.getByRole("button", { name: "Use dev wallet" }).click();
    await page.getByText(`Dev wallet · Hardhat account #${DEV_ACCOUNT}`).waitFor();
  }

  it("test_appBatch_pickDataset_k4Table_post_proven_verifyOutputs_challengeAnswered_paid", async () => {
    const page = await openPage("#/post");
    await page.getByRole("heading", { name: "Post an inference job" }).waitFor({ timeout: 60_000 });
    // the Post page's second mode
    await page.getByRole("link", { name: "Batch (dataset)" }).click();
    await page.getByRole("heading", { name: "Post a batch job" }).waitFor();
    await useDevWallet(page);

    // pick the published digits: the page downloads the file and computes root and hash (SDK)
    await page
      .getByLabel("Dataset", { exact: true })
      .selectOption({ label: `MNIST held-out digits (${N}) · ${N} samples` });
    await page.getByTestId("inputs-root").waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("inputs-root").textContent()).to.equal(ds.inputs_.root);
    expect(await page.getByTestId("inputs-hash").textContent()).to.equal(keccak256(ds.inputsFile));
    expect(await page.getByTestId("num-samples").textContent()).to.equal(String(N));

    // k = 4: the detection table is the SDK's (and docs/BATCH.md's) column for k = 4
    await page.getByLabel("Samples proven on-chain (k)").fill("4");
    const docs: Record<number, string> = { 0.001: "0.40%", 0.01: "3.94%", 0.1: "34.39%" };
    for (const f of DETECTION_TABLE_FRACTIONS) {
      const cell = (await page.getByTestId(`detection-${f}`).first().textContent())!;
      expect(cell).to.equal(pct(detectionProbability(f, 4)));
      expect(cell).to.equal(docs[f]);
    }
    // k above N is refused in words
    await page.getByLabel("Samples proven on-chain (k)").fill("65");
    await page.getByText("k must be a whole number from 1 to 64").waitFor();
    await page.getByLabel("Samples proven on-chain (k)").fill("4");

    await page.getByLabel("Challenges you may make (m)").fill("2");
    await page.getByLabel("Bond per challenged index (PWT)").fill("1");
    await page.getByLabel("Price (PWT)").fill("10");
    // the SDK's collateral rule: an outside gain of 0.5 PWT per faked output over 64 samples
    await page.getByLabel("Outside gain per faked output (PWT)").fill("0.5");
    const min = minimumBatchCollateral({
      gainPerSample: parseEther("0.5"),
      numSamples: N,
      price: parseEther("10"),
      sampleSize: 4,
    });
    expect(min).to.equal(parseEther("22"));
    await page.getByLabel("Collateral (PWT)").fill("20");
    const minLine = page.getByTestId("min-collateral");
    expect(await minLine.textContent()).to.match(
      /Minimum collateral.*: 22 PWT — the collateral above is lower/,
    );
    await page.getByLabel("Collateral (PWT)").fill("25");
    await minLine.getByText("cheating could pay").waitFor({ state: "detached" });

    // no PWT yet: the page offers the test faucet
    const noBalance = page.getByRole("alert").filter({ hasText: "Not enough PWT" });
    await noBalance.getByRole("button", { name: /test faucet/ }).click();
    await noBalance.waitFor({ state: "detached" });
    await shot(page, "batch-post");
    await page.getByRole("button", { name: "Post batch job" }).click();
    await page.getByRole("heading", { name: /^Batch job #\d+/ }).waitFor({ timeout: 60_000 });
    const jobId = BigInt(/#\/batch\/(\d+)/.exec(page.url())![1]!);
    const terms = await batchTermsOf(market, jobId);
    expect(terms.inputsRoot).to.equal(ds.inputs_.root);
    expect(terms.numSamples).to.equal(N);
    expect(terms.sampleSize).to.equal(4);
    expect(terms.maxChallenges).to.equal(2);
    expect(terms.challengeBond).to.equal(parseEther("1"));
    expect(terms.collateral).to.equal(parseEther("25"));
    await page.getByRole("heading", { name: /^Batch job #\d+ Open$/ }).waitFor();

    // the provider (helper): claim, commit the true outputs published next to the datasets, prove
    let record = await claimAndCommit(jobId, terms, committedTree(ds).root);
    await page.getByRole("heading", { name: /^Batch job #\d+ Committed$/ }).waitFor({ timeout: 30_000 });
    await conn.ethers.provider.send("hardhat_mine", ["0x5"]);
    const { indices, header } = await drawnIndices(conn.ethers, market, jobId, terms, record.sampleBlock);
    const jobKey = await market.jobKey(jobId, record.provider);
    const proofs = await sampleProofs(ds, jobKey, indices, committedTree(ds), ds.outputs);
    await (await market.prove(jobId, terms, record, header, ds.key, proofs)).wait();

    await page.getByRole("heading", { name: /^Batch job #\d+ Proven$/ }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("sampled-indices").textContent()).to.equal(indices.join(", "));
    await page.getByRole("timer", { name: "Challenge window closes in" }).waitFor();
    await shot(page, "batch-job-proven");

    // download & verify: both files against the chain, predictions and accuracy
    await page.getByRole("button", { name: "Download & verify outputs" }).click();
    await page.getByText(`✓ Outputs verified: ${N} predictions match the committed root`).waitFor({
      timeout: 60_000,
    });
    const checks = page.getByRole("list", { name: "Outputs checks" }).getByRole("listitem");
    expect(await checks.count()).to.equal(5);
    for (const text of await checks.allTextContents()) expect(text).to.match(/: passed$/);
    const expected = ds.outputs.map((r) => decodePredictions(ds.artifact, r)[0]!.predicted);
    const labels = heldOutInterleaved()
      .slice(0, N)
      .map((s) => s.label);
    const correct = expected.filter((p, i) => p === labels[i]).length;
    expect(await page.getByTestId("accuracy").textContent()).to.contain(`${correct}/${N}`);
    const items = page.getByRole("list", { name: "Predictions" }).getByRole("listitem");
    expect(await items.count()).to.equal(N);
    for (const i of [0, 1, indices[0]!]) {
      expect(await items.nth(i).locator("strong").textContent()).to.equal(String(expected[i]));
    }
    await shot(page, "batch-job-verified");

    // challenge two indices sampling did not draw: bond shown, one transaction
    const doubted = [...Array(N).keys()].filter((i) => !indices.includes(i)).slice(0, 2);
    await page.getByLabel("Indices to challenge").fill(`${doubted[1]}, ${doubted[0]}`);
    await page.getByText("bond: 2 PWT for 2 indices").waitFor();
    await page.getByRole("button", { name: "Challenge", exact: true }).click();
    await page.getByRole("heading", { name: /^Batch job #\d+ Challenged$/ }).waitFor({ timeout: 60_000 });
    record = await batchRecordOf(market, jobId);
    expect(record.challenged).to.deep.equal(doubted);
    await page.getByRole("timer", { name: "Answers due in" }).waitFor();

    // the provider answers with real proofs: paid
    const answers = await sampleProofs(ds, jobKey, doubted, committedTree(ds), ds.outputs);
    await (await market.answer(jobId, terms, record, ds.key, answers)).wait();
    expect(Number((await market.getBatch(jobId)).status)).to.equal(BatchStatus.Paid);
    await page.getByRole("heading", { name: /^Batch job #\d+ Paid$/ }).waitFor({ timeout: 30_000 });
    const lifecycle = page.getByRole("list", { name: "Batch job lifecycle" });
    await lifecycle.getByText("every challenged output proven").waitFor();
    await lifecycle.getByText(/PWT to the provider/).waitFor();
    await shot(page, "batch-job-paid");

    // phone width: the job page does not scroll sideways
    const phone = await openPage(`#/batch/${jobId}`, 390, 844);
    await phone.getByRole("heading", { name: /^Batch job #\d+ Paid$/ }).waitFor({ timeout: 60_000 });
    expect(await overflow(phone)).to.be.at.most(0);
    await shot(phone, "batch-job-phone");

    // the explorer lists it
    const explore = await openPage("#/explore");
    const table = explore.getByRole("table", { name: "Batch jobs" });
    await table.getByRole("link", { name: `#${jobId}` }).waitFor({ timeout: 60_000 });
    await table
      .getByRole("row")
      .filter({ hasText: `#${jobId}` })
      .getByText("Paid")
      .waitFor();
  });

  it("test_appBatch_uploadJsonTensor_publishedAndCommittedLikeTheSdk_atPhoneWidthByKeyboard", async () => {
    const page = await openPage("#/post/batch", 390, 844);
    await page.getByRole("heading", { name: "Post a batch job" }).waitFor({ timeout: 60_000 });
    // keyboard: choose the upload source
    await page.getByLabel("Upload a .npy / .json tensor").focus();
    await page.keyboard.press("Space");
    const digits = heldOutInterleaved().slice(0, 8);
    const tensor = digits.map((d) =>
      Array.from({ length: 28 }, (_, r) => Array.from(d.image.subarray(r * 28, r * 28 + 28))),
    );
    await page.getByLabel("Tensor file (.npy or .json, samples first)").setInputFiles({
      name: "eight.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify(tensor)),
    });
    await page.getByTestId("inputs-root").waitFor({ timeout: 60_000 });
    // the same digits through the SDK (as the CLI would commit them)
    const sdk = await buildBatchInputs(ds.inputs.slice(0, 8));
    expect(await page.getByTestId("num-samples").textContent()).to.equal("8");
    expect(await page.getByTestId("inputs-root").textContent()).to.equal(sdk.inputsRoot);
    expect(await page.getByTestId("inputs-hash").textContent()).to.equal(sdk.inputsHash);
    // published by the dev server: the URL serves exactly the committed file
    const uri = (await page.getByText(/\/datasets\/[0-9a-f]{64}\.inputs\.bin$/).textContent())!;
    const served = new Uint8Array(await (await fetch(uri)).arrayBuffer());
    expect(keccak256(served)).to.equal(sdk.inputsHash);
    // k is bounded by N = 8
    await page.getByLabel("Samples proven on-chain (k)").fill("9");
    await page.getByText("k must be a whole number from 1 to 8").waitFor();
    await page.getByLabel("Samples proven on-chain (k)").fill("8");
    for (const f of DETECTION_TABLE_FRACTIONS) {
      expect(await page.getByTestId(`detection-${f}`).textContent()).to.equal(
        pct(detectionProbability(f, 8)),
      );
    }
    expect(await overflow(page)).to.be.at.most(0);
    await shot(page, "batch-post-phone");

    // a file that is not a tensor: one plain line
    await page.getByLabel("Tensor file (.npy or .json, samples first)").setInputFiles({
      name: "bad.json",
      mimeType: "application/json",
      buffer: Buffer.from("{ not json"),
    });
    const alert = page.getByRole("alert").filter({ hasText: "This dataset cannot be used" });
    await alert.waitFor();
    expect(await alert.textContent()).to.match(/bad\.json: /);
    expect(await alert.textContent()).to.not.match(/\n\s+at /);
  });

  it("test_appBatch_reclaimAndSlash_offeredOnceTheirDeadlinesPass", async () => {
    // two small jobs posted by the dev wallet's account through the SDK; the provider claims the
    // second and never commits
    const requester = (await conn.ethers.getSigners())[DEV_ACCOUNT]!;
    await new ProviderAccount(deployment, requester).faucet(parseEther("10"));
    const inputs = await buildBatchInputs(ds.inputs.slice(0, 4));
    const client = new BatchClient(deployment, requester);
    const post = () =>
      client.postBatch({
        circuit: BATCH_CIRCUIT,
        inputs,
        inputsURI: `${appUrl}datasets/none.inputs.bin`,
        key: { vkey: ds.vkey },
        sampleSize: 2,
        maxChallenges: 0,
        pricing: { price: parseEther("2") },
        collateral: parseEther("4"),
        claimPeriod: 30,
      });
    const unclaimed = await post();
    const abandoned = await post();
    await (await market.claim(abandoned.jobId, abandoned.terms)).wait();
    // past the claim deadline of one and the commit deadline (1 h) of the other
    await conn.ethers.provider.send("evm_increaseTime", [4000]);
    await conn.ethers.provider.send("evm_mine", []);

    const page = await openPage(`#/batch/${unclaimed.jobId}`);
    await useDevWallet(page);
    await page
      .getByRole("timer", { name: "Claim deadline in" })
      .getByText(/passed/)
      .waitFor({ timeout: 60_000 });
    await page.getByRole("button", { name: "Reclaim the escrow (2 PWT to the requester)" }).click();
    await page.getByRole("heading", { name: /^Batch job #\d+ Reclaimed$/ }).waitFor({ timeout: 60_000 });
    await page
      .getByRole("list", { name: "Batch job lifecycle" })
      .getByText("2 PWT refunded to the requester")
      .waitFor();
    expect(Number((await market.getBatch(unclaimed.jobId)).status)).to.equal(BatchStatus.Reclaimed);

    await page.goto(`${appUrl}#/batch/${abandoned.jobId}`);
    await page.getByRole("heading", { name: /^Batch job #\d+ Claimed$/ }).waitFor({ timeout: 60_000 });
    await page
      .getByRole("timer", { name: "Commit due in" })
      .getByText(/passed/)
      .waitFor();
    await page.getByRole("button", { name: "Slash the provider (it missed the deadline)" }).click();
    await page.getByRole("heading", { name: /^Batch job #\d+ Slashed$/ }).waitFor({ timeout: 60_000 });
    await page
      .getByRole("list", { name: "Batch job lifecycle" })
      .getByText(/of the collateral to the requester/)
      .waitFor();
    expect(Number((await market.getBatch(abandoned.jobId)).status)).to.equal(BatchStatus.Slashed);
    await shot(page, "batch-job-slashed");
  });

  it("test_appBatch_samplingCircuit_postedWithItsShape_provenByTwoProofs_outputsVerifiedInThePage", async () => {
    const page = await openPage("#/post/batch");
    await page.getByRole("heading", { name: "Post a batch job" }).waitFor({ timeout: 60_000 });
    await useDevWallet(page);
    // the sampling circuit's card says what it is; choosing it makes the page build Poseidon trees
    const card = page.getByRole("radio", { name: new RegExp(SAMPLING_CIRCUIT) });
    await card.check();
    await page.getByText("Proofs: 4 samples per proof (sampling circuit, trees of depth 10)").waitFor();
    await page
      .getByLabel("Dataset", { exact: true })
      .selectOption({ label: `MNIST held-out digits (${N}) · ${N} samples` });
    await page.getByTestId("inputs-root").waitFor({ timeout: 60_000 });
    const trees = await samplingTrees(ds.artifact, ds.commitments, ds.outputs, 10);
    expect(await page.getByTestId("inputs-root").textContent()).to.equal(rootHex(trees.inputs.root));
    await page.getByLabel("Samples proven on-chain (k)").fill("6");
    await page.getByLabel("Price (PWT)").fill("10");
    await page.getByLabel("Collateral (PWT)").fill("10");
    // (the dev account has PWT from the faucet of the tests above)
    await page.getByRole("button", { name: "Post batch job" }).click();
    await page.getByRole("heading", { name: /^Batch job #\d+/ }).waitFor({ timeout: 60_000 });
    const jobId = BigInt(/#\/batch\/(\d+)/.exec(page.url())![1]!);
    const terms = await batchTermsOf(market, jobId);
    expect([terms.slots, terms.treeDepth, terms.keyHash]).to.deep.equal([4, 10, ZeroHash]);

    // the provider (helper): claim, commit the Poseidon root, prove the 6 drawn samples in 2 proofs
    const record = await claimAndCommit(jobId, terms, rootHex(trees.outputs.root));
    await conn.ethers.provider.send("hardhat_mine", ["0x5"]);
    const { indices, header } = await drawnIndices(conn.ethers, market, jobId, terms, record.sampleBlock);
    const jobKey = await market.jobKey(jobId, record.provider);
    const proofs = await samplingProofs(ds, await loadBuiltCircuit(SAMPLING_CIRCUIT), {
      jobKey,
      slots: 4,
      trees,
      indices,
    });
    expect(proofs).to.have.length(2);
    await (await market.proveSampled(jobId, terms, record, header, proofs)).wait();
    await page.getByRole("heading", { name: /^Batch job #\d+ Proven$/ }).waitFor({ timeout: 30_000 });

    // the page checks the outputs against the committed Poseidon root
    await page.getByRole("button", { name: "Download & verify outputs" }).click();
    await page.getByText(`✓ Outputs verified: ${N} predictions match the committed root`).waitFor({
      timeout: 60_000,
    });
    const checks = page.getByRole("list", { name: "Outputs checks" }).getByRole("listitem");
    for (const text of await checks.allTextContents()) expect(text).to.match(/: passed$/);
    await shot(page, "batch-job-sampling-verified");
  });
});
