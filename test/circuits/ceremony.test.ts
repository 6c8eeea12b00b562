import { expect } from "chai";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as snarkjs from "snarkjs";
import { readBinFile, section } from "../../circuits/binfile.ts";
import { DEV_CONTRIBUTION_NAME, DevCeremony, type DevPtau } from "../../circuits/ceremony.ts";
import { specsFor } from "../../circuits/manifest.ts";
import {
  phase2Beacon,
  phase2Contribute,
  phase2Import,
  phase2Init,
  readContributions,
} from "../../circuits/phase2.ts";
import { buildCircuits, compiledDir, loadBuiltCircuit, type BuiltCircuit } from "../../circuits/pipeline.ts";
import { commitInput } from "../../sdk/commitment.ts";
import { ErrorCodes, isProofworkError } from "../../sdk/errors.ts";
import { expectRejects } from "../helpers/assert.ts";
import { BINDING_TEST_BYTES, bindingWitnessInput } from "../helpers/zk.ts";

/** snarkjs logs nothing unless a check fails (then the reason is printed). */
const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (m: string) => console.log(`      snarkjs: ${m}`),
};

const G1 = 64;

/** snarkjs `powersoftau verify` (0.7.6 takes (file, logger); @types/snarkjs declares another shape). */
const ptauVerify = snarkjs.powersOfTau.verify as unknown as (
  file: string,
  logger: typeof quiet,
) => Promise<boolean>;

/** A copy of `file` with points `i` and `j` (of `size` bytes) of section `id` swapped. */
async function withSwappedPoints(
  file: string,
  magic: string,
  id: number,
  i: number,
  j: number,
  size: number,
  out: string,
): Promise<string> {
  const f = await readBinFile(file, magic);
  const s = section(f, id);
  const a = Buffer.from(s.subarray(i * size, (i + 1) * size));
  expect(a.equals(s.subarray(j * size, (j + 1) * size)), "points differ").to.equal(false);
  s.copy(s, i * size, j * size, (j + 1) * size);
  a.copy(s, j * size);
  await writeFile(out, f.bytes);
  return out;
}

/**
 * The dev ceremony computed from its secrets (circuits/ceremony.ts), checked by real snarkjs: the
 * .ptau passes `powersoftau verify` and equals what `prepare phase2` computes, the .zkey passes
 * `zkey verify` against the r1cs and the .ptau, proofs verify, and corrupted files are rejected.
 * Then the build's two key paths: dev keys, and an imported multi-party phase 2 on a "public" ptau.
 */
describe("circuits/ceremony (fast dev ceremony, verified by snarkjs)", function () {
  let dir: string;
  let ceremony: DevCeremony;
  let ptau8: DevPtau;
  let ptau10: DevPtau;
  let zkey: string;
  let circuit: BuiltCircuit;

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "proofwork-ceremony-"));
    circuit = await loadBuiltCircuit("binding_test");
    ceremony = await DevCeremony.open(10);
    ptau8 = await ceremony.ptau(8, path.join(dir, "dev8.ptau"));
    ptau10 = await ceremony.ptau(10, path.join(dir, "dev10.ptau"));
    zkey = path.join(dir, "binding_test.zkey");
    await ceremony.zkey(ptau10, circuit.r1cs, zkey);
  });

  after(async function () {
    await ceremony?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("test_ptau_passesSnarkjsPowersOfTauVerify", async function () {
    expect(await ptauVerify(ptau10.file, quiet)).to.equal(true);
  });

  it("test_ptau_equalsSnarkjsPreparePhase2BytePerByte", async function () {
    // `prepare phase2` recomputes sections 12–15 from sections 2–6 with FFTs over group elements.
    const prepared = path.join(dir, "prepared8.ptau");
    await snarkjs.powersOfTau.preparePhase2(ptau8.file, prepared);
    const ours = await readBinFile(ptau8.file, "ptau");
    const theirs = await readBinFile(prepared, "ptau");
    expect([...ours.sections.keys()]).to.deep.equal([...theirs.sections.keys()]);
    for (const id of ours.sections.keys()) {
      expect(section(ours, id).equals(section(theirs, id)), `section ${id}`).to.equal(true);
    }
  });

  it("test_ptau_freshSecretsPerCeremonyAndNamedInsecure", async function () {
    const a = section(await readBinFile(ptau8.file, "ptau"), 2);
    const b = section(await readBinFile(ptau10.file, "ptau"), 2);
    expect(a.subarray(0, G1).equals(b.subarray(0, G1)), "both start with the generator").to.equal(true);
    expect(a.subarray(G1, 2 * G1).equals(b.subarray(G1, 2 * G1)), "τ·G1 differs").to.equal(false);
    const contribution = section(await readBinFile(ptau10.file, "ptau"), 7);
    expect(contribution.includes(Buffer.from(DEV_CONTRIBUTION_NAME))).to.equal(true);
    expect(DEV_CONTRIBUTION_NAME).to.match(/insecure dev ceremony/);
  });

  it("test_ptau_rejectsSwappedLagrangePoints", async function () {
    // Two points of the 2^4 domain's Lagrange basis (section 12 starts with domains 2^0 … 2^3).
    const bad = await withSwappedPoints(
      ptau10.file,
      "ptau",
      12,
      15 + 2,
      15 + 9,
      G1,
      path.join(dir, "bad12.ptau"),
    );
    expect(await ptauVerify(bad, quiet)).to.equal(false);
  });

  it("test_ptau_rejectsSwappedPowersOfTau", async function () {
    const bad = await withSwappedPoints(ptau10.file, "ptau", 2, 5, 6, G1, path.join(dir, "bad2.ptau"));
    expect(await ptauVerify(bad, quiet)).to.equal(false);
  });

  it("test_zkey_passesSnarkjsZkeyVerifyAgainstR1csAndPtau", async function () {
    expect(await snarkjs.zKey.verifyFromR1cs(circuit.r1cs, ptau10.file, zkey, quiet)).to.equal(true);
    expect(await readContributions(zkey)).to.deep.equal([{ name: DEV_CONTRIBUTION_NAME, beacon: false }]);
  });

  it("test_zkey_fromALargerPtau_passesSnarkjsZkeyVerify", async function () {
    // The circuit's domain (2^10) below the ptau's power: other Lagrange sections, no padding quirk.
    const ptau11 = await ceremony.ptau(11, path.join(dir, "dev11.ptau"));
    const z = path.join(dir, "binding_test.p11.zkey");
    await ceremony.zkey(ptau11, circuit.r1cs, z);
    expect(await snarkjs.zKey.verifyFromR1cs(circuit.r1cs, ptau11.file, z, quiet)).to.equal(true);
  });

  it("test_zkey_proofVerifiesWithSnarkjsAndTamperedSignalDoesNot", async function () {
    const bytes = Uint8Array.from({ length: BINDING_TEST_BYTES }, (_, i) => (i * 13 + 7) % 256);
    const input = bindingWitnessInput(77n, await commitInput(bytes), [...bytes]);
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, circuit.wasm, zkey);
    const vkey = await snarkjs.zKey.exportVerificationKey(zkey);
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).to.equal(true);
    const tampered = [(BigInt(publicSignals[0]!) + 1n).toString(), ...publicSignals.slice(1)];
    expect(await snarkjs.groth16.verify(vkey, tampered, proof)).to.equal(false);
  });

  it("test_zkey_rejectsSwappedPoints: A (compared with zkey new), L and H (δ ratio checks)", async function () {
    for (const id of [5, 8, 9]) {
      const bad = await withSwappedPoints(zkey, "zkey", id, 3, 4, G1, path.join(dir, `bad${id}.zkey`));
      expect(
        await snarkjs.zKey.verifyFromR1cs(circuit.r1cs, ptau10.file, bad, quiet),
        `section ${id}`,
      ).to.equal(false);
    }
  });

  describe("build integration", function () {
    let cache: string;
    const spec = () => specsFor("test", ["binding_test"]);
    const lines: string[] = [];
    const opts = () => ({
      cacheDir: cache,
      outDir: path.join(dir, "build"),
      contractsDir: path.join(dir, "contracts"),
      log: (l: string) => void lines.push(l),
    });

    /** snarkjs verifies a build's zkey against its r1cs and the dev ptau kept in the cache (by hash). */
    async function keysVerifyAgainstCachedPtau(b: BuiltCircuit): Promise<boolean> {
      const ptauFile = (await readdir(path.join(cache, "ptau"))).find((f) =>
        f.includes(b.ptauSha256!.slice(0, 16)),
      );
      expect(ptauFile, "dev ptau kept in the cache").to.not.equal(undefined);
      return snarkjs.zKey.verifyFromR1cs(b.r1cs, path.join(cache, "ptau", ptauFile!), b.zkey!, quiet);
    }

    before(async function () {
      // Seed the compile cache with the built circuit: these tests are about keys, not circom.
      cache = path.join(dir, "cache");
      const compiled = compiledDir(cache, "binding_test", circuit.sourceHash);
      await mkdir(compiled, { recursive: true });
      await copyFile(circuit.r1cs, path.join(compiled, "binding_test.r1cs"));
      await copyFile(circuit.wasm, path.join(compiled, "binding_test.wasm"));
    });

    it("test_build_devKeysVerifyAgainstTheirCachedPtauAndAreCachedAfterwards", async function () {
      const [built] = await buildCircuits(spec(), opts());
      expect(built!.keysSource).to.equal("dev-ceremony");
      expect(built!.ptauSource).to.equal("dev-ceremony");
      // The dev ptau the keys came from stays in the cache, named by its hash.
      expect(await keysVerifyAgainstCachedPtau(built!)).to.equal(true);
      const header = await readFile(path.join(dir, "contracts", "BindingTestVerifier.sol"), "utf8");
      expect(header).to.match(/groth16 phase 2: LOCAL DEV CEREMONY \(insecure, development only\)/);

      lines.length = 0;
      const [again] = await buildCircuits(spec(), opts());
      expect(again!.zkeySha256).to.equal(built!.zkeySha256);
      expect(lines.some((l) => /groth16 keys: cached/.test(l))).to.equal(true);
      expect(
        lines.some((l) => /dev ptau/.test(l)),
        "no ceremony when cached",
      ).to.equal(false);
    });

    it("test_build_largerCeremonyOfABiggerBuild_keepsTheInstalledDevKeys", async function () {
      // buildCircuits sizes one ceremony for every circuit it builds; a circuit whose dev keys are
      // installed keeps them whatever else is built with it (else its keys, its verifier and every
      // proof made with them would depend on which circuits were built together)
      const [before] = await buildCircuits(spec(), opts());
      lines.length = 0;
      const [after] = await buildCircuits(spec(), { ...opts(), minPower: before!.ptauPower! + 2 });
      expect(after!.zkeySha256).to.equal(before!.zkeySha256);
      expect(after!.ptauPower).to.equal(before!.ptauPower);
      expect(
        lines.some((l) => /dev ptau/.test(l)),
        "no new ceremony",
      ).to.equal(false);
      // keys that are not intact any more are made again, at the build's size
      await writeFile(after!.zkey!, "not a zkey");
      const [remade] = await buildCircuits(spec(), { ...opts(), minPower: before!.ptauPower! + 2 });
      expect(remade!.ptauPower).to.equal(before!.ptauPower! + 2);
      expect(remade!.zkeySha256).to.not.equal(before!.zkeySha256);
      expect(await keysVerifyAgainstCachedPtau(remade!)).to.equal(true);
    });

    it("test_build_usesImportedMultiPartyPhase2ForItsPtau", async function () {
      // ptau10 stands in for a public ceremony's file here. Without an imported phase 2, the build
      // makes its keys with snarkjs (zkey new + one local contribution).
      const [local] = await buildCircuits(spec(), { ...opts(), ptau: ptau10.file });
      expect(local!.keysSource).to.equal("local-contribution");
      expect(await snarkjs.zKey.verifyFromR1cs(local!.r1cs, ptau10.file, local!.zkey!, quiet)).to.equal(true);
      lines.length = 0;

      const p2 = path.join(dir, "phase2");
      const silent = { cacheDir: cache, log: () => undefined };
      const z0 = await phase2Init("binding_test", ptau10.file, p2, silent);
      const z1 = path.join(p2, "1.zkey");
      const z2 = path.join(p2, "2.zkey");
      const zf = path.join(p2, "final.zkey");
      await phase2Contribute(z0, z1, "Alice", "", silent);
      await phase2Contribute(z1, z2, "Bob", "dice: 4 2 6", silent);
      const noBeacon = await expectRejects(phase2Import("binding_test", z2, ptau10.file, silent), /beacon/);
      expect(isProofworkError(noBeacon, ErrorCodes.ZKEY_INVALID)).to.equal(true);
      await phase2Beacon(z2, zf, "00112233445566778899aabbccddeeff", 10, "beacon", silent);
      await phase2Import("binding_test", zf, ptau10.file, silent);

      const [built] = await buildCircuits(spec(), { ...opts(), ptau: ptau10.file });
      expect(built!.keysSource).to.equal("phase2");
      expect(
        lines.some((l) => /multi-party phase 2 \(Alice, Bob, beacon \(beacon\)\) — imported/.test(l)),
      ).to.equal(true);
      expect(built!.ptauSource).to.equal("file");
      expect((await readFile(built!.zkey!)).equals(await readFile(zf))).to.equal(true);
      const header = await readFile(path.join(dir, "contracts", "BindingTestVerifier.sol"), "utf8");
      expect(header).to.match(/groth16 phase 2: multi-party phase 2: Alice, Bob, beacon \(beacon\)/);
    });
  });
});
