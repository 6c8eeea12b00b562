/**
 * Test helpers for batch jobs (docs/BATCH.md) on the real `mnist_mlp_small_b1` circuit (built by
 * `npx tsx circuits/build.ts --profile test`): a dataset of real held-out MNIST digits with its
 * input commitments, reference outputs and trees; real Groth16 proofs of single samples (cached by
 * jobKey and index within a process) and of sampling-circuit chunks; the job's terms and record
 * read back from events. No side effects at import.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import * as snarkjs from "snarkjs";
import { ROOT, loadBuiltCircuit, type BuiltCircuit } from "../../circuits/pipeline.ts";
import { heldOutInterleaved } from "../../model/data.ts";
import {
  EMPTY_RECORD,
  batchSampleProof,
  batchSeed,
  batchVerifyingKey,
  blockHeaderRlp,
  decodeBatchTerms,
  encodeInputsFile,
  inputsTree,
  outputsTree,
  prevRandaoOfHeader,
  sampleIndices,
  type BatchMerkleTree,
  type BatchRecord,
  type BatchSampleProof,
  type BatchTerms,
  type BatchVerifyingKey,
  type RawBlock,
} from "../../sdk/batch.ts";
import { commitInput } from "../../sdk/commitment.ts";
import { modelCircuitInput } from "../../sdk/model/circuit-input.ts";
import { encodeImageBytes } from "../../sdk/model/encode.ts";
import { parseArtifact, type ModelArtifactV2 } from "../../sdk/model/format.ts";
import { inferSample, packOutputs } from "../../sdk/model/reference.ts";
import { encodeProof, type OnChainProof, type VerificationKey } from "../../sdk/proof.ts";
import { samplingProofInputs, type PoseidonTree } from "../../sdk/sampling.ts";
import type { BatchMarket } from "../../sdk/types/BatchMarket.ts";

/** The model circuit batch tests prove samples with (3 public signals: one packed output). */
export const BATCH_CIRCUIT = "mnist_mlp_small_b1";

/** A batch of real digits: inputs, commitments, the reference outputs and both trees. */
export interface BatchDataset {
  artifact: ModelArtifactV2;
  circuit: BuiltCircuit;
  vkey: VerificationKey;
  key: BatchVerifyingKey;
  inputs: Uint8Array[];
  commitments: bigint[];
  outputs: bigint[][];
  inputsFile: Uint8Array;
  inputs_: BatchMerkleTree;
}

/** The first `n` held-out digits, encoded for the circuit, with their commitments and outputs. */
export async function loadBatchDataset(n: number): Promise<BatchDataset> {
  const circuit = await loadBuiltCircuit(BATCH_CIRCUIT);
  if (!circuit.zkey || !circuit.vkey) {
    throw new Error(
      `${BATCH_CIRCUIT} was built without keys: run \`npx tsx circuits/build.ts --profile test\``,
    );
  }
  const dir = path.join(ROOT, "build", "circuits", BATCH_CIRCUIT);
  const artifact = parseArtifact(JSON.parse(readFileSync(path.join(dir, "model.json"), "utf8")));
  const vkey = JSON.parse(readFileSync(circuit.vkey, "utf8")) as VerificationKey;
  const inputs = heldOutInterleaved()
    .slice(0, n)
    .map((s) => encodeImageBytes(artifact, s.image));
  const commitments = await Promise.all(inputs.map((b) => commitInput(b)));
  const outputs = inputs.map((b) => packOutputs(inferSample(artifact, b), artifact.output));
  return {
    artifact,
    circuit,
    vkey,
    key: batchVerifyingKey(vkey),
    inputs,
    commitments,
    outputs,
    inputsFile: encodeInputsFile(inputs),
    inputs_: inputsTree(commitments),
  };
}

const proofCache = new Map<string, OnChainProof>();

/**
 * A real proof of sample `index` of `ds` under `jobKey` (public signals `[jobKey, c_i, out_i]`),
 * cached per process by proving key, jobKey and sample.
 */
export async function proveSample(ds: BatchDataset, jobKey: bigint, index: number): Promise<OnChainProof> {
  // keyed by the proving key too: a proof is only valid under the key it was made with
  const id = `${ds.circuit.zkeySha256}:${jobKey}:${index}:${ds.commitments[index]}`;
  const cached = proofCache.get(id);
  if (cached) return cached;
  const ci = await modelCircuitInput(ds.artifact, 1, { jobKey, bytes: ds.inputs[index]! });
  const { proof } = await snarkjs.groth16.fullProve(
    ci.input as unknown as snarkjs.CircuitSignals,
    ds.circuit.wasm,
    ds.circuit.zkey!,
  );
  const encoded = encodeProof(proof);
  proofCache.set(id, encoded);
  return encoded;
}

/**
 * Real proofs of a sampling-circuit job's `indices` (`proveSampled`/`answerSampled`): one per chunk
 * of `slots` (`samplingProofInputs`), by the built circuit `circuit`, over `trees`.
 */
export async function samplingProofs(
  ds: Pick<BatchDataset, "artifact" | "inputs">,
  circuit: Pick<BuiltCircuit, "wasm" | "zkey">,
  o: {
    jobKey: bigint;
    slots: number;
    trees: { inputs: PoseidonTree; outputs: PoseidonTree };
    indices: readonly number[];
  },
): Promise<OnChainProof[]> {
  const out: OnChainProof[] = [];
  for (const ci of samplingProofInputs(ds.artifact, { ...o, sample: (i) => ds.inputs[i]! })) {
    const { proof } = await snarkjs.groth16.fullProve(
      ci.input as unknown as snarkjs.CircuitSignals,
      circuit.wasm,
      circuit.zkey!,
    );
    out.push(encodeProof(proof));
  }
  return out;
}

/**
 * The proven-sample entries for `indices`: real proofs of the true outputs, paths in the inputs
 * tree and in `committed` (the outputs tree the provider committed, with `claimed` outputs).
 */
export async function sampleProofs(
  ds: BatchDataset,
  jobKey: bigint,
  indices: readonly number[],
  committed: BatchMerkleTree,
  claimed: readonly (readonly bigint[])[],
): Promise<BatchSampleProof[]> {
  const out: BatchSampleProof[] = [];
  for (const i of indices) {
    out.push(
      batchSampleProof(
        i,
        ds.commitments[i]!,
        claimed[i]!,
        ds.inputs_,
        committed,
        await proveSample(ds, jobKey, i),
      ),
    );
  }
  return out;
}

/** The outputs tree of `ds` with `outputs` (default: the true ones). */
export function committedTree(
  ds: BatchDataset,
  outputs: readonly (readonly bigint[])[] = ds.outputs,
): BatchMerkleTree {
  return outputsTree(ds.commitments, outputs);
}

/** `outputs` with sample `index`'s first element changed (a faked output). */
export function fakeOutputs(outputs: readonly (readonly bigint[])[], faked: Iterable<number>): bigint[][] {
  const rows = outputs.map((r) => [...r]);
  for (const i of faked) rows[i]![0] = rows[i]![0]! + 1n;
  return rows;
}

/** The terms of batch job `jobId` from its `BatchPosted` event. */
export async function batchTermsOf(market: BatchMarket, jobId: bigint): Promise<BatchTerms> {
  const logs = await market.queryFilter(market.filters.BatchPosted(jobId));
  const log = logs[logs.length - 1];
  if (log === undefined) throw new Error(`batch job ${jobId} was never posted`);
  return decodeBatchTerms(log.args.terms);
}

/** The record of batch job `jobId` from its events (what every call after the claim takes). */
export async function batchRecordOf(market: BatchMarket, jobId: bigint): Promise<BatchRecord> {
  const r: BatchRecord = { ...EMPTY_RECORD, challenged: [] };
  const claimed = (await market.queryFilter(market.filters.BatchClaimed(jobId))).at(-1);
  if (claimed === undefined) return r;
  r.provider = claimed.args.provider;
  r.claimedAt = Number(claimed.args.claimedAt);
  const committed = (await market.queryFilter(market.filters.BatchCommitted(jobId))).at(-1);
  if (committed !== undefined) {
    r.outputsRoot = committed.args.outputsRoot;
    r.sampleBlock = Number(committed.args.sampleBlock);
  }
  const sampled = (await market.queryFilter(market.filters.BatchSampled(jobId))).at(-1);
  if (sampled !== undefined) r.randomness = sampled.args.randomness;
  const challenged = (await market.queryFilter(market.filters.BatchChallenged(jobId))).at(-1);
  if (challenged !== undefined) r.challenged = challenged.args.indices.map(Number);
  return r;
}

/** The RLP header of block `n` (what `prove` and `sample` take), from the SDK. */
export async function headerOf(ethers: HardhatEthers, n: number): Promise<string> {
  const raw = (await ethers.provider.send("eth_getBlockByNumber", [
    `0x${n.toString(16)}`,
    false,
  ])) as RawBlock;
  return blockHeaderRlp(raw);
}

/** The indices the job draws, derived by the SDK from the sample block's header. */
export async function drawnIndices(
  ethers: HardhatEthers,
  market: BatchMarket,
  jobId: bigint,
  terms: Pick<BatchTerms, "numSamples" | "sampleSize">,
  sampleBlock: number,
): Promise<{ indices: number[]; randomness: string; header: string }> {
  const header = await headerOf(ethers, sampleBlock);
  const randomness = prevRandaoOfHeader(header);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const seed = batchSeed(randomness, chainId, await market.getAddress(), jobId);
  return { indices: sampleIndices(seed, terms.numSamples, terms.sampleSize), randomness, header };
}
