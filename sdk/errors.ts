/**
 * Coded errors shared by every proofwork module (SDK, worker, CLI, deploy scripts).
 *
 * One class, a stable machine-readable `code`, a human message. The CLI prints a `ProofworkError`
 * as one short line (`error[CODE]: message`) and anything else with its stack: an unknown error
 * is a bug, a known one is a user or environment problem.
 */

/** Every error code the project raises, grouped by module. Codes are stable; messages may change. */
export const ErrorCodes = {
  // configuration and user input
  CONFIG_INVALID: "CONFIG_INVALID",
  BAD_ADDRESS: "BAD_ADDRESS",
  BAD_NUMBER: "BAD_NUMBER",
  BAD_ARGUMENT: "BAD_ARGUMENT",
  MISSING_KEY: "MISSING_KEY",
  UNKNOWN_NETWORK: "UNKNOWN_NETWORK",
  WRONG_CHAIN: "WRONG_CHAIN",
  DEPLOYMENT_NOT_FOUND: "DEPLOYMENT_NOT_FOUND",
  // deployment
  COMPILE_FAILED: "COMPILE_FAILED",
  DEPLOY_FAILED: "DEPLOY_FAILED",
  // circuits and artifacts
  CIRCUIT_BUILD_FAILED: "CIRCUIT_BUILD_FAILED",
  CIRCUIT_NOT_BUILT: "CIRCUIT_NOT_BUILT",
  CIRCUIT_UNKNOWN: "CIRCUIT_UNKNOWN",
  ARTIFACT_MISMATCH: "ARTIFACT_MISMATCH",
  ARTIFACT_FETCH_FAILED: "ARTIFACT_FETCH_FAILED",
  PTAU_INVALID: "PTAU_INVALID",
  ZKEY_INVALID: "ZKEY_INVALID",
  // job input and results
  INPUT_INVALID: "INPUT_INVALID",
  COMMITMENT_MISMATCH: "COMMITMENT_MISMATCH",
  FIELD_OVERFLOW: "FIELD_OVERFLOW",
  MODEL_INVALID: "MODEL_INVALID",
  MODEL_UNSUPPORTED: "MODEL_UNSUPPORTED",
  WITNESS_FAILED: "WITNESS_FAILED",
  PROOF_FAILED: "PROOF_FAILED",
  PROOF_INVALID: "PROOF_INVALID",
  // batch jobs (requester side)
  DATASET_INVALID: "DATASET_INVALID",
  OUTPUTS_MISMATCH: "OUTPUTS_MISMATCH",
  // chain interaction
  TX_REVERTED: "TX_REVERTED",
  RPC_FAILED: "RPC_FAILED",
  JOB_NOT_FOUND: "JOB_NOT_FOUND",
  JOB_EXPIRED: "JOB_EXPIRED",
  JOB_CANCELLED: "JOB_CANCELLED",
  TIMEOUT: "TIMEOUT",
  BATCH_STATE: "BATCH_STATE",
  BATCH_UNSUPPORTED: "BATCH_UNSUPPORTED",
  // worker
  STORE_FAILED: "STORE_FAILED",
  BACKEND_UNAVAILABLE: "BACKEND_UNAVAILABLE",
  ILLEGAL_TRANSITION: "ILLEGAL_TRANSITION",
  MONITOR_FAILED: "MONITOR_FAILED",
  CLAIM_FAILED: "CLAIM_FAILED",
  EXECUTION_FAILED: "EXECUTION_FAILED",
  EXECUTOR_MISMATCH: "EXECUTOR_MISMATCH",
  SUBMIT_FAILED: "SUBMIT_FAILED",
  SETTLE_FAILED: "SETTLE_FAILED",
  TX_FAILED: "TX_FAILED",
  FEE_TOO_HIGH: "FEE_TOO_HIGH",
  WORKER_STOPPING: "WORKER_STOPPING",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export type ErrorModule = "config" | "deploy" | "circuits" | "input" | "chain" | "worker";

/** What a code means and what to do about it (docs/ERRORS.md is generated from this). */
export interface ErrorInfo {
  module: ErrorModule;
  /** what happened, in general terms */
  title: string;
  /** what the user can do */
  fix: string;
}

/** Every code, by module, with its meaning and the fix: the reference users and integrators read. */
export const ERROR_CATALOG: { readonly [C in ErrorCode]: ErrorInfo } = {
  CONFIG_INVALID: {
    module: "config",
    title: "a configuration value (environment, .env or flag) is invalid",
    fix: "correct the variable named in the message; `proofwork config show` prints the effective values",
  },
  BAD_ADDRESS: {
    module: "config",
    title: "not an Ethereum address",
    fix: "pass a 0x-prefixed 20-byte address",
  },
  BAD_NUMBER: {
    module: "config",
    title: "not a valid number or amount",
    fix: "pass a number within the range in the message",
  },
  BAD_ARGUMENT: {
    module: "config",
    title: "a command argument is missing or invalid",
    fix: "see the command's --help",
  },
  MISSING_KEY: {
    module: "config",
    title: "a command that signs has no private key",
    fix: "set PROOFWORK_PRIVATE_KEY (in .env, never committed) or pass --private-key",
  },
  UNKNOWN_NETWORK: {
    module: "config",
    title: "unknown network name",
    fix: "use hardhat, localhost or sepolia",
  },
  WRONG_CHAIN: {
    module: "config",
    title: "the RPC endpoint is on another chain than expected",
    fix: "point PROOFWORK_RPC_URL at the deployment's chain, or use that chain's deployment record",
  },
  DEPLOYMENT_NOT_FOUND: {
    module: "config",
    title: "no (valid) deployment record for this chain",
    fix: "run `proofwork deploy` for the chain, or pass --deployment <file>",
  },
  COMPILE_FAILED: {
    module: "deploy",
    title: "the contracts did not compile",
    fix: "run `npx hardhat build` to see the compiler's errors",
  },
  DEPLOY_FAILED: {
    module: "deploy",
    title: "a deployment transaction failed",
    fix: "check the deployer's balance and the network; Ignition resumes a partial deployment on the next run",
  },
  CIRCUIT_BUILD_FAILED: {
    module: "circuits",
    title: "compiling or keying a circuit failed",
    fix: "read the build log above the error; `npm run circuits:build` rebuilds",
  },
  CIRCUIT_NOT_BUILT: {
    module: "circuits",
    title: "the circuit (or its keys) is not built",
    fix: "run `npm run circuits:build` or `proofwork model build <name>`",
  },
  CIRCUIT_UNKNOWN: {
    module: "circuits",
    title: "no such circuit",
    fix: "pick a circuit of the deployment record (`proofwork model list`, the record's circuits)",
  },
  ARTIFACT_MISMATCH: {
    module: "circuits",
    title: "a circuit file, verifier or model does not match what the registry commits to",
    fix: "publish the files of the build that was registered (or rebuild and register again)",
  },
  ARTIFACT_FETCH_FAILED: {
    module: "circuits",
    title: "a circuit artifact could not be downloaded",
    fix: "check the artifacts URI registered for the circuit is reachable",
  },
  PTAU_INVALID: {
    module: "circuits",
    title: "the Powers-of-Tau file is unusable",
    fix: "use a prepared ptau of sufficient power (see circuits/README.md)",
  },
  ZKEY_INVALID: {
    module: "circuits",
    title: "the proving key is invalid for this circuit",
    fix: "rebuild the circuit's keys",
  },
  INPUT_INVALID: {
    module: "input",
    title: "the job input does not fit the circuit or model",
    fix: "encode the input for the circuit's model (shape and size in the message)",
  },
  COMMITMENT_MISMATCH: {
    module: "input",
    title: "the input does not match the job's input commitment",
    fix: "use the exact bytes the job was posted with",
  },
  FIELD_OVERFLOW: {
    module: "input",
    title: "a value does not fit the BN254 field or its bit width",
    fix: "check the model's output bits or the value's range",
  },
  MODEL_INVALID: {
    module: "input",
    title: "the model artifact is malformed or inconsistent",
    fix: "re-import the model with `proofwork model import`",
  },
  MODEL_UNSUPPORTED: {
    module: "input",
    title: "the model uses a layer the compiler does not support",
    fix: "replace the layer named in the message with a supported one",
  },
  WITNESS_FAILED: {
    module: "input",
    title: "the circuit rejected the inputs (witness generation failed)",
    fix: "the outputs do not follow from the input: check the executor and model",
  },
  PROOF_FAILED: {
    module: "worker",
    title: "proving failed",
    fix: "check the zkey and the prover threads' memory",
  },
  PROOF_INVALID: {
    module: "chain",
    title: "a proof does not verify",
    fix: "the result cannot be trusted; report the job",
  },
  DATASET_INVALID: {
    module: "input",
    title: "a batch dataset is unreadable, empty or not the job's (hash or inputs root differ)",
    fix: "pass a folder of PNG/JPEG pictures, a .npy/.json tensor or mnist:test[:N]; for a posted job, the file its inputsURI served must be the one posted",
  },
  OUTPUTS_MISMATCH: {
    module: "input",
    title: "a batch job's outputs file is not what its provider committed (keccak256 or outputs root differ)",
    fix: "do not use these outputs: fetch the file again from the committed outputsURI, or challenge the indices you need (`proofwork job challenge`) to force their proofs",
  },
  TX_REVERTED: {
    module: "chain",
    title: "a transaction or call reverted",
    fix: "the decoded custom error in the message says why (see docs/ARCHITECTURE.md)",
  },
  RPC_FAILED: {
    module: "chain",
    title: "the JSON-RPC endpoint failed or is unreachable",
    fix: "check PROOFWORK_RPC_URL and that the node is up",
  },
  JOB_NOT_FOUND: {
    module: "chain",
    title: "no such job on chain",
    fix: "check the job id and the deployment",
  },
  JOB_EXPIRED: {
    module: "chain",
    title: "the job's deadline passed",
    fix: "post a new job, or reclaim/slash as the lifecycle allows",
  },
  JOB_CANCELLED: { module: "chain", title: "the job was cancelled", fix: "post a new job" },
  TIMEOUT: {
    module: "chain",
    title: "waiting timed out",
    fix: "wait longer (--timeout) or check that a provider serves the circuit",
  },
  BATCH_STATE: {
    module: "chain",
    title:
      "the batch job is not in a state that allows this action (e.g. results before a commit, a challenge after the window)",
    fix: "check the job with `proofwork job status <id> --batch` and retry when the lifecycle allows it",
  },
  BATCH_UNSUPPORTED: {
    module: "chain",
    title: "the deployment has no batch market",
    fix: "redeploy with `proofwork deploy` (deployments made before batch jobs existed have none)",
  },
  STORE_FAILED: {
    module: "worker",
    title: "the worker's job store could not be read or written",
    fix: "check PROOFWORK_DATA_DIR is writable and not used by another worker",
  },
  BACKEND_UNAVAILABLE: {
    module: "worker",
    title: "the requested TF.js backend is not available",
    fix: "install it, or unset PROOFWORK_EXECUTOR_BACKEND to pick the best available",
  },
  ILLEGAL_TRANSITION: {
    module: "worker",
    title: "a job state change outside the state machine (a bug)",
    fix: "report it with the worker's log",
  },
  MONITOR_FAILED: {
    module: "worker",
    title: "reading chain events failed after retries",
    fix: "check the RPC endpoint (and PROOFWORK_RPC_FALLBACK_URLS)",
  },
  CLAIM_FAILED: {
    module: "worker",
    title: "claiming a job failed",
    fix: "see the decoded reason; often another provider was faster",
  },
  EXECUTION_FAILED: {
    module: "worker",
    title: "running the model failed",
    fix: "see the message; the job is failed and released before its deadline when possible",
  },
  EXECUTOR_MISMATCH: {
    module: "worker",
    title: "the inference backend's outputs differ from the circuit's reference",
    fix: "force an exact backend (PROOFWORK_EXECUTOR_BACKEND=wasm or cpu); on NVIDIA GPUs keep NVIDIA_TF32_OVERRIDE=0",
  },
  SUBMIT_FAILED: {
    module: "worker",
    title: "the proof could not be submitted before the deadline",
    fix: "check gas prices and the RPC endpoint",
  },
  SETTLE_FAILED: {
    module: "worker",
    title: "collecting a payment failed",
    fix: "it is retried; `proofwork provider collect` collects by hand",
  },
  TX_FAILED: {
    module: "worker",
    title: "a transaction could not be sent or mined",
    fix: "check the key's balance, the nonce and the RPC endpoint",
  },
  FEE_TOO_HIGH: {
    module: "worker",
    title: "gas fees are above the configured cap",
    fix: "raise PROOFWORK_WORKER_MAX_FEE_GWEI or wait",
  },
  WORKER_STOPPING: {
    module: "worker",
    title: "the worker is shutting down",
    fix: "start it again; parked jobs resume",
  },
};

/** `docs/ERRORS.md`: every code by module, what it means and what to do. */
export function renderErrorReference(): string {
  const modules: ErrorModule[] = ["config", "deploy", "circuits", "input", "chain", "worker"];
  const rows = (m: ErrorModule) =>
    (Object.keys(ERROR_CATALOG) as ErrorCode[])
      .filter((c) => ERROR_CATALOG[c].module === m)
      .map((c) => `| \`${c}\` | ${ERROR_CATALOG[c].title} | ${ERROR_CATALOG[c].fix} |`)
      .join("\n");
  return [
    "# Error codes",
    "",
    "Generated from `ERROR_CATALOG` in `sdk/errors.ts` by `npm run docs:errors` (a test checks it is current). Every",
    "known failure is a `ProofworkError` with one of these stable codes; the CLI prints it as one line,",
    "`error[CODE]: message` (and `--json` gives `{ ok: false, error: { code, message, module, fix } }`); the worker",
    "records a failed job with its code. Messages may change; codes do not.",
    "",
    ...modules.flatMap((m) => [
      `## ${m}`,
      "",
      "| code | meaning | what to do |",
      "| --- | --- | --- |",
      rows(m),
      "",
    ]),
  ].join("\n");
}

/** The project's one error class: a stable code, a readable message, optional structured details. */
export class ProofworkError extends Error {
  override readonly name = "ProofworkError";

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** One line for humans: `error[CODE]: message`. */
  toLine(): string {
    return `error[${this.code}]: ${this.message}`;
  }
}

/** True when `e` is a ProofworkError (optionally with the given code). */
export function isProofworkError(e: unknown, code?: ErrorCode): e is ProofworkError {
  return e instanceof ProofworkError && (code === undefined || e.code === code);
}

/** Message of any thrown value, without its stack. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
