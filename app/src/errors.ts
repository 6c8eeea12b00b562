/**
 * Anything thrown → one plain-language sentence for the page (never a stack trace). Custom errors
 * of the contracts are decoded by the SDK (`decodeRevert`) and put in words here; wallet
 * rejections (EIP-1193 code 4001, ethers' ACTION_REJECTED) are recognised anywhere in the chain of
 * causes; a `ProofworkError` keeps its one-line message.
 */
import { isError } from "ethers";
import {
  ErrorCodes,
  decodeRevert,
  errorMessage,
  findRevertData,
  isProofworkError,
  type DecodedRevert,
} from "proofwork";

/** How an error is shown: a sentence, and whether it was the user's own choice. */
export interface Explained {
  message: string;
  /** The user declined in the wallet (not a failure). */
  rejected: boolean;
  /** The decoded custom error, when the contract refused (for the curious). */
  revert?: string;
}

/** Every object reachable through `cause`, `error`, `info`, `data` (bounded). */
function* causes(e: unknown, depth = 0): Generator<Record<string, unknown>> {
  if (depth > 6 || e === null || typeof e !== "object") return;
  const o = e as Record<string, unknown>;
  yield o;
  for (const k of ["cause", "error", "info", "data", "payload"]) yield* causes(o[k], depth + 1);
}

/** Whether the user declined a request in the wallet. */
export function isUserRejection(e: unknown): boolean {
  for (const o of causes(e)) {
    if (o.code === 4001 || o.code === "ACTION_REJECTED") return true;
    if (isError(o, "ACTION_REJECTED")) return true;
  }
  return false;
}

const arg = (d: DecodedRevert, i: number): string => String(d.args[i]);

/** The contracts' custom errors in words. */
function revertInWords(d: DecodedRevert, formatAmount: (v: bigint) => string): string {
  const jobId = () => arg(d, 0);
  const STATUS = ["None", "Open", "Claimed", "Completed", "Cancelled", "Reclaimed", "Slashed", "Paid"];
  switch (d.name) {
    case "Market__JobNotOpen":
      return `Job ${jobId()} is no longer open (it is ${STATUS[Number(d.args[1])] ?? "in another state"}).`;
    case "Market__JobNotClaimed":
      return `Job ${jobId()} is not claimed (it is ${STATUS[Number(d.args[1])] ?? "in another state"}).`;
    case "Market__NotRequester":
      return `Only the requester who posted job ${jobId()} can do that.`;
    case "Market__ClaimDeadlinePassed":
      return `The claim deadline of job ${jobId()} has passed.`;
    case "Market__ClaimDeadlineNotPassed":
      return `Job ${jobId()} can be reclaimed only after its claim deadline.`;
    case "Market__DeadlinePassed":
      return `The proof deadline of job ${jobId()} has passed.`;
    case "Market__DeadlineNotPassed":
      return `The provider of job ${jobId()} still has time: it can be slashed only after its deadline.`;
    case "Market__CircuitNotActive":
      return "This model's circuit is deactivated: it takes no new jobs.";
    case "Market__InvalidPricing":
      return "The pricing is invalid: the auction must rise from its start price to its end price over its ramp (a fixed price has no ramp).";
    case "Market__InvalidClaimDeadline":
      return "The claim period is longer than the market allows.";
    case "Market__InvalidExecutionWindow":
      return `The execution window must be between ${arg(d, 1)} and ${arg(d, 2)} seconds.`;
    case "Market__NoInput":
      return "The job has no input.";
    case "Market__TermsMismatch":
      return `The terms sent for job ${jobId()} are not the ones it was posted with.`;
    case "EnforcedPause":
      return "The market is paused by its guardian: no new jobs for now.";
    case "ERC20InsufficientBalance":
      return `Your token balance (${formatAmount(BigInt(arg(d, 1)))}) is below the ${formatAmount(BigInt(arg(d, 2)))} this needs.`;
    case "ERC20InsufficientAllowance":
      return `The market may spend only ${formatAmount(BigInt(arg(d, 1)))} of your tokens; ${formatAmount(BigInt(arg(d, 2)))} are needed.`;
    case "ERC2612ExpiredSignature":
      return "The permit signature expired before the transaction was mined. Try again.";
    case "ERC2612InvalidSigner":
      return "The permit was not signed by the paying account.";
    case "TestToken__FaucetLimit":
      return `The faucet mints at most ${formatAmount(BigInt(arg(d, 1)))} per request.`;
    case "Staking__Jailed":
      return "This provider is jailed after repeated failures.";
    case "Batch__NotRequester":
      return `Only the requester who posted batch job ${jobId()} can do that.`;
    case "Batch__InvalidStatus":
      return `Batch job ${jobId()} is not in a state that allows this (it moved on: reload the page).`;
    case "Batch__DeadlinePassed":
      return `The deadline of this step of batch job ${jobId()} has passed.`;
    case "Batch__DeadlineNotPassed":
      return `Batch job ${jobId()} still has time: wait for its deadline.`;
    case "Batch__ChallengeCount":
      return `This job takes at most ${arg(d, 1)} challenged indices (you named ${arg(d, 0)}).`;
    case "Batch__ChallengeIndex":
      return `Index ${arg(d, 0)} cannot be challenged: it is outside the dataset, named twice or already proven by sampling.`;
    case "Batch__InvalidSize":
      return `Invalid batch size: N = ${arg(d, 0)}, k = ${arg(d, 1)}, m = ${arg(d, 2)} (k must be 1 to min(N, 64)).`;
    case "Batch__InvalidWindows":
      return "A batch window (commit, prove, challenge or answer) is outside the market's bounds.";
    case "Batch__NoInputsURI":
      return "The batch job needs the inputs file's URL.";
    case "Batch__CircuitNotActive":
      return "This model's circuit is deactivated: it takes no new jobs.";
    case "Batch__MarketPaused":
      return "The batch market is paused by its guardian: no new jobs for now.";
    default:
      return `The contract refused the transaction (${d.text}).`;
  }
}

/** One sentence for the page. `formatAmount` renders token amounts of decoded errors. */
export function explain(e: unknown, formatAmount: (v: bigint) => string = String): Explained {
  if (isUserRejection(e)) {
    return {
      message: "You rejected the request in your wallet: nothing was signed or sent.",
      rejected: true,
    };
  }
  const decoded = decodeRevert(findRevertData(e));
  if (decoded !== undefined) {
    return { message: revertInWords(decoded, formatAmount), rejected: false, revert: decoded.text };
  }
  for (const o of causes(e)) {
    if (isError(o, "INSUFFICIENT_FUNDS")) {
      return { message: "This account has no ETH to pay for gas.", rejected: false };
    }
  }
  if (isProofworkError(e)) {
    switch (e.code) {
      case ErrorCodes.RPC_FAILED:
        return {
          message: `The chain did not answer (${firstLine(e.message)}). Is the node running?`,
          rejected: false,
        };
      case ErrorCodes.ARTIFACT_FETCH_FAILED:
        return {
          message: `A circuit file could not be downloaded: ${firstLine(e.message)}`,
          rejected: false,
        };
      default:
        return { message: firstLine(e.message), rejected: false };
    }
  }
  const short = (e as { shortMessage?: unknown } | null)?.shortMessage;
  return { message: firstLine(typeof short === "string" ? short : errorMessage(e)), rejected: false };
}

/** The first line of a message, capped (a message is a sentence, not a dump). */
function firstLine(s: string): string {
  const line = s.split("\n")[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 297)}…` : line;
}
