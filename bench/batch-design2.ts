/**
 * Batch jobs, design 2 measured (docs/BATCH.md, "Design 2: one proof over the k samples"): the
 * small MNIST model's sampling circuit with K = 16 slots and trees of depth 20 (N ≤ 2^20) —
 * constraints, dev-ceremony key generation, the trees of N = 10,000 real held-out digits, one real
 * Groth16 proof of 16 drawn samples, and the gas of a transaction carrying it to its generated
 * Solidity verifier on the in-process EVM (EDR). Prints the numbers and the whole job's projected
 * gas per sample next to today's design (bench/gas-snapshot.json `batch`), and writes
 * bench/results-batch-design2.json. Not a test; builds into build/bench-circuits/.
 *
 *   npm run bench:batch-design2            (BENCH_D2_N=10000 BENCH_D2_K=16 BENCH_D2_DEPTH=20)
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { ContractFactory, Interface, keccak256, toUtf8Bytes } from "ethers";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";
import { ROOT, buildCircuit, releaseCurves, samplingSpecFor } from "../circuits/index.ts";
import { ARTIFACTS } from "../model/artifacts.ts";
import { heldOutInterleaved } from "../model/data.ts";
import {
  commitInput,
  encodeImageBytes,
  encodeProof,
  loadArtifact,
  referenceOutputs,
  sampleIndices,
  samplingCircuitInput,
  samplingTrees,
} from "../sdk/node.ts";

const require = createRequire(import.meta.url);
const solc = require("solc") as { compile(input: string): string };

const N = Number(process.env.BENCH_D2_N ?? 10_000);
const K = Number(process.env.BENCH_D2_K ?? 16);
const DEPTH = Number(process.env.BENCH_D2_DEPTH ?? 20);
const secs = (t0: number) => (performance.now() - t0) / 1000;
const fmt = (n: number) => n.toLocaleString("en-US");

const a = loadArtifact(path.join(ROOT, ARTIFACTS["mlp-small"]));

// ── the dataset and its two trees ────────────────────────────────────────────────────────────
let t0 = performance.now();
const digits = heldOutInterleaved();
const inputs = Array.from({ length: N }, (_, i) => encodeImageBytes(a, digits[i % digits.length]!.image));
const commitments: bigint[] = [];
for (const b of inputs) commitments.push(await commitInput(b));
const outputs = inputs.map((b) => referenceOutputs(a, b));
const tCommit = secs(t0);
t0 = performance.now();
const trees = await samplingTrees(a, commitments, outputs, DEPTH);
const tTrees = secs(t0);
console.error(
  `N = ${N}: commitments + outputs ${tCommit.toFixed(1)} s, both depth-${DEPTH} trees ${tTrees.toFixed(1)} s`,
);

// ── the circuit and its keys ─────────────────────────────────────────────────────────────────
t0 = performance.now();
const contractsDir = mkdtempSync(path.join(tmpdir(), "pw-design2-"));
const built = await buildCircuit(samplingSpecFor(a, { slots: K, depth: DEPTH, setup: true }), {
  outDir: path.join("build", "bench-circuits"),
  contractsDir,
  log: (l) => console.error(l),
});
const tBuild = secs(t0);

// ── one proof of K drawn samples ─────────────────────────────────────────────────────────────
const seed = keccak256(toUtf8Bytes("proofwork design-2 bench"));
const indices = sampleIndices(seed, N, K);
const jobKey = BigInt(keccak256(toUtf8Bytes("job key"))) >> 8n;
const ci = samplingCircuitInput(a, { jobKey, slots: K, trees, sample: (i) => inputs[i]!, indices });
t0 = performance.now();
const { proof, publicSignals } = await snarkjs.groth16.fullProve(
  ci.input as unknown as snarkjs.CircuitSignals,
  built.wasm,
  built.zkey!,
);
const tProve = secs(t0);
const vkey = JSON.parse(readFileSync(built.vkey!, "utf8")) as object;
if (!(await snarkjs.groth16.verify(vkey, publicSignals, proof))) throw new Error("the proof does not verify");

// ── its generated verifier on the EVM ────────────────────────────────────────────────────────
const contract = `${built.name
  .split(/[^A-Za-z0-9]/)
  .filter(Boolean)
  .map((s) => s[0]!.toUpperCase() + s.slice(1))
  .join("")}Verifier`;
const file = `${contract}.sol`;
const out = JSON.parse(
  solc.compile(
    JSON.stringify({
      language: "Solidity",
      sources: { [file]: { content: readFileSync(path.join(contractsDir, file), "utf8") } },
      settings: {
        optimizer: { enabled: true, runs: 10_000 },
        evmVersion: "cancun",
        viaIR: true,
        outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
      },
    }),
  ),
) as {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<string, Record<string, { abi: object[]; evm: { bytecode: { object: string } } }>>;
};
const fatal = out.errors?.filter((e) => e.severity === "error") ?? [];
if (fatal.length > 0) throw new Error(fatal.map((e) => e.formattedMessage).join("\n"));
const compiled = out.contracts[file]![contract]!;
const { ethers } = await network.create();
const [deployer] = await ethers.getSigners();
const factory = new ContractFactory(compiled.abi, compiled.evm.bytecode.object, deployer);
const verifier = await factory.deploy();
await verifier.waitForDeployment();
const pr = encodeProof(proof);
const iface = new Interface(compiled.abi);
const data = iface.encodeFunctionData("verifyProof", [
  [pr[0], pr[1]],
  [
    [pr[2], pr[3]],
    [pr[4], pr[5]],
  ],
  [pr[6], pr[7]],
  ci.publicSignals,
]);
const to = await verifier.getAddress();
const ok = iface.decodeFunctionResult("verifyProof", await ethers.provider.call({ to, data }))[0] as boolean;
const bad = [...ci.publicSignals];
bad[3] = bad[3]! ^ 1n;
const rejects = !(iface.decodeFunctionResult(
  "verifyProof",
  await ethers.provider.call({
    to,
    data: iface.encodeFunctionData("verifyProof", [
      [pr[0], pr[1]],
      [
        [pr[2], pr[3]],
        [pr[4], pr[5]],
      ],
      [pr[6], pr[7]],
      bad,
    ]),
  }),
)[0] as boolean);
const receipt = await (await deployer!.sendTransaction({ to, data })).wait();
const verifyTxGas = Number(receipt!.gasUsed);
const calldataGas = ethers.getBytes(data).reduce((s, b) => s + (b === 0 ? 4 : 16), 0);

// ── today's design, same N and k (bench/gas-snapshot.json) ───────────────────────────────────
const snapshot = JSON.parse(readFileSync(path.join(ROOT, "bench", "gas-snapshot.json"), "utf8")) as {
  batch?: { runs: { numSamples: number; operations: Record<string, number> }[] };
};
const today = snapshot.batch?.runs.find((r) => r.numSamples === N)?.operations;
// What design 2 keeps from today's job: post, claim, commit and settle (unchanged), and the prove
// transaction's own work besides its samples — terms and record calldata (~1 kB), the sample
// block's header (~0.6 kB), its hash against blockhash, k index draws, the status write and the
// event: an allowance of 60,000 gas (an estimate, not measured: the contract is not built yet).
const PROVE_BOOKKEEPING = 60_000;
const kept = today ? today.postBatch! + today.claim! + today.commit! + today.settle! : undefined;
const projected = kept !== undefined ? kept + verifyTxGas + PROVE_BOOKKEEPING : undefined;

const results = {
  date: new Date().toISOString().slice(0, 10),
  circuit: built.name,
  slots: K,
  depth: DEPTH,
  numSamples: N,
  constraints: built.constraints,
  nPublic: built.nPublic,
  ptauPower: built.ptauPower,
  seconds: { commitmentsAndOutputs: tCommit, trees: tTrees, buildAndKeys: tBuild, prove: tProve },
  verifies: ok,
  rejectsOtherIndices: rejects,
  gas: {
    verifyTransaction: verifyTxGas,
    calldata: calldataGas,
    proveBookkeepingAllowance: PROVE_BOOKKEEPING,
  },
  today: today ?? null,
  projected: projected ?? null,
  projectedGasPerSample: projected !== undefined ? projected / N : null,
};
writeFileSync(
  path.join(ROOT, "bench", "results-batch-design2.json"),
  `${JSON.stringify(results, null, 2)}\n`,
);

console.log(
  `\nproofwork — batch jobs, design 2 (one proof over k = ${K} samples, Poseidon trees of depth ${DEPTH})`,
);
console.log(
  `circuit ${built.name}: ${fmt(built.constraints)} constraints, ${built.nPublic} public signals, ptau 2^${built.ptauPower}`,
);
console.log(
  `dataset N = ${fmt(N)}: commitments + reference outputs ${tCommit.toFixed(1)} s, both trees ${tTrees.toFixed(1)} s`,
);
console.log(`build + dev keys ${tBuild.toFixed(1)} s; one proof of ${K} samples ${tProve.toFixed(1)} s`);
console.log(`verifier: accepts ${ok}, rejects other indices ${rejects}`);
console.log(
  `transaction to the verifier: ${fmt(verifyTxGas)} gas (calldata ${fmt(calldataGas)}, base 21,000)`,
);
if (today && projected !== undefined) {
  const todayTotal = today.postBatch! + today.claim! + today.commit! + today.prove! + today.settle!;
  console.log(
    `whole job today:      ${fmt(todayTotal)} gas, ${(todayTotal / N).toFixed(1)} per sample (prove ${fmt(today.prove!)})`,
  );
  console.log(
    `whole job, design 2:  ≈ ${fmt(projected)} gas, ${(projected / N).toFixed(1)} per sample (post + claim + commit + settle ${fmt(kept!)}, verifier tx ${fmt(verifyTxGas)}, prove bookkeeping ≈ ${fmt(PROVE_BOOKKEEPING)})`,
  );
}
await releaseCurves();
