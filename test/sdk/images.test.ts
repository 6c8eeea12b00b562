/**
 * sdk/images.ts: a drawing or a photo becomes an MNIST-style digit (ink bright, 20-pixel box,
 * centred by mass) that the committed models classify as well as the dataset's own digits.
 */
import { expect } from "chai";
import { loadCommittedModel } from "../../circuits/manifest.ts";
import { heldOutInterleaved } from "../../model/data.ts";
import {
  IMAGE_SIDE,
  argmax,
  encodeDigits,
  imageToDigit,
  inferSample,
  isProofworkError,
  type RgbaImage,
} from "../../sdk/node.ts";

/** A 28×28 digit scaled up `k` times (nearest neighbour) as RGBA, optionally dark on light. */
function upscale(digit: Uint8Array, k: number, darkOnLight: boolean, pad = 0): RgbaImage {
  const side = IMAGE_SIDE * k + 2 * pad;
  const data = new Uint8ClampedArray(side * side * 4);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const sx = Math.floor((x - pad) / k);
      const sy = Math.floor((y - pad) / k);
      const inside = sx >= 0 && sy >= 0 && sx < IMAGE_SIDE && sy < IMAGE_SIDE;
      const ink = inside ? digit[sy * IMAGE_SIDE + sx]! : 0;
      const v = darkOnLight ? 255 - ink : ink;
      data.set([v, v, v, 255], 4 * (y * side + x));
    }
  }
  return { width: side, height: side, data };
}

describe("sdk: images → MNIST digits", function () {
  it("test_imageToDigit_barIsCentredBoxedAndStretched", function () {
    // a vertical bar, 30 px wide and 200 px tall, off-centre on a 280×280 black canvas
    const side = 280;
    const data = new Uint8ClampedArray(side * side * 4);
    for (let i = 0; i < side * side; i++) data[4 * i + 3] = 255;
    for (let y = 20; y < 220; y++)
      for (let x = 30; x < 60; x++) data.set([200, 200, 200, 255], 4 * (y * side + x));
    const d = imageToDigit({ width: side, height: side, data });
    expect(d.length).to.equal(784);
    expect(Math.max(...d)).to.equal(255);
    const rows = [...Array(28).keys()].filter((y) => d.slice(y * 28, y * 28 + 28).some((v) => v > 0));
    const cols = [...Array(28).keys()].filter((x) => [...Array(28).keys()].some((y) => d[y * 28 + x]! > 0));
    expect(rows.length).to.equal(20);
    expect(cols.length).to.equal(3);
    expect(rows[0]).to.equal(4);
    expect(cols[1]).to.equal(14);
  });

  it("test_imageToDigit_darkOnLightEqualsLightOnDark", function () {
    const digit = heldOutInterleaved()[7]!.image;
    const a = imageToDigit(upscale(digit, 5, false, 10));
    const b = imageToDigit(upscale(digit, 5, true, 10));
    expect([...a]).to.deep.equal([...b]);
  });

  it("test_imageToDigit_emptyPictureIsRejected", function () {
    const blank = upscale(new Uint8Array(784), 2, true);
    expect(() => imageToDigit(blank))
      .to.throw()
      .that.satisfies((e: unknown) => isProofworkError(e));
  });

  it("test_imageToDigit_photosOfHeldOutDigitsClassifyAsWellAsTheDigits", function () {
    const model = loadCommittedModel("mnist-mlp-full");
    const samples = heldOutInterleaved().slice(0, 200);
    let direct = 0;
    let viaPhoto = 0;
    for (const s of samples) {
      if (argmax(inferSample(model, encodeDigits(model, [s.image]))) === s.label) direct++;
      // a "photo": 10× larger, dark ink on white paper, with a margin
      const photo = imageToDigit(upscale(s.image, 10, true, 40));
      if (argmax(inferSample(model, encodeDigits(model, [photo]))) === s.label) viaPhoto++;
    }
    expect(viaPhoto, `direct ${direct}/200, via photo ${viaPhoto}/200`).to.be.at.least(direct - 10);
  });
});
