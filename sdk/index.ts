/**
 * proofwork SDK: the public surface shared by the worker, the CLI, deploy scripts and tests.
 * Plain ethers v6 at run time (no Hardhat).
 */
export * from "./errors.ts";
export { FIELD_MODULUS, assertField, computeJobKey } from "./field.ts";
export { commitInput, packBytes, poseidonChain } from "./commitment.ts";
export {
  ConfigSchema,
  EXECUTOR_BACKENDS,
  FIELD_SPECS,
  LOG_LEVELS,
  NETWORKS,
  loadConfig,
  requirePrivateKey,
  type Config,
  type ConfigOverrides,
  type ExecutorBackend,
  type LogLevel,
  type NetworkName,
} from "./config.ts";
export {
  CONTRACT_NAMES,
  ERC20_ABI,
  connectChain,
  connectContracts,
  createSigner,
  guard,
  loadAbi,
  probeChainId,
  revertReason,
  toProofworkError,
  type ChainConnection,
  type ProofworkContracts,
} from "./contracts.ts";
export {
  DeploymentSchema,
  circuitById,
  circuitByName,
  circuitIdOf,
  confirmationsFor,
  deploymentPath,
  findDeployment,
  readDeployment,
  snarkjsSelector,
  writeDeployment,
  type CircuitRecord,
  type Deployment,
} from "./deployments.ts";
export {
  JOB_STATUS,
  RequesterClient,
  decodeJob,
  parseAddress,
  parseJobId,
  queryEventsChunked,
  type Job,
  type JobResult,
  type JobStatusName,
  type PostJobRequest,
  type PostedJob,
  type Pricing,
  type WaitOptions,
} from "./client.ts";
export {
  claimCommitment,
  claimedPrice,
  decodeJobSlot,
  decodeTerms,
  inputFromPostCalldata,
  priceAt,
  resultCommitment,
  termsCommitment,
  termsFromJson,
  termsHash,
  termsToJson,
  JOB_TERMS_TUPLE,
  type JobSlot,
  type JobTerms,
} from "./terms.ts";
export {
  ProviderAccount,
  BACKEND_BITS,
  type Capability,
  type Collectable,
  type ProviderStatus,
} from "./provider.ts";
export {
  decodeProof,
  encodeProof,
  releaseSnarkjs,
  verifyGroth16,
  type OnChainProof,
  type VerificationKey,
} from "./proof.ts";
export { callRegisteredVerifier, loadVerificationKey, verifyResult, type VerifyReport } from "./verify.ts";
export { decodePredictions, encodeDigits, pixelsToBytes, renderDigit, type Prediction } from "./mnist.ts";
