/**
 * Deployment records: one JSON file per chain (`deployments/<chainId>.json`, or
 * `deployments/<chainId>.local.json` for local development chains, which are git-ignored),
 * written by `proofwork deploy` and read by the SDK, the worker, the CLI and the web app.
 * This module is the format (schema, lookups, ids); reading and writing files is
 * `sdk/node/files.ts`.
 */
import { AbiCoder, getAddress, id, isAddress, keccak256 } from "ethers";
import { z } from "zod";
import { ErrorCodes, ProofworkError } from "./errors.ts";

/** Chain ids of local development chains (Hardhat, Anvil/Ganache): their records are git-ignored. */
export const LOCAL_CHAIN_IDS: readonly number[] = [31337, 1337];

const address = z
  .string()
  .refine((s) => isAddress(s), { error: "expected an address" })
  .transform((s) => getAddress(s));
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, { error: "expected 32 bytes of hex" });

/** A sampling circuit's shape (`SamplingShape`): samples per proof and Poseidon tree depth. */
export const SamplingShapeSchema = z.object({
  slots: z.number().int().positive(),
  treeDepth: z.number().int().positive(),
});

/** One registered circuit: on-chain id, verifier, artifact hashes and where to fetch the artifacts. */
export const CircuitRecordSchema = z.object({
  /** Circuit id in the CircuitRegistry (bytes32). */
  id: bytes32,
  /** Build name (`build/circuits/<name>/`). */
  name: z.string(),
  verifier: address,
  /** Number of public signals: `[jobKey, inputCommitment, ...outputs]`. */
  numPublic: z.number().int().positive(),
  /** Input bytes per job accepted by the circuit. */
  inputBytes: z.number().int().nonnegative(),
  /** R1CS constraints of the circuit (from its build; informational). */
  constraints: z.number().int().nonnegative().optional(),
  /** sha256 (0x hex) of the verifying key JSON, the zkey and the witness wasm. */
  vkHash: bytes32,
  zkeyHash: bytes32,
  wasmHash: bytes32,
  /** Where providers fetch the artifacts (`file://…` locally, https/ipfs elsewhere). */
  zkeyUri: z.string(),
  wasmUri: z.string(),
  /** Where the verification key is published (next to the zkey; trusted through the verifier). */
  vkUri: z.string(),
  /** Where the model artifact is published, for circuits compiled from a model. */
  modelUri: z.string().optional(),
  /** Its content hash (= the registry's `modelCommitment`). */
  modelHash: z.string().optional(),
  /**
   * A model's sampling circuit (batch jobs with `slots > 0` only, docs/BATCH.md "Design 2"): its
   * samples per proof and Poseidon tree depth; its public signals are `[jobKey, inputsRoot,
   * outputsRoot, packed indices…]`, not a single job's.
   */
  sampling: SamplingShapeSchema.optional(),
});
export type CircuitRecord = z.output<typeof CircuitRecordSchema>;

/** Who holds which role of the deployed contracts (see README, "Governance"). */
export const GovernanceRecordSchema = z.object({
  /** `deployer`: the deploying account holds every role (local dev chains); `timelock`: below. */
  kind: z.enum(["deployer", "timelock"]),
  /** The ProofworkTimelock holding DEFAULT_ADMIN_ROLE of registry, market and staking. */
  timelock: address.optional(),
  /** Its delay in seconds (> longest job lifetime + slash window). */
  timelockDelay: z.number().int().positive().optional(),
  proposers: z.array(address).default([]),
  executors: z.array(address).default([]),
  /** Holder of PAUSER_ROLE on market and staking. */
  guardian: address,
  /** Holder of CIRCUIT_ADMIN_ROLE on the registry. */
  circuitAdmin: address,
});
export type GovernanceRecord = z.output<typeof GovernanceRecordSchema>;

export const DeploymentSchema = z.object({
  chainId: z.number().int().positive(),
  network: z.string(),
  /** First block to scan for events (the block of the first deployment transaction). */
  startBlock: z.number().int().nonnegative(),
  deployer: address,
  deployedAt: z.string(),
  contracts: z.object({
    token: address,
    staking: address,
    registry: address,
    market: address,
    /** The BatchMarket (docs/BATCH.md); absent in records written before batch jobs existed. */
    batchMarket: address.optional(),
  }),
  /** Circuits registered at deployment, by build name. */
  circuits: z.record(z.string(), CircuitRecordSchema),
  /** Role holders (absent in records written before governance was recorded: the deployer). */
  governance: GovernanceRecordSchema.optional(),
});
export type Deployment = z.output<typeof DeploymentSchema>;
export type DeploymentInput = z.input<typeof DeploymentSchema>;

/** Confirmations to use: the configured number, else 0 on local dev chains (automine) and 1 elsewhere. */
export function confirmationsFor(configured: number | undefined, chainId: number | bigint): number {
  return configured ?? (LOCAL_CHAIN_IDS.includes(Number(chainId)) ? 0 : 1);
}

/** The file name of the record for `chainId` (`<id>.local.json` on local dev chains). */
export function deploymentFileName(chainId: number | bigint): string {
  const id = Number(chainId);
  return LOCAL_CHAIN_IDS.includes(id) ? `${id}.local.json` : `${id}.json`;
}

/** Validates a parsed record (DEPLOYMENT_NOT_FOUND naming the file and field when malformed). */
export function parseDeployment(json: unknown, source = "deployment record"): Deployment {
  const parsed = DeploymentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProofworkError(
      ErrorCodes.DEPLOYMENT_NOT_FOUND,
      `${source} is malformed at ${issue.path.join(".") || "<root>"}: ${issue.message}`,
      { source },
    );
  }
  return parsed.data;
}

/** The record of a circuit given by name or bytes32 id (CIRCUIT_UNKNOWN listing the known ones). */
export function circuitRecord(d: Deployment, nameOrId: string): CircuitRecord {
  const c = d.circuits[nameOrId] ?? circuitById(d, nameOrId);
  if (c === undefined) {
    throw new ProofworkError(
      ErrorCodes.CIRCUIT_UNKNOWN,
      `unknown circuit "${nameOrId}" (deployed: ${Object.keys(d.circuits).join(", ") || "none"})`,
    );
  }
  return c;
}

/** The record of the circuit with on-chain id `id`, if deployed. */
export function circuitById(d: Deployment, id: string): CircuitRecord | undefined {
  return Object.values(d.circuits).find((c) => c.id.toLowerCase() === id.toLowerCase());
}

/**
 * The circuit id proofwork registers a built circuit under:
 * `keccak256(abi.encode("proofwork.circuit.v1", name, zkeyHash))` — a new key is a new id.
 */
export function circuitIdOf(name: string, zkeyHash: string): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["string", "string", "bytes32"],
      ["proofwork.circuit.v1", name, zkeyHash],
    ),
  );
}

/** Selector of a snarkjs verifier's `verifyProof` with `numPublic` public signals. */
export function snarkjsSelector(numPublic: number): string {
  return id(`verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[${numPublic}])`).slice(0, 10);
}
