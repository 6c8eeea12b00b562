/**
 * Batch jobs proven by a sampling circuit (docs/BATCH.md "Design 2", `slots > 0`), measured on the
 * product contracts: the small MNIST model's sampling circuit with K = 16 slots over Poseidon trees
 * of depth 20 (N ≤ 2^20; built in the `bench` profile, cached) — constraints, dev-ceremony keys,
 * the trees of N = 10,000 real held-out digits; then one job on the in-process EVM (EDR) with its
 * generated verifier registered: post, claim, commit of the outputs root, k = 16 drawn samples
 * proven by ONE real Groth16 proof in `proveSampled`, settlement after the challenge window. Prints
 * gas per operation and per sample next to the sample-proof design (bench/gas-snapshot.json
 * `batch`, same N and k), and writes bench/results-batch-sampling.json. Not a test.
 *
 *   npm run bench:batch-sampling            (BENCH_D2_N=10000 BENCH_D2_K=16 BENCH_D2_DEPTH=20)
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { ContractFactory, ZeroHash, keccak256 } from "ethers";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";
import { ROOT, buildCircuit, releaseCurves, samplingSpecFor } from "../circuits/index.ts";
import { ARTIFACTS } from "../model/artifacts.ts";
import { heldOutInterleaved } from "../model/data.ts";
import { benchBatchParams, deployForBench, registerBenchCircuit } from "./deploy.ts";
import {
  batchSeed,
  blockHeaderRlp,
  commitInput,
  decodeBatchTerms,
  encodeImageBytes,
  encodeInputsFile,
  encodeOutputsFile,
  encodeProof,
  loadArtifact,
  prevRandaoOfHeader,
  referenceOutputs,
  rootHex,
  sampleIndices,
  samplingNumPublic,
  samplingProofInputs,
  samplingTrees,
  type BatchRecord,
  type OnChainProof,
  type RawBlock,
} from "../sdk/node.ts";

const require = createRequire(import.meta.url);
const solc = require("solc") as { compile(input: string): string };

const N = Number(process.env.BENCH_D2_N ?? 10_000);
const K = Number(process.env.BENCH_D2_K ?? 16);
const DEPTH = Number(process.env.BENCH_D2_DEPTH ?? 20);
const HOUR = 3_600;
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
const contractsDir = mkdtempSync(path.join(tmpdir(), "pw-sampling-"));
const built = await buildCircuit(samplingSpecFor(a, { slots: K, depth: DEPTH, setup: true }), {
  outDir: path.join("build", "bench-circuits"),
  contractsDir,
  log: (l) => console.error(l),
});
const tBuild = secs(t0);

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
const numPublic = samplingNumPublic({ slots: K, treeDepth: DEPTH });
if (built.nPublic !== numPublic)
  throw new Error(`${built.name}: ${built.nPublic} public signals, want ${numPublic}`);

// ── one job on the product contracts ─────────────────────────────────────────────────────────
const p = await deployForBench(ethers);
const batch = p.batchMarket!;
const circuitId = ethers.id(`proofwork/${built.name}`);
await registerBenchCircuit(p, circuitId, await verifier.getAddress(), numPublic);
await p.token.connect(p.requester).approve(await batch.getAddress(), ethers.MaxUint256);
const gasOf = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) =>
  Number((await (await tx).wait())!.gasUsed);
const gas: Record<string, number> = {};
const now = (await ethers.provider.getBlock("latest"))!.timestamp;
gas.postBatch = await gasOf(
  batch.connect(p.requester).postBatch(
    benchBatchParams(now, {
      circuitId,
      keyHash: ZeroHash,
      slots: K,
      treeDepth: DEPTH,
      inputsRoot: rootHex(trees.inputs.root),
      inputsHash: keccak256(encodeInputsFile(inputs)),
      numSamples: N,
      sampleSize: K,
    }),
  ),
);
const jobId = (await batch.nextJobId()) - 1n;
const terms = decodeBatchTerms((await batch.queryFilter(batch.filters.BatchPosted(jobId)))[0]!.args.terms);
gas.claim = await gasOf(batch.connect(p.provider).claim(jobId, terms));
const claimed = (await batch.queryFilter(batch.filters.BatchClaimed(jobId)))[0]!;
const record: BatchRecord = {
  provider: claimed.args.provider,
  claimedAt: Number(claimed.args.claimedAt),
  outputsRoot: rootHex(trees.outputs.root),
  sampleBlock: 0,
  randomness: ZeroHash,
  challenged: [],
};
gas.commit = await gasOf(
  batch
    .connect(p.provider)
    .commit(
      jobId,
      terms,
      record.claimedAt,
      record.outputsRoot,
      keccak256(encodeOutputsFile(outputs)),
      "https://provider.example/out.bin",
    ),
);
record.sampleBlock = Number(
  (await batch.queryFilter(batch.filters.BatchCommitted(jobId)))[0]!.args.sampleBlock,
);
await ethers.provider.send("hardhat_mine", ["0x4"]);
const header = blockHeaderRlp(
  (await ethers.provider.send("eth_getBlockByNumber", [
    `0x${record.sampleBlock.toString(16)}`,
    false,
  ])) as RawBlock,
);
const chainId = (await ethers.provider.getNetwork()).chainId;
const indices = sampleIndices(
  batchSeed(prevRandaoOfHeader(header), chainId, await batch.getAddress(), jobId),
  N,
  K,
);
const jobKey = await batch.jobKey(jobId, record.provider);
t0 = performance.now();
const proofs: OnChainProof[] = [];
for (const ci of samplingProofInputs(a, { jobKey, slots: K, trees, sample: (i) => inputs[i]!, indices })) {
  const { proof } = await snarkjs.groth16.fullProve(
    ci.input as unknown as snarkjs.CircuitSignals,
    built.wasm,
    built.zkey!,
  );
  proofs.push(encodeProof(proof));
}
const tProve = secs(t0);
gas.proveSampled = await gasOf(batch.connect(p.provider).proveSampled(jobId, terms, record, header, proofs));
await ethers.provider.send("evm_increaseTime", [HOUR + 1]);
gas.settle = await gasOf(batch.connect(p.keeper).settle(jobId, terms, record));
const status = Number((await batch.getBatch(jobId)).status);
if (status !== 7) throw new Error(`the job ended in status ${status}, not Paid`);
const total = gas.postBatch + gas.claim + gas.commit + gas.proveSampled + gas.settle;

// ── the sample-proof design, same N and k (bench/gas-snapshot.json `batch`) ─────────────────
const snapshot = JSON.parse(readFileSync(path.join(ROOT, "bench", "gas-snapshot.json"), "utf8")) as {
  batch?: { runs: { numSamples: number; operations: Record<string, number> }[] };
};
const sampleProofs = snapshot.batch?.runs.find((r) => r.numSamples === N)?.operations;
const sampleProofsTotal = sampleProofs
  ? sampleProofs.postBatch! +
    sampleProofs.claim! +
    sampleProofs.commit! +
    sampleProofs.prove! +
    sampleProofs.settle!
  : undefined;
const gasPerSample = total / N;

const results = {
  date: new Date().toISOString().slice(0, 10),
  circuit: built.name,
  slots: K,
  depth: DEPTH,
  numSamples: N,
  sampleSize: K,
  constraints: built.constraints,
  nPublic: built.nPublic,
  ptauPower: built.ptauPower,
  seconds: { commitmentsAndOutputs: tCommit, trees: tTrees, buildAndKeys: tBuild, prove: tProve },
  gas,
  total,
  gasPerSample,
  sampleProofs: sampleProofs ?? null,
  sampleProofsTotal: sampleProofsTotal ?? null,
};
writeFileSync(
  path.join(ROOT, "bench", "results-batch-sampling.json"),
  `${JSON.stringify(results, null, 2)}\n`,
);

console.log(
  `\nproofwork — a batch job proven by a sampling circuit (k = ${K} samples in ${proofs.length} proof(s), Poseidon trees of depth ${DEPTH})`,
);
console.log(
  `circuit ${built.name}: ${fmt(built.constraints)} constraints, ${built.nPublic} public signals, ptau 2^${built.ptauPower}`,
);
console.log(
  `dataset N = ${fmt(N)}: commitments + reference outputs ${tCommit.toFixed(1)} s, both trees ${tTrees.toFixed(1)} s`,
);
console.log(`build + dev keys ${tBuild.toFixed(1)} s; proving the ${K} drawn samples ${tProve.toFixed(1)} s`);
for (const [op, g] of Object.entries(gas)) console.log(`${op.padEnd(14)}${fmt(g).padStart(12)}`);
console.log(
  `${"total".padEnd(14)}${fmt(total).padStart(12)}  (post + claim + commit + proveSampled + settle)`,
);
if (sampleProofsTotal !== undefined) {
  console.log(
    `sample proofs, same N and k: ${fmt(sampleProofsTotal)} gas, ${(sampleProofsTotal / N).toFixed(1)} per sample (prove ${fmt(sampleProofs!.prove!)})`,
  );
}
console.log(`gas per sample: ${Math.round(gasPerSample)}`);
await releaseCurves();
