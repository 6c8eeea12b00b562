import { expect } from "chai";
import { isProofworkError } from "../../sdk/errors.ts";
import {
  argmax,
  decodeOutputs,
  avgPool2x2,
  floorShift,
  inferSample,
  packLogits,
  traceSample,
  unpackLogits,
} from "../../sdk/quant.ts";
import type { QuantLayer } from "../../sdk/model.ts";

describe("sdk/quant: the quantized reference", function () {
  it("test_floorShift_roundsTowardMinusInfinity", function () {
    expect([7n, -7n, -8n, -1n, 0n].map((v) => floorShift(v, 2))).to.deep.equal([1n, -2n, -2n, -1n, 0n]);
  });

  it("test_avgPool2x2_roundsHalfUp", function () {
    const img = new Uint8Array(784);
    img[0] = 1;
    img[1] = 1;
    img[28] = 0;
    img[29] = 0; // sum 2 → (2+2)>>2 = 1
    img[2] = 1; // sum 1 → 0
    img[26] = 255;
    img[27] = 255;
    img[54] = 255;
    img[55] = 255; // 255
    const out = avgPool2x2(img);
    expect(out.length).to.equal(196);
    expect([out[0], out[1], out[13]]).to.deep.equal([1, 0, 255]);
  });

  it("test_packLogits_roundTripsSignedExtremes", function () {
    const bits = 25;
    const half = 1n << 24n;
    const l = [-half, half - 1n, 0n, -1n, 1n, 123456n, -654321n, 7n, -7n, 42n];
    const p = packLogits(l, bits);
    expect(p < 1n << 250n).to.equal(true);
    expect(unpackLogits(p, 10, bits)).to.deep.equal(l);
    expect(() => packLogits([half], bits)).to.throw();
    expect(() => unpackLogits(1n << 250n, 10, bits))
      .to.throw()
      .that.satisfies((e: unknown) => isProofworkError(e, "INPUT_INVALID"));
  });

  it("test_argmax_tiesGoToLowestIndex", function () {
    expect(argmax([1n, 5n, 5n, 2n])).to.equal(1);
    expect(argmax([-3n, -3n])).to.equal(0);
  });

  it("test_traceSample_appliesBiasShiftAndRelu", function () {
    const layers: QuantLayer[] = [
      {
        inputs: 2,
        outputs: 2,
        weights: [
          [1, 2],
          [-3, 1],
        ],
        bias: [1, 0],
        shift: 1,
        relu: true,
      },
      { inputs: 2, outputs: 1, weights: [[2, -1]], bias: [-5], shift: 0, relu: false },
    ];
    const t = traceSample({ inputSize: 2, layers }, Uint8Array.from([3, 4]));
    expect(t.acc[0]).to.deep.equal([12n, -5n]); // 3+8+1, -9+4
    expect(t.out[0]).to.deep.equal([6n, 0n]); // floor(12/2), relu(floor(-5/2) = -3)
    expect(inferSample({ inputSize: 2, layers }, Uint8Array.from([3, 4]))).to.deep.equal([7n]); // 12-0-5
  });

  it("test_decodeOutputs_givesLogitsAndPredictionsPerSample", function () {
    const layers: QuantLayer[] = [
      { inputs: 1, outputs: 3, weights: [[1], [1], [1]], bias: [0, 0, 0], shift: 0, relu: false },
    ];
    const outs = [packLogits([1n, 9n, -4n], 25), packLogits([-2n, -2n, -3n], 25)];
    expect(decodeOutputs({ outputBits: 25, layers }, outs)).to.deep.equal({
      logits: [
        [1n, 9n, -4n],
        [-2n, -2n, -3n],
      ],
      predictions: [1, 0],
    });
  });
});
