/**
 * Job terms (`IJobMarket.JobTerms`): the market stores only a 208-bit commitment to them in the
 * job's single storage slot; the terms are emitted in `JobPosted` and passed back as calldata to
 * claim/submit/cancel/reclaim/slashExpired/collect. This module mirrors the contract's encoding:
 * decoding the terms from an event, the three commitments (open → claimed → completed), the
 * auction price, and the input bytes, which live in the posting transaction's calldata.
 */
import { AbiCoder, Interface, getAddress, getBytes, keccak256, type Result } from "ethers";

/** ABI tuple of `IJobMarket.JobTerms` (static: `abi.encode(terms)` is its fields, one word each). */
export const JOB_TERMS_TUPLE =
  "tuple(address requester, bytes32 circuitId, address verifier, bytes4 selector, uint16 numPublic, uint256 inputCommitment, bytes32 inputHash, uint96 minPrice, uint96 maxPrice, uint32 rampDuration, uint96 collateral, uint40 postedAt, uint40 claimDeadline, uint32 executionWindow, uint16 feeBps, uint16 slashRequesterBps, uint16 slashBountyBps, uint8 verificationMode)";

/** ABI tuple of `IJobMarket.Job` (one storage slot). */
export const JOB_SLOT_TUPLE = "tuple(uint8 status, uint40 deadline, bytes26 commitment)";

/** ABI tuple of `IJobMarket.PostJobParams`. */
export const POST_PARAMS_TUPLE =
  "tuple(bytes32 circuitId, uint256 inputCommitment, bytes input, string inputURI, uint96 minPrice, uint96 maxPrice, uint32 rampDuration, uint96 collateral, uint40 claimDeadline, uint32 executionWindow, uint8 verificationMode)";

/** The immutable terms of a posted job, as emitted in `JobPosted`. */
export interface JobTerms {
  requester: string;
  circuitId: string;
  verifier: string;
  selector: string;
  numPublic: number;
  inputCommitment: bigint;
  inputHash: string;
  minPrice: bigint;
  maxPrice: bigint;
  rampDuration: number;
  collateral: bigint;
  postedAt: number;
  claimDeadline: number;
  executionWindow: number;
  /** protocol fee (basis points) applied when the job is paid: the market's fee when it was posted */
  feeBps: number;
  /** requester's share of the collateral if slashed (basis points, fixed at post) */
  slashRequesterBps: number;
  /** slasher's share of the collateral if slashed (basis points, fixed at post) */
  slashBountyBps: number;
  verificationMode: number;
}

const ZERO_ADDRESS = "0x" + "00".repeat(20);
const ZERO_WORD = "0x" + "00".repeat(32);

/** All-zero terms (what a never-posted job "has"; the market reverts on its status). */
export const ZERO_TERMS: JobTerms = Object.freeze({
  requester: ZERO_ADDRESS,
  circuitId: ZERO_WORD,
  verifier: ZERO_ADDRESS,
  selector: "0x00000000",
  numPublic: 0,
  inputCommitment: 0n,
  inputHash: ZERO_WORD,
  minPrice: 0n,
  maxPrice: 0n,
  rampDuration: 0,
  collateral: 0n,
  postedAt: 0,
  claimDeadline: 0,
  executionWindow: 0,
  feeBps: 0,
  slashRequesterBps: 0,
  slashBountyBps: 0,
  verificationMode: 0,
});

/** The job's storage slot (`getJob`). */
export interface JobSlot {
  status: number;
  deadline: number;
  commitment: string;
}

/** A decoded struct: an ethers `Result`, a TypeChain struct output or a plain object. */
type Fields = Result | object;
const field = (r: Fields, name: string): unknown =>
  typeof (r as Result).getValue === "function"
    ? (r as Result).getValue(name)
    : (r as Record<string, unknown>)[name];

/** Terms from a decoded `JobPosted` `terms` argument (an ethers `Result` or a plain object). */
export function decodeTerms(r: Fields): JobTerms {
  return {
    requester: getAddress(String(field(r, "requester"))),
    circuitId: String(field(r, "circuitId")),
    verifier: getAddress(String(field(r, "verifier"))),
    selector: String(field(r, "selector")),
    numPublic: Number(field(r, "numPublic")),
    inputCommitment: BigInt(field(r, "inputCommitment") as bigint),
    inputHash: String(field(r, "inputHash")),
    minPrice: BigInt(field(r, "minPrice") as bigint),
    maxPrice: BigInt(field(r, "maxPrice") as bigint),
    rampDuration: Number(field(r, "rampDuration")),
    collateral: BigInt(field(r, "collateral") as bigint),
    postedAt: Number(field(r, "postedAt")),
    claimDeadline: Number(field(r, "claimDeadline")),
    executionWindow: Number(field(r, "executionWindow")),
    feeBps: Number(field(r, "feeBps")),
    slashRequesterBps: Number(field(r, "slashRequesterBps")),
    slashBountyBps: Number(field(r, "slashBountyBps")),
    verificationMode: Number(field(r, "verificationMode")),
  };
}

/** The job slot from a decoded `getJob` result. */
export function decodeJobSlot(r: Fields): JobSlot {
  return {
    status: Number(field(r, "status")),
    deadline: Number(field(r, "deadline")),
    commitment: String(field(r, "commitment")),
  };
}

/** JSON form of the terms (bigints as decimal strings), for storage. */
export function termsToJson(t: JobTerms): string {
  return JSON.stringify(t, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** Inverse of `termsToJson`. */
export function termsFromJson(s: string): JobTerms {
  const o = JSON.parse(s) as Record<string, unknown>;
  return decodeTerms(o);
}

const coder = AbiCoder.defaultAbiCoder();
const first26 = (h: string) => h.slice(0, 2 + 52);

/** `keccak256(abi.encode(terms))`. */
export function termsHash(t: JobTerms): string {
  return keccak256(coder.encode([JOB_TERMS_TUPLE], [t]));
}

/** Commitment stored while the job is open (`termsCommitment`). */
export function termsCommitment(t: JobTerms): string {
  return first26(termsHash(t));
}

/** Commitment stored once `provider` claimed the job (`claimCommitment`). */
export function claimCommitment(t: JobTerms, provider: string): string {
  return first26(keccak256(coder.encode(["bytes32", "address"], [termsHash(t), provider])));
}

/** Commitment stored once the job completed with `outputs` (`resultCommitment`). */
export function resultCommitment(t: JobTerms, provider: string, outputs: readonly bigint[]): string {
  const claimed = claimCommitment(t, provider);
  return first26(keccak256(coder.encode(["bytes26", "uint256[]"], [claimed, outputs])));
}

/** Auction price at `time` (seconds), as `AuctionPrice.at`. */
export function priceAt(
  t: Pick<JobTerms, "minPrice" | "maxPrice" | "postedAt" | "rampDuration">,
  time: number | bigint,
): bigint {
  if (t.rampDuration === 0) return t.maxPrice;
  const elapsed = BigInt(time) - BigInt(t.postedAt);
  const ramp = BigInt(t.rampDuration);
  if (elapsed >= ramp) return t.maxPrice;
  return t.minPrice + ((t.maxPrice - t.minPrice) * (elapsed < 0n ? 0n : elapsed)) / ramp;
}

/** Price fixed by the claim of a job whose submit deadline is `deadline`. */
export function claimedPrice(t: JobTerms, deadline: number): bigint {
  return priceAt(t, deadline - t.executionWindow);
}

const postInterface = new Interface([
  `function postJob(${POST_PARAMS_TUPLE} params)`,
  `function postJobWithPermit(${POST_PARAMS_TUPLE} params, uint256 permitDeadline, uint8 v, bytes32 r, bytes32 s)`,
]);

/**
 * The inline input bytes of a job from the calldata of its posting transaction (the market does
 * not re-emit them), checked against `terms.inputHash`. A direct `postJob`/`postJobWithPermit` call
 * is decoded; otherwise (posted through another contract: a multicall, a smart-contract wallet, a
 * relayer) the calldata is scanned for an ABI-encoded `bytes` value — a length word followed by
 * that many bytes — whose keccak256 is `inputHash`: however the call was wrapped, the input bytes
 * sit in the outer calldata in that form. Undefined when no candidate matches (an empty input, an
 * input-by-URI job, or a wrapper that transformed the bytes): the caller then falls back to the URI.
 */
export function inputFromPostCalldata(data: string, t: Pick<JobTerms, "inputHash">): Uint8Array | undefined {
  try {
    const parsed = postInterface.parseTransaction({ data });
    if (parsed !== null) {
      const params = parsed.args.getValue("params") as Result;
      const input = getBytes(String(params.getValue("input")));
      if (input.length > 0 && keccak256(input) === t.inputHash) return input;
    }
  } catch {
    // not a direct post: scan below
  }
  return scanCalldataForBytes(getBytes(data), t.inputHash);
}

/** Finds `length ‖ bytes` (ABI `bytes` encoding, at any byte offset) with keccak256(bytes) == hash. */
function scanCalldataForBytes(data: Uint8Array, hash: string): Uint8Array | undefined {
  for (let o = 0; o + 32 < data.length; o++) {
    // a length word: 28 leading zero bytes, then a length that fits in the rest of the calldata
    let small = true;
    for (let i = 0; i < 28 && small; i++) small = data[o + i] === 0;
    if (!small) continue;
    const len = ((data[o + 28]! << 24) | (data[o + 29]! << 16) | (data[o + 30]! << 8) | data[o + 31]!) >>> 0;
    if (len === 0 || o + 32 + len > data.length) continue;
    const candidate = data.subarray(o + 32, o + 32 + len);
    if (keccak256(candidate) === hash) return Uint8Array.from(candidate);
  }
  return undefined;
}
