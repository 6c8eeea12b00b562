/**
 * Independent re-check of a completed job: the proof is taken from the calldata of the `submit`
 * transaction that emitted `JobCompleted`, verified locally with snarkjs against the verification
 * key shipped with the build (checked against the hash in the deployment record), with public
 * signals rebuilt from scratch: `[jobKey, commit(input bytes from JobPosted), ...outputs]`.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { toBeHex, type Result } from "ethers";
import type { RequesterClient } from "./client.ts";
import { commitInput } from "./commitment.ts";
import { guard } from "./contracts.ts";
import { circuitById } from "./deployments.ts";
import { ErrorCodes, ProofworkError } from "./errors.ts";
import { computeJobKey } from "./field.ts";
import { verifyGroth16, type VerificationKey } from "./proof.ts";

export interface VerifyReport {
  jobId: bigint;
  /** Every check passed. */
  valid: boolean;
  /** snarkjs accepted the proof for the rebuilt public signals. */
  proofValid: boolean;
  /** The circuit's registered on-chain verifier accepts the same proof and signals (`eth_call`). */
  onchainVerifierValid: boolean;
  /** The input bytes hash to the job's on-chain input commitment. */
  commitmentMatches: boolean;
  /** The outputs in the submit calldata equal those in the event and match the market's stored
   * result commitment (`checkResult`). */
  outputsMatch: boolean;
  publicSignals: bigint[];
  proof: bigint[];
  txHash: string;
}

/** Reads a verification key from a path or file:// URI and checks its sha256 (0x hex) if given. */
export function loadVerificationKey(uri: string, expectedSha256?: string): VerificationKey {
  if (/^[a-z]+:\/\//i.test(uri) && !uri.startsWith("file://")) {
    throw new ProofworkError(
      ErrorCodes.ARTIFACT_FETCH_FAILED,
      `only local verification keys are supported here: ${uri}`,
    );
  }
  const path = uri.startsWith("file://") ? fileURLToPath(uri) : uri;
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch {
    throw new ProofworkError(
      ErrorCodes.CIRCUIT_NOT_BUILT,
      `verification key not found at ${path} (run: proofwork circuits build)`,
    );
  }
  if (expectedSha256 !== undefined) {
    const got = `0x${createHash("sha256").update(raw).digest("hex")}`;
    if (got.toLowerCase() !== expectedSha256.toLowerCase()) {
      throw new ProofworkError(
        ErrorCodes.ARTIFACT_MISMATCH,
        `verification key ${path} does not match the deployment (sha256 ${got}, expected ${expectedSha256})`,
      );
    }
  }
  return JSON.parse(raw.toString("utf8")) as VerificationKey;
}

/** Re-verifies a completed job locally. Throws JOB_NOT_FOUND if it has not completed. */
export async function verifyResult(
  client: RequesterClient,
  jobId: bigint,
  options: { vkey?: VerificationKey; fromBlock?: number } = {},
): Promise<VerifyReport> {
  const job = await client.getJob(jobId);
  if (job.status !== "Completed" && job.status !== "Paid") {
    throw new ProofworkError(ErrorCodes.JOB_NOT_FOUND, `job ${jobId} has no result (status ${job.status})`);
  }
  const completion = await client.findCompletion(jobId, options.fromBlock);
  if (completion === undefined)
    throw new ProofworkError(ErrorCodes.JOB_NOT_FOUND, `no JobCompleted event for job ${jobId}`);

  const { market } = client.contracts;
  const marketAddress = await market.getAddress();
  const tx = await guard("reading the submit transaction", () =>
    client.provider.getTransaction(completion.txHash),
  );
  if (tx === null)
    throw new ProofworkError(ErrorCodes.RPC_FAILED, `transaction ${completion.txHash} not found`);
  const parsed =
    tx.to?.toLowerCase() === marketAddress.toLowerCase() ? market.interface.parseTransaction(tx) : null;
  if (parsed === null || parsed.name !== "submit") {
    throw new ProofworkError(
      ErrorCodes.PROOF_INVALID,
      `transaction ${completion.txHash} is not a direct JobMarket.submit call; cannot extract the proof`,
    );
  }
  const proof = (parsed.args.getValue("proof") as Result).toArray() as bigint[];
  const calldataOutputs = (parsed.args.getValue("outputs") as Result).toArray() as bigint[];
  // The outputs in the submit calldata, in JobCompleted and in the market's stored result
  // commitment (`checkResult`) must all agree.
  const committed = (await guard("checking the result on-chain", () =>
    market.getFunction("checkResult").staticCall(jobId, job.terms, completion.provider, calldataOutputs),
  )) as boolean;
  const outputsMatch =
    committed &&
    calldataOutputs.length === completion.outputs.length &&
    calldataOutputs.every((v, i) => v === completion.outputs[i]);

  const { input } = await client.getJobInput(jobId, options.fromBlock);
  const commitment = await commitInput(input);
  const commitmentMatches = commitment === job.inputCommitment;

  const { chainId } = await guard("reading the chain id", () => client.provider.getNetwork());
  const jobKey = computeJobKey(chainId, marketAddress, jobId, completion.provider);
  const publicSignals = [jobKey, commitment, ...calldataOutputs];

  let vkey = options.vkey;
  if (vkey === undefined) {
    const circuit = circuitById(client.deployment, job.circuitId);
    if (circuit === undefined) {
      throw new ProofworkError(
        ErrorCodes.CIRCUIT_UNKNOWN,
        `circuit ${job.circuitId} of job ${jobId} is not in the deployment record`,
      );
    }
    vkey = loadVerificationKey(circuit.vkUri, circuit.vkHash);
  }
  const proofValid = await verifyGroth16(vkey, publicSignals, proof);
  const onchainVerifierValid = await callRegisteredVerifier(client, job.circuitId, proof, publicSignals);
  return {
    jobId,
    valid: proofValid && onchainVerifierValid && commitmentMatches && outputsMatch,
    proofValid,
    onchainVerifierValid,
    commitmentMatches,
    outputsMatch,
    publicSignals,
    proof,
    txHash: completion.txHash,
  };
}

/**
 * Asks the circuit's registered verifier contract directly (a read-only call, as the market does
 * on submit): `verifier.staticcall(selector ‖ proof ‖ publicSignals)` must return 32-byte `true`.
 */
export async function callRegisteredVerifier(
  client: RequesterClient,
  circuitId: string,
  proof: readonly bigint[],
  publicSignals: readonly bigint[],
): Promise<boolean> {
  const r = (await guard("reading the circuit's verifier", () =>
    client.contracts.registry.getFunction("getVerifier").staticCall(circuitId),
  )) as Result;
  const verifier = r.getValue("verifier") as string;
  const selector = r.getValue("selector") as string;
  const words = [...proof, ...publicSignals].map((w) => toBeHex(w, 32).slice(2)).join("");
  try {
    const ret = await client.provider.call({ to: verifier, data: `${selector}${words}` });
    return ret.length === 66 && BigInt(ret) === 1n;
  } catch {
    return false;
  }
}
