/**
 * The worker's error codes (declared in sdk/errors.ts, grouped here by stage for readability).
 * Every stage throws `ProofworkError` with one of these; a job's failure is recorded with its code.
 */
import { ErrorCodes } from "../sdk/node.ts";

export const WorkerErrorCodes = {
  /** store: a state change that is not an edge of the job state machine (a bug). */
  ILLEGAL_TRANSITION: ErrorCodes.ILLEGAL_TRANSITION,
  /** store: sqlite could not be opened or written. */
  STORE_FAILED: ErrorCodes.STORE_FAILED,
  /** monitor: eth_getLogs / block number failed after retries. */
  MONITOR_FAILED: ErrorCodes.MONITOR_FAILED,
  /** artifacts: fetching a circuit's wasm/zkey failed. */
  ARTIFACT_FETCH_FAILED: ErrorCodes.ARTIFACT_FETCH_FAILED,
  /** artifacts: sha256 of a fetched file differs from the on-chain hash. */
  ARTIFACT_MISMATCH: ErrorCodes.ARTIFACT_MISMATCH,
  /** claim: the claim transaction failed for a reason other than a lost race. */
  CLAIM_FAILED: ErrorCodes.CLAIM_FAILED,
  /** execute/prove: inference or proving failed. */
  EXECUTION_FAILED: ErrorCodes.EXECUTION_FAILED,
  /** submit: the submit transaction could not be mined before the deadline. */
  SUBMIT_FAILED: ErrorCodes.SUBMIT_FAILED,
  /** settle: payment could not be confirmed. */
  SETTLE_FAILED: ErrorCodes.SETTLE_FAILED,
  /** tx: a transaction reverted (decoded custom error in details). */
  TX_REVERTED: ErrorCodes.TX_REVERTED,
  /** tx: sending failed (RPC error, dropped, nonce conflict). */
  TX_FAILED: ErrorCodes.TX_FAILED,
  /** tx: the fee market is above the operator's cap. */
  FEE_TOO_HIGH: ErrorCodes.FEE_TOO_HIGH,
  /** shutdown: the worker is stopping and takes no new work. */
  WORKER_STOPPING: ErrorCodes.WORKER_STOPPING,
  /** deadline passed. */
  JOB_EXPIRED: ErrorCodes.JOB_EXPIRED,
} as const;
