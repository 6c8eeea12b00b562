/**
 * EIP-1559 fees for the worker's transactions: the next block's base fee and a percentile tip from
 * `eth_feeHistory`, capped by the operator's maximum, and the bump of a stuck transaction.
 */
import { toQuantity, type Provider } from "ethers";
import { ProofworkError } from "../sdk/node.ts";
import { WorkerErrorCodes } from "./errors.ts";

type Sender = { send(method: string, params: unknown[]): Promise<unknown> };
function canSend(p: Provider): p is Provider & Sender {
  return typeof (p as Partial<Sender>).send === "function";
}

export interface FeePolicy {
  /** Hard cap on maxFeePerGas (wei); a market above it waits instead of overpaying. */
  maxFeePerGas: bigint;
  /** Floor of the priority fee (wei). */
  minPriorityFeePerGas: bigint;
  /** Blocks of fee history to look at. */
  historyBlocks: number;
  /** Reward percentile taken as the priority fee. */
  rewardPercentile: number;
  /** A transaction not mined after this long is re-sent with higher fees. */
  bumpAfterMs: number;
  /** Fee increase per bump, in percent (nodes require ≥ 10). */
  bumpPercent: number;
  /** Receipt polling interval. */
  pollMs: number;
  /** Gas limit = estimate × this / 100. */
  gasLimitPercent: number;
}

export const DEFAULT_FEE_POLICY: FeePolicy = {
  maxFeePerGas: 500n * 10n ** 9n,
  minPriorityFeePerGas: 10n ** 8n,
  historyBlocks: 10,
  rewardPercentile: 50,
  bumpAfterMs: 30_000,
  bumpPercent: 15,
  pollMs: 250,
  gasLimitPercent: 125,
};

export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

interface FeeHistory {
  baseFeePerGas: string[];
  reward?: string[][];
}

/** Fees for the next block from `eth_feeHistory`: 2 × next base fee + the percentile tip. */
export async function estimateFees(provider: Provider, policy: FeePolicy): Promise<Fees> {
  let baseFee = 0n;
  let tip = policy.minPriorityFeePerGas;
  try {
    if (!canSend(provider)) throw new Error("provider cannot send raw JSON-RPC");
    const h = (await provider.send("eth_feeHistory", [
      toQuantity(policy.historyBlocks),
      "latest",
      [policy.rewardPercentile],
    ])) as FeeHistory;
    const bases = h.baseFeePerGas.map((x) => BigInt(x));
    baseFee = bases[bases.length - 1] ?? 0n; // the entry after the newest block is the next block's base fee
    const rewards = (h.reward ?? [])
      .map((r) => BigInt(r[0] ?? "0x0"))
      .filter((r) => r > 0n)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const median = rewards[Math.floor(rewards.length / 2)];
    if (median !== undefined && median > tip) tip = median;
  } catch {
    const fd = await provider.getFeeData();
    baseFee = fd.gasPrice ?? 0n;
    if (fd.maxPriorityFeePerGas !== null && fd.maxPriorityFeePerGas > tip) tip = fd.maxPriorityFeePerGas;
  }
  let maxFee = 2n * baseFee + tip;
  if (maxFee > policy.maxFeePerGas) {
    if (baseFee + tip > policy.maxFeePerGas) {
      throw new ProofworkError(
        WorkerErrorCodes.FEE_TOO_HIGH,
        `fee market (base ${baseFee} + tip ${tip} wei) is above the cap of ${policy.maxFeePerGas} wei/gas`,
        { baseFee: baseFee.toString(), cap: policy.maxFeePerGas.toString() },
      );
    }
    maxFee = policy.maxFeePerGas;
  }
  if (tip > maxFee) tip = maxFee;
  return { maxFeePerGas: maxFee, maxPriorityFeePerGas: tip };
}

/** Fees of a replacement: at least `bumpPercent` above the old ones, and at least the market. */
export function bumpFees(old: Fees, market: Fees, policy: FeePolicy): Fees {
  const up = (v: bigint): bigint => (v * BigInt(100 + policy.bumpPercent)) / 100n + 1n;
  let maxFee = up(old.maxFeePerGas);
  let tip = up(old.maxPriorityFeePerGas);
  if (market.maxFeePerGas > maxFee) maxFee = market.maxFeePerGas;
  if (market.maxPriorityFeePerGas > tip) tip = market.maxPriorityFeePerGas;
  if (maxFee > policy.maxFeePerGas) maxFee = policy.maxFeePerGas;
  if (tip > maxFee) tip = maxFee;
  return { maxFeePerGas: maxFee, maxPriorityFeePerGas: tip };
}
