/**
 * Sharp soundness tests of generated model circuits (circuits/soundness/): each forgery is a
 * witness consistent everywhere except at one gadget instance (later layers recomputed from the
 * forged value), and must be rejected — by the targeted gadget's constraint only. Covered: the
 * existing gadgets (byte range of PackedBytesCommitment, RequantRelu remainder and quotient/ReLU
 * sign, the output equality) on the converted MLP and the new ones (conv requantization, a
 * requantized average-pool sum, Max2) on a tiny CNN with every layer kind. The mutation check
 * deletes each guarding constraint in a scratch build and shows the forgery is then accepted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { circuitName } from "../../circuits/model-gen.ts";
import { mutationCheck, standardForgeries } from "../../circuits/mutation-check.ts";
import { ROOT } from "../../circuits/pipeline.ts";
import { compileScratch, type ScratchBuild } from "../../circuits/soundness/compile.ts";
import {
  mirrorMismatches,
  runForgery,
  scratchSource,
  type ForgeryContext,
} from "../../circuits/soundness/forgeries.ts";
import { failingConstraints, readR1cs } from "../../circuits/soundness/r1cs.ts";
import { ARTIFACTS } from "../../model/artifacts.ts";
import { heldOutInterleaved } from "../../model/data.ts";
import { modelCircuitInput } from "../../sdk/model/circuit-input.ts";
import { encodeImageBytes } from "../../sdk/model/encode.ts";
import { loadArtifact } from "../../sdk/node/model-files.ts";
import { calculateWitness, parseWtns } from "../../worker/prover/wtns.ts";
import { tinyArtifact } from "../model/fixtures.ts";

function suite(label: string, load: () => Promise<ForgeryContext>, expectKinds: string[]): void {
  describe(`circuits/model soundness: ${label}`, function () {
    let ctx: ForgeryContext;
    let build: ScratchBuild;

    before(async function () {
      ctx = await load();
      build = await compileScratch(circuitName(ctx.artifact, 1), scratchSource(ctx.artifact));
    });

    it("test_witnessMirror_reproducesWasmWitnessOnEveryModelledWire", async function () {
      expect(await mirrorMismatches(ctx, build)).to.deep.equal([]);
    });

    it("test_honestWitness_satisfiesEveryConstraintAndWire0IsOne", async function () {
      const ci = await modelCircuitInput(ctx.artifact, 1, { jobKey: 77n, bytes: ctx.bytes });
      const w = parseWtns(await calculateWitness(build.wasm, ci.input)).values;
      const r1cs = readR1cs(build.r1cs);
      expect(failingConstraints(r1cs, w)).to.deep.equal([]);
      // The all-zero assignment satisfies every (homogeneous) R1CS constraint: only wire 0 = 1 rejects it.
      expect(
        failingConstraints(
          r1cs,
          w.map(() => 0n),
        ),
      ).to.deep.equal([-1]);
    });

    it("test_forgeries_eachRejectedOnlyByItsTargetedGadget", async function () {
      const forgeries = await standardForgeries(ctx);
      const kinds = new Set(forgeries.map((f) => f.id.split("@")[0]));
      for (const k of expectKinds) expect([...kinds], "forgery kinds").to.include(k);
      for (const f of forgeries) {
        const r = await runForgery(ctx, build, f);
        expect(r.failing.length, `${f.id}: ${f.claim}`).to.be.at.least(1);
        expect(r.outsideTarget, `${f.id}: constraints outside ${f.target.join(" | ")}`).to.deep.equal([]);
      }
    });
  });
}

suite(
  "tiny CNN (conv 'same' + BN, max pool, conv, requantized avg pool, dense)",
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "proofwork-sound-"));
    try {
      return await tinyArtifact(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  ["byteMove", "remainder", "reluSign", "wrongMax", "wrongOutput"],
);

suite(
  "converted MLP small (existing gadgets)",
  async () => {
    const artifact = loadArtifact(path.join(ROOT, ARTIFACTS["mlp-small"]));
    return { artifact, bytes: encodeImageBytes(artifact, heldOutInterleaved()[3]!.image) };
  },
  ["byteMove", "remainder", "reluSign", "wrongOutput"],
);

describe("circuits/mutation-check: every soundness test is sharp", function () {
  it("test_mutationCheck_deletingEachGuardingConstraintLetsItsForgeryThrough", async function () {
    const dir = mkdtempSync(path.join(tmpdir(), "proofwork-mut-"));
    let ctx: ForgeryContext;
    try {
      ctx = await tinyArtifact(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const rows = await mutationCheck(ctx, await standardForgeries(ctx));
    expect(new Set(rows.map((r) => r.mutation))).to.deep.equal(
      new Set(["byteRange", "remainderRange", "quotientLink", "maxDecomposition", "outputEquality"]),
    );
    for (const r of rows) expect(r, r.forgery).to.include({ sharp: true, mutantFailing: 0 });
  });
});
