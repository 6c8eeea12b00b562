/**
 * What every `proofwork` command shares: global flags → configuration, the chain context (provider,
 * deployment record, signer), token formatting, and the action wrapper that turns a known error
 * into one line and exit 1 (an unknown one into its stack and exit 3).
 */
import type { Command } from "commander";
import { formatUnits, type Provider, type Signer } from "ethers";
import {
  RequesterClient,
  confirmationsFor,
  connectChain,
  connectContracts,
  createSigner,
  findDeployment,
  ERROR_CATALOG,
  isProofworkError,
  loadConfig,
  releaseSnarkjs,
  requirePrivateKey,
  type Config,
  type ConfigOverrides,
  type Deployment,
} from "../sdk/node.ts";
import { parseNetwork } from "./args.ts";
import { Output, toJson } from "./output.ts";

export interface GlobalOptions {
  json?: boolean;
  network?: string;
  rpc?: string;
  privateKey?: string;
  deployment?: string;
  envFile?: string;
  chainId?: string;
  confirmations?: string;
  logLevel?: string;
}

export const FLAG_NAMES = {
  network: "--network",
  rpcUrl: "--rpc",
  privateKey: "--private-key",
  deploymentFile: "--deployment",
  chainId: "--chain-id",
  confirmations: "--confirmations",
  logLevel: "--log-level",
} as const;

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export function output(cmd: Command): Output {
  return new Output(globals(cmd).json === true);
}

/** The configuration: flags over environment over `.env`. */
export function configOf(cmd: Command, extra: ConfigOverrides = {}): Config {
  const g = globals(cmd);
  if (g.network !== undefined) parseNetwork(g.network);
  return loadConfig(
    {
      network: g.network,
      rpcUrl: g.rpc,
      privateKey: g.privateKey,
      deploymentFile: g.deployment,
      chainId: g.chainId,
      confirmations: g.confirmations,
      logLevel: g.logLevel,
      ...extra,
    },
    { envFile: g.envFile, flagNames: FLAG_NAMES },
  );
}

export interface ChainContext {
  config: Config;
  /** Effective confirmations (configured, or the chain's default). */
  confirmations: number;
  provider: Provider;
  chainId: bigint;
  deployment: Deployment;
  signer?: Signer;
}

/** Connects to the chain and loads its deployment record (and the signer when `needSigner`). */
export async function chainContext(cmd: Command, needSigner: boolean): Promise<ChainContext> {
  const config = configOf(cmd);
  const key = needSigner ? requirePrivateKey(config) : config.privateKey;
  const { provider, chainId } = await connectChain(config);
  const deployment = findDeployment({ file: config.deploymentFile, dir: config.deploymentsDir, chainId });
  const ctx: ChainContext = {
    config,
    confirmations: confirmationsFor(config.confirmations, chainId),
    provider,
    chainId,
    deployment,
  };
  if (key !== undefined) ctx.signer = createSigner(key, provider);
  return ctx;
}

export function requesterClient(ctx: ChainContext): RequesterClient {
  return new RequesterClient(ctx.deployment, ctx.signer ?? ctx.provider, {
    confirmations: ctx.confirmations,
    logChunkSize: ctx.config.logChunkSize,
    pollIntervalMs: ctx.config.pollIntervalMs,
  });
}

export async function tokenInfo(ctx: ChainContext): Promise<{ decimals: number; symbol: string }> {
  const { token } = connectContracts(ctx.deployment, ctx.provider);
  try {
    const [decimals, symbol] = await Promise.all([token.decimals(), token.symbol()]);
    return { decimals: Number(decimals), symbol };
  } catch {
    return { decimals: 18, symbol: "tokens" };
  }
}

export const fmt = (v: bigint, t: { decimals: number; symbol: string }) =>
  `${formatUnits(v, t.decimals)} ${t.symbol}`;

/** Runs an action: known errors → one line + exit 1; unknown → stack + exit 3. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const cmd = args[args.length - 1] as Command;
    try {
      await fn(...args);
    } catch (e) {
      reportError(e, globals(cmd).json === true);
      process.exitCode = isProofworkError(e) ? 1 : 3;
    } finally {
      await releaseSnarkjs();
    }
  };
}

export function reportError(e: unknown, json: boolean): void {
  if (isProofworkError(e)) {
    process.stderr.write(`${e.toLine()}\n`);
    if (json) {
      const { module, fix } = ERROR_CATALOG[e.code];
      process.stdout.write(
        `${toJson({ ok: false, error: { code: e.code, message: e.message, module, fix } })}\n`,
      );
    }
  } else {
    process.stderr.write(
      `internal error (please report): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
  }
}
