/**
 * Batch jobs checked by zk sampling (docs/BATCH.md): the one off-chain implementation of every
 * rule of `BatchMarket` — terms and record encoding and their commitments, the Merkle leaves and
 * trees (up to 2^20 leaves and beyond, in flat byte arrays), the inputs/outputs files, the
 * randomness (the sample block's RLP header and its `mixHash`), the sample-index derivation, the
 * verifying key in the contract's encoding and its hash, the detection probability and the
 * collateral rule. Browser-safe.
 */
import {
  AbiCoder,
  ZeroAddress,
  ZeroHash,
  concat,
  decodeRlp,
  encodeRlp,
  getAddress,
  getBytes,
  hexlify,
  keccak256,
  toBeHex,
  toBigInt,
  type Result,
} from "ethers";
import { ErrorCodes, ProofworkError } from "./errors.ts";
import { FIELD_MODULUS, assertField, computeJobKey } from "./field.ts";
import type { OnChainProof, VerificationKey } from "./proof.ts";
import { priceAt } from "./terms.ts";

// ---------------------------------------------------------------------------------------------
// Constants (ProtocolBounds)
// ---------------------------------------------------------------------------------------------

/** Blocks from a commit to the block whose RANDAO mix draws the sample. */
export const SAMPLE_DELAY = 4;
/** Largest k. */
export const MAX_SAMPLE_SIZE = 64;
/** Largest m. */
export const MAX_CHALLENGES = 32;
/** Largest N (`uint32`). */
export const MAX_BATCH_SAMPLES = 2 ** 32 - 1;

/** `IBatchMarket.BatchStatus`. */
export const BatchStatus = {
  None: 0,
  Open: 1,
  Claimed: 2,
  Committed: 3,
  Sampled: 4,
  Proven: 5,
  Challenged: 6,
  Paid: 7,
  Cancelled: 8,
  Reclaimed: 9,
  Slashed: 10,
} as const;
export type BatchStatusValue = (typeof BatchStatus)[keyof typeof BatchStatus];

// ---------------------------------------------------------------------------------------------
// Terms, record, commitments
// ---------------------------------------------------------------------------------------------

/** ABI tuple of `IBatchMarket.BatchTerms` (static: `abi.encode(terms)` is one word per field). */
export const BATCH_TERMS_TUPLE =
  "tuple(address requester, bytes32 circuitId, uint16 numPublic, bytes32 keyHash, uint8 slots, uint8 treeDepth, bytes32 inputsRoot, bytes32 inputsHash, uint32 numSamples, uint8 sampleSize, uint8 maxChallenges, uint96 challengeBond, uint96 minPrice, uint96 maxPrice, uint32 rampDuration, uint96 collateral, uint40 postedAt, uint40 claimDeadline, uint32 commitWindow, uint32 proveWindow, uint32 challengeWindow, uint32 answerWindow, uint16 feeBps, uint16 slashRequesterBps, uint16 slashBountyBps)";

/** ABI tuple of `IBatchMarket.BatchRecord`. */
export const BATCH_RECORD_TUPLE =
  "tuple(address provider, uint40 claimedAt, bytes32 outputsRoot, uint64 sampleBlock, bytes32 randomness, uint32[] challenged)";

/** ABI tuple of `IBatchMarket.VerifyingKey`. */
export const VERIFYING_KEY_TUPLE =
  "tuple(uint256[2] alpha, uint256[4] beta, uint256[4] gamma, uint256[4] delta, uint256[] ic)";

/** The immutable terms of a batch job, as emitted in `BatchPosted`. */
export interface BatchTerms {
  requester: string;
  circuitId: string;
  numPublic: number;
  keyHash: string;
  /** 0: sample proofs (keccak trees, `prove`). Else samples per proof of the sampling circuit. */
  slots: number;
  /** 0 with sample proofs; else the sampling circuit's Poseidon tree depth. */
  treeDepth: number;
  inputsRoot: string;
  inputsHash: string;
  numSamples: number;
  sampleSize: number;
  maxChallenges: number;
  challengeBond: bigint;
  minPrice: bigint;
  maxPrice: bigint;
  rampDuration: number;
  collateral: bigint;
  postedAt: number;
  claimDeadline: number;
  commitWindow: number;
  proveWindow: number;
  challengeWindow: number;
  answerWindow: number;
  feeBps: number;
  slashRequesterBps: number;
  slashBountyBps: number;
}

/** What a job's life fixed after its post (`IBatchMarket.BatchRecord`); zero until reached. */
export interface BatchRecord {
  provider: string;
  claimedAt: number;
  outputsRoot: string;
  sampleBlock: number;
  randomness: string;
  challenged: number[];
}

/** `IBatchMarket.PostBatchParams`. */
export interface PostBatchParams {
  circuitId: string;
  keyHash: string;
  slots: number;
  treeDepth: number;
  inputsRoot: string;
  inputsHash: string;
  inputsURI: string;
  numSamples: number;
  sampleSize: number;
  maxChallenges: number;
  challengeBond: bigint;
  minPrice: bigint;
  maxPrice: bigint;
  rampDuration: number;
  collateral: bigint;
  claimDeadline: number;
  commitWindow: number;
  proveWindow: number;
  challengeWindow: number;
  answerWindow: number;
}

/** The record of a job nobody claimed yet. */
export const EMPTY_RECORD: BatchRecord = Object.freeze({
  provider: ZeroAddress,
  claimedAt: 0,
  outputsRoot: ZeroHash,
  sampleBlock: 0,
  randomness: ZeroHash,
  challenged: [],
}) as BatchRecord;

type Fields = Result | object;
const field = (r: Fields, name: string): unknown =>
  typeof (r as Result).getValue === "function"
    ? (r as Result).getValue(name)
    : (r as Record<string, unknown>)[name];

/** Terms from a decoded `BatchPosted` `terms` argument (an ethers `Result` or a plain object). */
export function decodeBatchTerms(r: Fields): BatchTerms {
  const num = (n: string) => Number(field(r, n));
  const big = (n: string) => BigInt(field(r, n) as bigint);
  const str = (n: string) => String(field(r, n));
  return {
    requester: getAddress(str("requester")),
    circuitId: str("circuitId"),
    numPublic: num("numPublic"),
    keyHash: str("keyHash"),
    slots: num("slots"),
    treeDepth: num("treeDepth"),
    inputsRoot: str("inputsRoot"),
    inputsHash: str("inputsHash"),
    numSamples: num("numSamples"),
    sampleSize: num("sampleSize"),
    maxChallenges: num("maxChallenges"),
    challengeBond: big("challengeBond"),
    minPrice: big("minPrice"),
    maxPrice: big("maxPrice"),
    rampDuration: num("rampDuration"),
    collateral: big("collateral"),
    postedAt: num("postedAt"),
    claimDeadline: num("claimDeadline"),
    commitWindow: num("commitWindow"),
    proveWindow: num("proveWindow"),
    challengeWindow: num("challengeWindow"),
    answerWindow: num("answerWindow"),
    feeBps: num("feeBps"),
    slashRequesterBps: num("slashRequesterBps"),
    slashBountyBps: num("slashBountyBps"),
  };
}

const coder = AbiCoder.defaultAbiCoder();
const first26 = (h: string) => h.slice(0, 2 + 52);

/** `keccak256(abi.encode(terms))`. */
export function batchTermsHash(t: BatchTerms): string {
  return keccak256(coder.encode([BATCH_TERMS_TUPLE], [t]));
}

/** The commitment `BatchMarket` stores for a job in `status` (`commitmentOf`; for `Slashed`, pass
 * the status it was slashed in). */
export function batchCommitment(t: BatchTerms, status: BatchStatusValue, r: BatchRecord): string {
  const termsHash = batchTermsHash(t);
  if (status === BatchStatus.Open || status === BatchStatus.Cancelled || status === BatchStatus.Reclaimed) {
    return first26(termsHash);
  }
  const claimed = first26(
    keccak256(coder.encode(["bytes32", "address", "uint40"], [termsHash, r.provider, r.claimedAt])),
  );
  if (status === BatchStatus.Claimed) return claimed;
  if (status === BatchStatus.Committed || status === BatchStatus.Sampled) {
    const committed = first26(
      keccak256(coder.encode(["bytes26", "bytes32", "uint64"], [claimed, r.outputsRoot, r.sampleBlock])),
    );
    if (status === BatchStatus.Committed) return committed;
    return first26(keccak256(coder.encode(["bytes26", "bytes32"], [committed, r.randomness])));
  }
  const result = first26(keccak256(coder.encode(["bytes26", "bytes32"], [claimed, r.outputsRoot])));
  if (status === BatchStatus.Challenged) {
    return first26(keccak256(coder.encode(["bytes26", "uint32[]"], [result, r.challenged])));
  }
  return result;
}

/** Auction price of `t` at `time` (as `AuctionPrice.at`); a claim fixes `priceAt(t, claimedAt)`. */
export function batchPriceAt(t: BatchTerms, time: number | bigint): bigint {
  return priceAt(t, time);
}

/** The jobKey of a batch job: the single-job formula with the batch market's address. */
export function batchJobKey(chainId: bigint, batchMarket: string, jobId: bigint, provider: string): bigint {
  return computeJobKey(chainId, batchMarket, jobId, provider);
}

// ---------------------------------------------------------------------------------------------
// Leaves and Merkle trees
// ---------------------------------------------------------------------------------------------

const word = (v: bigint): Uint8Array => getBytes(toBeHex(v, 32));

/** `keccak256(0x01 ‖ uint256(i) ‖ uint256(c))`: input leaf `i` (bytes). */
export function inputLeaf(index: number | bigint, inputCommitment: bigint): Uint8Array {
  return getBytes(keccak256(concat([Uint8Array.of(1), word(BigInt(index)), word(inputCommitment)])));
}

/** `keccak256(0x02 ‖ uint256(i) ‖ uint256(c) ‖ outputs…)`: output leaf `i` (bytes). */
export function outputLeaf(
  index: number | bigint,
  inputCommitment: bigint,
  outputs: readonly bigint[],
): Uint8Array {
  return getBytes(
    keccak256(concat([Uint8Array.of(2), word(BigInt(index)), word(inputCommitment), ...outputs.map(word)])),
  );
}

/** Depth of the tree of `n` leaves: ⌈log₂ n⌉ (0 for n = 1). */
export function batchDepth(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_BATCH_SAMPLES) {
    throw new ProofworkError(ErrorCodes.INPUT_INVALID, `a batch has 1 to 2^32 − 1 samples, not ${n}`);
  }
  let d = 0;
  while (2 ** d < n) d++;
  return d;
}

/** keccak256 of two 32-byte nodes read from `a` at `ai` and `b` at `bi`, into `out` at `oi`. */
function hashPair(
  buf: Uint8Array,
  a: Uint8Array,
  ai: number,
  b: Uint8Array,
  bi: number,
  out: Uint8Array,
  oi: number,
) {
  buf.set(a.subarray(ai, ai + 32), 0);
  buf.set(b.subarray(bi, bi + 32), 32);
  out.set(getBytes(keccak256(buf)), oi);
}

/**
 * A batch Merkle tree (docs/BATCH.md): fixed depth `⌈log₂ N⌉`, padding leaves `bytes32(0)`, nodes
 * `keccak256(left ‖ right)`. Each level is one flat `Uint8Array` holding only its non-padding
 * nodes (32 bytes each; ~64 MB for 2^20 leaves): a missing right child at level l is the hash of
 * an all-padding subtree of height l, precomputed.
 */
export class BatchMerkleTree {
  /** levels[0] = the leaves, levels[depth] = the root (one node). */
  private readonly levels: Uint8Array[];
  /** zero[l] = root of an all-padding subtree of height l. */
  private readonly zero: Uint8Array[];
  readonly size: number;
  readonly depth: number;

  /** `leaves`: N leaves of 32 bytes, concatenated (or an array of 32-byte leaves). */
  constructor(leaves: Uint8Array | readonly Uint8Array[]) {
    const flat = leaves instanceof Uint8Array ? leaves : concatLeaves(leaves);
    if (flat.length === 0 || flat.length % 32 !== 0) {
      throw new ProofworkError(ErrorCodes.INPUT_INVALID, "a batch tree needs 32-byte leaves, at least one");
    }
    this.size = flat.length / 32;
    this.depth = batchDepth(this.size);
    this.zero = [new Uint8Array(32)];
    const buf = new Uint8Array(64);
    for (let l = 0; l < this.depth; l++) {
      const z = new Uint8Array(32);
      hashPair(buf, this.zero[l]!, 0, this.zero[l]!, 0, z, 0);
      this.zero.push(z);
    }
    this.levels = [flat];
    for (let l = 0; l < this.depth; l++) {
      const below = this.levels[l]!;
      const n = below.length / 32;
      const up = new Uint8Array(Math.ceil(n / 2) * 32);
      for (let i = 0; i < n; i += 2) {
        if (i + 1 < n) hashPair(buf, below, 32 * i, below, 32 * (i + 1), up, 16 * i);
        else hashPair(buf, below, 32 * i, this.zero[l]!, 0, up, 16 * i);
      }
      this.levels.push(up);
    }
  }

  /** The root (0x hex). */
  get root(): string {
    const top = this.levels[this.depth]!;
    return hexlify(top.subarray(0, 32));
  }

  /** The leaf at `index` (0x hex). */
  leaf(index: number): string {
    this.check(index);
    return hexlify(this.levels[0]!.subarray(32 * index, 32 * index + 32));
  }

  /** Siblings from leaf `index` up to the root (`depth` of them, 0x hex): what `prove` takes. */
  path(index: number): string[] {
    this.check(index);
    const out: string[] = [];
    let i = index;
    for (let l = 0; l < this.depth; l++) {
      const level = this.levels[l]!;
      const sibling = i ^ 1;
      const node =
        sibling * 32 < level.length ? level.subarray(32 * sibling, 32 * sibling + 32) : this.zero[l]!;
      out.push(hexlify(node));
      i >>= 1;
    }
    return out;
  }

  private check(index: number) {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new ProofworkError(ErrorCodes.INPUT_INVALID, `leaf ${index} is outside a tree of ${this.size}`);
    }
  }
}

function concatLeaves(leaves: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(leaves.length * 32);
  leaves.forEach((l, i) => {
    if (l.length !== 32) throw new ProofworkError(ErrorCodes.INPUT_INVALID, `leaf ${i} is not 32 bytes`);
    out.set(l, 32 * i);
  });
  return out;
}

/** Whether `path` leads from `leaf` at `index` to `root` in a tree of depth `depth` (as `BatchMerkle.verify`). */
export function verifyBatchPath(
  root: string,
  leaf: Uint8Array | string,
  index: number,
  path: readonly string[],
  depth: number,
): boolean {
  if (path.length !== depth) return false;
  let node = getBytes(leaf);
  for (let l = 0; l < depth; l++) {
    const sibling = getBytes(path[l]!);
    node = getBytes(
      keccak256(Math.floor(index / 2 ** l) % 2 === 0 ? concat([node, sibling]) : concat([sibling, node])),
    );
  }
  return hexlify(node) === root.toLowerCase();
}

/** The inputs tree of a batch from its samples' input commitments (in index order). */
export function inputsTree(inputCommitments: readonly bigint[]): BatchMerkleTree {
  const flat = new Uint8Array(inputCommitments.length * 32);
  inputCommitments.forEach((c, i) => flat.set(inputLeaf(i, assertField(c, `input commitment ${i}`)), 32 * i));
  return new BatchMerkleTree(flat);
}

/** The outputs tree of a batch from its samples' input commitments and outputs (in index order). */
export function outputsTree(
  inputCommitments: readonly bigint[],
  outputs: readonly (readonly bigint[])[],
): BatchMerkleTree {
  if (outputs.length !== inputCommitments.length) {
    throw new ProofworkError(
      ErrorCodes.INPUT_INVALID,
      `${outputs.length} outputs for ${inputCommitments.length} input commitments`,
    );
  }
  const flat = new Uint8Array(outputs.length * 32);
  outputs.forEach((o, i) => flat.set(outputLeaf(i, inputCommitments[i]!, o), 32 * i));
  return new BatchMerkleTree(flat);
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/** The inputs file: the samples' input bytes concatenated (each `inputBytes` long). */
export function encodeInputsFile(samples: readonly Uint8Array[]): Uint8Array {
  const size = samples[0]?.length ?? 0;
  const out = new Uint8Array(samples.length * size);
  samples.forEach((s, i) => {
    if (s.length !== size) {
      throw new ProofworkError(
        ErrorCodes.INPUT_INVALID,
        `sample ${i} has ${s.length} bytes, sample 0 ${size}`,
      );
    }
    out.set(s, i * size);
  });
  return out;
}

/** Sample `index` of an inputs file of `inputBytes`-byte samples. */
export function inputOfFile(file: Uint8Array, inputBytes: number, index: number): Uint8Array {
  if (file.length % inputBytes !== 0 || (index + 1) * inputBytes > file.length) {
    throw new ProofworkError(
      ErrorCodes.INPUT_INVALID,
      `no sample ${index} of ${inputBytes} bytes in the inputs file`,
    );
  }
  return file.subarray(index * inputBytes, (index + 1) * inputBytes);
}

/** The outputs file: each sample's output field elements as 32-byte big-endian words, in order. */
export function encodeOutputsFile(outputs: readonly (readonly bigint[])[]): Uint8Array {
  const o = outputs[0]?.length ?? 0;
  const out = new Uint8Array(outputs.length * o * 32);
  outputs.forEach((row, i) => {
    if (row.length !== o)
      throw new ProofworkError(ErrorCodes.INPUT_INVALID, `sample ${i} has ${row.length} outputs`);
    row.forEach((v, j) => out.set(word(assertField(v, `output ${i}.${j}`)), 32 * (i * o + j)));
  });
  return out;
}

/** Inverse of `encodeOutputsFile` for `perSample` outputs per sample. */
export function decodeOutputsFile(file: Uint8Array, perSample: number): bigint[][] {
  if (perSample < 1 || file.length % (32 * perSample) !== 0) {
    throw new ProofworkError(ErrorCodes.INPUT_INVALID, `an outputs file of ${perSample} words per sample`);
  }
  const rows: bigint[][] = [];
  for (let i = 0; i < file.length / (32 * perSample); i++) {
    const row: bigint[] = [];
    for (let j = 0; j < perSample; j++) {
      const at = 32 * (i * perSample + j);
      row.push(toBigInt(file.subarray(at, at + 32)));
    }
    rows.push(row);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Randomness and sampling
// ---------------------------------------------------------------------------------------------

/** The JSON-RPC fields of a block (`eth_getBlockByNumber`, hex strings). */
export type RawBlock = Record<string, unknown>;

/** Header fields after `nonce`, in RLP order, each present since its fork. */
const OPTIONAL_HEADER_FIELDS = [
  ["baseFeePerGas", "int"],
  ["withdrawalsRoot", "bytes"],
  ["blobGasUsed", "int"],
  ["excessBlobGas", "int"],
  ["parentBeaconBlockRoot", "bytes"],
  ["requestsHash", "bytes"],
  ["blockAccessListHash", "bytes"],
] as const;

/**
 * The RLP header of a block from its JSON-RPC fields, checked to hash to the block's hash (what
 * `prove`/`sample` take to read the sample block's `mixHash`). Throws when the fields do not
 * reproduce the hash (a header format this code does not know).
 */
export function blockHeaderRlp(raw: RawBlock): string {
  const s = (k: string): string => {
    const v = raw[k];
    if (typeof v !== "string") throw new ProofworkError(ErrorCodes.RPC_FAILED, `block has no ${k}`);
    return v;
  };
  const int = (k: string) => {
    const v = BigInt(s(k));
    return v === 0n ? "0x" : toBeHex(v);
  };
  const fields: string[] = [
    s("parentHash"),
    s("sha3Uncles"),
    s("miner"),
    s("stateRoot"),
    s("transactionsRoot"),
    s("receiptsRoot"),
    s("logsBloom"),
    int("difficulty"),
    int("number"),
    int("gasLimit"),
    int("gasUsed"),
    int("timestamp"),
    s("extraData"),
    s("mixHash"),
    s("nonce"),
  ];
  for (const [k, kind] of OPTIONAL_HEADER_FIELDS) {
    if (raw[k] === undefined || raw[k] === null) break;
    fields.push(kind === "int" ? int(k) : s(k));
  }
  const rlp = encodeRlp(fields);
  if (keccak256(rlp) !== s("hash").toLowerCase()) {
    throw new ProofworkError(
      ErrorCodes.RPC_FAILED,
      `block ${s("number")}: its fields do not reproduce its hash (unknown header format)`,
    );
  }
  return rlp;
}

/** Field 13 (`mixHash` = `prevRandao`) of an RLP block header, as `BlockRandao.prevRandao`. */
export function prevRandaoOfHeader(rlp: string): string {
  const fields = decodeRlp(rlp);
  if (!Array.isArray(fields) || typeof fields[13] !== "string" || getBytes(fields[13]).length !== 32) {
    throw new ProofworkError(ErrorCodes.INPUT_INVALID, "not a block header with a 32-byte mixHash");
  }
  return fields[13];
}

/** `keccak256(abi.encode(randomness, chainId, batchMarket, jobId))`: a job's sampling seed. */
export function batchSeed(randomness: string, chainId: bigint, batchMarket: string, jobId: bigint): string {
  return keccak256(
    coder.encode(
      ["bytes32", "uint256", "address", "uint256"],
      [randomness, chainId, getAddress(batchMarket), jobId],
    ),
  );
}

/**
 * The k distinct sample indices of a job (as `BatchSampling.indices`): the first `k` distinct
 * values of `uint256(keccak256(abi.encode(seed, t))) mod n`, t = 0, 1, …, in draw order.
 */
export function sampleIndices(seed: string, n: number, k: number): number[] {
  if (!Number.isInteger(n) || !Number.isInteger(k) || n < 1 || k < 1 || k > n || n > MAX_BATCH_SAMPLES) {
    throw new ProofworkError(ErrorCodes.INPUT_INVALID, `cannot draw ${k} distinct indices below ${n}`);
  }
  const out: number[] = [];
  const seen = new Set<number>();
  const big = BigInt(n);
  for (let t = 0n; out.length < k; t++) {
    const x = Number(BigInt(keccak256(coder.encode(["bytes32", "uint256"], [seed, t]))) % big);
    if (!seen.has(x)) {
      seen.add(x);
      out.push(x);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Verifying key and proofs
// ---------------------------------------------------------------------------------------------

/** `IBatchMarket.VerifyingKey`: G1 `(x, y)`, G2 `(x_imag, x_real, y_imag, y_real)`, IC flattened. */
export interface BatchVerifyingKey {
  alpha: [bigint, bigint];
  beta: [bigint, bigint, bigint, bigint];
  gamma: [bigint, bigint, bigint, bigint];
  delta: [bigint, bigint, bigint, bigint];
  ic: bigint[];
}

/** A snarkjs verification key (`verification_key.json`) in the contract's encoding. */
export function batchVerifyingKey(vkey: VerificationKey): BatchVerifyingKey {
  try {
    const g1 = (p: unknown): [bigint, bigint] => {
      const a = p as string[];
      return [BigInt(a[0]!), BigInt(a[1]!)];
    };
    // snarkjs stores G2 coordinates as [real, imag]; the precompile takes (imag, real).
    const g2 = (p: unknown): [bigint, bigint, bigint, bigint] => {
      const a = p as string[][];
      return [BigInt(a[0]![1]!), BigInt(a[0]![0]!), BigInt(a[1]![1]!), BigInt(a[1]![0]!)];
    };
    const ic = (vkey.IC as unknown[]).flatMap((p) => g1(p));
    if (ic.length !== 2 * (vkey.nPublic + 1)) throw new Error(`${ic.length / 2} IC points`);
    return {
      alpha: g1(vkey.vk_alpha_1),
      beta: g2(vkey.vk_beta_2),
      gamma: g2(vkey.vk_gamma_2),
      delta: g2(vkey.vk_delta_2),
      ic,
    };
  } catch (e) {
    throw new ProofworkError(
      ErrorCodes.PROOF_INVALID,
      `malformed verification key: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/** `keccak256(abi.encode(key))`: the `keyHash` of a batch job's terms. */
export function batchKeyHash(key: BatchVerifyingKey | VerificationKey): string {
  const k = "protocol" in key ? batchVerifyingKey(key) : key;
  return keccak256(coder.encode([VERIFYING_KEY_TUPLE], [k]));
}

/** `IBatchMarket.SampleProof`: one proven sample as `prove`/`answer` take it. */
export interface BatchSampleProof {
  inputCommitment: bigint;
  outputs: bigint[];
  inputPath: string[];
  outputPath: string[];
  proof: OnChainProof;
}

/** A sample's proof entry from the trees and its Groth16 proof. */
export function batchSampleProof(
  index: number,
  inputCommitment: bigint,
  outputs: readonly bigint[],
  inputs: BatchMerkleTree,
  outputsTree_: BatchMerkleTree,
  proof: OnChainProof,
): BatchSampleProof {
  return {
    inputCommitment,
    outputs: [...outputs],
    inputPath: inputs.path(index),
    outputPath: outputsTree_.path(index),
    proof,
  };
}

// ---------------------------------------------------------------------------------------------
// Economics
// ---------------------------------------------------------------------------------------------

/**
 * `1 − (1 − f)^k`: the probability that k samples catch a provider faking a fraction f of the
 * outputs (with replacement; sampling without replacement, which the contract does, catches it at
 * least as often: `exactDetectionProbability`).
 */
export function detectionProbability(f: number, k: number): number {
  if (!(f >= 0 && f <= 1) || !Number.isInteger(k) || k < 1) {
    throw new ProofworkError(ErrorCodes.INPUT_INVALID, `detection probability needs 0 ≤ f ≤ 1 and k ≥ 1`);
  }
  return 1 - (1 - f) ** k;
}

/** Hypergeometric: the probability that k distinct indices of n include at least one of `faked`. */
export function exactDetectionProbability(n: number, faked: number, k: number): number {
  if (!(n >= 1 && faked >= 0 && faked <= n && k >= 1 && k <= n)) {
    throw new ProofworkError(ErrorCodes.INPUT_INVALID, `needs 0 ≤ faked ≤ n and 1 ≤ k ≤ n`);
  }
  let miss = 1;
  for (let i = 0; i < k; i++) miss *= (n - faked - i) / (n - i);
  return 1 - Math.max(0, miss);
}

/**
 * The smallest collateral that makes faking unprofitable in expectation (docs/BATCH.md): a
 * provider gaining `gainPerSample` per faked output, caught with probability
 * `detectionProbability(f, k)`, loses the collateral and the price. For every f (the default):
 * `X ≥ gain·N − price`; for a provider faking at most a fraction `f`: `X ≥ gain·f·N / p(f, k) − price`.
 */
export function minimumBatchCollateral(o: {
  gainPerSample: bigint;
  numSamples: number;
  price: bigint;
  sampleSize: number;
  fraction?: number;
}): bigint {
  const total = o.gainPerSample * BigInt(o.numSamples);
  let need = total;
  if (o.fraction !== undefined && o.fraction < 1) {
    const p = detectionProbability(o.fraction, o.sampleSize);
    if (p === 0) return total; // f = 0: nothing faked
    // gain·f·N / p, in 1e-9 fixed point to stay in bigint
    const scale = 1_000_000_000n;
    const ratio = BigInt(Math.ceil((o.fraction / p) * Number(scale)));
    need = (total * ratio + scale - 1n) / scale;
  }
  return need > o.price ? need - o.price : 0n;
}

/** Fractions and sample sizes of the economics table in docs/BATCH.md. */
export const DETECTION_TABLE_FRACTIONS = [0.001, 0.01, 0.1] as const;
export const DETECTION_TABLE_SAMPLE_SIZES = [4, 8, 16, 32] as const;

/** The docs/BATCH.md detection table (markdown), generated from `detectionProbability`. */
export function detectionTableMarkdown(): string {
  const pct = (x: number, digits: number) => `${(100 * x).toFixed(digits)}%`;
  const head = ["faked fraction f", ...DETECTION_TABLE_SAMPLE_SIZES.map((k) => `k = ${k}`)];
  const rows = DETECTION_TABLE_FRACTIONS.map((f) => [
    pct(f, f < 0.01 ? 1 : 0),
    ...DETECTION_TABLE_SAMPLE_SIZES.map((k) => pct(detectionProbability(f, k), 2)),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => `| ${cells.map((x, c) => x.padEnd(widths[c]!)).join(" | ")} |`;
  return [line(head), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

/** Whether a value is a field element (public signals must be). */
export const isFieldElement = (v: bigint): boolean => v >= 0n && v < FIELD_MODULUS;
