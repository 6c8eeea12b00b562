/**
 * Posting a job and reading its proven result with viem — the integration docs/INTEGRATING.md
 * describes, as code that `test/docs/examples.test.ts` runs against a local node and a worker.
 *
 * The ABI (`jobMarketAbi`, `as const`: every argument and event below is typed by viem) and the
 * input commitment (`commitInput`) come from the SDK's browser-safe core.
 */
import {
  createPublicClient,
  createWalletClient,
  http,
  parseEventLogs,
  toHex,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { commitInput, jobMarketAbi, testTokenAbi } from "../../sdk/index.ts";

export interface ExampleArgs {
  rpcUrl: string;
  market: Address;
  token: Address;
  /** bytes32 id of the circuit to run (deployment record `circuits.<name>.id`). */
  circuitId: Hex;
  /** Requester key (holds tokens). */
  privateKey: Hex;
  /** The input bytes, as the circuit takes them. */
  input: Uint8Array;
}

export async function postAndWaitWithViem(
  a: ExampleArgs,
): Promise<{ jobId: bigint; outputs: readonly bigint[] }> {
  const account = privateKeyToAccount(a.privateKey);
  const chain = { ...hardhat, rpcUrls: { default: { http: [a.rpcUrl] } } };
  const publicClient = createPublicClient({ chain, transport: http(a.rpcUrl) });
  const wallet = createWalletClient({ account, chain, transport: http(a.rpcUrl) });

  // 1. The bounds every post must respect, and the current fee (copied into the job's terms).
  const bounds = await publicClient.readContract({
    address: a.market,
    abi: jobMarketAbi,
    functionName: "bounds",
  });
  const now = (await publicClient.getBlock()).timestamp;

  // 2. Escrow the price: approve the market (or sign an EIP-2612 permit and call postJobWithPermit).
  const price = 2n * 10n ** 18n;
  await publicClient.waitForTransactionReceipt({
    hash: await wallet.writeContract({
      address: a.token,
      abi: testTokenAbi,
      functionName: "approve",
      args: [a.market, price],
    }),
  });

  // 3. Post: the commitment is the Poseidon chain of the packed input bytes (public signal 1).
  const hash = await wallet.writeContract({
    address: a.market,
    abi: jobMarketAbi,
    functionName: "postJob",
    args: [
      {
        circuitId: a.circuitId,
        inputCommitment: await commitInput(a.input),
        input: toHex(a.input),
        inputURI: "",
        minPrice: price,
        maxPrice: price,
        rampDuration: 0,
        collateral: price,
        claimDeadline: Number(now) + 3600,
        executionWindow: Math.max(bounds.minExecutionWindow, 600),
        verificationMode: 0,
      },
    ],
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  const [posted] = parseEventLogs({ abi: jobMarketAbi, eventName: "JobPosted", logs: receipt.logs });
  if (posted === undefined) throw new Error("no JobPosted event");
  const jobId = posted.args.jobId;

  // 4. Wait for the proof: JobCompleted carries the outputs the contract verified.
  for (;;) {
    const completed = await publicClient.getContractEvents({
      address: a.market,
      abi: jobMarketAbi,
      eventName: "JobCompleted",
      args: { jobId },
      fromBlock: receipt.blockNumber,
    });
    const done = completed[0];
    if (done !== undefined) {
      // the market's stored result commitment confirms the outputs for exactly these terms
      const ok = await publicClient.readContract({
        address: a.market,
        abi: jobMarketAbi,
        functionName: "checkResult",
        args: [jobId, posted.args.terms, done.args.provider!, done.args.outputs!],
      });
      if (!ok) throw new Error("result does not match the market's commitment");
      return { jobId, outputs: done.args.outputs! };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
