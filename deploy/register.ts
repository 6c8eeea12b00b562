/**
 * Registers one more built circuit on an existing deployment (e.g. a model imported and built with
 * `proofwork model import|build`): deploys its generated verifier, registers it in the
 * CircuitRegistry with the hashes and URIs of its wasm, zkey, verification key and model artifact,
 * and returns the deployment record with the new circuit (the caller writes it).
 *
 * The same checks as a full deployment: the verifier must embed the verification key of the zkey
 * whose hash is registered. The signer must hold the registry's CIRCUIT_ADMIN_ROLE (the deployer
 * on a dev chain, the configured circuit admin under timelock governance).
 */
import { join } from "node:path";
import type { Signer } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";
import { ROOT } from "../circuits/pipeline.ts";
import {
  ErrorCodes,
  ProofworkError,
  connectContracts,
  toProofworkError,
  type CircuitRecord,
  type Deployment,
} from "../sdk/node.ts";
import { checkVerifierMatchesZkey, prepareCircuit } from "./circuits.ts";
import { getHre } from "./deploy.ts";
import { ROLES } from "./modules/proofwork.ts";

export interface RegisterCircuitOptions {
  buildDir?: string;
  /** base URI providers fetch the circuit's files from (default: file:// of the build dir) */
  artifactBaseUri?: string | undefined;
  log?: (line: string) => void;
}

export async function registerBuiltCircuit(
  connection: NetworkConnection,
  deployment: Deployment,
  name: string,
  opts: RegisterCircuitOptions = {},
): Promise<{ deployment: Deployment; circuit: CircuitRecord }> {
  const log = opts.log ?? (() => undefined);
  const buildDir = opts.buildDir ?? join(ROOT, "build", "circuits");
  const prepared = prepareCircuit(name, buildDir, opts.artifactBaseUri);
  const existing = deployment.circuits[name];
  if (existing !== undefined && existing.id === prepared.record.id) {
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      `circuit ${name} (id ${existing.id}) is already registered in this deployment`,
    );
  }
  const hre = await getHre();
  const artifact = await hre.artifacts.readArtifact(prepared.registration.verifierContract);
  await checkVerifierMatchesZkey(name, buildDir, artifact.deployedBytecode);

  const [signer] = (await connection.ethers.getSigners()) as Signer[];
  if (signer === undefined) {
    throw new ProofworkError(
      ErrorCodes.MISSING_KEY,
      "no account to register with: set PROOFWORK_PRIVATE_KEY",
    );
  }
  const who = await signer.getAddress();
  const { registry } = connectContracts(deployment, signer);
  if (!(await registry.hasRole(ROLES.CIRCUIT_ADMIN_ROLE, who))) {
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      `${who} does not hold CIRCUIT_ADMIN_ROLE on the registry ${deployment.contracts.registry}: sign with the circuit admin${deployment.governance ? ` (${deployment.governance.circuitAdmin})` : ""}`,
    );
  }

  log(`deploying ${prepared.registration.verifierContract} …`);
  const verifierContract = await connection.ethers.deployContract(
    prepared.registration.verifierContract,
    signer,
  );
  await verifierContract.waitForDeployment();
  const verifier = await verifierContract.getAddress();
  log(`registering ${name} (id ${prepared.record.id.slice(0, 10)}…, verifier ${verifier}) …`);
  const r = prepared.registration;
  try {
    const tx = await registry.registerCircuit(r.id, {
      verifier,
      selector: r.selector,
      numPublic: r.numPublic,
      active: true,
      modelCommitment: r.modelCommitment,
      zkeyHash: r.zkeyHash,
      wasmHash: r.wasmHash,
      artifactsURI: r.artifactsURI,
    });
    await tx.wait();
  } catch (e) {
    throw toProofworkError(e, `registering circuit ${name}`);
  }
  const circuit: CircuitRecord = { ...prepared.record, verifier };
  return { deployment: { ...deployment, circuits: { ...deployment.circuits, [name]: circuit } }, circuit };
}
