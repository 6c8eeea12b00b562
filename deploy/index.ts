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
export { registerBuiltCircuit, type RegisterCircuitOptions } from "./register.ts";
export { ROLES, proofworkModule, type GovernanceOptions } from "./modules/proofwork.ts";
// The development network (tests, benchmarks, the web app's tests): a `hardhat node` child process,
// a protocol deployed on it with dev accounts funded and staked, jobs posted.
export * from "./devnet/node.ts";
export * from "./devnet/protocol.ts";
export * from "./devnet/record.ts";
export * from "./devnet/faults.ts";
export * from "./devnet/flaky-rpc.ts";
