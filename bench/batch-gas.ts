/**
 * Gas of the batch path (docs/BATCH.md), run by bench/gas.ts: one batch job of N real MNIST digits
 * (the `mnist` package's 10,000, repeated for larger N) on `mnist_mlp_small_b1` (3 public signals:
 * the same verification cost as every 3-signal circuit) — post, claim, commit, prove of k drawn
 * samples with REAL Groth16 proofs in one transaction (one randomized batch verification), a
 * challenge of two more indices and its answer, settlement — next to what k separate calls of the
 * registered snarkjs verifier would cost, and the single-sample path (post + claim + submit of one
 * digit) of the same circuit. Needs `npx tsx circuits/build.ts --profile test`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import { keccak256 } from "ethers";
import * as snarkjs from "snarkjs";
import { ROOT, loadBuiltCircuit } from "../circuits/index.ts";
import { loadMnist } from "../model/data.ts";
import { benchBatchParams, registerBenchCircuit } from "./deploy.ts";
import {
  batchKeyHash,
  batchSampleProof,
  batchSeed,
  batchVerifyingKey,
  blockHeaderRlp,
  commitInput,
  decodeBatchTerms,
  decodeTerms,
  encodeInputsFile,
  encodeOutputsFile,
  encodeProof,
  inferSample,
  inputsTree,
  modelCircuitInput,
  outputsTree,
  packOutputs,
  parseArtifact,
  prevRandaoOfHeader,
  sampleIndices,
  encodeImageBytes,
  type BatchMerkleTree,
  type BatchRecord,
  type BatchSampleProof,
  type BatchTerms,
  type JobTerms,
  type ModelArtifactV2,
  type OnChainProof,
  type ProofworkContracts,
  type RawBlock,
  type VerificationKey,
} from "../sdk/node.ts";

const CIRCUIT = "mnist_mlp_small_b1";
const E18 = 10n ** 18n;
const HOUR = 3_600;

/** The bench's deployment (bench/gas.ts `deployForBench`): contracts and funded, staked signers. */
export type BatchBenchProtocol = ProofworkContracts & {
  requester: HardhatEthersSigner;
  provider: HardhatEthersSigner;
  keeper: HardhatEthersSigner;
};
type Batch = NonNullable<ProofworkContracts["batchMarket"]>;

/** A dataset: inputs, commitments, reference outputs and both trees. */
interface Dataset {
  n: number;
  inputs: Uint8Array[];
  commitments: bigint[];
  outputs: bigint[][];
  inputsHash: string;
  outputsHash: string;
  inputs_: BatchMerkleTree;
  outputs_: BatchMerkleTree;
  seconds: { commit: number; infer: number; trees: number };
}

let artifact: ModelArtifactV2 | undefined;
const distinct: { inputs: Uint8Array[]; commitments: bigint[]; outputs: bigint[][] } = {
  inputs: [],
  commitments: [],
  outputs: [],
};

/** N samples: the 10,000 MNIST digits (commitments and outputs computed once), repeated. */
async function dataset(n: number): Promise<Dataset> {
  artifact ??= parseArtifact(
    JSON.parse(readFileSync(path.join(ROOT, "build", "circuits", CIRCUIT, "model.json"), "utf8")),
  );
  const a = artifact;
  const seconds = { commit: 0, infer: 0, trees: 0 };
  if (distinct.inputs.length === 0) {
    const mnist = loadMnist();
    distinct.inputs = [...mnist.train, ...mnist.heldOut].map((s) => encodeImageBytes(a, s.image));
    let t = performance.now();
    for (const b of distinct.inputs) distinct.commitments.push(await commitInput(b));
    seconds.commit = (performance.now() - t) / 1000;
    t = performance.now();
    distinct.outputs = distinct.inputs.map((b) => packOutputs(inferSample(a, b), a.output));
    seconds.infer = (performance.now() - t) / 1000;
  }
  const d = distinct.inputs.length;
  const pick = <T>(xs: T[]) => Array.from({ length: n }, (_, i) => xs[i % d]!);
  const inputs = pick(distinct.inputs);
  const commitments = pick(distinct.commitments);
  const outputs = pick(distinct.outputs);
  const t = performance.now();
  const inputs_ = inputsTree(commitments);
  const outputs_ = outputsTree(commitments, outputs);
  seconds.trees = (performance.now() - t) / 1000;
  return {
    n,
    inputs,
    commitments,
    outputs,
    inputsHash: keccak256(encodeInputsFile(inputs)),
    outputsHash: keccak256(encodeOutputsFile(outputs)),
    inputs_,
    outputs_,
    seconds,
  };
}

/** Result of one batch job. */
export interface BatchGasResult {
  numSamples: number;
  sampleSize: number;
  depth: number;
  gas: Record<string, number>;
  /** post + claim + commit + prove + settle */
  total: number;
  gasPerSample: number;
  /** BatchVerifier.verify alone (paths, field checks, one batch check of the k proofs), measured */
  sampleChecksExecution: number;
  /** precompile gas of the batch check (EIP-1108): 45,000 + 34,000·(k+3) pairings, 2k+n ecMul, k+n+1 ecAdd */
  batchCheckPrecompileGas: number;
  /** the k proofs through the registered snarkjs verifier, one call each, measured */
  separateVerificationExecution: number;
  /** ≈ the prove transaction with k verifier calls instead of the batch check */
  proveWithSeparateVerifierCalls: number;
  singleSamplePath: number;
  provingSecondsForK: number;
  provingSecondsPerSample: number;
  preparationSeconds: { commit: number; infer: number; trees: number };
}

/** Runs one batch job of `n` samples with `k` drawn (fresh chain per call). */
export async function batchGasScenario(
  ethers: HardhatEthers,
  networkHelpers: NetworkHelpers,
  p: BatchBenchProtocol,
  n: number,
  k: number,
): Promise<BatchGasResult> {
  const batch = p.batchMarket!;
  const { requester, provider, keeper } = p;
  const built = await loadBuiltCircuit(CIRCUIT);
  const vkey = JSON.parse(readFileSync(built.vkey!, "utf8")) as VerificationKey;
  const key = batchVerifyingKey(vkey);
  const verifier = await ethers.deployContract("MnistMlpSmallB1Verifier");
  const circuitId = ethers.id(`proofwork/${CIRCUIT}`);
  await registerBenchCircuit(p, circuitId, await verifier.getAddress(), 3);
  const ds = await dataset(n);
  await p.token.connect(requester).approve(await batch.getAddress(), ethers.MaxUint256);

  const gasOf = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) =>
    Number((await (await tx).wait())!.gasUsed);
  const now = Number(await networkHelpers.time.latest());
  const gas: Record<string, number> = {};

  // post
  const postTx = batch.connect(requester).postBatch(
    benchBatchParams(now, {
      circuitId,
      keyHash: batchKeyHash(key),
      inputsRoot: ds.inputs_.root,
      inputsHash: ds.inputsHash,
      numSamples: n,
      sampleSize: k,
    }),
  );
  gas.postBatch = await gasOf(postTx);
  const jobId = (await batch.nextJobId()) - 1n;
  const terms: BatchTerms = decodeBatchTerms(
    (await batch.queryFilter(batch.filters.BatchPosted(jobId)))[0]!.args.terms,
  );
  // claim
  gas.claim = await gasOf(batch.connect(provider).claim(jobId, terms));
  const claimedLog = (await batch.queryFilter(batch.filters.BatchClaimed(jobId)))[0]!;
  const record: BatchRecord = {
    provider: claimedLog.args.provider,
    claimedAt: Number(claimedLog.args.claimedAt),
    outputsRoot: ds.outputs_.root,
    sampleBlock: 0,
    randomness: ethers.ZeroHash,
    challenged: [],
  };
  // commit
  gas.commit = await gasOf(
    batch
      .connect(provider)
      .commit(
        jobId,
        terms,
        record.claimedAt,
        ds.outputs_.root,
        ds.outputsHash,
        "https://provider.example/out.bin",
      ),
  );
  record.sampleBlock = Number(
    (await batch.queryFilter(batch.filters.BatchCommitted(jobId)))[0]!.args.sampleBlock,
  );
  await networkHelpers.mine(4);

  // the drawn samples, their real proofs
  const raw = (await ethers.provider.send("eth_getBlockByNumber", [
    `0x${record.sampleBlock.toString(16)}`,
    false,
  ])) as RawBlock;
  const header = blockHeaderRlp(raw);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const indices = sampleIndices(
    batchSeed(prevRandaoOfHeader(header), chainId, await batch.getAddress(), jobId),
    n,
    k,
  );
  const jobKey = await batch.jobKey(jobId, record.provider);
  const prove = async (i: number): Promise<OnChainProof> => {
    const ci = await modelCircuitInput(artifact!, 1, { jobKey, bytes: ds.inputs[i]! });
    const { proof } = await snarkjs.groth16.fullProve(
      ci.input as unknown as snarkjs.CircuitSignals,
      built.wasm,
      built.zkey!,
    );
    return encodeProof(proof);
  };
  const started = performance.now();
  const samples: BatchSampleProof[] = [];
  for (const i of indices) {
    samples.push(
      batchSampleProof(i, ds.commitments[i]!, ds.outputs[i]!, ds.inputs_, ds.outputs_, await prove(i)),
    );
  }
  const provingSecondsForK = (performance.now() - started) / 1000;

  // what the verifications alone cost: the batch check (BatchVerifier.verify) and each
  // registered-verifier call, by eth_estimateGas minus the base and the calldata
  const execution = async (to: string, data: string) => {
    const calldata = ethers.getBytes(data).reduce((s, b) => s + (b === 0 ? 4 : 16), 0);
    return Number(await ethers.provider.estimateGas({ to, data })) - 21_000 - calldata;
  };
  const batchVerifier = await ethers.getContractAt("BatchVerifier", await batch.verifier());
  const check = {
    jobId,
    jobKey,
    inputsRoot: ds.inputs_.root,
    outputsRoot: ds.outputs_.root,
    numSamples: n,
    numPublic: 3,
    keyHash: terms.keyHash,
  };
  const verifyData = batchVerifier.interface.encodeFunctionData("verify", [check, key, indices, samples]);
  const sampleChecksExecution = await execution(await batchVerifier.getAddress(), verifyData);
  let separateVerificationExecution = 0;
  for (let j = 0; j < k; j++) {
    const pr = samples[j]!.proof;
    const data = verifier.interface.encodeFunctionData("verifyProof", [
      [pr[0], pr[1]],
      [
        [pr[2], pr[3]],
        [pr[4], pr[5]],
      ],
      [pr[6], pr[7]],
      [jobKey, samples[j]!.inputCommitment, samples[j]!.outputs[0]!],
    ]);
    separateVerificationExecution += await execution(await verifier.getAddress(), data);
  }

  // prove: k samples, one transaction
  gas.prove = await gasOf(batch.connect(provider).prove(jobId, terms, record, header, key, samples));
  // a challenge of two more indices, and its answer (then the job is paid)
  const challenged = [...Array(n).keys()].filter((i) => !indices.includes(i)).slice(0, 2);
  const second = await runChallenge(ethers, networkHelpers, batch, p, { circuitId, key, ds, challenged });
  gas.challenge2 = second.challenge;
  gas.answer2 = second.answer;
  // settle the first job after its window
  await networkHelpers.time.increase(HOUR + 1);
  gas.settle = await gasOf(batch.connect(keeper).settle(jobId, terms, record));

  // the single-sample path of the same circuit: post + claim + submit of one digit
  const singlePath = await singleSample(ethers, networkHelpers, p, circuitId, ds);

  const total = gas.postBatch + gas.claim + gas.commit + gas.prove + gas.settle;
  const numPublic = 3;
  const batchCheckPrecompileGas =
    45_000 + 34_000 * (k + 3) + 6_000 * (2 * k + numPublic) + 150 * (k + numPublic + 1);
  return {
    numSamples: n,
    sampleSize: k,
    depth: ds.inputs_.depth,
    gas,
    total,
    gasPerSample: total / n,
    sampleChecksExecution,
    batchCheckPrecompileGas,
    separateVerificationExecution,
    proveWithSeparateVerifierCalls: gas.prove - batchCheckPrecompileGas + separateVerificationExecution,
    singleSamplePath: singlePath,
    provingSecondsForK,
    provingSecondsPerSample: provingSecondsForK / k,
    preparationSeconds: ds.seconds,
  };
}

/** A second job (k = 1 for speed) that is proven, challenged on two indices and answered. */
async function runChallenge(
  ethers: HardhatEthers,
  networkHelpers: NetworkHelpers,
  batch: Batch,
  s: BatchBenchProtocol,
  o: { circuitId: string; key: ReturnType<typeof batchVerifyingKey>; ds: Dataset; challenged: number[] },
): Promise<{ challenge: number; answer: number }> {
  const { ds } = o;
  const built = await loadBuiltCircuit(CIRCUIT);
  const now = Number(await networkHelpers.time.latest());
  await batch.connect(s.requester).postBatch(
    benchBatchParams(now, {
      circuitId: o.circuitId,
      keyHash: batchKeyHash(o.key),
      inputsRoot: ds.inputs_.root,
      inputsHash: ds.inputsHash,
      numSamples: ds.n,
      sampleSize: 1,
    }),
  );
  const jobId = (await batch.nextJobId()) - 1n;
  const terms = decodeBatchTerms((await batch.queryFilter(batch.filters.BatchPosted(jobId)))[0]!.args.terms);
  await batch.connect(s.provider).claim(jobId, terms);
  const claimed = (await batch.queryFilter(batch.filters.BatchClaimed(jobId)))[0]!;
  const record: BatchRecord = {
    provider: claimed.args.provider,
    claimedAt: Number(claimed.args.claimedAt),
    outputsRoot: ds.outputs_.root,
    sampleBlock: 0,
    randomness: ethers.ZeroHash,
    challenged: [],
  };
  await batch
    .connect(s.provider)
    .commit(jobId, terms, record.claimedAt, ds.outputs_.root, ds.outputsHash, "");
  record.sampleBlock = Number(
    (await batch.queryFilter(batch.filters.BatchCommitted(jobId)))[0]!.args.sampleBlock,
  );
  await networkHelpers.mine(4);
  const raw = (await ethers.provider.send("eth_getBlockByNumber", [
    `0x${record.sampleBlock.toString(16)}`,
    false,
  ])) as RawBlock;
  const header = blockHeaderRlp(raw);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const drawn = sampleIndices(
    batchSeed(prevRandaoOfHeader(header), chainId, await batch.getAddress(), jobId),
    ds.n,
    1,
  );
  const jobKey = await batch.jobKey(jobId, record.provider);
  const proofOf = async (i: number) => {
    const ci = await modelCircuitInput(artifact!, 1, { jobKey, bytes: ds.inputs[i]! });
    const { proof } = await snarkjs.groth16.fullProve(
      ci.input as unknown as snarkjs.CircuitSignals,
      built.wasm,
      built.zkey!,
    );
    return batchSampleProof(
      i,
      ds.commitments[i]!,
      ds.outputs[i]!,
      ds.inputs_,
      ds.outputs_,
      encodeProof(proof),
    );
  };
  await batch
    .connect(s.provider)
    .prove(jobId, terms, record, header, o.key, await Promise.all(drawn.map((i) => proofOf(i))));
  const challenged = [...o.challenged].sort((a, b) => a - b);
  const challenge = Number(
    (await (await batch.connect(s.requester).challenge(jobId, terms, record, challenged)).wait())!.gasUsed,
  );
  record.challenged = challenged;
  const answers = [];
  for (const i of challenged) answers.push(await proofOf(i));
  const answer = Number(
    (await (await batch.connect(s.provider).answer(jobId, terms, record, o.key, answers)).wait())!.gasUsed,
  );
  return { challenge, answer };
}

/** post + claim + submit of one digit on the JobMarket with the registered verifier. */
async function singleSample(
  ethers: HardhatEthers,
  networkHelpers: NetworkHelpers,
  s: BatchBenchProtocol,
  circuitId: string,
  ds: Dataset,
): Promise<number> {
  const p = s;
  const now = Number(await networkHelpers.time.latest());
  const input = ds.inputs[0]!;
  const postTx = await p.market.connect(s.requester).postJob({
    circuitId,
    inputCommitment: ds.commitments[0]!,
    input: ethers.hexlify(input),
    inputURI: "",
    minPrice: 10n * E18,
    maxPrice: 10n * E18,
    rampDuration: 0,
    collateral: 50n * E18,
    claimDeadline: now + HOUR,
    executionWindow: 600,
    verificationMode: 0,
  });
  const postReceipt = (await postTx.wait())!;
  let terms: JobTerms | undefined;
  for (const l of postReceipt.logs) {
    const ev = p.market.interface.parseLog(l);
    if (ev?.name === "JobPosted") terms = decodeTerms(ev.args.getValue("terms") as object);
  }
  const jobId = (await p.market.nextJobId()) - 1n;
  const claim = (await (await p.market.connect(s.provider).claim(jobId, terms!)).wait())!;
  const jobKey = await p.market.jobKey(jobId, s.provider.address);
  const ci = await modelCircuitInput(artifact!, 1, { jobKey, bytes: input });
  const built = await loadBuiltCircuit(CIRCUIT);
  const { proof } = await snarkjs.groth16.fullProve(
    ci.input as unknown as snarkjs.CircuitSignals,
    built.wasm,
    built.zkey!,
  );
  const submit = (await (
    await p.market.connect(s.provider).submit(jobId, terms!, encodeProof(proof), ci.publicSignals.slice(2))
  ).wait())!;
  return Number(postReceipt.gasUsed + claim.gasUsed + submit.gasUsed);
}
