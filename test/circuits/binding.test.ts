import { expect } from "chai";
import { readFile } from "node:fs/promises";
import * as snarkjs from "snarkjs";
import { loadBuiltCircuit } from "../../circuits/pipeline.ts";
import { commitInput, packBytes, poseidonChain, getPoseidon } from "../../sdk/commitment.ts";
import { FIELD_MODULUS } from "../../sdk/field.ts";
import { expectRejects } from "../helpers/assert.ts";
import { BINDING_TEST_BYTES, bindingWitnessInput, calculateWitness, proveBinding } from "../helpers/zk.ts";

describe("circuits/binding_test (job binding + input commitment gadget)", function () {
  const bytes = Array.from({ length: BINDING_TEST_BYTES }, (_, i) => (i * 37 + 11) % 256);
  const jobKey = 123456789n;

  it("test_commitment_matchesTypeScriptReference: public signals are [jobKey, commitment] and the proof verifies", async function () {
    const input = Uint8Array.from(bytes);
    const p = await proveBinding(jobKey, input);
    expect(p.publicSignals).to.deep.equal([jobKey.toString(), (await commitInput(input)).toString()]);
    const vkey = JSON.parse(await readFile(p.circuit.vkey!, "utf8")) as Record<string, unknown>;
    expect(await snarkjs.groth16.verify(vkey, p.publicSignals, p.proof)).to.equal(true);
  });

  it("test_reference_packsLittleEndian31BytesPerElement", async function () {
    const input = Uint8Array.from(bytes);
    const packed = packBytes(input);
    expect(packed).to.have.length(2);
    let first = 0n;
    for (let i = 30; i >= 0; i--) first = first * 256n + BigInt(bytes[i]!);
    expect(packed[0]).to.equal(first);
    expect(await commitInput(input)).to.equal(poseidonChain(await getPoseidon(), packed));
  });

  it("test_reference_chainsBeyond16Elements: 784 bytes hash as poseidon(16) then poseidon(h, 10)", async function () {
    const input = new Uint8Array(784).map((_, i) => (i * 7) % 256);
    const poseidon = await getPoseidon();
    const e = packBytes(input);
    expect(e).to.have.length(26);
    const expected = poseidon([poseidon(e.slice(0, 16)), ...e.slice(16)]);
    expect(await commitInput(input)).to.equal(expected);
  });

  it("test_witness_rejectsWrongCommitment", async function () {
    const circuit = await loadBuiltCircuit("binding_test");
    const c = await commitInput(Uint8Array.from(bytes));
    await expectRejects(
      calculateWitness(circuit, bindingWitnessInput(jobKey, c + 1n, bytes)),
      /Assert Failed/,
    );
    // sanity: the same call with the right commitment succeeds
    await calculateWitness(circuit, bindingWitnessInput(jobKey, c, bytes));
  });

  it("test_witness_rejectsByteOutOfRange: 256, 2^248 and r-1 (i.e. -1) are not bytes", async function () {
    const circuit = await loadBuiltCircuit("binding_test");
    for (const bad of [256n, 2n ** 248n, FIELD_MODULUS - 1n]) {
      const tampered: bigint[] = bytes.map(BigInt);
      tampered[5] = bad;
      // Compute the commitment the way a cheating prover would (packing the out-of-range value),
      // so only the range check can reject it.
      const poseidon = await getPoseidon();
      const elems = [0n, 0n];
      for (let i = 0; i < tampered.length; i++) {
        const k = Math.floor(i / 31);
        elems[k] = (elems[k]! + tampered[i]! * 256n ** BigInt(i % 31)) % FIELD_MODULUS;
      }
      const c = poseidonChain(poseidon, elems);
      await expectRejects(
        calculateWitness(circuit, bindingWitnessInput(jobKey, c, tampered)),
        /Assert Failed/,
        `byte ${bad}`,
      );
    }
  });

  it("test_witness_fieldElementsWrapModulo_r: a byte given as r + 5 is the field element 5", async function () {
    // Inputs are field elements: values ≥ r are reduced mod r by the witness calculator, so they can
    // never smuggle a 254+-bit value past the range check. The SDK refuses such values earlier
    // (commitment inputs are Uint8Array bytes; public signals are checked by assertField).
    const circuit = await loadBuiltCircuit("binding_test");
    const wrapped: bigint[] = bytes.map(BigInt);
    wrapped[0] = FIELD_MODULUS + 5n;
    const asFive = Uint8Array.from(bytes);
    asFive[0] = 5;
    const c = await commitInput(asFive);
    await calculateWitness(circuit, bindingWitnessInput(jobKey, c, wrapped));
    await expectRejects(
      calculateWitness(circuit, bindingWitnessInput(jobKey, c + 1n, wrapped)),
      /Assert Failed/,
    );
  });
});
