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
  // chain interaction
  TX_REVERTED: "TX_REVERTED",
  RPC_FAILED: "RPC_FAILED",
  JOB_NOT_FOUND: "JOB_NOT_FOUND",
  JOB_EXPIRED: "JOB_EXPIRED",
  JOB_CANCELLED: "JOB_CANCELLED",
  TIMEOUT: "TIMEOUT",
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
