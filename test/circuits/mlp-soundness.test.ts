/**
 * Soundness of the generated MLP circuit (small instance, 196→16→10, batch 1): every way of lying
 * about a job fails — at witness generation (the honest generator refuses) or, for a hand-edited
 * witness, at constraint checking and at proof verification.
 *
 * Witness tampering: the circuit is compiled here with `--sym` (same source and flags as the build,
 * checked by comparing the r1cs bytes, so wire indices match the built proving key); signals are
 * located by name in the .sym file, edited in the witness array, re-encoded as .wtns, then checked
 * against every R1CS constraint (snarkjs wtns.check) and proven with the real key.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import * as snarkjs from "snarkjs";
import { generateMlpCircuit, loadMlpModel, mlpCircuitName } from "../../circuits/mlp-gen.ts";
import { ROOT, loadBuiltCircuit, type BuiltCircuit } from "../../circuits/pipeline.ts";
import { heldOutInterleaved } from "../../model/data.ts";
import { isProofworkError } from "../../sdk/errors.ts";
import { FIELD_MODULUS } from "../../sdk/field.ts";
import type { ModelArtifact } from "../../sdk/model.ts";
import { encodeImage, packLogits } from "../../sdk/quant.ts";
import { mlpCircuitInput, type MlpCircuitInput } from "../../worker/prover/input.ts";
import {
  calculateWitness,
  checkWitness,
  parseWtns,
  writeWtns,
  type Witness,
} from "../../worker/prover/wtns.ts";

const run = promisify(execFile);

/** Compiles the circuit with --sym (cached in the OS temp dir by source hash). */
async function compileWithSym(
  name: string,
  source: string,
): Promise<{ r1cs: string; wasm: string; sym: Map<string, number> }> {
  const hash = createHash("sha256")
    .update(source)
    .update(readFileSync(path.join(ROOT, "circuits/src/lib/mlp.circom")))
    .update(readFileSync(path.join(ROOT, "circuits/src/lib/commitment.circom")))
    .digest("hex")
    .slice(0, 16);
  const dir = path.join(tmpdir(), `proofwork-sym-${name}-${hash}`);
  const r1cs = path.join(dir, `${name}.r1cs`);
  if (!existsSync(r1cs)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${name}.circom`), source);
    const circom = path.join(ROOT, "node_modules", ".bin", "circom2");
    const args = [
      path.join(dir, `${name}.circom`),
      "--r1cs",
      "--wasm",
      "--sym",
      "--O2",
      "-l",
      path.join(ROOT, "circuits", "src"),
      "-l",
      path.join(ROOT, "node_modules"),
      "-o",
      dir,
    ];
    await run(circom, args, { cwd: ROOT, maxBuffer: 1 << 24 });
  }
  const sym = new Map<string, number>();
  for (const line of readFileSync(path.join(dir, `${name}.sym`), "utf8").split("\n")) {
    const [, wire, , label] = line.split(",");
    if (label !== undefined && Number(wire) >= 0) sym.set(label, Number(wire));
  }
  return { r1cs, wasm: path.join(dir, `${name}_js`, `${name}.wasm`), sym };
}

describe("circuits/mlp soundness (small instance)", function () {
  let model: ModelArtifact;
  let built: BuiltCircuit;
  let vkey: object;
  let local: { r1cs: string; wasm: string; sym: Map<string, number> };
  let honest: MlpCircuitInput;
  let witness: Witness;

  const JOB_KEY = 0x1234567890abcdefn;

  before(async function () {
    model = loadMlpModel("small");
    built = await loadBuiltCircuit(mlpCircuitName(model, 1));
    vkey = JSON.parse(readFileSync(built.vkey!, "utf8")) as object;
    local = await compileWithSym(built.name, generateMlpCircuit(model, { batch: 1 }));
    // Same constraint system as the built circuit, so witness indices match its proving key.
    expect(readFileSync(local.r1cs).equals(readFileSync(built.r1cs)), "local compile == build").to.equal(
      true,
    );
    const digit = heldOutInterleaved()[3]!;
    honest = await mlpCircuitInput(model, 1, {
      jobKey: JOB_KEY,
      bytes: encodeImage(model.preprocess, digit.image),
    });
    witness = parseWtns(await calculateWitness(local.wasm, honest.input));
  });

  const wire = (label: string): number => {
    const w = local.sym.get(`main.${label}`);
    if (w === undefined) throw new Error(`signal main.${label} is not a witness wire`);
    return w;
  };

  /** A copy of the honest witness with some wires changed. */
  const tampered = (edits: Record<string, (v: bigint) => bigint>): Uint8Array => {
    const values = [...witness.values];
    for (const [label, f] of Object.entries(edits))
      values[wire(label)] = ((f(values[wire(label)]!) % FIELD_MODULUS) + FIELD_MODULUS) % FIELD_MODULUS;
    return writeWtns({ ...witness, values });
  };

  /** Proves a (possibly invalid) witness with the real key and verifies it against its own public signals. */
  const proveAndVerify = async (wtns: Uint8Array): Promise<boolean> => {
    const { proof, publicSignals } = await snarkjs.groth16.prove(built.zkey!, {
      type: "mem",
      data: wtns,
    } as unknown as string);
    return snarkjs.groth16.verify(vkey, publicSignals, proof);
  };

  const expectWitnessFailed = async (input: Record<string, bigint | bigint[]>): Promise<void> => {
    let err: unknown;
    try {
      await calculateWitness(local.wasm, input);
    } catch (e) {
      err = e;
    }
    expect(isProofworkError(err, "WITNESS_FAILED"), String(err)).to.equal(true);
  };

  it("test_honestWitness_satisfiesConstraintsAndProofVerifies", async function () {
    const wtns = writeWtns(witness);
    expect(await checkWitness(local.r1cs, wtns)).to.equal(true);
    expect(await proveAndVerify(wtns)).to.equal(true);
  });

  it("test_wrongOutput_witnessGenerationFails", async function () {
    const logits = honest.logits[0]!;
    // The runner-up class made the winner: logits swapped, and a single logit off by one.
    const swapped = [...logits];
    [swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!];
    const offByOne = [...logits];
    offByOne[9] = offByOne[9]! + 1n;
    for (const l of [swapped, offByOne]) {
      await expectWitnessFailed({ ...honest.input, outputs: [packLogits(l, model.outputBits)] });
    }
    // …and an edited output wire breaks the constraints / the proof.
    const wtns = tampered({ "outputs[0]": (v) => v + 1n });
    expect(await checkWitness(local.r1cs, wtns)).to.equal(false);
    expect(await proveAndVerify(wtns)).to.equal(false);
  });

  it("test_inputPixel256_witnessGenerationFailsAndEditedWitnessIsRejected", async function () {
    const bytes = [...(honest.input.bytes as bigint[])];
    bytes[100] = 256n;
    await expectWitnessFailed({ ...honest.input, bytes });
    // A byte at the field's top (−1) is rejected too.
    bytes[100] = FIELD_MODULUS - 1n;
    await expectWitnessFailed({ ...honest.input, bytes });
    // Edited witness: a byte wire raised by 256 (what a prover would need to smuggle a 9-bit value
    // in); its 8-bit decomposition no longer matches.
    const wtns = tampered({ "bytes[100]": (v) => v + 256n });
    expect(await checkWitness(local.r1cs, wtns)).to.equal(false);
    expect(await proveAndVerify(wtns)).to.equal(false);
  });

  it("test_tamperedQuotient_rejected", async function () {
    for (const j of [0, 5, 11]) {
      const wtns = tampered({ [`layer0[0].rq[${j}].q`]: (v) => v + 1n });
      expect(await checkWitness(local.r1cs, wtns), `neuron ${j}`).to.equal(false);
    }
    // Quotient moved by one while the remainder absorbs it (q+1, r−2^shift, so the division identity
    // q·2^shift + r = acc + 2^(BITS−1) still holds): only the remainder's range check can object.
    // (With -O2 the remainder has no wire of its own: it is Σ rBits·2^i, and its top bit is itself
    // substituted by the division identity — so moving q alone is exactly this attack, and the
    // top bit it implies, old − 2, is not boolean.)
    const wtns = tampered({ "layer0[0].rq[2].q": (v) => v + 1n, "layer0[0].rq[9].q": (v) => v - 1n });
    expect(await checkWitness(local.r1cs, wtns)).to.equal(false);
    expect(await proveAndVerify(wtns)).to.equal(false);
  });

  it("test_tamperedRemainder_rejected", async function () {
    const j = 4;
    // Every remainder bit that is a witness wire (the top one is substituted away by -O2).
    const bits = Array.from({ length: model.layers[0]!.shift }, (_, i) => i).filter((i) =>
      local.sym.has(`main.layer0[0].rq[${j}].rBits.out[${i}]`),
    );
    expect(bits.length).to.be.at.least(1);
    for (const i of bits) {
      const wtns = tampered({ [`layer0[0].rq[${j}].rBits.out[${i}]`]: (v) => 1n - v });
      expect(await checkWitness(local.r1cs, wtns), `remainder bit ${i}`).to.equal(false);
    }
    const wtns = tampered({ [`layer0[0].rq[${j}].rBits.out[0]`]: (v) => 1n - v });
    expect(await proveAndVerify(wtns)).to.equal(false);
  });

  it("test_tamperedHiddenActivation_rejected", async function () {
    // The ReLU output of a hidden neuron, changed by one (a different activation, same everything else).
    const wtns = tampered({ "layer0[0].out[7]": (v) => v + 1n });
    expect(await checkWitness(local.r1cs, wtns)).to.equal(false);
    expect(await proveAndVerify(wtns)).to.equal(false);
  });

  it("test_wrongInputCommitment_witnessGenerationFailsAndProofRejected", async function () {
    const other = await mlpCircuitInput(model, 1, {
      jobKey: JOB_KEY,
      bytes: encodeImage(model.preprocess, heldOutInterleaved()[4]!.image),
    });
    await expectWitnessFailed({ ...honest.input, inputCommitment: other.publicSignals[1]! });
    await expectWitnessFailed({
      ...honest.input,
      inputCommitment: (honest.publicSignals[1]! + 1n) % FIELD_MODULUS,
    });
    const wtns = tampered({ inputCommitment: (v) => v + 1n });
    expect(await checkWitness(local.r1cs, wtns)).to.equal(false);
  });

  it("test_proof_doesNotVerifyForDifferentJobKeyCommitmentOrOutput", async function () {
    const { proof, publicSignals } = await snarkjs.groth16.prove(built.zkey!, {
      type: "mem",
      data: writeWtns(witness),
    } as unknown as string);
    expect(publicSignals).to.deep.equal(honest.publicSignals.map(String));
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).to.equal(true);
    for (let i = 0; i < publicSignals.length; i++) {
      const changed = [...publicSignals];
      changed[i] = (BigInt(changed[i]!) + 1n).toString();
      expect(await snarkjs.groth16.verify(vkey, changed, proof), `public signal ${i}`).to.equal(false);
    }
    // Another job's key (same input, same outputs): the proof is bound to its job.
    const otherKey = [(JOB_KEY * 7n).toString(), ...publicSignals.slice(1)];
    expect(await snarkjs.groth16.verify(vkey, otherKey, proof)).to.equal(false);
  });
});
