/**
 * The requester's batch helpers without a chain: dataset commitments (the same root as the batch
 * helper's), the inputs check, the outputs check against hash and root (each way a file can be
 * wrong), datasets from disk (a folder of PNGs, a .npy tensor: the same bytes as the single-job
 * input path), publishing, and downloads from a path, file:// and http (progress, 404, schemes).
 */
import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { keccak256 } from "ethers";
import { PNG } from "pngjs";
import {
  ErrorCodes,
  buildBatchInputs,
  checkBatchInputs,
  downloadBatchFile,
  encodeOutputsFile,
  isProofworkError,
  poseidonTree,
  publishBatchFile,
  readBatchDataset,
  readJobInput,
  rootHex,
  verifyBatchOutputs,
  type ProofworkError,
} from "../../sdk/node.ts";
import { committedTree, fakeOutputs, loadBatchDataset, type BatchDataset } from "../helpers/batch.ts";

async function codeOf(f: () => unknown): Promise<ProofworkError> {
  try {
    await f();
  } catch (e) {
    if (isProofworkError(e)) return e;
    throw e;
  }
  throw new Error("expected a ProofworkError");
}

describe("sdk batch requester helpers (no chain)", function () {
  this.timeout(120_000);
  let ds: BatchDataset;
  let dir: string;

  before(async () => {
    ds = await loadBatchDataset(8);
    dir = mkdtempSync(join(tmpdir(), "proofwork-batch-sdk-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("test_buildBatchInputs_sameRootAsHelper_andCheckRejectsOtherFiles", async () => {
    const progress: number[] = [];
    const inputs = await buildBatchInputs(ds.inputs, (done) => progress.push(done));
    expect(inputs.numSamples).to.equal(8);
    expect(inputs.inputsRoot).to.equal(ds.inputs_.root);
    expect(inputs.inputsHash).to.equal(keccak256(ds.inputsFile));
    expect(inputs.commitments).to.deep.equal(ds.commitments);
    expect(progress.at(-1)).to.equal(8);
    const terms = {
      inputsHash: inputs.inputsHash,
      inputsRoot: inputs.inputsRoot,
      numSamples: 8,
      treeDepth: 0,
    };
    expect((await checkBatchInputs(terms, ds.inputsFile)).commitments).to.deep.equal(ds.commitments);
    const other = ds.inputsFile.slice();
    other[3] ^= 1;
    expect((await codeOf(() => checkBatchInputs(terms, other))).code).to.equal(ErrorCodes.DATASET_INVALID);
    // right hash, wrong root (a requester that posted a root of other samples)
    const wrongRoot = { ...terms, inputsRoot: committedTree(ds).root };
    const e = await codeOf(() => checkBatchInputs(wrongRoot, ds.inputsFile));
    expect(e.code).to.equal(ErrorCodes.DATASET_INVALID);
    expect(e.message).to.contain("inputsRoot");
    expect((await codeOf(() => buildBatchInputs([]))).code).to.equal(ErrorCodes.DATASET_INVALID);
  });

  it("test_buildBatchInputs_samplingShape_postsThePoseidonRoot_andCheckUsesTheTermsDepth", async () => {
    const inputs = await buildBatchInputs(ds.inputs, undefined, 4);
    expect(inputs.tree).to.equal(undefined);
    expect(inputs.inputsRoot).to.equal(rootHex((await poseidonTree(ds.commitments, 4)).root));
    expect(inputs.inputsRoot).to.not.equal(ds.inputs_.root);
    const terms = {
      inputsHash: inputs.inputsHash,
      inputsRoot: inputs.inputsRoot,
      numSamples: 8,
      treeDepth: 4,
    };
    expect((await checkBatchInputs(terms, ds.inputsFile)).commitments).to.deep.equal(ds.commitments);
    // the same file under the keccak root of a sample-proof job is not this job's
    const e = await codeOf(() => checkBatchInputs({ ...terms, inputsRoot: ds.inputs_.root }, ds.inputsFile));
    expect(e.code).to.equal(ErrorCodes.DATASET_INVALID);
    // another depth is another tree
    const d5 = await codeOf(() => checkBatchInputs({ ...terms, treeDepth: 5 }, ds.inputsFile));
    expect(d5.code).to.equal(ErrorCodes.DATASET_INVALID);
  });

  it("test_verifyBatchOutputs_hashRootAndSize_eachMismatchCoded", async () => {
    const file = encodeOutputsFile(ds.outputs);
    const good = {
      file,
      outputsHash: keccak256(file),
      outputsRoot: committedTree(ds).root,
      commitments: ds.commitments,
      perSample: 1,
    };
    expect(await verifyBatchOutputs(good)).to.deep.equal(ds.outputs);
    const flipped = file.slice();
    flipped[40] ^= 1;
    const a = await codeOf(() => verifyBatchOutputs({ ...good, file: flipped }));
    expect(a.code).to.equal(ErrorCodes.OUTPUTS_MISMATCH);
    expect(a.message).to.contain("outputsHash");
    // a file with its own hash committed, but the root is over other outputs
    const faked = encodeOutputsFile(fakeOutputs(ds.outputs, [2]));
    const b = await codeOf(() => verifyBatchOutputs({ ...good, file: faked, outputsHash: keccak256(faked) }));
    expect(b.code).to.equal(ErrorCodes.OUTPUTS_MISMATCH);
    expect(b.message).to.contain("outputsRoot");
    const short = encodeOutputsFile(ds.outputs.slice(0, 7));
    const c = await codeOf(() => verifyBatchOutputs({ ...good, file: short, outputsHash: keccak256(short) }));
    expect(c.code).to.equal(ErrorCodes.OUTPUTS_MISMATCH);
    expect(c.message).to.contain("7 samples");
  });

  it("test_readBatchDataset_pngFolderAndNpy_sameBytesAsSingleJobInputs", async () => {
    const { loadMnist } = await import("../../model/data.ts");
    const digits = loadMnist().heldOut.slice(0, 3);
    const folder = join(dir, "pictures");
    mkdirSync(folder);
    const files: string[] = [];
    digits.forEach((d, i) => {
      const png = new PNG({ width: 28, height: 28 });
      for (let p = 0; p < 784; p++) {
        png.data[4 * p] = png.data[4 * p + 1] = png.data[4 * p + 2] = d.image[p]!;
        png.data[4 * p + 3] = 255;
      }
      // named so that sorting by name is not creation order
      const f = join(folder, `digit-${2 - i}.png`);
      writeFileSync(f, PNG.sync.write(png));
      files.unshift(f);
    });
    writeFileSync(join(folder, "notes.txt"), "ignored");
    const fromFolder = readBatchDataset(folder, ds.artifact);
    expect(fromFolder).to.have.length(3);
    fromFolder.forEach((s, i) => expect(s).to.deep.equal(readJobInput([files[i]!], ds.artifact)));

    // a .npy tensor of shape [3, 28, 28], uint8
    const header = `{'descr': '|u1', 'fortran_order': False, 'shape': (3, 28, 28), }`;
    const pad = 16 - ((10 + header.length + 1) % 16);
    const head = new TextEncoder().encode(header + " ".repeat(pad) + "\n");
    const npy = new Uint8Array(10 + head.length + 3 * 784);
    npy.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, head.length & 0xff, head.length >> 8]);
    npy.set(head, 10);
    digits.forEach((d, i) => npy.set(d.image, 10 + head.length + 784 * i));
    const npyFile = join(dir, "digits.npy");
    writeFileSync(npyFile, npy);
    const fromNpy = readBatchDataset(npyFile, ds.artifact);
    expect(fromNpy).to.have.length(3);
    const whole = readJobInput([npyFile], ds.artifact);
    fromNpy.forEach((s, i) => expect(s).to.deep.equal(whole.subarray(i * s.length, (i + 1) * s.length)));

    for (const bad of [join(dir, "missing"), join(dir, "empty"), join(folder, "notes.txt")]) {
      if (bad.endsWith("empty")) mkdirSync(bad);
      expect((await codeOf(() => readBatchDataset(bad, ds.artifact))).code).to.equal(
        ErrorCodes.DATASET_INVALID,
      );
    }
  });

  it("test_publishAndDownload_pathFileUrlHttp_withProgress_andCodedFailures", async () => {
    const bytes = new Uint8Array(3 * 2 ** 20 + 5).map((_, i) => (i * 7) & 0xff);
    const hash = keccak256(bytes);
    const pub = publishBatchFile(bytes, hash, { dir: join(dir, "pub") });
    expect(pub.uri).to.equal(pathToFileURL(pub.path).href);
    expect(pub.path.endsWith(`${hash.slice(2)}.inputs.bin`)).to.equal(true);
    expect(
      publishBatchFile(bytes, hash, { dir: join(dir, "pub"), baseUri: "https://data.example/x" }).uri,
    ).to.equal(`https://data.example/x/${hash.slice(2)}.inputs.bin`);
    const seen: [number, number][] = [];
    expect(await downloadBatchFile(pub.uri, { onProgress: (d, t) => seen.push([d, t]) })).to.deep.equal(
      bytes,
    );
    expect(seen.length).to.be.greaterThan(1);
    expect(seen.at(-1)).to.deep.equal([bytes.length, bytes.length]);
    expect(await downloadBatchFile(pub.path)).to.deep.equal(bytes);

    const server: Server = createServer((req, res) => {
      if (req.url === "/data.bin") {
        res.writeHead(200, { "content-length": String(bytes.length) });
        res.end(Buffer.from(bytes));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const httpSeen: number[] = [];
      expect(
        await downloadBatchFile(`${base}/data.bin`, { onProgress: (d) => httpSeen.push(d) }),
      ).to.deep.equal(bytes);
      expect(httpSeen.at(-1)).to.equal(bytes.length);
      const e404 = await codeOf(() => downloadBatchFile(`${base}/missing.bin`));
      expect(e404.code).to.equal(ErrorCodes.ARTIFACT_FETCH_FAILED);
      expect(e404.message).to.contain("404");
      const big = await codeOf(() => downloadBatchFile(`${base}/data.bin`, { maxBytes: 1000 }));
      expect(big.message).to.contain("larger than 1000 bytes");
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect((await codeOf(() => downloadBatchFile("ipfs://bafy"))).code).to.equal(
      ErrorCodes.ARTIFACT_FETCH_FAILED,
    );
    expect((await codeOf(() => downloadBatchFile(join(dir, "nope.bin")))).code).to.equal(
      ErrorCodes.ARTIFACT_FETCH_FAILED,
    );
  });
});
