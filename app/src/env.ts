/**
 * Everything the page learns once at start: the runtime config, the deployment record, the chain
 * (checked to be the record's, with the contracts deployed), the token, the market's bounds and
 * economics, and the registered models with their published `model.json`. Every step goes through
 * the SDK; a failure is a `Problem` the page shows in plain words.
 */
import { JsonRpcProvider, Network, VoidSigner, ZeroAddress, formatUnits, type Provider } from "ethers";
import {
  LOCAL_CHAIN_IDS,
  ProviderAccount,
  RequesterClient,
  artifactUris,
  errorMessage,
  hasModel,
  isProofworkError,
  parseDeployment,
  parseArtifact,
  probeChainId,
  readCircuit,
  type ArtifactFetcher,
  type CircuitInfo,
  type CircuitRecord,
  type Deployment,
  type ModelArtifact,
} from "proofwork";
import { absoluteUrl, artifactFetcher, parseAppConfig, type AppConfig } from "./config.ts";

/** Why the page cannot work (shown as a message with what to do, never a stack trace). */
export class Problem extends Error {
  constructor(
    readonly kind: "config" | "rpc" | "missing-deployment" | "chain-mismatch",
    readonly title: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The market's posting bounds (`JobMarket.bounds()`), as numbers. */
export interface MarketBounds {
  maxClaimPeriod: number;
  minExecutionWindow: number;
  maxExecutionWindow: number;
  slashWindow: number;
}

/** The fee and slash split new jobs get (`JobMarket.economics()`). */
export interface MarketEconomics {
  feeBps: number;
  slashRequesterBps: number;
  slashBountyBps: number;
}

export interface TokenInfo {
  address: string;
  symbol: string;
  decimals: number;
}

/** A circuit of the deployment with what the registry and its published model say. */
export interface ModelEntry {
  record: CircuitRecord;
  info: CircuitInfo;
  /** The published model (undefined for circuits not compiled from one, e.g. binding_test). */
  model?: ModelArtifact;
  /** The model's weights hash equals the registry's `modelCommitment`. */
  modelMatches?: boolean;
  /** Why the model could not be read. */
  modelError?: string;
}

export interface Env {
  config: AppConfig;
  deployment: Deployment;
  chainId: bigint;
  /** The chain is a local development chain (Hardhat / Anvil): the dev wallet is offered. */
  local: boolean;
  /** Read-only connection (the configured RPC endpoint). */
  provider: Provider;
  /**
   * The dev wallet's connection: the same endpoint without ethers' 250 ms request cache, so that
   * a transaction sent right after another one reads the new nonce.
   */
  signingProvider: Provider;
  /** Read-only requester client (jobs, results, verification). */
  reader: RequesterClient;
  /** Read-only provider accounts (stake, reputation, capability). */
  providers: ProviderAccount;
  fetcher: ArtifactFetcher;
  token: TokenInfo;
  bounds: MarketBounds;
  economics: MarketEconomics;
  models: ModelEntry[];
  rpcUrl: string;
}

async function fetchJson(url: string, what: string): Promise<{ status: number; json: unknown }> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Problem("config", `Cannot load the ${what}`, `${url} could not be fetched: ${errorMessage(e)}`);
  }
  const json: unknown = await res.json().catch(() => undefined);
  return { status: res.status, json };
}

/** Loads the runtime config from `config.json` next to the page. */
export async function loadAppConfig(base: string): Promise<AppConfig> {
  const { status, json } = await fetchJson(absoluteUrl("config.json", base), "page configuration");
  if (status !== 200 || json === undefined) {
    throw new Problem(
      "config",
      "The page is not configured",
      `config.json answered HTTP ${status}.`,
      "Serve the app with `npm run app`, or put a config.json next to index.html (README, “Web app”).",
    );
  }
  try {
    return parseAppConfig(json);
  } catch (e) {
    throw new Problem("config", "The page configuration is invalid", errorMessage(e));
  }
}

/** The model published with a registered circuit, checked against the registry's commitment. */
async function loadModel(
  record: CircuitRecord,
  info: CircuitInfo,
  fetcher: ArtifactFetcher,
): Promise<ModelEntry> {
  if (!hasModel(info)) return { record, info };
  const uri = artifactUris(info.artifactsURI, record.modelUri ? { modelUri: record.modelUri } : {}).model;
  try {
    const model = parseArtifact(JSON.parse(new TextDecoder().decode(await fetcher(uri))));
    return {
      record,
      info,
      model,
      modelMatches: model.hash.toLowerCase() === info.modelCommitment.toLowerCase(),
    };
  } catch (e) {
    return { record, info, modelError: errorMessage(e) };
  }
}

/** Connects to the chain of the deployment record and reads what the page needs. */
export async function loadEnv(config: AppConfig, base: string): Promise<Env> {
  const deploymentUrl = absoluteUrl(config.deploymentUrl, base);
  const rpcUrl = absoluteUrl(config.rpcUrl, base);
  const { status, json } = await fetchJson(deploymentUrl, "deployment record");
  if (status === 404 || json === undefined) {
    throw new Problem(
      "missing-deployment",
      "No deployment found",
      `There is no proofwork deployment record at ${deploymentUrl}.`,
      "Deploy the contracts first — `bin/proofwork --network localhost deploy --build demo` writes deployments/31337.local.json — then reload. Or run everything at once: `npm run app:local`.",
    );
  }
  if (status !== 200) {
    throw new Problem(
      "config",
      "Cannot load the deployment record",
      `${deploymentUrl} answered HTTP ${status}.`,
    );
  }
  let deployment: Deployment;
  try {
    deployment = parseDeployment(json, `the deployment record at ${deploymentUrl}`);
  } catch (e) {
    throw new Problem("missing-deployment", "The deployment record is invalid", errorMessage(e));
  }

  let chainId: bigint;
  try {
    chainId = await probeChainId(rpcUrl);
  } catch (e) {
    throw new Problem(
      "rpc",
      "Cannot reach the chain",
      `The JSON-RPC endpoint ${rpcUrl} does not answer${isProofworkError(e) ? "" : `: ${errorMessage(e)}`}.`,
      "Is the node running? Locally: `npx hardhat node` (through `bash scripts/toolchain.sh exec`).",
    );
  }
  if (chainId !== BigInt(deployment.chainId)) {
    throw new Problem(
      "chain-mismatch",
      "The deployment is for another chain",
      `The deployment record is for chain ${deployment.chainId}, but the node at ${rpcUrl} is chain ${chainId}.`,
    );
  }
  const network = Network.from(chainId);
  const provider = new JsonRpcProvider(rpcUrl, network, { staticNetwork: network, pollingInterval: 1000 });
  const signingProvider = new JsonRpcProvider(rpcUrl, network, {
    staticNetwork: network,
    pollingInterval: 500,
    cacheTimeout: -1,
  });
  const code = await provider.getCode(deployment.contracts.market);
  if (code === "0x") {
    throw new Problem(
      "missing-deployment",
      "No deployment on this chain",
      `The deployment record names a market at ${deployment.contracts.market}, but chain ${chainId} has no contract there — the node was probably restarted since the deployment.`,
      "Deploy again: `bin/proofwork --network localhost deploy --build demo`, then reload.",
    );
  }

  const reader = new RequesterClient(deployment, provider, { confirmations: 1 });
  const providers = new ProviderAccount(deployment, new VoidSigner(ZeroAddress, provider));
  const fetcher = artifactFetcher(config, base);
  const { market, token, registry } = reader.contracts;
  const [b, e, symbol, decimals] = await Promise.all([
    market.bounds(),
    market.economics(),
    token.symbol(),
    token.decimals(),
  ]);
  const models = await Promise.all(
    Object.values(deployment.circuits).map(async (record) =>
      loadModel(record, await readCircuit(registry, record.id), fetcher),
    ),
  );
  return {
    config,
    deployment,
    chainId,
    local: LOCAL_CHAIN_IDS.includes(Number(chainId)),
    provider,
    signingProvider,
    reader,
    providers,
    fetcher,
    token: { address: deployment.contracts.token, symbol, decimals: Number(decimals) },
    bounds: {
      maxClaimPeriod: Number(b.maxClaimPeriod),
      minExecutionWindow: Number(b.minExecutionWindow),
      maxExecutionWindow: Number(b.maxExecutionWindow),
      slashWindow: Number(b.slashWindow),
    },
    economics: {
      feeBps: Number(e.feeBps),
      slashRequesterBps: Number(e.slashRequesterBps),
      slashBountyBps: Number(e.slashBountyBps),
    },
    models,
    rpcUrl,
  };
}

/** An amount of the payment token for people (`1.5 PWT`). */
export function formatToken(env: Pick<Env, "token">, amount: bigint): string {
  const s = formatUnits(amount, env.token.decimals);
  return `${s.endsWith(".0") ? s.slice(0, -2) : s} ${env.token.symbol}`;
}
