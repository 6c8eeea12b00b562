/**
 * The qmodel-v2 artifact: validation, canonical hash, static bounds, the bigint reference, output
 * packing, input encoding, and the v1 → v2 conversion of the MLP artifacts (same arithmetic).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { loadMlpModel } from "../../model/v1/format.ts";
import { ROOT } from "../../circuits/pipeline.ts";
import { ARTIFACTS, buildCnnArtifact, buildMlpArtifact } from "../../model/artifacts.ts";
import { heldOutInterleaved } from "../../model/data.ts";
import { isProofworkError } from "../../sdk/errors.ts";
import { encodeBatch, inferBatch as inferV1 } from "../../model/v1/quant.ts";
import { encodeFloatTensor, encodeImageBatch, encodeImageBytes } from "../../sdk/model/encode.ts";
import {
  ACC_LIMIT,
  artifactBounds,
  artifactHash,
  canonicalArtifact,
  makeArtifact,
  parseArtifact,
  type ModelArtifactV2,
} from "../../sdk/model/format.ts";
import { loadArtifact } from "../../sdk/node/model-files.ts";
import {
  decodePublicOutputs,
  inferBatch,
  packOutputs,
  publicOutputs,
  runLayer,
  unpackOutputs,
} from "../../sdk/model/reference.ts";

const invalid = (f: () => unknown, re?: RegExp): void => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(isProofworkError(err, "MODEL_INVALID"), String(err)).to.equal(true);
  if (re) expect(String((err as Error).message)).to.match(re);
};

describe("sdk/model: qmodel-v2 format and reference", function () {
  let small: ModelArtifactV2;

  before(function () {
    small = loadArtifact(path.join(ROOT, ARTIFACTS["mlp-small"]));
  });

  it("test_committedMlpArtifacts_areTheConversionOfV1", function () {
    for (const inst of ["full", "small"] as const) {
      const file = path.join(ROOT, ARTIFACTS[`mlp-${inst}`]);
      expect(readFileSync(file, "utf8")).to.equal(JSON.stringify(buildMlpArtifact(inst)) + "\n");
    }
  });

  it("test_committedCnnArtifact_isAFreshImportOfTheCommittedTfjsModel_atLeast98PercentQuantized", function () {
    const { artifact, report } = buildCnnArtifact();
    expect(readFileSync(path.join(ROOT, ARTIFACTS.cnn), "utf8")).to.equal(JSON.stringify(artifact) + "\n");
    expect(report.accuracy!.samples).to.equal(1996);
    expect(report.accuracy!.quantized).to.be.at.least(0.98);
  });

  it("test_convertedMlp_equalsV1Reference_200HeldOutDigits", function () {
    const digits = heldOutInterleaved().slice(0, 200);
    for (const inst of ["full", "small"] as const) {
      const v1 = loadMlpModel(inst);
      const v2 = loadArtifact(path.join(ROOT, ARTIFACTS[`mlp-${inst}`]));
      const images = digits.map((d) => d.image);
      const b1 = encodeBatch(v1.preprocess, images);
      const b2 = encodeImageBatch(v2, images);
      expect(Buffer.from(b2).equals(Buffer.from(b1)), `${inst} encoding`).to.equal(true);
      expect(inferBatch(v2, b2).map((r) => r.join(","))).to.deep.equal(
        inferV1(v1, b1).map((r) => r.join(",")),
      );
      expect(v2.output.bits).to.equal(v1.outputBits);
    }
  });

  it("test_parseArtifact_rejectsTamperedWeightsHashBoundsAndShapes", function () {
    const w = structuredClone(small);
    (w.layers[0] as { weights: number[] }).weights[0]! += 1;
    invalid(() => parseArtifact(w), /hash|bounds/);
    const int8 = structuredClone(small);
    (int8.layers[0] as { weights: number[] }).weights[0] = 128;
    invalid(() => parseArtifact(int8), /not an integer in \[-127, 127\]/);
    const h = structuredClone(small);
    h.hash = `0x${"00".repeat(32)}`;
    invalid(() => parseArtifact(h), /hash/);
    const b = structuredClone(small);
    b.bounds[0]!.out[1] += 1;
    invalid(() => parseArtifact(b), /stored bounds/);
    const s = structuredClone(small);
    s.layers[1]!.inShape = [17];
    invalid(() => parseArtifact(s), /inShape/);
  });

  it("test_parseArtifact_rejectsAccumulatorsThatCouldReach2to24", function () {
    // 784 inputs × 127 × 255 ≈ 2^24.6: a dense layer of all-127 weights is not exact in float32.
    const core = {
      name: "too-big",
      input: {
        shape: [784],
        encoding: "uint8-hwc" as const,
        scale: 1 / 255,
        offset: 0,
        source: { kind: "identity" as const },
      },
      layers: [
        {
          kind: "dense" as const,
          inShape: [784],
          outShape: [1],
          weights: new Array<number>(784).fill(127),
          bias: [0],
          shift: [0],
          relu: false,
        },
      ],
      output: { classes: 1, bits: 26, perElement: 9 },
    };
    invalid(() => makeArtifact(core), /2\^24/);
    core.layers[0]!.weights = new Array<number>(784).fill(83); // 784·83·255 < 2^24
    const ok = makeArtifact(core);
    expect(artifactBounds(ok)[0]!.absMax[0]! < ACC_LIMIT).to.equal(true);
  });

  it("test_canonicalHash_isKeccakOfCanonicalJsonAndIgnoresMeta", function () {
    expect(small.hash).to.equal(artifactHash(small));
    const c = JSON.parse(canonicalArtifact(small)) as Record<string, unknown>;
    expect(Object.keys(c)).to.deep.equal(["format", "name", "input", "layers", "output"]);
    const withMeta = { ...small, meta: { note: "not hashed" } };
    expect(artifactHash(withMeta)).to.equal(small.hash);
    expect(artifactHash({ ...small, name: "other" })).to.not.equal(small.hash);
  });

  it("test_reference_convPoolLayersOnHandComputedExample", function () {
    // 3×3×1 input, 2×2 kernel, stride 1, 'same'-style padding bottom/right 1, one channel
    const x = [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n];
    const conv = runLayer(
      {
        kind: "conv2d",
        inShape: [3, 3, 1],
        outShape: [3, 3, 1],
        kernel: [2, 2],
        strides: [1, 1],
        pad: [0, 0, 1, 1],
        weights: [1, -1, 2, 0],
        bias: [-3],
        shift: [1],
        relu: true,
      },
      x,
    );
    // acc(y,x) = in[y][x] − in[y][x+1] + 2·in[y+1][x] − 3 (absent taps are 0)
    expect(conv.acc).to.deep.equal([4n, 6n, 12n, 10n, 12n, 21n, -4n, -4n, 6n]);
    expect(conv.out).to.deep.equal([2n, 3n, 6n, 5n, 6n, 10n, 0n, 0n, 3n]);
    const sum = runLayer(
      {
        kind: "avgpool",
        inShape: [3, 3, 1],
        outShape: [1, 1, 1],
        pool: [2, 2],
        strides: [2, 2],
        shift: 0,
        relu: false,
      },
      x,
    );
    expect(sum.out).to.deep.equal([12n]);
    const mx = runLayer(
      { kind: "maxpool", inShape: [3, 3, 1], outShape: [2, 2, 1], pool: [2, 2], strides: [1, 1] },
      x,
    );
    expect(mx.out).to.deep.equal([5n, 6n, 8n, 9n]);
  });

  it("test_packOutputs_roundTripsSignedExtremesAcrossElements", function () {
    const o = { classes: 12, bits: 25, perElement: 10 };
    const half = 1n << 24n;
    const v = [-half, half - 1n, 0n, -1n, 1n, 5n, -5n, 7n, 8n, 9n, -half, half - 1n];
    const packed = packOutputs(v, o);
    expect(packed).to.have.length(2);
    expect(unpackOutputs(packed, o)).to.deep.equal(v);
    expect(decodePublicOutputs({ output: o }, [...packed, ...packed]).predictions).to.deep.equal([1, 1]);
    expect(() => packOutputs([half, ...v.slice(1)], o)).to.throw();
    expect(() => unpackOutputs([1n << 250n, 0n], o)).to.throw();
    expect(publicOutputs({ output: o }, [v])).to.deep.equal(packed);
  });

  it("test_encode_sourceImagesFloatTensorsAndErrors", function () {
    const img = heldOutInterleaved()[0]!.image;
    expect(encodeImageBytes(small, img)).to.have.length(196);
    const full = loadArtifact(path.join(ROOT, ARTIFACTS["mlp-full"]));
    expect(Buffer.from(encodeImageBytes(full, img)).equals(Buffer.from(img))).to.equal(true);
    const floats = Array.from(img, (b) => b / 255);
    expect(Buffer.from(encodeFloatTensor(full, floats)).equals(Buffer.from(img))).to.equal(true);
    let err: unknown;
    try {
      encodeFloatTensor(
        full,
        floats.map((v, i) => (i === 3 ? 1.5 : v)),
      );
    } catch (e) {
      err = e;
    }
    expect(isProofworkError(err, "INPUT_INVALID")).to.equal(true);
  });
});
