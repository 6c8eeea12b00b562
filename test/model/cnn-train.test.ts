/**
 * The reference CNN's training is deterministic (fixed seeds, fixed split and order, shift
 * augmentation from a seeded PRNG, pure-JS cpu backend): two short runs give bit-identical weights.
 * (The full run is `npx tsx model/cnn-train.ts`; its result is model/mnist-cnn/.)
 */
import { expect } from "chai";
import { CNN_CONFIG, shiftImage, trainCnn } from "../../model/cnn-train.ts";

describe("model/cnn-train: deterministic training", function () {
  it("test_shortTrainingTwice_givesIdenticalWeights", async function () {
    const cfg = { ...CNN_CONFIG, epochs: 1, batchSize: 50 };
    const weights = async (): Promise<string> => {
      const { model } = await trainCnn(cfg, () => {}, 300);
      const w = model.getWeights().map((t) => Array.from(t.dataSync()).join(","));
      model.dispose();
      return w.join("|");
    };
    expect(await weights()).to.equal(await weights());
  });

  it("test_shiftImage_movesPixelsWithZeroFill", function () {
    const im = new Uint8Array(784);
    im[0] = 9;
    im[28 * 27 + 27] = 7;
    const s = shiftImage(im, 1, 2);
    expect(s[28 * 1 + 2]).to.equal(9);
    expect(s.reduce((a, b) => a + b, 0)).to.equal(9);
  });
});
