/**
 * sdk/batch.ts against independent references: the Merkle trees against a naive recursive build,
 * the sample derivation's distribution against the hypergeometric law, the economics table of
 * docs/BATCH.md against the SDK function that generates it, the collateral rule against the
 * expected-profit inequality it claims. (That the contract derives the same indices, commitments
 * and header fields is test/contracts/BatchMarket.test.ts.)
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { concat, getBytes, hexlify, keccak256, toBeHex } from "ethers";
import {
  BatchMerkleTree,
  DETECTION_TABLE_FRACTIONS,
  DETECTION_TABLE_SAMPLE_SIZES,
  batchDepth,
  batchKeyHash,
  batchVerifyingKey,
  decodeOutputsFile,
  detectionProbability,
  detectionTableMarkdown,
  encodeInputsFile,
  encodeOutputsFile,
  exactDetectionProbability,
  inputLeaf,
  inputOfFile,
  inputsTree,
  minimumBatchCollateral,
  outputLeaf,
  outputsTree,
  sampleIndices,
  verifyBatchPath,
} from "../../sdk/batch.ts";
import type { VerificationKey } from "../../sdk/proof.ts";

const ROOT = path.resolve(import.meta.dirname, "..", "..");

/** Root of the fixed-depth tree over `leaves` (padding with zero leaves), built recursively. */
function naiveRoot(leaves: Uint8Array[], depth: number): string {
  const size = 2 ** depth;
  const padded = [...leaves, ...Array.from({ length: size - leaves.length }, () => new Uint8Array(32))];
  let level = padded;
  while (level.length > 1) {
    const up: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2)
      up.push(getBytes(keccak256(concat([level[i]!, level[i + 1]!]))));
    level = up;
  }
  return hexlify(level[0]!);
}

describe("sdk/batch: leaves and trees", function () {
  it("test_tree_rootEqualsANaiveBuild_andEveryPathVerifies", function () {
    for (const n of [1, 2, 3, 5, 8, 13, 100]) {
      const leaves = Array.from({ length: n }, (_, i) => inputLeaf(i, BigInt(i * 7919 + 1)));
      const tree = new BatchMerkleTree(leaves);
      const depth = batchDepth(n);
      expect(tree.depth).to.equal(depth);
      expect(tree.root, `n = ${n}`).to.equal(naiveRoot(leaves, depth));
      for (let i = 0; i < n; i++) {
        const p = tree.path(i);
        expect(p).to.have.length(depth);
        expect(verifyBatchPath(tree.root, leaves[i]!, i, p, depth)).to.equal(true);
        if (n > 1) {
          // the same leaf at another index, or one sibling changed, does not verify
          expect(verifyBatchPath(tree.root, leaves[i]!, (i + 1) % n, p, depth)).to.equal(false);
          const bad = [...p];
          bad[0] = keccak256(bad[0]!);
          expect(verifyBatchPath(tree.root, leaves[i]!, i, bad, depth)).to.equal(false);
        }
      }
    }
  });

  it("test_leaves_bindIndexCommitmentAndOutputs", function () {
    expect(hexlify(inputLeaf(3, 5n))).to.equal(keccak256(concat(["0x01", toBeHex(3, 32), toBeHex(5, 32)])));
    expect(hexlify(outputLeaf(3, 5n, [7n, 9n]))).to.equal(
      keccak256(concat(["0x02", toBeHex(3, 32), toBeHex(5, 32), toBeHex(7, 32), toBeHex(9, 32)])),
    );
    const distinct = new Set(
      [
        inputLeaf(3, 5n),
        inputLeaf(4, 5n),
        inputLeaf(3, 6n),
        outputLeaf(3, 5n, []),
        outputLeaf(3, 5n, [0n]),
      ].map((l) => hexlify(l)),
    );
    expect(distinct.size).to.equal(5);
    // an input tree and an output tree over the same commitments differ (domain tags)
    expect(inputsTree([1n, 2n]).root).to.not.equal(outputsTree([1n, 2n], [[], []]).root);
  });

  it("test_tree_of2pow16Leaves_buildsAndProvesLastLeaf", function () {
    const n = 2 ** 16;
    const flat = new Uint8Array(32 * n);
    for (let i = 0; i < n; i++) flat.set(getBytes(toBeHex(i + 1, 32)), 32 * i);
    const started = performance.now();
    const tree = new BatchMerkleTree(flat);
    const ms = performance.now() - started;
    expect(tree.depth).to.equal(16);
    expect(verifyBatchPath(tree.root, flat.subarray(32 * (n - 1)), n - 1, tree.path(n - 1), 16)).to.equal(
      true,
    );
    // one more leaf: a level deeper
    const bigger = new BatchMerkleTree(getBytes(concat([flat, toBeHex(n + 1, 32)])));
    expect(bigger.depth).to.equal(17);
    console.log(`      2^16 leaves: tree built in ${ms.toFixed(0)} ms`);
  });

  it("test_files_roundTrip", function () {
    const samples = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5, 6)];
    const file = encodeInputsFile(samples);
    expect([...inputOfFile(file, 3, 1)]).to.deep.equal([4, 5, 6]);
    expect(() => inputOfFile(file, 3, 2)).to.throw(/no sample 2/);
    expect(() => encodeInputsFile([Uint8Array.of(1), Uint8Array.of(1, 2)])).to.throw(/sample 1 has 2 bytes/);
    const outputs = [
      [1n, 2n ** 200n],
      [3n, 4n],
    ];
    expect(decodeOutputsFile(encodeOutputsFile(outputs), 2)).to.deep.equal(outputs);
  });

  it("test_batchVerifyingKey_ofTheBuiltCircuit_hasItsIcPointsAndAStableHash", function () {
    const vkey = JSON.parse(
      readFileSync(path.join(ROOT, "build/circuits/mnist_mlp_small_b1/verification_key.json"), "utf8"),
    ) as VerificationKey;
    const key = batchVerifyingKey(vkey);
    expect(key.ic).to.have.length(2 * (vkey.nPublic + 1));
    // G2 coordinates in the precompile's order: (x_imag, x_real, …)
    const beta = vkey.vk_beta_2 as string[][];
    expect(key.beta[0]).to.equal(BigInt(beta[0]![1]!));
    expect(key.beta[1]).to.equal(BigInt(beta[0]![0]!));
    expect(batchKeyHash(vkey)).to.equal(batchKeyHash(key));
    expect(batchKeyHash({ ...key, ic: key.ic.slice(2) })).to.not.equal(batchKeyHash(key));
  });
});

describe("sdk/batch: sampling and economics", function () {
  it("test_sampleIndices_detectFakedSamplesAtTheHypergeometricRate", function () {
    // N = 100 with 10 faked, k = 8: a sample hits a faked index with probability 1 − C(90,8)/C(100,8)
    const n = 100;
    const k = 8;
    const faked = new Set([3, 14, 15, 26, 35, 50, 61, 77, 88, 99]);
    const trials = 3_000;
    let caught = 0;
    const hits = new Array<number>(n).fill(0);
    for (let t = 0; t < trials; t++) {
      const idx = sampleIndices(keccak256(toBeHex(t, 32)), n, k);
      expect(new Set(idx).size).to.equal(k);
      if (idx.some((i) => faked.has(i))) caught++;
      for (const i of idx) hits[i]!++;
    }
    const p = exactDetectionProbability(n, faked.size, k);
    const sigma = Math.sqrt((p * (1 - p)) / trials);
    expect(Math.abs(caught / trials - p), `caught ${caught}/${trials}, expected ${p}`).to.be.below(4 * sigma);
    // every index is drawn about k/n of the time (chi-square, 99 degrees of freedom: mean 99,
    // sd 14; 99 + 5 sd is never reached by a uniform draw in practice)
    const expected = (trials * k) / n;
    const chi2 = hits.reduce((a, h) => a + (h - expected) ** 2 / expected, 0);
    expect(chi2).to.be.below(99 + 5 * 14);
  });

  it("test_detectionProbability_isTheWithReplacementBoundOfTheExactRate", function () {
    expect(detectionProbability(0, 16)).to.equal(0);
    expect(detectionProbability(1, 1)).to.equal(1);
    expect(exactDetectionProbability(50, 0, 5)).to.equal(0);
    expect(exactDetectionProbability(50, 50, 5)).to.equal(1);
    expect(exactDetectionProbability(50, 46, 5)).to.equal(1); // fewer honest samples than k
    for (const n of [20, 1_000, 10_000]) {
      for (const f of [0.01, 0.1, 0.5]) {
        for (const k of [1, 4, 16]) {
          const faked = Math.round(f * n);
          const exact = exactDetectionProbability(n, faked, k);
          expect(exact + 1e-12).to.be.at.least(detectionProbability(faked / n, k));
        }
      }
    }
    expect(() => detectionProbability(1.5, 4)).to.throw();
    expect(() => sampleIndices(keccak256("0x"), 3, 4)).to.throw(/cannot draw 4/);
  });

  it("test_detectionTable_inDocsIsTheSdks", function () {
    const doc = readFileSync(path.join(ROOT, "docs", "BATCH.md"), "utf8");
    const m = /<!-- detection-table:start -->\n([\s\S]*?)\n<!-- detection-table:end -->/.exec(doc);
    expect(m, "docs/BATCH.md has the detection-table markers").to.not.equal(null);
    const norm = (s: string) =>
      s
        .trim()
        .split("\n")
        .map((l) => l.replace(/\s+/g, " ").replace(/-+/g, "-"));
    expect(norm(m![1]!)).to.deep.equal(norm(detectionTableMarkdown()));
    // and the table says what the issue asks: f ∈ {0.1%, 1%, 10%}, k ∈ {4, 8, 16, 32}
    expect([...DETECTION_TABLE_FRACTIONS]).to.deep.equal([0.001, 0.01, 0.1]);
    expect([...DETECTION_TABLE_SAMPLE_SIZES]).to.deep.equal([4, 8, 16, 32]);
    expect(detectionTableMarkdown()).to.contain("| 1%").and.to.contain("81.47%");
  });

  it("test_minimumBatchCollateral_makesFakingUnprofitableForEveryFraction", function () {
    const E18 = 10n ** 18n;
    for (const { gain, n, price, k } of [
      { gain: E18 / 100n, n: 10_000, price: 50n * E18, k: 16 }, // bribe 0.01 per faked output
      { gain: E18 / 1000n, n: 10_000, price: 50n * E18, k: 8 }, // compute saved, below the price
      { gain: E18, n: 1_000, price: 10n * E18, k: 32 },
    ]) {
      const x = minimumBatchCollateral({ gainPerSample: gain, numSamples: n, price, sampleSize: k });
      expect(x).to.equal(gain * BigInt(n) > price ? gain * BigInt(n) - price : 0n);
      // expected gain g·f·N never exceeds the expected loss p(f,k)·(P + X), for any f
      for (const f of [0.0001, 0.001, 0.01, 0.1, 0.5, 1]) {
        const gainF = Number(gain) * f * n;
        const lossF = detectionProbability(f, k) * Number(price + x);
        expect(gainF, `f = ${f}`).to.be.at.most(lossF * (1 + 1e-9));
      }
      // a provider known to fake at most 1% needs less: about gain·N/k·(f/p) − P
      const x1 = minimumBatchCollateral({
        gainPerSample: gain,
        numSamples: n,
        price,
        sampleSize: k,
        fraction: 0.01,
      });
      expect(x1 <= x).to.equal(true);
      expect(Number(gain) * 0.01 * n).to.be.at.most(
        detectionProbability(0.01, k) * Number(price + x1) * (1 + 1e-9),
      );
    }
  });
});
