/**
 * Batch jobs from the requester's CLI (docs/BATCH.md), each command run as a real subprocess
 * against the in-process chain served over JSON-RPC, with the provider side driven by the batch
 * test helper (real `mnist_mlp_small_b1` Groth16 proofs, real held-out MNIST digits):
 * `job post --batch mnist:test:64` → claim, commit, prove → `job results` checks the outputs against
 * the committed root and prints predictions and accuracy → `job challenge` → answered → paid.
 * Needs `npx tsx circuits/build.ts --profile test` (as every batch test). A tampered outputs file, a root over other outputs, and user mistakes each give one coded line.
 */
import { expect } from "chai";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ZeroHash, keccak256, parseEther, type Signer } from "ethers";
import { PNG } from "pngjs";
import { heldOutInterleaved } from "../../model/data.ts";
import type { NetworkConnection } from "hardhat/types/network";
import { connectNetwork, deployProofwork, getHre } from "../../deploy/index.ts";
import {
  BatchStatus,
  ProviderAccount,
  buildBatchInputs,
  readJobInput,
  connectContracts,
  decodePredictions,
  encodeOutputsFile,
  releaseSnarkjs,
  rootHex,
  samplingTrees,
  writeDeployment,
  type BatchMarket,
  type Deployment,
} from "../../sdk/node.ts";
import {
  BATCH_CIRCUIT,
  batchRecordOf,
  batchTermsOf,
  committedTree,
  drawnIndices,
  fakeOutputs,
  loadBatchDataset,
  sampleProofs,
  type BatchDataset,
} from "../helpers/batch.ts";
import { runCli, type CliRun } from "../helpers/cli.ts";

/** Hardhat's default account #1 (the requester here). */
const REQUESTER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const N = 64;
/** The small model's sampling circuit (4 samples per proof, trees of depth 10). */
const SAMPLING_CIRCUIT = "mnist_mlp_small_s4d10";

/** Held-out digit `i` as a 28×28 grey PNG. */
function writeDigitPng(file: string, i: number): void {
  const image = heldOutInterleaved()[i]!.image;
  const png = new PNG({ width: 28, height: 28 });
  for (let p = 0; p < 784; p++) {
    png.data[4 * p] = png.data[4 * p + 1] = png.data[4 * p + 2] = image[p]!;
    png.data[4 * p + 3] = 255;
  }
  writeFileSync(file, PNG.sync.write(png));
}

function expectOneLineError(r: CliRun, code: string, contains?: string): void {
  const lines = r.stderr.trim().split("\n");
  expect(r.code, `stderr: ${r.stderr}`).to.equal(1);
  expect(lines, r.stderr).to.have.length(1);
  expect(lines[0]).to.match(new RegExp(`^error\\[${code}\\]: `));
  expect(r.stderr).to.not.match(/\n\s+at /);
  if (contains !== undefined) expect(lines[0]).to.contain(contains);
}

describe("cli: batch jobs (post --batch, results, challenge) with real proofs", function () {
  this.timeout(600_000);
  let dir: string;
  let conn: NetworkConnection;
  let close: () => Promise<void>;
  let deployment: Deployment;
  let env: Record<string, string>;
  let provider: Signer;
  let market: BatchMarket;
  let ds: BatchDataset;

  async function cli(args: string[], extra: Record<string, string> = {}): Promise<CliRun> {
    return runCli(args, { ...env, ...extra }, dir);
  }
  async function ok(args: string[], extra: Record<string, string> = {}): Promise<Record<string, unknown>> {
    const r = await cli(["--json", ...args], extra);
    expect(r.code, `proofwork ${args.join(" ")}\n${r.stderr}`).to.equal(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }
  const asRequester = { PROOFWORK_PRIVATE_KEY: REQUESTER_KEY };

  /** The provider claims and commits to `outputs` (default: the true ones), published at a file. */
  async function claimAndCommit(
    jobId: bigint,
    o: { root?: string; file?: Uint8Array; name: string },
  ): Promise<{ outputsPath: string }> {
    const terms = await batchTermsOf(market, jobId);
    await (await market.claim(jobId, terms)).wait();
    const record = await batchRecordOf(market, jobId);
    const file = o.file ?? encodeOutputsFile(ds.outputs);
    const outputsPath = join(dir, o.name);
    writeFileSync(outputsPath, file);
    await (
      await market.commit(
        jobId,
        terms,
        record.claimedAt,
        o.root ?? committedTree(ds).root,
        keccak256(file),
        pathToFileURL(outputsPath).href,
      )
    ).wait();
    return { outputsPath };
  }

  before(async () => {
    ds = await loadBatchDataset(N);
    dir = mkdtempSync(join(tmpdir(), "proofwork-cli-batch-"));
    const hre = await getHre();
    const server = await hre.network.createServer("default", "127.0.0.1", 0);
    const { port } = await server.listen();
    close = () => server.close();
    const rpc = `http://127.0.0.1:${port}`;
    conn = await connectNetwork(hre, { network: "localhost", rpcUrl: rpc });
    ({ deployment } = await deployProofwork(conn, {
      circuits: [BATCH_CIRCUIT, SAMPLING_CIRCUIT],
      networkName: "localhost",
      writeRecord: false,
    }));
    const deploymentFile = join(dir, "deployment.json");
    writeDeployment(deploymentFile, deployment);
    const signers = await conn.ethers.getSigners();
    provider = signers[2]!;
    await new ProviderAccount(deployment, signers[1]!).faucet(parseEther("1000"));
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
    env = {
      PROOFWORK_RPC_URL: rpc,
      PROOFWORK_NETWORK: "localhost",
      PROOFWORK_DEPLOYMENT: deploymentFile,
      PROOFWORK_DATASET_DIR: join(dir, "datasets"),
    };
  });

  after(async () => {
    await releaseSnarkjs();
    await conn?.close();
    await close?.();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("test_cliBatch_samplingCircuit_postedWithItsShape_resultsVerifyThePoseidonRoot_singlePostRefused", async () => {
    // the deployment record carries the circuit's shape from its build
    expect(deployment.circuits[SAMPLING_CIRCUIT]!.sampling).to.deep.equal({ slots: 4, treeDepth: 10 });
    const postSampling = () =>
      ok(
        [
          "job",
          "post",
          "-c",
          SAMPLING_CIRCUIT,
          "--batch",
          `mnist:test:${N}`,
          "--samples",
          "6",
          "--price",
          "10",
        ],
        asRequester,
      );
    const posted = await postSampling();
    const jobId = BigInt(posted.jobId as string);
    const terms = await batchTermsOf(market, jobId);
    expect([terms.slots, terms.treeDepth, terms.keyHash]).to.deep.equal([4, 10, ZeroHash]);
    const trees = await samplingTrees(ds.artifact, ds.commitments, ds.outputs, 10);
    expect(posted.inputsRoot).to.equal(rootHex(trees.inputs.root));

    // the provider claims and commits the Poseidon root of the true outputs
    await claimAndCommit(jobId, { name: "outputs-sampling.bin", root: rootHex(trees.outputs.root) });
    const results = await ok(["job", "results", String(jobId), "--labels", "mnist"]);
    const expected = ds.outputs.map((r) => decodePredictions(ds.artifact, r)[0]!.predicted);
    expect(results.predictions).to.deep.equal(expected);
    // a root over other outputs is refused by the same check
    const other = await postSampling();
    const otherId = BigInt(other.jobId as string);
    const faked = await samplingTrees(ds.artifact, ds.commitments, fakeOutputs(ds.outputs, [5]), 10);
    await claimAndCommit(otherId, { name: "outputs-sampling-2.bin", root: rootHex(faked.outputs.root) });
    expectOneLineError(
      await cli(["--json", "job", "results", String(otherId)]),
      "OUTPUTS_MISMATCH",
      "outputsRoot",
    );

    // a single job on a sampling circuit is a user mistake with one readable line
    expectOneLineError(
      await cli(
        ["--json", "job", "post", "-c", SAMPLING_CIRCUIT, "--digit", "3", "--price", "1"],
        asRequester,
      ),
      "BAD_ARGUMENT",
      "sampling circuit",
    );
  });

  it("test_cliBatch_postMnist_proven_resultsVerifyWithAccuracy_challengeAnswered_paid", async () => {
    const posted = await ok(
      [
        "job",
        "post",
        "-c",
        BATCH_CIRCUIT,
        "--batch",
        `mnist:test:${N}`,
        "--samples",
        "4",
        "--price",
        "10",
        "--collateral",
        "20",
        "--challenges",
        "2",
        "--bond",
        "1",
      ],
      asRequester,
    );
    const jobId = BigInt(posted.jobId as string);
    expect(posted.numSamples).to.equal(N);
    // the CLI's inputs root is the helper's, from the same digits (one implementation of the rules)
    expect(posted.inputsRoot).to.equal(ds.inputs_.root);
    const inputsFile = readFileSync(posted.inputsFile as string);
    expect(keccak256(inputsFile)).to.equal(posted.inputsHash);
    expect(new Uint8Array(inputsFile)).to.deep.equal(ds.inputsFile);
    const terms = await batchTermsOf(market, jobId);
    expect(terms.sampleSize).to.equal(4);
    expect(terms.challengeBond).to.equal(parseEther("1"));

    // before a commit there are no results to check
    expectOneLineError(await cli(["job", "results", String(jobId)]), "BATCH_STATE", "not committed");

    // the provider: claim, commit the true outputs, prove the drawn samples (real proofs)
    await claimAndCommit(jobId, { name: "outputs-1.bin" });
    let record = await batchRecordOf(market, jobId);
    await conn.ethers.provider.send("hardhat_mine", ["0x5"]);
    const { indices, header } = await drawnIndices(conn.ethers, market, jobId, terms, record.sampleBlock);
    const jobKey = await market.jobKey(jobId, record.provider);
    const proofs = await sampleProofs(ds, jobKey, indices, committedTree(ds), ds.outputs);
    await (await market.prove(jobId, terms, record, header, ds.key, proofs)).wait();

    const shown = await ok(["job", "status", String(jobId), "--batch"]);
    expect((shown.job as { statusName: string }).statusName).to.equal("Proven");

    // results: downloads both files, checks them, decodes the predictions, scores them
    const csv = join(dir, "predictions.csv");
    const results = await ok(["job", "results", String(jobId), "--labels", "mnist", "--out", csv]);
    const expected = ds.outputs.map((r) => decodePredictions(ds.artifact, r)[0]!.predicted);
    expect(results.proven).to.equal(true);
    expect(results.numSamples).to.equal(N);
    expect(results.provenIndices).to.deep.equal(indices);
    expect(results.predictions).to.deep.equal(expected);
    const labels = heldOutInterleaved()
      .slice(0, N)
      .map((s) => s.label);
    const correct = expected.filter((p, i) => p === labels[i]).length;
    expect(results.correct).to.equal(correct);
    expect(correct / N).to.be.greaterThan(0.8); // a real model on real digits
    const lines = readFileSync(csv, "utf8").trim().split("\n");
    expect(lines).to.have.length(N + 1);
    expect(lines[1]).to.match(new RegExp(`^0,${expected[0]},${labels[0]},`));
    // human output: the accuracy line
    const human = await cli(["job", "results", String(jobId), "--labels", "mnist", "--show", "3"]);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.contain(`accuracy       ${correct}/${N}`);
    expect(human.stdout).to.contain("… 61 more");

    // challenge two indices sampling did not draw: bonds paid, the provider answers, the job is paid
    const doubted = [...Array(N).keys()].filter((i) => !indices.includes(i)).slice(0, 2);
    const token = connectContracts(deployment, provider).token;
    const requesterAddress = terms.requester;
    const before = await token.balanceOf(requesterAddress);
    expectOneLineError(
      await cli(["job", "challenge", String(jobId), "0", "1", "2"], asRequester),
      "BAD_ARGUMENT",
      "1 to 2",
    );
    const challenged = await ok(
      ["job", "challenge", String(jobId), String(doubted[1]), String(doubted[0])],
      asRequester,
    );
    expect(challenged.indices).to.deep.equal(doubted);
    expect(before - (await token.balanceOf(requesterAddress))).to.equal(parseEther("2"));
    record = await batchRecordOf(market, jobId);
    expect(record.challenged).to.deep.equal(doubted);
    expect(Number((await market.getBatch(jobId)).status)).to.equal(BatchStatus.Challenged);
    const answers = await sampleProofs(ds, jobKey, doubted, committedTree(ds), ds.outputs);
    await (await market.answer(jobId, terms, record, ds.key, answers)).wait();
    const paid = await ok(["job", "status", String(jobId), "--batch"]);
    expect((paid.job as { statusName: string }).statusName).to.equal("Paid");
    // a paid job takes no more challenges
    expectOneLineError(
      await cli(["job", "challenge", String(jobId), "5"], asRequester),
      "BATCH_STATE",
      "only a Proven job",
    );
  });

  it("test_cliBatch_results_tamperedFileOrOtherRoot_isOutputsMismatch", async () => {
    const post = async () =>
      BigInt(
        (
          await ok(
            [
              "job",
              "post",
              "-c",
              BATCH_CIRCUIT,
              "--batch",
              `mnist:test:${N}`,
              "--samples",
              "2",
              "--price",
              "1",
            ],
            asRequester,
          )
        ).jobId as string,
      );
    // an honest commit whose published file is tampered with afterwards
    const a = await post();
    const { outputsPath } = await claimAndCommit(a, { name: "outputs-a.bin" });
    const good = await ok(["job", "results", String(a)]);
    expect(good.proven).to.equal(false); // committed, not proven yet: checked against the root anyway
    const file = readFileSync(outputsPath);
    file[file.length - 1] ^= 1;
    writeFileSync(outputsPath, file);
    // (--json: no progress lines on stderr, only the error; stdout has it as JSON)
    const tampered = await cli(["--json", "job", "results", String(a)]);
    expectOneLineError(tampered, "OUTPUTS_MISMATCH", "outputsHash");
    expect(JSON.parse(tampered.stdout)).to.deep.include({ ok: false });
    // in human mode the progress lines come first and the error is the last line
    const human = await cli(["job", "results", String(a)]);
    expect(human.code).to.equal(1);
    expect(human.stderr.trim().split("\n").at(-1)).to.match(/^error\[OUTPUTS_MISMATCH\]: /);

    // a file that hashes right but is not the committed root's (the provider committed other outputs)
    const b = await post();
    await claimAndCommit(b, {
      name: "outputs-b.bin",
      root: committedTree(ds, fakeOutputs(ds.outputs, [7])).root,
    });
    expectOneLineError(await cli(["--json", "job", "results", String(b)]), "OUTPUTS_MISMATCH", "outputsRoot");

    // the honest file read from a local copy (--outputs) still fails against the other root
    expectOneLineError(
      await cli(["--json", "job", "results", String(b), "--outputs", join(dir, "outputs-b.bin")]),
      "OUTPUTS_MISMATCH",
      "outputsRoot",
    );
    // …and a local copy of job a's untampered outputs passes where the served file was tampered with
    const copy = join(dir, "outputs-a-copy.bin");
    writeFileSync(copy, encodeOutputsFile(ds.outputs));
    expect((await ok(["job", "results", String(a), "--outputs", copy])).numSamples).to.equal(N);
    // on a machine without the posting's commitments file the inputs are downloaded and checked
    const elsewhere = { PROOFWORK_DATASET_DIR: join(dir, "elsewhere") };
    const downloaded = await cli(["job", "results", String(a), "--outputs", copy], elsewhere);
    expect(downloaded.code, downloaded.stderr).to.equal(0);
    expect(downloaded.stderr).to.contain("→ inputs file://");
    expect(downloaded.stderr).to.not.contain("input commitments of the posted dataset");

    // a corrupted commitments file kept at post is refused (it must form the posted inputsRoot)
    const hash = (await batchTermsOf(market, b)).inputsHash.slice(2);
    const kept = join(dir, "datasets", `${hash}.commitments.bin`);
    const bytes = readFileSync(kept);
    bytes[31] ^= 1;
    writeFileSync(kept, bytes);
    expectOneLineError(await cli(["--json", "job", "results", String(a)]), "DATASET_INVALID", "inputsRoot");
    bytes[31] ^= 1;
    writeFileSync(kept, bytes);

    // an inputs file that is not the posted one
    const other = join(dir, "other-inputs.bin");
    writeFileSync(other, ds.inputsFile.slice().reverse());
    expectOneLineError(
      await cli(["--json", "job", "results", String(b), "--inputs", other]),
      "DATASET_INVALID",
      "inputsHash",
    );
  });

  it("test_cliBatch_userMistakesOneCodedLine_pictureFolderDataset", async () => {
    expectOneLineError(
      await cli(
        ["job", "post", "-c", BATCH_CIRCUIT, "--batch", "mnist:train", "--samples", "2", "--price", "1"],
        asRequester,
      ),
      "DATASET_INVALID",
      "mnist:test",
    );
    expectOneLineError(
      await cli(["job", "post", "-c", BATCH_CIRCUIT, "--batch", "mnist:test:8", "--price", "1"], asRequester),
      "BAD_ARGUMENT",
      "--samples",
    );
    expectOneLineError(
      await cli(
        [
          "job",
          "post",
          "-c",
          BATCH_CIRCUIT,
          "--batch",
          join(dir, "nothing-here"),
          "--samples",
          "2",
          "--price",
          "1",
        ],
        asRequester,
      ),
      "DATASET_INVALID",
      "no dataset",
    );
    expectOneLineError(
      await cli(
        ["job", "post", "-c", BATCH_CIRCUIT, "--batch", "mnist:test:8", "--samples", "9", "--price", "1"],
        asRequester,
      ),
      "BAD_NUMBER",
      "8 samples",
    );
    expectOneLineError(await cli(["job", "challenge", "1", "abc"], asRequester), "BAD_NUMBER", "abc");
    // a folder of pictures is a dataset too (sorted by name; the same bytes as single-job pictures)
    const folder = join(dir, "pictures");
    mkdirSync(folder);
    for (const i of [0, 1, 2]) writeDigitPng(join(folder, `${i}.png`), i);
    const fromFolder = await ok(
      ["job", "post", "-c", BATCH_CIRCUIT, "--batch", folder, "--samples", "2", "--price", "1"],
      asRequester,
    );
    expect(fromFolder.numSamples).to.equal(3);
    const want = await buildBatchInputs(
      [0, 1, 2].map((i) => readJobInput([join(folder, `${i}.png`)], ds.artifact)),
    );
    expect(fromFolder.inputsRoot).to.equal(want.inputsRoot);
    expectOneLineError(await cli(["job", "results", "999"]), "JOB_NOT_FOUND", "999");
    const help = await cli(["job", "results", "--help"]);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.contain("--labels");
  });

  it("test_cliList_singleAndBatchJobs_newestFirst_filteredByStatusAndRequester", async () => {
    const batchId = BigInt(
      (
        await ok(
          ["job", "post", "-c", BATCH_CIRCUIT, "--batch", `mnist:test:8`, "--samples", "2", "--price", "1"],
          asRequester,
        )
      ).jobId as string,
    );
    const singleId = String(
      (await ok(["job", "post", "-c", BATCH_CIRCUIT, "--digit", "3", "--price", "1"], asRequester)).jobId,
    );
    const { requester } = await batchTermsOf(market, batchId);

    // batch jobs: newest first, with status and terms; the filters narrow them
    const all = (await ok(["job", "list", "--batch"])).jobs as { jobId: string; statusName: string }[];
    expect(all[0]).to.deep.include({ jobId: String(batchId), statusName: "Open" });
    const ids = all.map((j) => BigInt(j.jobId));
    expect(ids).to.deep.equal([...ids].sort((a, b) => (a > b ? -1 : 1)));
    const open = (await ok(["job", "list", "--batch", "--status", "Open"])).jobs as { statusName: string }[];
    expect(open.length).to.be.greaterThan(0);
    expect(open.every((j) => j.statusName === "Open")).to.equal(true);
    const paid = (await ok(["job", "list", "--batch", "--status", "Paid,Slashed"])).jobs as {
      jobId: string;
    }[];
    expect(paid.map((j) => j.jobId)).to.not.include(String(batchId));
    const mine = (await ok(["job", "list", "--batch", "--mine", "--limit", "1"], asRequester)).jobs as {
      jobId: string;
      terms: { requester: string };
    }[];
    expect(mine).to.have.length(1);
    expect(mine[0]!.jobId).to.equal(String(batchId));
    expect(mine[0]!.terms.requester).to.equal(requester);
    const providerAddress = await provider.getAddress();
    expect((await ok(["job", "list", "--batch", "--requester", providerAddress])).jobs).to.deep.equal([]);

    // single jobs, from the SDK's market index
    const singles = (await ok(["job", "list"])).jobs as { jobId: string; status: string }[];
    expect(singles[0]).to.deep.include({ jobId: singleId, status: "Open" });
    expect((await ok(["job", "list", "--status", "Completed"])).jobs).to.deep.equal([]);
    const human = await cli(["job", "list", "--batch", "--limit", "1"]);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(new RegExp(`^batch +${batchId} +Open +N +8 +k +2 `));

    // a status that does not exist: one coded line naming the valid ones
    expectOneLineError(await cli(["job", "list", "--batch", "--status", "Done"]), "BAD_ARGUMENT", "Proven");
    expectOneLineError(await cli(["job", "list", "--requester", "0x12"]), "BAD_ADDRESS");
  });
});
