/**
 * Batch jobs, design 2 (docs/BATCH.md, "Design 2: one proof over the k samples"): fixed-depth
 * Poseidon Merkle trees over a dataset's input commitments and its outputs, the packing of the
 * sampled indices into public signals, and the witness input of a model's sampling circuit
 * (`circuits/model-gen.ts` `generateSamplingCircuit`). Must match `circuits/src/lib/merkle.circom`
 * and the generated circuit bit for bit. Browser-safe.
 *
 * A batch job uses it when its terms name `slots > 0` (`BatchMarket.proveSampled`/`answerSampled`):
 * its `inputsRoot` and `outputsRoot` are these trees' roots (`rootHex`), and each proof covers one
 * chunk of the drawn or challenged indices (`samplingChunks`). Jobs with `slots == 0` keep sample
 * proofs over keccak trees (sdk/batch.ts).
 *
 * Trees: leaf i at position i (bit d of i, least significant first, is 1 when the level-d node is
 * a right child), empty positions hold 0, node = Poseidon(left, right). Input leaf: the sample's
 * input commitment `c_i` (the packed-bytes Poseidon chain). Output leaf: Poseidon(c_i, packed
 * outputs of sample i).
 */
import { toBeHex } from "ethers";
import { MAX_SAMPLE_SIZE, inputsTree, outputsTree, type BatchMerkleTree, type BatchTerms } from "./batch.ts";
import type { VerificationKey } from "./proof.ts";
import { getPoseidon } from "./commitment.ts";
import { ErrorCodes, ProofworkError } from "./errors.ts";
import type { CircuitSignals } from "./model/circuit-input.ts";
import { inputSize, outputElements, type ModelArtifactV2 } from "./model/format.ts";
import { inferSample, packOutputs } from "./model/reference.ts";

/** Depth of the sampling trees: datasets of up to 2^20 samples. */
export const SAMPLING_DEPTH = 20;

/** A sampling-circuit job's shape: samples per proof and tree depth (`BatchTerms.slots`, `treeDepth`). */
export interface SamplingShape {
  slots: number;
  treeDepth: number;
}

/** Whether a batch job is proven by a sampling circuit (`proveSampled`) rather than sample proofs. */
export function isSamplingJob(t: Pick<BatchTerms, "slots">): boolean {
  return t.slots > 0;
}

/** Indices per packed public signal: ⌊248 / depth⌋. */
export function indicesPerSignal(depth: number): number {
  return Math.floor(248 / depth);
}

/** A sampling circuit's public signal count, `3 + ⌈slots / ⌊248 / depth⌋⌉` (what `postBatch` checks). */
export function samplingNumPublic(shape: SamplingShape): number {
  return 3 + Math.ceil(shape.slots / indicesPerSignal(shape.treeDepth));
}

/** Checks a sampling shape against `postBatch`'s rule for N samples (BAD_ARGUMENT when it breaks it). */
export function checkSamplingShape(shape: SamplingShape, numSamples: number): void {
  const { slots, treeDepth } = shape;
  if (
    !Number.isInteger(slots) ||
    !Number.isInteger(treeDepth) ||
    slots < 1 ||
    slots > MAX_SAMPLE_SIZE ||
    treeDepth < 1 ||
    treeDepth > 32 ||
    numSamples > 2 ** treeDepth
  ) {
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      `a sampling circuit takes 1 to ${MAX_SAMPLE_SIZE} slots and a tree depth of 1 to 32 holding the ${numSamples} samples, not ${slots} slots of depth ${treeDepth}`,
    );
  }
}

/**
 * The indices each proof covers (as `BatchVerifier.verifySampling`): `indices` in order, in chunks
 * of `slots`; the last chunk is padded by the circuit input (`samplingCircuitInput` repeats its last index).
 */
export function samplingChunks(indices: readonly number[], slots: number): number[][] {
  if (!Number.isInteger(slots) || slots < 1) {
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      `a sampling circuit has at least one slot, not ${slots}`,
    );
  }
  const out: number[][] = [];
  for (let i = 0; i < indices.length; i += slots) out.push(indices.slice(i, i + slots));
  return out;
}

/** A field element as the bytes32 the contracts take (a Poseidon root as `inputsRoot`/`outputsRoot`). */
export function rootHex(v: bigint): string {
  return toBeHex(v, 32);
}

/**
 * A batch tree of a job's shape: the keccak tree (`tree`) of sample-proof jobs (`treeDepth` 0) or
 * the Poseidon tree (`poseidon`) of a sampling circuit's `treeDepth`; `root` as the contracts take it.
 */
export interface BatchTree {
  root: string;
  tree?: BatchMerkleTree;
  poseidon?: PoseidonTree;
}

/**
 * The inputs tree a job of this shape posts over the samples' input commitments: the keccak tree
 * (`inputsTree`) with sample proofs (`treeDepth` 0), the Poseidon tree of `treeDepth` with a
 * sampling circuit.
 */
export async function batchInputsTree(commitments: readonly bigint[], treeDepth: number): Promise<BatchTree> {
  if (treeDepth === 0) {
    const tree = inputsTree(commitments);
    return { root: tree.root, tree };
  }
  const poseidon = await poseidonTree(commitments, treeDepth);
  return { root: rootHex(poseidon.root), poseidon };
}

/** The outputs tree a provider commits for a job of this shape (as `batchInputsTree`). */
export async function batchOutputsTree(
  commitments: readonly bigint[],
  outputs: readonly (readonly bigint[])[],
  treeDepth: number,
): Promise<BatchTree> {
  if (treeDepth === 0) {
    const tree = outputsTree(commitments, outputs);
    return { root: tree.root, tree };
  }
  const poseidon = await samplingOutputsTree(commitments, outputs, treeDepth);
  return { root: rootHex(poseidon.root), poseidon };
}

/** `batchInputsTree(…).root`. */
export async function batchInputsRoot(commitments: readonly bigint[], treeDepth: number): Promise<string> {
  return (await batchInputsTree(commitments, treeDepth)).root;
}

/** `batchOutputsTree(…).root`. */
export async function batchOutputsRoot(
  commitments: readonly bigint[],
  outputs: readonly (readonly bigint[])[],
  treeDepth: number,
): Promise<string> {
  return (await batchOutputsTree(commitments, outputs, treeDepth)).root;
}

/**
 * Output field elements per sample of a job (what its outputs file holds per sample): `numPublic −
 * 2` with sample proofs (the circuit's signals are `[jobKey, c, ...outputs]`); with a sampling
 * circuit (whose signals are not outputs) the model's, or — without the model — what an outputs
 * file of `fileBytes` says (32 bytes each over N samples; the committed root then checks it).
 * BAD_ARGUMENT when neither gives a whole number.
 */
export function batchOutputsPerSample(
  terms: Pick<BatchTerms, "slots" | "numPublic" | "numSamples">,
  from: { model?: Pick<ModelArtifactV2, "output">; fileBytes?: number } = {},
): number {
  if (terms.slots === 0) return terms.numPublic - 2;
  if (from.model !== undefined) return outputElements(from.model.output);
  const per = from.fileBytes !== undefined ? from.fileBytes / (32 * terms.numSamples) : Number.NaN;
  if (!Number.isInteger(per) || per < 1) {
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      `a sampling-circuit job's outputs per sample come from its model or a whole outputs file (${from.fileBytes ?? "no"} bytes for ${terms.numSamples} samples)`,
    );
  }
  return per;
}

/**
 * How a batch job on `circuit` is proven, as `BatchClient.postBatch` takes it, and the depth of its
 * trees: a sampling circuit's shape (its deployment record's `sampling`) with Poseidon trees, else
 * the circuit's verification key (`vkey()`: trusted, e.g. `resolveVerificationKey`) with keccak trees.
 */
export async function batchProofFor(
  circuit: { sampling?: SamplingShape | undefined },
  vkey: () => Promise<VerificationKey>,
): Promise<{ key: { vkey: VerificationKey } | { sampling: SamplingShape }; treeDepth: number }> {
  if (circuit.sampling !== undefined)
    return { key: { sampling: circuit.sampling }, treeDepth: circuit.sampling.treeDepth };
  return { key: { vkey: await vkey() }, treeDepth: 0 };
}

/** A fixed-depth Poseidon tree: its root and the populated part of every level. */
export interface PoseidonTree {
  depth: number;
  root: bigint;
  /** levels[0] are the leaves; levels[d] the populated nodes of level d (the rest are zeros[d]). */
  levels: bigint[][];
  /** zeros[d]: the root of an empty subtree of height d. */
  zeros: bigint[];
}

/** Roots of empty subtrees: zeros[0] = 0, zeros[d + 1] = Poseidon(zeros[d], zeros[d]). */
export async function emptyRoots(depth: number): Promise<bigint[]> {
  const poseidon = await getPoseidon();
  const z = [0n];
  for (let d = 0; d < depth; d++) z.push(poseidon([z[d]!, z[d]!]));
  return z;
}

/** The tree of `leaves` at positions 0.. (the rest empty). */
export async function poseidonTree(leaves: readonly bigint[], depth = SAMPLING_DEPTH): Promise<PoseidonTree> {
  if (leaves.length === 0 || leaves.length > 2 ** depth) {
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      `a tree of depth ${depth} holds 1 to ${2 ** depth} leaves, not ${leaves.length}`,
    );
  }
  const poseidon = await getPoseidon();
  const zeros = await emptyRoots(depth);
  const levels: bigint[][] = [[...leaves]];
  for (let d = 0; d < depth; d++) {
    const below = levels[d]!;
    const next: bigint[] = [];
    for (let i = 0; i < below.length; i += 2) next.push(poseidon([below[i]!, below[i + 1] ?? zeros[d]!]));
    levels.push(next);
  }
  return { depth, root: levels[depth]![0]!, levels, zeros };
}

/** The siblings of leaf `index` from the bottom up (what the circuit's `MerkleRoot` takes). */
export function poseidonPath(tree: PoseidonTree, index: number): bigint[] {
  if (!Number.isInteger(index) || index < 0 || index >= 2 ** tree.depth) {
    throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, `index ${index} is not a position of the tree`);
  }
  const path: bigint[] = [];
  let i = index;
  for (let d = 0; d < tree.depth; d++) {
    path.push(tree.levels[d]![i ^ 1] ?? tree.zeros[d]!);
    i >>= 1;
  }
  return path;
}

/** The output leaf of a sample: Poseidon(c, packed outputs). */
export async function samplingOutputLeaf(commitment: bigint, outputs: readonly bigint[]): Promise<bigint> {
  return outputLeaf(await getPoseidon(), commitment, outputs);
}

function outputLeaf(
  poseidon: (inputs: bigint[]) => bigint,
  commitment: bigint,
  outputs: readonly bigint[],
): bigint {
  return poseidon([commitment, ...outputs]);
}

/** Indices of `depth` bits each, ⌊248 / depth⌋ per field element, least significant first. */
export function packIndices(indices: readonly number[], depth = SAMPLING_DEPTH): bigint[] {
  const per = Math.floor(248 / depth);
  const out: bigint[] = [];
  indices.forEach((index, n) => {
    if (!Number.isInteger(index) || index < 0 || index >= 2 ** depth) {
      throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, `index ${index} does not fit ${depth} bits`);
    }
    const at = Math.floor(n / per);
    out[at] = (out[at] ?? 0n) | (BigInt(index) << BigInt((n % per) * depth));
  });
  return out;
}

/** The outputs tree of a sampling-circuit job: leaf i = Poseidon(c_i, packed outputs of sample i). */
export async function samplingOutputsTree(
  commitments: readonly bigint[],
  outputs: readonly (readonly bigint[])[],
  depth = SAMPLING_DEPTH,
): Promise<PoseidonTree> {
  if (outputs.length !== commitments.length) {
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      `${outputs.length} outputs for ${commitments.length} input commitments`,
    );
  }
  const poseidon = await getPoseidon();
  return poseidonTree(
    commitments.map((c, i) => outputLeaf(poseidon, c, outputs[i]!)),
    depth,
  );
}

/** A dataset's two sampling trees from its samples' input commitments and outputs, for the model. */
export async function samplingTrees(
  a: ModelArtifactV2,
  commitments: readonly bigint[],
  outputs: readonly (readonly bigint[])[],
  depth = SAMPLING_DEPTH,
): Promise<{ inputs: PoseidonTree; outputs: PoseidonTree }> {
  if (outputs.length !== commitments.length || outputs.some((o) => o.length !== outputElements(a.output))) {
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      `${commitments.length} commitments need as many outputs of ${outputElements(a.output)} element(s)`,
    );
  }
  return {
    inputs: await poseidonTree(commitments, depth),
    outputs: await samplingOutputsTree(commitments, outputs, depth),
  };
}

/**
 * The sampling circuit's input for `slots` slots proving `indices` (k ≤ slots; the remaining slots
 * repeat the last index) of a dataset with the given trees; `publicSignals` in the circuit's order.
 */
export function samplingCircuitInput(
  a: ModelArtifactV2,
  o: {
    jobKey: bigint;
    slots: number;
    trees: { inputs: PoseidonTree; outputs: PoseidonTree };
    /** Input bytes of sample i. */
    sample: (i: number) => Uint8Array;
    indices: readonly number[];
  },
): { input: CircuitSignals; publicSignals: bigint[] } {
  const { trees, slots } = o;
  const depth = trees.inputs.depth;
  if (o.indices.length === 0 || o.indices.length > slots) {
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      `1 to ${slots} indices per proof, not ${o.indices.length}`,
    );
  }
  const padded = [...o.indices];
  while (padded.length < slots) padded.push(o.indices.at(-1)!);
  const bytes: bigint[] = [];
  for (const i of padded) {
    const s = o.sample(i);
    if (s.length !== inputSize(a)) {
      throw new ProofworkError(
        ErrorCodes.INPUT_INVALID,
        `sample ${i} has ${s.length} bytes, not ${inputSize(a)}`,
      );
    }
    for (const b of s) bytes.push(BigInt(b));
  }
  const indices = packIndices(padded, depth);
  const input: CircuitSignals = {
    jobKey: o.jobKey,
    inputsRoot: trees.inputs.root,
    outputsRoot: trees.outputs.root,
    indices,
    bytes,
    inputPaths: padded.map((i) => poseidonPath(trees.inputs, i)),
    outputPaths: padded.map((i) => poseidonPath(trees.outputs, i)),
  };
  return { input, publicSignals: [o.jobKey, trees.inputs.root, trees.outputs.root, ...indices] };
}

/**
 * The sampling circuit's inputs for all of `indices` (drawn or challenged, in the contract's
 * order): one per chunk of `slots` (`samplingChunks`), proof j for `proofs[j]` of
 * `proveSampled`/`answerSampled`.
 */
export function samplingProofInputs(
  a: ModelArtifactV2,
  o: Omit<Parameters<typeof samplingCircuitInput>[1], "indices"> & { indices: readonly number[] },
): { input: CircuitSignals; publicSignals: bigint[] }[] {
  return samplingChunks(o.indices, o.slots).map((chunk) => samplingCircuitInput(a, { ...o, indices: chunk }));
}

/** The packed outputs of sample `bytes` by the bigint reference (what an honest provider commits). */
export function referenceOutputs(a: ModelArtifactV2, bytes: Uint8Array): bigint[] {
  return packOutputs(inferSample(a, bytes), a.output);
}
