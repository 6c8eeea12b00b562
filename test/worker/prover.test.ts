/**
 * The threaded prover pool on the small MLP circuit: real proofs that verify with snarkjs and with
 * the generated Solidity verifier on the in-process chain; coded errors; terminate().
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";
import { loadCommittedModel } from "../../circuits/manifest.ts";
import { circuitName } from "../../circuits/model-gen.ts";
import { loadBuiltCircuit, type BuiltCircuit } from "../../circuits/pipeline.ts";
import { heldOutInterleaved } from "../../model/data.ts";
import { isProofworkError } from "../../sdk/errors.ts";
import { modelCircuitInput } from "../../sdk/model/circuit-input.ts";
import { encodeImageBytes } from "../../sdk/model/encode.ts";
import type { ModelArtifact } from "../../sdk/model/format.ts";
import { packOutputs, unpackOutputs } from "../../sdk/model/reference.ts";
import { createProverPool, type ProverCircuit, type ProverPool } from "../../worker/prover/pool.ts";

describe("worker/prover: threaded Groth16 prover pool", function () {
  let model: ModelArtifact;
  let built: BuiltCircuit;
  let circuit: ProverCircuit;
  let vkey: object;
  let pool: ProverPool;

  before(async function () {
    model = loadCommittedModel("mnist-mlp-small");
    built = await loadBuiltCircuit(circuitName(model, 1));
    circuit = { name: built.name, wasm: built.wasm, zkey: built.zkey! };
    vkey = JSON.parse(readFileSync(built.vkey!, "utf8")) as object;
    pool = createProverPool({ threads: 2 });
  });

  after(async function () {
    await pool.terminate();
  });

  const job = (k: number, jobKey = 777n + BigInt(k)) =>
    modelCircuitInput(model, 1, {
      jobKey,
      bytes: encodeImageBytes(model, heldOutInterleaved()[k]!.image),
    });

  it("test_prove_realProofVerifiesWithSnarkjsAndCalldataMatchesExportSolidityCallData", async function () {
    const ci = await job(0);
    const r = await pool.prove(circuit, ci.input);
    expect(r.publicSignals).to.deep.equal(ci.publicSignals.map(String));
    expect(await snarkjs.groth16.verify(vkey, r.publicSignals, r.proof)).to.equal(true);
    expect(r.calldata.outputs).to.deep.equal(ci.publicSignals.slice(2));
    expect(unpackOutputs(r.calldata.outputs, model.output)).to.deep.equal(ci.values[0]);
    // ARCHITECTURE.md: proof = [a0, a1, b00, b01, b10, b11, c0, c1] in exportSolidityCallData order.
    const cd = JSON.parse(`[${await snarkjs.groth16.exportSolidityCallData(r.proof, r.publicSignals)}]`) as [
      string[],
      string[][],
      string[],
      string[],
    ];
    const flat = [...cd[0], ...cd[1].flat(), ...cd[2]].map((h) => BigInt(h));
    expect(r.calldata.proof).to.deep.equal(flat);
    expect(r.timings.proveMs).to.be.greaterThan(0);
  });

  it("test_prove_concurrentJobsOnTwoThreadsAllVerify", async function () {
    const inputs = await Promise.all([1, 2, 3].map((k) => job(k)));
    const results = await Promise.all(inputs.map((ci) => pool.prove(circuit, ci.input)));
    for (const [i, r] of results.entries()) {
      expect(r.publicSignals).to.deep.equal(inputs[i]!.publicSignals.map(String));
      expect(await snarkjs.groth16.verify(vkey, r.publicSignals, r.proof)).to.equal(true);
    }
  });

  it("test_prove_witnessFailureIsCodedWitnessFailed", async function () {
    const ci = await job(4);
    const wrong = [...ci.values[0]!];
    wrong[0] = wrong[0]! + 1n;
    let err: unknown;
    try {
      await pool.prove(circuit, { ...ci.input, outputs: packOutputs(wrong, model.output) });
    } catch (e) {
      err = e;
    }
    expect(isProofworkError(err, "WITNESS_FAILED"), String(err)).to.equal(true);
    // The pool keeps serving after a failed job.
    const ok = await pool.prove(circuit, ci.input);
    expect(await snarkjs.groth16.verify(vkey, ok.publicSignals, ok.proof)).to.equal(true);
  });

  it("test_prove_verifiesWithGeneratedSolidityVerifierOnChain", async function () {
    const { ethers } = await network.create();
    const verifier = await ethers.deployContract(built.verifierContract!);
    const ci = await job(5);
    const r = await pool.prove(circuit, ci.input);
    const p = r.calldata.proof;
    const pub = r.publicSignals.map((s) => BigInt(s));
    const args = (signals: bigint[]) =>
      [
        [p[0], p[1]],
        [
          [p[2], p[3]],
          [p[4], p[5]],
        ],
        [p[6], p[7]],
        signals,
      ] as const;
    expect(await verifier.getFunction("verifyProof").staticCall(...args(pub))).to.equal(true);
    const otherOutput = [...pub];
    otherOutput[2] = otherOutput[2]! + 1n;
    expect(await verifier.getFunction("verifyProof").staticCall(...args(otherOutput))).to.equal(false);
    const otherJob = [...pub];
    otherJob[0] = otherJob[0]! + 1n;
    expect(await verifier.getFunction("verifyProof").staticCall(...args(otherJob))).to.equal(false);
  });

  it("test_terminate_rejectsLaterJobs", async function () {
    const p = createProverPool({ threads: 1 });
    await p.terminate();
    let err: unknown;
    try {
      await p.prove(circuit, (await job(6)).input);
    } catch (e) {
      err = e;
    }
    expect(isProofworkError(err, "PROOF_FAILED")).to.equal(true);
  });
});
