/**
 * Independent re-check of a completed job, from the chain alone: the proof is taken from the
 * calldata of the `submit` transaction that emitted `JobCompleted`; the public signals are rebuilt
 * from scratch — `[jobKey, commit(input bytes from the posting calldata), ...outputs]`; the
 * verification key is fetched from the circuit's artifacts URI and trusted through the registered
 * verifier (sdk/keys.ts); snarkjs verifies locally and the registered verifier is asked too.
 * Browser-safe: the web app runs exactly this, step by step.
 */
import { toBeHex, type Result } from "ethers";
import { readCircuit, type ArtifactFetcher } from "./artifacts.ts";
import type { RequesterClient } from "./client.ts";
import { commitInput } from "./commitment.ts";
import { guard } from "./contracts.ts";
import { ErrorCodes, ProofworkError } from "./errors.ts";
import { computeJobKey } from "./field.ts";
import { isProven } from "./jobs.ts";
import { resolveVerificationKey, type KeyTrust } from "./keys.ts";
import { verifyGroth16, type VerificationKey } from "./proof.ts";

/** One check of a verification, as shown to a user. */
export interface VerifyStep {
  id: "proof" | "outputs" | "commitment" | "signals" | "key" | "groth16" | "onchain";
  ok: boolean;
  /** What was checked, in words (e.g. "input commitment recomputed from 784 input bytes"). */
  detail: string;
}

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
  /** Where the verification key came from and why it is trusted. */
  key: KeyTrust | { uri: "given"; sha256: ""; embeddedInVerifier: false };
  publicSignals: bigint[];
  proof: bigint[];
  txHash: string;
  steps: VerifyStep[];
}

export interface VerifyOptions {
  /** Use this key instead of fetching the published one (no trust path is then established). */
  vkey?: VerificationKey;
  /** Reads artifact URIs (default http(s); Node's `fetchArtifact` adds file://). */
  fetch?: ArtifactFetcher;
  /** Also check the key against the registered zkey (downloads the proving key). */
  deep?: boolean;
  /** Called after each check (progress in a UI). */
  onStep?: (step: VerifyStep) => void;
}

/** Re-verifies a completed job. JOB_NOT_FOUND if it has no result. */
export async function verifyResult(
  client: RequesterClient,
  jobId: bigint,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const steps: VerifyStep[] = [];
  const step = (s: VerifyStep) => {
    steps.push(s);
    options.onStep?.(s);
  };
  const job = await client.getJob(jobId);
  if (!isProven(job.status)) {
    throw new ProofworkError(
      ErrorCodes.JOB_NOT_FOUND,
      `job ${jobId} has no result (status ${job.statusName})`,
    );
  }
  const completion = await client.findCompletion(jobId);
  if (completion === undefined)
    throw new ProofworkError(ErrorCodes.JOB_NOT_FOUND, `no JobCompleted event for job ${jobId}`);

  const { market, registry } = client.contracts;
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
  step({
    id: "proof",
    ok: true,
    detail: `proof read from the calldata of submit transaction ${completion.txHash}`,
  });

  // The outputs in the submit calldata, in JobCompleted and in the market's stored result
  // commitment (`checkResult`) must all agree.
  const committed = await guard("checking the result on-chain", () =>
    market.checkResult(jobId, job.terms, completion.provider, calldataOutputs),
  );
  const outputsMatch =
    committed &&
    calldataOutputs.length === completion.outputs.length &&
    calldataOutputs.every((v, i) => v === completion.outputs[i]);
  step({
    id: "outputs",
    ok: outputsMatch,
    detail: `${calldataOutputs.length} output(s) equal in the calldata, in JobCompleted and in the market's result commitment`,
  });

  const { input } = await client.getJobInput(jobId);
  const commitment = await commitInput(input);
  const commitmentMatches = commitment === job.terms.inputCommitment;
  step({
    id: "commitment",
    ok: commitmentMatches,
    detail: `input commitment recomputed from the ${input.length} input bytes of the posting transaction`,
  });

  const { chainId } = await guard("reading the chain id", () => client.provider.getNetwork());
  const jobKey = computeJobKey(chainId, marketAddress, jobId, completion.provider);
  const publicSignals = [jobKey, commitment, ...calldataOutputs];
  step({
    id: "signals",
    ok: true,
    detail: `public signals rebuilt: jobKey(chain ${chainId}, market, job ${jobId}, provider ${completion.provider}), commitment, outputs`,
  });

  let vkey = options.vkey;
  let key: VerifyReport["key"] = { uri: "given", sha256: "", embeddedInVerifier: false };
  if (vkey === undefined) {
    const circuit = await readCircuit(registry, job.terms.circuitId);
    const resolved = await resolveVerificationKey(client.provider, circuit, {
      fetch: options.fetch,
      deep: options.deep,
    });
    vkey = resolved.vkey;
    key = resolved.trust;
    step({
      id: "key",
      ok: true,
      detail: `verification key ${key.sha256.slice(0, 10)}… fetched from ${key.uri}: embedded in the registered verifier ${circuit.verifier}${key.matchesRegisteredZkey === true ? "; exported from the registered zkey" : ""}`,
    });
  }
  const proofValid = await verifyGroth16(vkey, publicSignals, proof);
  step({ id: "groth16", ok: proofValid, detail: "Groth16 proof checked locally (snarkjs)" });
  const onchainVerifierValid = await callRegisteredVerifier(
    client,
    job.terms.circuitId,
    proof,
    publicSignals,
  );
  step({
    id: "onchain",
    ok: onchainVerifierValid,
    detail: "the circuit's registered verifier accepts the same proof and signals (eth_call)",
  });
  return {
    jobId,
    valid: proofValid && onchainVerifierValid && commitmentMatches && outputsMatch,
    proofValid,
    onchainVerifierValid,
    commitmentMatches,
    outputsMatch,
    key,
    publicSignals,
    proof,
    txHash: completion.txHash,
    steps,
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
  const r = await guard("reading the circuit's verifier", () =>
    client.contracts.registry.getVerifier(circuitId),
  );
  const words = [...proof, ...publicSignals].map((w) => toBeHex(w, 32).slice(2)).join("");
  try {
    const ret = await client.provider.call({ to: r.verifier, data: `${r.selector}${words}` });
    return ret.length === 66 && BigInt(ret) === 1n;
  } catch {
    return false;
  }
}
