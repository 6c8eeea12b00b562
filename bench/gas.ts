/**
 * Gas benchmark of the on-chain half (not a test): runs every user-facing operation on the
 * in-process chain with 1 and with 100 jobs already in the market, settles with a REAL Groth16
 * proof, and writes `bench/gas-snapshot.json`. Two circuits: `binding_test` (2 public signals,
 * 62-byte input) and the real MNIST model `mnist_mlp_full_b1` (3 public signals, a 784-byte
 * held-out MNIST digit as input, its packed logits as the output).
 *
 *   npm run bench:gas        (= hardhat run bench/gas.ts)
 *
 * Needs `npx tsx circuits/build.ts --profile test` (binding_test) and `--profile demo`
 * (mnist_mlp_full_b1 keys). Prints each figure next to the EIP-1108 floor of a Groth16
 * verification: 181,000 + 6,150 per public input (4 pairings, one ecMul + ecAdd each).
 *
 * Then the batch path (docs/BATCH.md, bench/batch-gas.ts): one batch job of N = 10,000 MNIST
 * samples (`BENCH_BATCH_N=10000,1048576` for more sizes) with k = 16 proven samples, its
 * `gas per sample`, and the same k proofs through the registered verifier one call each. `BENCH_GAS_ONLY=batch npm run bench:gas` runs
 * only the batch path (needs only the test profile) and updates only its part of the snapshot.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";
import { loadBuiltCircuit, loadCommittedModel, releaseCurves } from "../circuits/index.ts";
import { heldOutInterleaved } from "../model/data.ts";
import { batchGasScenario, type BatchGasResult } from "./batch-gas.ts";
import { UNBONDING_PERIOD, deployForBench, registerBenchCircuit } from "./deploy.ts";
import {
  commitInput,
  decodeTerms,
  encodeImageBatch,
  modelCircuitInput,
  encodeProof,
  type JobTerms,
  type ProofworkContracts,
} from "../sdk/node.ts";

const E18 = 10n ** 18n;
const DAY = 86_400;
const BINDING_TEST_BYTES = 62;

/** The terms of the job a posting transaction created (from its JobPosted event). */
async function postedTerms(c: ProofworkContracts, tx: { wait(): Promise<unknown> }): Promise<JobTerms> {
  const receipt = (await tx.wait()) as { logs: { topics: string[]; data: string }[] };
  for (const l of receipt.logs) {
    const ev = c.market.interface.parseLog(l);
    if (ev?.name === "JobPosted") return decodeTerms(ev.args.getValue("terms") as object);
  }
  throw new Error("no JobPosted event");
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCALES = [1, 100];
const floorOf = (numPublic: number) => 181_000 + 6_150 * numPublic;

type Row = Record<string, number>;

/** A benchmarked circuit: its verifier, an input, and a real proof for a given jobKey. */
interface BenchCircuit {
  name: string;
  verifierContract: "BindingTestVerifier" | "MnistMlpFullB1Verifier";
  numPublic: number;
  input: Uint8Array;
  prove(jobKey: bigint): Promise<{ proof: readonly bigint[]; outputs: bigint[] }>;
}

const bindingInput = new Uint8Array(BINDING_TEST_BYTES).map((_, i) => (i * 13 + 5) & 0xff);
const binding: BenchCircuit = {
  name: "binding_test",
  verifierContract: "BindingTestVerifier",
  numPublic: 2,
  input: bindingInput,
  async prove(jobKey) {
    const built = await loadBuiltCircuit("binding_test");
    const { proof } = await snarkjs.groth16.fullProve(
      {
        jobKey: jobKey.toString(),
        inputCommitment: (await commitInput(bindingInput)).toString(),
        bytes: [...bindingInput].map(String),
      },
      built.wasm,
      built.zkey!,
    );
    return { proof: encodeProof(proof), outputs: [] };
  },
};

const mnistModel = loadCommittedModel("mnist-mlp-full");
const mnistInput = encodeImageBatch(mnistModel, [heldOutInterleaved()[0]!.image]);
const mnist: BenchCircuit = {
  name: "mnist_mlp_full_b1",
  verifierContract: "MnistMlpFullB1Verifier",
  numPublic: 3,
  input: mnistInput,
  async prove(jobKey) {
    const built = await loadBuiltCircuit("mnist_mlp_full_b1");
    const ci = await modelCircuitInput(mnistModel, 1, { jobKey, bytes: mnistInput });
    const { proof } = await snarkjs.groth16.fullProve(
      ci.input as unknown as snarkjs.CircuitSignals,
      built.wasm,
      built.zkey!,
    );
    return { proof: encodeProof(proof), outputs: ci.publicSignals.slice(2) };
  },
};

async function scenario(
  c: BenchCircuit,
  existingJobs: number,
): Promise<{ ops: Row; verifierGas: number; verifierCalldata: number }> {
  const { ethers, networkHelpers } = await network.create();
  const p = await deployForBench(ethers);
  const verifier = await ethers.deployContract(c.verifierContract);
  const circuitId = ethers.id(`proofwork/${c.name}`);
  await registerBenchCircuit(p, circuitId, await verifier.getAddress(), c.numPublic);
  const input = c.input;
  const inputCommitment = await commitInput(input);
  const now = async () => Number(await networkHelpers.time.latest());
  const fixed = async () => ({
    circuitId,
    inputCommitment,
    input: ethers.hexlify(input),
    inputURI: "",
    minPrice: 10n * E18,
    maxPrice: 10n * E18,
    rampDuration: 0,
    collateral: 50n * E18,
    claimDeadline: (await now()) + DAY,
    executionWindow: 600,
    verificationMode: 0,
  });
  const gas = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) =>
    Number((await (await tx).wait())!.gasUsed);
  const post = async (who: typeof p.requester, overrides: object = {}) =>
    postedTerms(p, await p.market.connect(who).postJob({ ...(await fixed()), ...overrides }));

  // Existing jobs from other requesters and providers, half of them claimed.
  const existing: JobTerms[] = [];
  for (let i = 0; i < existingJobs; i++) existing.push(await post(p.other));
  for (let i = 1; i <= Math.floor(existingJobs / 2); i++)
    await p.market.connect(p.provider2).claim(BigInt(i), existing[i - 1]!);

  const ops: Row = {};
  // stake: a provider adding to an existing stake.
  ops.stake = await gas(p.staking.connect(p.provider).stake(10n * E18));
  // post: fixed price, and a reverse Dutch auction.
  const first = await p.market.nextJobId();
  const postFixed = p.market.connect(p.requester).postJob(await fixed());
  ops.postJob_fixed = await gas(postFixed);
  const terms = await postedTerms(p, await postFixed);
  const postAuction = p.market
    .connect(p.requester)
    .postJob({ ...(await fixed()), minPrice: 2n * E18, maxPrice: 10n * E18, rampDuration: 600 });
  ops.postJob_auction = await gas(postAuction);
  const auctionTerms = await postedTerms(p, await postAuction);
  // claim + submit (real proof) of the fixed-price job.
  ops.claim = await gas(p.market.connect(p.provider).claim(first, terms));
  const key = await p.market.jobKey(first, p.provider.address);
  const proof = await c.prove(key);
  ops.submit_realGroth16 = await gas(
    p.market.connect(p.provider).submit(first, terms, [...proof.proof], proof.outputs),
  );
  // collect: the provider pulls the payment of its completed job (one transfer; batchable).
  ops.collect = await gas(
    p.market
      .connect(p.provider)
      .collect(p.provider.address, [{ jobId: first, terms, outputs: proof.outputs }]),
  );
  // cancel the auction job.
  ops.cancel = await gas(p.market.connect(p.requester).cancel(first + 1n, auctionTerms));
  // reclaim: an unclaimed job past its claim deadline; slashExpired: a claimed job past its deadline.
  const terms2 = await post(p.requester);
  const terms3 = await post(p.requester);
  await p.market.connect(p.provider).claim(first + 3n, terms3);
  await networkHelpers.time.increase(DAY + 1);
  ops.reclaim = await gas(p.market.connect(p.keeper).reclaim(first + 2n, terms2));
  ops.slashExpired = await gas(
    p.market.connect(p.keeper).slashExpired(first + 3n, terms3, p.provider.address),
  );
  // withdraw after unbonding.
  await p.staking.connect(p.provider).requestUnstake(10n * E18);
  await networkHelpers.time.increase(UNBONDING_PERIOD);
  ops.withdraw = await gas(p.staking.connect(p.provider).withdraw());

  // The verifier alone: eth_estimateGas of a direct verifyProof call minus the 21,000 base and
  // the calldata cost (what the market's staticcall spends, memory copy aside).
  const pr = proof.proof;
  const data = verifier.interface.encodeFunctionData("verifyProof", [
    [pr[0], pr[1]],
    [
      [pr[2], pr[3]],
      [pr[4], pr[5]],
    ],
    [pr[6], pr[7]],
    [key, inputCommitment, ...proof.outputs],
  ]);
  const bytes = ethers.getBytes(data);
  const calldata = bytes.reduce((s, b) => s + (b === 0 ? 4 : 16), 0);
  const estimate = Number(await ethers.provider.estimateGas({ to: await verifier.getAddress(), data }));
  return { ops, verifierGas: estimate - 21_000 - calldata, verifierCalldata: calldata };
}

/** `batch`: only the batch path (bench/batch-gas.ts). */
const ONLY = process.env.BENCH_GAS_ONLY;
const pad = (s: string | number, n: number) => String(s).padStart(n);
const circuits: Record<string, unknown> = {};
const totals: string[] = [];
for (const c of ONLY === "batch" ? [] : [binding, mnist]) {
  const results: Record<number, Awaited<ReturnType<typeof scenario>>> = {};
  for (const n of SCALES) {
    console.error(`${c.name}: ${n} existing job(s)`);
    results[n] = await scenario(c, n);
  }
  const floor = floorOf(c.numPublic);
  const base = results[1]!;
  const pcs = base.ops.postJob_fixed! + base.ops.claim! + base.ops.submit_realGroth16!;
  const overhead = base.verifierGas / floor - 1;

  console.log(
    `\nproofwork gas — ${c.name} (${c.numPublic} public inputs, ${c.input.length}-byte input; solc 0.8.30 via-IR, optimizer 10,000 runs, cancun; real Groth16)`,
  );
  console.log(
    `EIP-1108 verification floor: 181,000 + 6,150 × ${c.numPublic} = ${floor.toLocaleString("en-US")}\n`,
  );
  console.log(`${"operation".padEnd(22)}${pad("1 job", 12)}${pad("100 jobs", 12)}${pad("vs floor", 12)}`);
  for (const op of Object.keys(base.ops)) {
    const a = base.ops[op]!;
    const b = results[100]!.ops[op]!;
    const vs = op.startsWith("submit") ? `${((a / floor) * 100).toFixed(1)}%` : "";
    console.log(
      `${op.padEnd(22)}${pad(a.toLocaleString("en-US"), 12)}${pad(b.toLocaleString("en-US"), 12)}${pad(vs, 12)}`,
    );
  }
  console.log(
    `\nverifier execution (verifyProof alone, no base/calldata): ${base.verifierGas.toLocaleString("en-US")} ` +
      `= floor + ${(overhead * 100).toFixed(1)}% (target ≤ 15%)`,
  );
  console.log(`post + claim + submit: ${pcs.toLocaleString("en-US")} (target ≤ 420,000)`);
  totals.push(`${c.name} ${pcs.toLocaleString("en-US")}`);

  circuits[c.name] = {
    verifier: `${c.verifierContract} (snarkjs Groth16, real proof)`,
    numPublic: c.numPublic,
    inputBytes: c.input.length,
    eip1108Floor: floor,
    verifierExecutionGas: base.verifierGas,
    verifierOverheadVsFloorPct: Number((overhead * 100).toFixed(2)),
    postClaimSubmitTotal: pcs,
    operations: Object.fromEntries(
      Object.keys(base.ops).map((op) => [
        op,
        Object.fromEntries(SCALES.map((n) => [`at${n}Jobs`, results[n]!.ops[op]])),
      ]),
    ),
  };
}
// ── the batch path ─────────────────────────────────────────────────────────────────────────────
const K = 16;
/** N of each batch run: 10,000 by default; `BENCH_BATCH_N=10000,1048576` adds larger ones. */
const BATCH_NS = (process.env.BENCH_BATCH_N ?? "10000").split(",").map((v) => {
  const n = Number(v.trim());
  if (!Number.isSafeInteger(n) || n < K) throw new Error(`BENCH_BATCH_N: ${v} is not an integer ≥ ${K}`);
  return n;
});
const batchRuns: BatchGasResult[] = [];
for (const n of BATCH_NS) {
  console.error(`batch: N = ${n}, k = ${K}`);
  const { ethers, networkHelpers } = await network.create();
  const p = await deployForBench(ethers);
  batchRuns.push(await batchGasScenario(ethers, networkHelpers, p, n, K));
}
await releaseCurves();

const fmt = (v: number) => Math.round(v).toLocaleString("en-US");
console.log(
  `\nproofwork gas — batch jobs of mnist_mlp_small_b1 (3 public signals), k = ${K} real Groth16 proofs`,
);
console.log(`${"operation".padEnd(34)}${batchRuns.map((r) => pad(`N = ${r.numSamples}`, 16)).join("")}`);
for (const op of Object.keys(batchRuns[0]!.gas)) {
  console.log(`${op.padEnd(34)}${batchRuns.map((r) => pad(fmt(r.gas[op]!), 16)).join("")}`);
}
const rows: [string, (r: BatchGasResult) => string][] = [
  ["post + claim + commit + prove + settle", (r) => fmt(r.total)],
  ["gas per sample", (r) => r.gasPerSample.toFixed(1)],
  ["tree depth", (r) => String(r.depth)],
  ["sample checks (BatchVerifier.verify)", (r) => fmt(r.sampleChecksExecution)],
  ["batch check precompiles (EIP-1108)", (r) => fmt(r.batchCheckPrecompileGas)],
  [`${K} registered-verifier calls`, (r) => fmt(r.separateVerificationExecution)],
  ["prove with separate calls (≈)", (r) => fmt(r.proveWithSeparateVerifierCalls)],
  ["single-sample path, per sample", (r) => fmt(r.singleSamplePath)],
  [`proving ${K} samples (s)`, (r) => r.provingSecondsForK.toFixed(1)],
];
for (const [name, f] of rows)
  console.log(`${name.padEnd(34)}${batchRuns.map((r) => pad(f(r), 16)).join("")}`);
const at10k = batchRuns[0]!;
console.log(
  `proving: ${K} of ${at10k.numSamples} samples, ${(at10k.numSamples / K).toFixed(0)}× fewer proofs than proving every sample`,
);
console.log(`gas per sample: ${Math.round(at10k.gasPerSample)}`);

const file = path.join(HERE, "gas-snapshot.json");
const previous =
  ONLY === "batch" ? (JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>) : undefined;
const snapshot = {
  generatedBy: "npm run bench:gas (bench/gas.ts)",
  compiler: "solc 0.8.30, via-IR, optimizer runs 10000 (BatchMarket 200), evm cancun",
  postClaimSubmitTarget: 420_000,
  circuits: previous?.circuits ?? circuits,
  batch: {
    circuit:
      "mnist_mlp_small_b1 (3 public signals; real Groth16 proofs; MNIST digits, repeated beyond 10,000)",
    sampleSize: K,
    gasPerSampleTarget: 100,
    runs: batchRuns.map((r) => ({
      numSamples: r.numSamples,
      depth: r.depth,
      operations: r.gas,
      postClaimCommitProveSettle: r.total,
      gasPerSample: Number(r.gasPerSample.toFixed(2)),
      sampleChecksExecution: r.sampleChecksExecution,
      batchCheckPrecompileGas: r.batchCheckPrecompileGas,
      separateVerifierCallsExecution: r.separateVerificationExecution,
      proveWithSeparateVerifierCalls: r.proveWithSeparateVerifierCalls,
      singleSamplePathPerSample: r.singleSamplePath,
      provingSecondsForK: Number(r.provingSecondsForK.toFixed(2)),
    })),
  },
};
await writeFile(file, JSON.stringify(snapshot, null, 2) + "\n");
if (totals.length) console.log(`\npost + claim + submit: ${totals.join(", ")}`);
console.log(`wrote bench/gas-snapshot.json`);
