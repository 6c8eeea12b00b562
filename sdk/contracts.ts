/**
 * Contract bindings with plain ethers v6 (no Hardhat at run time): ABIs, chain connection,
 * contract instances from a deployment record, and decoding of custom errors into coded,
 * readable `ProofworkError`s.
 *
 * ABIs live in `sdk/abi/<Name>.json`, exported from the Hardhat artifacts by `npm run abi`
 * (`deploy/export-abi.ts`); they are generated files, never edited by hand.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  Contract,
  Interface,
  JsonRpcProvider,
  Network,
  NonceManager,
  Wallet,
  isCallException,
  isError,
  type ContractRunner,
  type InterfaceAbi,
  type JsonRpcPayload,
  type JsonRpcResult,
  type Provider,
  type Signer,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
} from "ethers";
import type { Config } from "./config.ts";
import { ErrorCodes, ProofworkError, errorMessage } from "./errors.ts";
import type { Deployment } from "./deployments.ts";

// ---------------------------------------------------------------------------------------------
// ABIs
// ---------------------------------------------------------------------------------------------

/** Contracts whose ABI the SDK ships. */
export const CONTRACT_NAMES = ["JobMarket", "ComputeStaking", "CircuitRegistry", "TestToken"] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

/** Directory of the exported ABI files. */
export const ABI_DIR = fileURLToPath(new URL("./abi/", import.meta.url));

const abiCache = new Map<string, InterfaceAbi>();

/** The ABI of `name` from `sdk/abi/` (throws CONFIG_INVALID with the fix if not exported yet). */
export function loadAbi(name: ContractName | string): InterfaceAbi {
  const cached = abiCache.get(name);
  if (cached !== undefined) return cached;
  const path = `${ABI_DIR}${name}.json`;
  if (!existsSync(path)) {
    throw new ProofworkError(
      ErrorCodes.CONFIG_INVALID,
      `ABI of ${name} not found at ${path}: run \`npm run abi\` (compiles the contracts and exports their ABIs)`,
      { name, path },
    );
  }
  const abi = JSON.parse(readFileSync(path, "utf8")) as InterfaceAbi;
  abiCache.set(name, abi);
  return abi;
}

/** Minimal ERC20 + EIP-2612 surface, for tokens deployed elsewhere (testnets). */
export const ERC20_ABI = [
  "function name() view returns (string)",
  "function symbol() view returns (string)",
  "function decimals() view returns (uint8)",
  "function balanceOf(address) view returns (uint256)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function approve(address spender, uint256 amount) returns (bool)",
  "function transfer(address to, uint256 amount) returns (bool)",
  "function nonces(address owner) view returns (uint256)",
  "function DOMAIN_SEPARATOR() view returns (bytes32)",
  "function eip712Domain() view returns (bytes1 fields, string name, string version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] extensions)",
  "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
  "error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
  "error ERC2612ExpiredSignature(uint256 deadline)",
  "error ERC2612InvalidSigner(address signer, address owner)",
] as const;

let combinedInterface: Interface | undefined;

/** One Interface holding the errors of every shipped contract (for decoding revert data). */
export function errorInterface(): Interface {
  if (combinedInterface !== undefined) return combinedInterface;
  const fragments: string[] = [...ERC20_ABI.filter((s) => s.startsWith("error "))];
  for (const name of CONTRACT_NAMES) {
    if (!existsSync(`${ABI_DIR}${name}.json`)) continue;
    const iface = new Interface(loadAbi(name));
    iface.forEachError((e) => {
      const sig = e.format("full");
      if (!fragments.includes(sig)) fragments.push(sig);
    });
  }
  combinedInterface = new Interface(fragments);
  return combinedInterface;
}

// ---------------------------------------------------------------------------------------------
// Chain connection
// ---------------------------------------------------------------------------------------------

/** Asks an RPC endpoint for its chain id with a timeout (RPC_FAILED when unreachable). */
export async function probeChainId(url: string, timeoutMs = 5000): Promise<bigint> {
  if (url.startsWith("ws")) {
    const p = new JsonRpcProvider(url.replace(/^ws/, "http"));
    try {
      return (await p.getNetwork()).chainId;
    } finally {
      p.destroy();
    }
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause : undefined;
    const code = cause !== undefined && "code" in cause ? String(cause.code) : "";
    const why =
      code === "ECONNREFUSED"
        ? "connection refused (is the node running? e.g. `npx hardhat node`)"
        : e instanceof Error && e.name === "TimeoutError"
          ? `no answer within ${timeoutMs} ms`
          : (cause?.message ?? errorMessage(e));
    throw new ProofworkError(
      ErrorCodes.RPC_FAILED,
      `cannot reach RPC endpoint ${url}: ${why}`,
      { url },
      { cause: e },
    );
  }
  const body = (await res.json().catch(() => undefined)) as { result?: string } | undefined;
  if (!res.ok || typeof body?.result !== "string") {
    throw new ProofworkError(
      ErrorCodes.RPC_FAILED,
      `RPC endpoint ${url} did not answer eth_chainId (HTTP ${res.status})`,
      { url },
    );
  }
  return BigInt(body.result);
}

export interface ChainConnection {
  provider: Provider;
  chainId: bigint;
}

/**
 * Connects to the configured RPC endpoint(s): checks reachability and the expected chain id
 * (WRONG_CHAIN), and returns a provider with a static network and the configured polling interval.
 */
export async function connectChain(
  config: Pick<Config, "rpcUrl" | "rpcFallbackUrls" | "chainId" | "pollIntervalMs">,
): Promise<ChainConnection> {
  const urls = [config.rpcUrl, ...config.rpcFallbackUrls];
  let chainId: bigint | undefined;
  let lastError: unknown;
  const reachable: string[] = [];
  for (const url of urls) {
    try {
      const id = await probeWithRetry(url);
      if (chainId !== undefined && id !== chainId) {
        throw new ProofworkError(
          ErrorCodes.WRONG_CHAIN,
          `RPC endpoint ${url} is on chain ${id}, ${urls[0]} on ${chainId}`,
        );
      }
      chainId = id;
      reachable.push(url);
    } catch (e) {
      if (e instanceof ProofworkError && e.code === ErrorCodes.WRONG_CHAIN) throw e;
      lastError = e;
    }
  }
  if (chainId === undefined) {
    if (lastError instanceof ProofworkError) throw lastError;
    throw new ProofworkError(ErrorCodes.RPC_FAILED, `no RPC endpoint reachable: ${urls.join(", ")}`);
  }
  if (config.chainId !== undefined && BigInt(config.chainId) !== chainId) {
    throw new ProofworkError(
      ErrorCodes.WRONG_CHAIN,
      `RPC endpoint is on chain ${chainId}, expected ${config.chainId} (PROOFWORK_CHAIN_ID)`,
      {
        expected: config.chainId,
        actual: chainId.toString(),
      },
    );
  }
  const network = Network.from(chainId);
  // every configured URL is kept (one that is down now may be the only one up later); those that
  // answered come first
  const ordered = [...reachable, ...urls.filter((u) => !reachable.includes(u))];
  const provider = new FailoverJsonRpcProvider(ordered, network, config.pollIntervalMs);
  provider.pollingInterval = config.pollIntervalMs;
  return { provider, chainId };
}

/** `probeChainId` with a few quick retries: one dropped or refused request must not stop a start. */
async function probeWithRetry(url: string, attempts = 4): Promise<bigint> {
  for (let i = 0; ; i++) {
    try {
      return await probeChainId(url);
    } catch (e) {
      if (i + 1 >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 200 * 2 ** i));
    }
  }
}

/**
 * A JSON-RPC provider over one or more URLs of the same chain: each request goes to the endpoint
 * that answered last and, when that one fails at the transport level (refused, reset, timeout,
 * 5xx, unreadable answer), to the next ones in order; after a full round without an answer it
 * waits (100 ms, doubling) and tries again, `rounds` times in all. Every JSON-RPC call may be
 * repeated: reads are idempotent and a raw transaction sent twice is the same transaction.
 * JSON-RPC errors (reverts, bad params) are answers and are not retried. Unlike ethers'
 * FallbackProvider it keeps `send` (raw calls such as `eth_feeHistory`) and moves on as soon as
 * an endpoint fails.
 */
export class FailoverJsonRpcProvider extends JsonRpcProvider {
  readonly urls: readonly string[];
  private current = 0;

  private readonly rounds: number;

  constructor(urls: readonly string[], network: Network, pollingInterval: number, rounds = 4) {
    super(urls[0], network, { staticNetwork: network, pollingInterval });
    this.urls = urls;
    this.rounds = rounds;
  }

  /** The endpoint requests go to first. */
  get activeUrl(): string {
    return this.urls[this.current]!;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    let lastError: unknown;
    for (let attempt = 0; attempt < this.rounds * this.urls.length; attempt++) {
      if (attempt > 0 && attempt % this.urls.length === 0)
        await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt / this.urls.length - 1)));
      const index = (this.current + attempt) % this.urls.length;
      const request = this._getConnection();
      request.url = this.urls[index]!;
      request.body = JSON.stringify(payload);
      request.setHeader("content-type", "application/json");
      try {
        const response = await request.send();
        response.assertOk();
        // error members are JSON-RPC answers too; the base class reads them the same way
        const body = response.bodyJson as JsonRpcResult | JsonRpcResult[];
        this.current = index;
        return Array.isArray(body) ? body : [body];
      } catch (e) {
        lastError = e;
      }
    }
    throw lastError;
  }
}

/** A signer for `privateKey` on `provider`, with local nonce tracking (safe for pipelined txs). */
export function createSigner(privateKey: string, provider: Provider): Signer {
  try {
    return new NonceManager(new Wallet(privateKey, provider));
  } catch (e) {
    throw new ProofworkError(
      ErrorCodes.MISSING_KEY,
      `invalid private key: ${errorMessage(e)}`,
      {},
      { cause: e },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Contract instances
// ---------------------------------------------------------------------------------------------

/** The protocol's contracts, connected to one runner (provider for reads, signer for writes). */
export interface ProofworkContracts {
  market: Contract;
  staking: Contract;
  registry: Contract;
  token: Contract;
}

/** Contract instances at the addresses of a deployment record. */
export function connectContracts(
  deployment: Pick<Deployment, "contracts">,
  runner: ContractRunner,
): ProofworkContracts {
  const { contracts } = deployment;
  const tokenAbi = existsSync(`${ABI_DIR}TestToken.json`) ? loadAbi("TestToken") : ERC20_ABI;
  return {
    market: new Contract(contracts.market, loadAbi("JobMarket"), runner),
    staking: new Contract(contracts.staking, loadAbi("ComputeStaking"), runner),
    registry: new Contract(contracts.registry, loadAbi("CircuitRegistry"), runner),
    token: new Contract(contracts.token, tokenAbi, runner),
  };
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** Finds revert data (0x-prefixed hex) in an ethers error, however deeply nested. */
function findRevertData(e: unknown, depth = 0): string | undefined {
  if (depth > 6 || e === null || typeof e !== "object") return undefined;
  const rec = e as Record<string, unknown>;
  if (typeof rec.data === "string" && /^0x[0-9a-fA-F]{8,}$/.test(rec.data)) return rec.data;
  for (const key of ["error", "info", "cause", "data", "revert"]) {
    const found = findRevertData(rec[key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Formats a decoded custom error as `Name(arg=value, …)`. */
function formatCustomError(data: string): string | undefined {
  const iface = errorInterface();
  try {
    const parsed = iface.parseError(data);
    if (parsed === null) return undefined;
    const args = parsed.fragment.inputs.map((input, i) => {
      const v: unknown = parsed.args[i];
      return `${input.name || `arg${i}`}=${typeof v === "bigint" ? v.toString() : String(v)}`;
    });
    return `${parsed.name}(${args.join(", ")})`;
  } catch {
    return undefined;
  }
}

/** The decoded custom error name and args of a revert, if any (`undefined` when not a revert). */
export function revertReason(e: unknown): string | undefined {
  const data = findRevertData(e);
  if (data !== undefined) {
    const custom = formatCustomError(data);
    if (custom !== undefined) return custom;
  }
  if (isCallException(e)) return e.reason ?? e.shortMessage;
  return undefined;
}

/**
 * Converts anything thrown by a contract call into a ProofworkError: reverts become TX_REVERTED
 * with the decoded custom error (`while <action>: JobMarket__X(a=1)`), network failures RPC_FAILED.
 * ProofworkErrors pass through.
 */
export function toProofworkError(e: unknown, action: string): ProofworkError {
  if (e instanceof ProofworkError) return e;
  const reason = revertReason(e);
  if (reason !== undefined) {
    return new ProofworkError(
      ErrorCodes.TX_REVERTED,
      `${action} reverted: ${reason}`,
      { reason },
      { cause: e },
    );
  }
  if (isError(e, "INSUFFICIENT_FUNDS")) {
    return new ProofworkError(
      ErrorCodes.TX_REVERTED,
      `${action}: insufficient funds for gas`,
      {},
      { cause: e },
    );
  }
  if (isError(e, "NETWORK_ERROR") || isError(e, "SERVER_ERROR") || isError(e, "TIMEOUT")) {
    return new ProofworkError(ErrorCodes.RPC_FAILED, `${action}: ${e.shortMessage}`, {}, { cause: e });
  }
  const short =
    e !== null && typeof e === "object" && "shortMessage" in e
      ? (e as { shortMessage: unknown }).shortMessage
      : undefined;
  const msg = typeof short === "string" ? short : errorMessage(e);
  return new ProofworkError(ErrorCodes.RPC_FAILED, `${action}: ${msg.split("\n")[0]}`, {}, { cause: e });
}

/** Runs a contract call, converting failures with `toProofworkError`. */
export async function guard<T>(action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toProofworkError(e, action);
  }
}

/**
 * Sends a transaction and waits for `confirmations` (at least 1) blocks; a failure becomes a coded
 * error naming `action` (custom errors decoded), a mined revert is TX_REVERTED.
 */
export async function sendAndConfirm(
  action: string,
  confirmations: number,
  tx: () => Promise<ContractTransactionResponse>,
): Promise<ContractTransactionReceipt> {
  return guard(action, async () => {
    const sent = await tx();
    const receipt = await sent.wait(Math.max(1, confirmations));
    if (receipt === null || receipt.status !== 1) {
      throw new ProofworkError(ErrorCodes.TX_REVERTED, `${action}: transaction ${sent.hash} failed`);
    }
    return receipt;
  });
}
