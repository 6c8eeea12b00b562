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
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";
import { loadMlpModel } from "../circuits/mlp-gen.ts";
import { loadBuiltCircuit, releaseCurves } from "../circuits/pipeline.ts";
import { heldOutInterleaved } from "../model/data.ts";
import { commitInput } from "../sdk/commitment.ts";
import { encodeProof } from "../sdk/proof.ts";
import { encodeBatch } from "../sdk/quant.ts";
import { mlpCircuitInput } from "../worker/prover/input.ts";
import { BINDING_TEST_BYTES, proveBinding } from "../test/helpers/zk.ts";
import {
  DAY,
  E18,
  UNBONDING_PERIOD,
  capability,
  deployProtocol,
  emptyCircuit,
  jobParams,
  termsOf,
} from "../test/contracts/fixtures.ts";

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
    const p = await proveBinding(jobKey, bindingInput);
    return { proof: p.solidityProof, outputs: [] };
  },
};

const mnistModel = loadMlpModel("full");
const mnistInput = encodeBatch(mnistModel.preprocess, [heldOutInterleaved()[0]!.image]);
const mnist: BenchCircuit = {
  name: "mnist_mlp_full_b1",
  verifierContract: "MnistMlpFullB1Verifier",
  numPublic: 3,
  input: mnistInput,
  async prove(jobKey) {
    const built = await loadBuiltCircuit("mnist_mlp_full_b1");
    const ci = await mlpCircuitInput(mnistModel, 1, { jobKey, bytes: mnistInput });
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
  const p = await deployProtocol(ethers);
  const verifier = await ethers.deployContract(c.verifierContract);
  const circuitId = ethers.id(`proofwork/${c.name}`);
  await p.registry.registerCircuit(
    circuitId,
    emptyCircuit(await verifier.getAddress(), await p.registry.snarkjsSelector(c.numPublic), c.numPublic),
  );
  const input = c.input;
  const inputCommitment = await commitInput(input);
  const now = async () => Number(await networkHelpers.time.latest());
  const fixed = async () =>
    jobParams(await now(), {
      circuitId,
      inputCommitment,
      input: ethers.hexlify(input),
      claimDeadline: (await now()) + DAY,
    });
  const gas = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) =>
    Number((await (await tx).wait())!.gasUsed);

  // Existing jobs from other requesters and providers, half of them claimed.
  await p.staking.connect(p.provider2).updateCapability(capability(1000));
  await p.staking.connect(p.provider2).stake(5_000n * E18);
  for (let i = 0; i < existingJobs; i++) {
    await p.market.connect(p.other).postJob(await fixed());
  }
  for (let i = 1; i <= Math.floor(existingJobs / 2); i++)
    await p.market.connect(p.provider2).claim(BigInt(i), await termsOf(p.market, i));

  const ops: Row = {};
  // stake: a provider adding to an existing stake.
  ops.stake = await gas(p.staking.connect(p.provider).stake(10n * E18));
  // post: fixed price, and a reverse Dutch auction.
  const first = await p.market.nextJobId();
  ops.postJob_fixed = await gas(p.market.connect(p.requester).postJob(await fixed()));
  ops.postJob_auction = await gas(
    p.market
      .connect(p.requester)
      .postJob({ ...(await fixed()), minPrice: 2n * E18, maxPrice: 10n * E18, rampDuration: 600 }),
  );
  // claim + submit (real proof) of the fixed-price job.
  const terms = await termsOf(p.market, first);
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
  ops.cancel = await gas(
    p.market.connect(p.requester).cancel(first + 1n, await termsOf(p.market, first + 1n)),
  );
  // reclaim: an unclaimed job past its claim deadline; slashExpired: a claimed job past its deadline.
  await p.market.connect(p.requester).postJob(await fixed());
  await p.market.connect(p.requester).postJob(await fixed());
  const terms2 = await termsOf(p.market, first + 2n);
  const terms3 = await termsOf(p.market, first + 3n);
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

const pad = (s: string | number, n: number) => String(s).padStart(n);
const circuits: Record<string, unknown> = {};
const totals: string[] = [];
for (const c of [binding, mnist]) {
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
await releaseCurves();

const snapshot = {
  generatedBy: "npm run bench:gas (bench/gas.ts)",
  compiler: "solc 0.8.30, via-IR, optimizer runs 10000, evm cancun",
  postClaimSubmitTarget: 420_000,
  circuits,
};
await writeFile(path.join(HERE, "gas-snapshot.json"), JSON.stringify(snapshot, null, 2) + "\n");
console.log(`\npost + claim + submit: ${totals.join(", ")}`);
console.log(`wrote bench/gas-snapshot.json`);
