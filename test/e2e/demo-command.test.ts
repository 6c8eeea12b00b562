/**
 * The README's first command as a user types it — `npm start -- --jobs 2 --model small`, through
 * scripts/toolchain.sh — a subprocess that must exit 0 and print one row per job and a summary, with
 * no stack trace. Options after `--` must reach the demo (npm would otherwise take `--model` as its
 * own config). Uses the small model (its keys are part of the test profile).
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { buildCircuits } from "../../circuits/pipeline.ts";
import { specsFor } from "../../circuits/manifest.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

describe("e2e: the one-command demo", function () {
  this.timeout(600_000);

  before(async () => {
    await buildCircuits(specsFor("test", ["mnist_mlp_small_b1", "mnist_mlp_small_s4d10"]), {
      log: () => undefined,
    });
  });

  /** `npm start -- …args` as a user types it. */
  const npmStart = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn("npm", ["start", "--", ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.on("error", reject);
      child.on("close", (c) => resolve({ code: c, stdout: out, stderr: err }));
    });

  it("test_demo_npmStartWithOptions_twoJobsExitZeroWithSummary", async () => {
    const { code, stdout, stderr } = await npmStart(["--jobs", "2", "--model", "small"]);
    expect(code, `${stdout}\n${stderr}`).to.equal(0);
    expect(stdout.match(/verified ✓/g) ?? []).to.have.length(2);
    expect(stdout).to.match(/jobs completed\s+2\/2/);
    expect(stdout).to.match(/accuracy\s+\d\/2/);
    expect(stdout).to.match(/executor backend\s+\S+/);
    expect(stdout).to.match(/prover snarkjs Groth16 \(mnist_mlp_small_b1\)/); // --model small arrived
    expect(stderr).to.not.match(/\n\s+at /);
  });

  it("test_demo_batchWithSampling_provenByTheSamplingCircuit_outputsCheckedAndPaid", async () => {
    // 600 digits: trees of depth 10, the test profile's mnist_mlp_small_s4d10; k = 8 in 2 proofs
    const { code, stdout, stderr } = await npmStart([
      "--batch",
      "600",
      "--samples",
      "8",
      "--model",
      "small",
      "--sampling",
    ]);
    expect(code, `${stdout}\n${stderr}`).to.equal(0);
    expect(stdout).to.contain("8 proven on-chain by 2 proof(s) of mnist_mlp_small_s4d10");
    expect(stdout).to.match(
      /outputs checked: keccak256 = outputsHash, tree root = the committed outputsRoot/,
    );
    expect(stdout).to.match(/job 1: Paid/);
    expect(stdout).to.match(/accuracy\s+\d+\/600/);
    expect(stdout).to.match(/prover snarkjs Groth16 \(mnist_mlp_small_s4d10\)/);
    expect(stderr).to.not.match(/\n\s+at /);
  });
});
