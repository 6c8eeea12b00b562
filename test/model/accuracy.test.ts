import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { ROOT } from "../../circuits/pipeline.ts";
import { MLP_INSTANCES, loadMlpModel, type MlpInstance } from "../../model/v1/format.ts";
import { isProofworkError } from "../../sdk/errors.ts";
import { modelBounds, modelHash, parseModel, ACC_LIMIT } from "../../model/v1/format.ts";

const run = promisify(execFile);

describe("model: MNIST MLP artifacts and accuracy", function () {
  const instances = Object.keys(MLP_INSTANCES) as MlpInstance[];

  it("test_artifacts_quantizedWithinOnePointOfFloat_fullAtLeast90", function () {
    for (const inst of instances) {
      const m = loadMlpModel(inst);
      expect(m.accuracy.heldOut, inst).to.be.at.least(1000);
      expect(Math.abs(m.accuracy.quantized - m.accuracy.float) * 100, inst).to.be.at.most(1);
      expect(m.split.heldOut, inst).to.equal(m.accuracy.heldOut);
    }
    expect(loadMlpModel("full").accuracy.quantized).to.be.at.least(0.9);
  });

  it("test_artifacts_int8WeightsBoundedAccumulatorsAndSmallFiles", function () {
    for (const inst of instances) {
      const file = path.join(ROOT, MLP_INSTANCES[inst]);
      expect(readFileSync(file).length, inst).to.be.below(1_000_000);
      const m = loadMlpModel(inst);
      for (const l of m.layers)
        for (const row of l.weights) for (const w of row) expect(Math.abs(w)).to.be.at.most(127);
      for (const b of modelBounds(m)) for (const a of b.absMax) expect(a < ACC_LIMIT).to.equal(true);
      expect(m.weightsHash).to.equal(modelHash(m));
    }
  });

  it("test_parseModel_rejectsTamperedWeights", function () {
    const m = structuredClone(loadMlpModel("small"));
    m.layers[0]!.weights[0]![0] = m.layers[0]!.weights[0]![0]! === 1 ? 2 : 1;
    expect(() => parseModel(m))
      .to.throw()
      .that.satisfies((e: unknown) => isProofworkError(e, "MODEL_INVALID"));
    const big = structuredClone(loadMlpModel("small"));
    big.layers[0]!.weights[0]![0] = 128;
    expect(() => parseModel(big)).to.throw(/int8/);
  });

  it("test_accuracyCommand_printsFloatAndQuantizedPerModel", async function () {
    const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");
    const { stdout } = await run(tsx, [path.join(ROOT, "model", "accuracy.ts"), "--json"], {
      cwd: ROOT,
      maxBuffer: 1 << 24,
    });
    const json = stdout.slice(stdout.indexOf("{"));
    const doc = JSON.parse(json) as {
      rows: { instance: string; heldOut: number; float: number; quantized: number; deltaPoints: number }[];
    };
    expect(doc.rows.map((r) => r.instance).sort()).to.deep.equal([...instances].sort());
    for (const r of doc.rows) {
      const m = loadMlpModel(r.instance as MlpInstance);
      expect(r.heldOut).to.equal(m.accuracy.heldOut);
      // The command recomputes what training recorded (quantized through the bigint reference).
      // (plain comparisons: the ethers chai matchers loaded by Hardhat redefine closeTo for bigints)
      expect(Math.abs(r.quantized - m.accuracy.quantized), "quantized").to.be.lessThan(1e-4);
      expect(Math.abs(r.float - m.accuracy.float), "float").to.be.lessThan(1e-4);
      expect(Math.abs(r.deltaPoints)).to.be.at.most(1);
    }
  });
});
