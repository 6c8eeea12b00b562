/**
 * Public entry point of the deployment scripts (used by the CLI, the demo and tests): compile,
 * connect to a network, deploy the protocol with Ignition, write the deployment record.
 */
export {
  ROOT,
  compileContracts,
  connectNetwork,
  deployProofwork,
  getHre,
  governanceFor,
  type ConnectOptions,
  type DeployOptions,
  type DeployResult,
} from "./deploy.ts";
export { ROLES, proofworkModule, type GovernanceOptions } from "./modules/proofwork.ts";
