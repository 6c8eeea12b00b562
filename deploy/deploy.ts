/**
 * Deployment: compile, deploy the Ignition module (token, staking, registry, market, batch market,
 * verifiers, circuit registrations, roles) and write the chain's deployment record.
 *
 * This is the only place besides tests and the demo that loads Hardhat; the SDK reads the record
 * with plain ethers.
 */
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type BaseContract, type Result } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { NetworkConnection } from "hardhat/types/network";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import hardhatConfig from "../hardhat.config.ts";
import { ErrorCodes, ProofworkError, errorMessage } from "../sdk/errors.ts";
import { LOCAL_CHAIN_IDS, type Deployment } from "../sdk/deployments.ts";
import { deploymentPath, writeDeployment } from "../sdk/node/files.ts";
import {
  MIN_GOVERNANCE_DELAY_SECONDS,
  NETWORKS,
  type GovernanceKind,
  type NetworkName,
} from "../sdk/node/config.ts";
import { checkVerifierMatchesZkey, prepareCircuit } from "./circuits.ts";
import { freshAbis } from "./export-abi.ts";
import { type GovernanceOptions, proofworkModule } from "./modules/proofwork.ts";

/** Repository root. */
export const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

let hrePromise: Promise<HardhatRuntimeEnvironment> | undefined;

/** The Hardhat runtime of this project (created once, independent of the working directory). */
export function getHre(): Promise<HardhatRuntimeEnvironment> {
  hrePromise ??= createHardhatRuntimeEnvironment(hardhatConfig, {}, ROOT);
  return hrePromise;
}

/**
 * Compiles the contracts (including generated verifiers). Returns a warning when the SDK's
 * generated ABI module no longer matches them (`npm run abi` regenerates it; this never writes it).
 */
export async function compileContracts(hre: HardhatRuntimeEnvironment): Promise<string | undefined> {
  try {
    await hre.tasks.getTask("build").run({ quiet: true, noTests: true });
  } catch (e) {
    throw new ProofworkError(
      ErrorCodes.COMPILE_FAILED,
      `contract compilation failed: ${errorMessage(e)}`,
      {},
      { cause: e },
    );
  }
  // structural comparison (no formatter at deploy time): every exported ABI equals the artifacts'
  const fresh = freshAbis(join(ROOT, "artifacts"));
  const shipped = (await import("../sdk/abi/index.ts")) as unknown as Record<string, unknown>;
  const same = Object.entries(fresh).every(([k, v]) => JSON.stringify(shipped[k]) === JSON.stringify(v));
  return same
    ? undefined
    : "the SDK's ABIs (sdk/abi/index.ts) differ from the compiled contracts: run `npm run abi`";
}

export interface ConnectOptions {
  network: NetworkName;
  /** Overrides the network's RPC URL (localhost/sepolia). */
  rpcUrl?: string;
  /** Overrides the network's accounts with this key. */
  privateKey?: string;
}

/** Opens a Hardhat network connection (`hardhat` = a fresh in-process chain). */
export async function connectNetwork(
  hre: HardhatRuntimeEnvironment,
  opts: ConnectOptions,
): Promise<NetworkConnection> {
  if (!NETWORKS.includes(opts.network)) {
    throw new ProofworkError(
      ErrorCodes.UNKNOWN_NETWORK,
      `unknown network "${String(opts.network)}" (known: ${NETWORKS.join(", ")})`,
    );
  }
  try {
    if (opts.network === "hardhat") return await hre.network.create();
    const override: Record<string, unknown> = {};
    if (opts.rpcUrl !== undefined) override.url = opts.rpcUrl;
    if (opts.privateKey !== undefined) override.accounts = [opts.privateKey];
    return await hre.network.create({ network: opts.network, override });
  } catch (e) {
    const first = errorMessage(e).split("\n")[0] ?? "";
    if (/Configuration Variable "SEPOLIA_/.test(first)) {
      throw new ProofworkError(
        ErrorCodes.CONFIG_INVALID,
        `network ${opts.network} needs an endpoint and a key: set PROOFWORK_RPC_URL and PROOFWORK_PRIVATE_KEY (or SEPOLIA_RPC_URL and SEPOLIA_PRIVATE_KEY)`,
        {},
        { cause: e },
      );
    }
    throw new ProofworkError(
      ErrorCodes.RPC_FAILED,
      `cannot connect to network ${opts.network}: ${first}`,
      {},
      { cause: e },
    );
  }
}

export interface DeployOptions {
  /** Built circuits to deploy verifiers for and register (build names). */
  circuits: string[];
  /** Circuit build output (default `<root>/build/circuits`). */
  buildDir?: string;
  /** Base URI for providers to fetch artifacts (default `file://` of buildDir). */
  artifactBaseUri?: string;
  /** Existing ERC20 to use instead of deploying the TestToken. */
  tokenAddress?: string;
  /** Extra Ignition parameters of module `Proofwork` (minStake, feeBps, …). */
  parameters?: Record<string, string | number | bigint | boolean>;
  /** Network name written into the record. */
  networkName: string;
  /** Where to write the record: a file, or a directory for `<chainId>[.local].json`. */
  deploymentsDir?: string;
  outFile?: string;
  /** Don't write any file (in-process chains). */
  writeRecord?: boolean;
  /** Who governs the contracts (default `auto`: the deployer on local dev chains, else a timelock). */
  governance?: {
    kind: GovernanceKind;
    /** Timelock delay in seconds (default 12 days). */
    timelockDelay?: number;
    proposers?: string[];
    executors?: string[];
    guardian?: string;
    circuitAdmin?: string;
  };
  log?: (line: string) => void;
}

export interface DeployResult {
  deployment: Deployment;
  /** Path of the record written (undefined when not written). */
  path?: string;
}

/** Deploys everything through Ignition and returns (and by default writes) the record. */
export async function deployProofwork(
  connection: NetworkConnection,
  opts: DeployOptions,
): Promise<DeployResult> {
  const log = opts.log ?? (() => undefined);
  const buildDir = opts.buildDir ?? join(ROOT, "build", "circuits");
  const prepared = opts.circuits.map((name) => prepareCircuit(name, buildDir, opts.artifactBaseUri));
  // a verifier is only registered with the zkey (and published key) whose key it embeds
  const hre = await getHre();
  for (const p of prepared) {
    const artifact = await hre.artifacts.readArtifact(p.registration.verifierContract);
    await checkVerifierMatchesZkey(p.record.name, buildDir, artifact.deployedBytecode);
  }

  const { ethers } = connection;
  const chainId = Number((await ethers.provider.getNetwork()).chainId);
  const [deployer] = await ethers.getSigners();
  if (deployer === undefined) {
    throw new ProofworkError(
      ErrorCodes.MISSING_KEY,
      `network ${opts.networkName} has no account to deploy with: set PROOFWORK_PRIVATE_KEY`,
    );
  }
  const startBlock = await ethers.provider.getBlockNumber();

  // A local dev chain restarts empty: a journal from an earlier run of it would not match.
  const deploymentId = `chain-${chainId}`;
  const journalDir = join(ROOT, "ignition", "deployments", deploymentId);
  if (
    connection.networkConfig.type !== "edr-simulated" &&
    LOCAL_CHAIN_IDS.includes(chainId) &&
    existsSync(journalDir)
  ) {
    rmSync(journalDir, { recursive: true, force: true });
  }

  log(`deploying to ${opts.networkName} (chain ${chainId}) from ${deployer.address}`);
  const governance = governanceFor(opts.governance, chainId, deployer.address);
  if (governance.kind === "timelock") {
    log(
      `  governance: ProofworkTimelock (delay ${governance.minDelay}s, proposers ${governance.proposers.join(", ")}), ` +
        `guardian ${governance.guardian}, circuit admin ${governance.circuitAdmin}`,
    );
  }
  const module = proofworkModule({
    externalToken: opts.tokenAddress !== undefined,
    batchMarketCreationCode: (await hre.artifacts.readArtifact("BatchMarket")).bytecode,
    circuits: prepared.map((p) => p.registration),
    governance,
  });
  const parameters: Record<string, string | number | bigint | boolean> = { ...opts.parameters };
  if (opts.tokenAddress !== undefined) parameters.token = opts.tokenAddress;
  let deployed;
  try {
    deployed = await connection.ignition.deploy(module, {
      parameters: { Proofwork: parameters },
      deploymentId,
      displayUi: false,
    });
  } catch (e) {
    throw new ProofworkError(
      ErrorCodes.DEPLOY_FAILED,
      `deployment failed: ${errorMessage(e).split("\n")[0]}`,
      {},
      { cause: e },
    );
  }
  const [token, staking, registry, market, batchMarket] = await Promise.all([
    deployed.token.getAddress(),
    deployed.staking.getAddress(),
    deployed.registry.getAddress(),
    deployed.market.getAddress(),
    deployed.batchMarket.getAddress(),
  ]);
  for (const [name, addr] of Object.entries({ token, staking, registry, market, batchMarket }))
    log(`  ${name.padEnd(11)} ${addr}`);

  const circuits: Deployment["circuits"] = {};
  for (const p of prepared) {
    const entry = (await deployed.registry.getFunction("getCircuit").staticCall(p.registration.id)) as Result;
    const verifier = entry.getValue("verifier") as string;
    circuits[p.record.name] = { ...p.record, verifier };
    log(`  circuit ${p.record.name}: id ${p.record.id.slice(0, 10)}…, verifier ${verifier}`);
  }

  const deployment: Deployment = {
    chainId,
    network: opts.networkName,
    startBlock,
    deployer: deployer.address,
    deployedAt: new Date().toISOString(),
    contracts: { token, staking, registry, market, batchMarket },
    circuits,
    governance:
      governance.kind === "timelock"
        ? {
            kind: "timelock",
            timelock:
              "timelock" in deployed ? await (deployed.timelock as BaseContract).getAddress() : undefined,
            timelockDelay: governance.minDelay,
            proposers: governance.proposers,
            executors: governance.executors,
            guardian: governance.guardian,
            circuitAdmin: governance.circuitAdmin,
          }
        : {
            kind: "deployer",
            proposers: [],
            executors: [],
            guardian: deployer.address,
            circuitAdmin: deployer.address,
          },
  };
  if (deployment.governance?.timelock !== undefined) log(`  timelock ${deployment.governance.timelock}`);
  if (opts.writeRecord === false) return { deployment };
  const path = writeDeployment(
    opts.outFile ?? deploymentPath(opts.deploymentsDir ?? join(ROOT, "deployments"), chainId),
    deployment,
  );
  log(`deployment record written to ${path}`);
  return { deployment, path };
}

/**
 * Resolves the governance of a deployment: `auto` is the deployer on local dev chains and a
 * timelock elsewhere; unset timelock roles default to the deployer (proposer, guardian, circuit
 * admin) and executors to the proposers.
 */
export function governanceFor(
  spec: DeployOptions["governance"],
  chainId: number,
  deployer: string,
): GovernanceOptions {
  const kind = spec?.kind ?? "auto";
  const resolved = kind === "auto" ? (LOCAL_CHAIN_IDS.includes(chainId) ? "deployer" : "timelock") : kind;
  if (resolved === "deployer") return { kind: "deployer" };
  const minDelay = spec?.timelockDelay ?? 12 * 86_400;
  if (minDelay <= MIN_GOVERNANCE_DELAY_SECONDS) {
    throw new ProofworkError(
      ErrorCodes.CONFIG_INVALID,
      `timelock delay ${minDelay}s must exceed the longest job lifetime plus the slash window (${MIN_GOVERNANCE_DELAY_SECONDS}s)`,
    );
  }
  const proposers = spec?.proposers?.length ? spec.proposers : [deployer];
  return {
    kind: "timelock",
    minDelay,
    proposers,
    executors: spec?.executors?.length ? spec.executors : proposers,
    guardian: spec?.guardian ?? deployer,
    circuitAdmin: spec?.circuitAdmin ?? deployer,
    deployer,
  };
}
