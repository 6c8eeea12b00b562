/**
 * The worker's view of the chain: the SDK's typed contracts and job reader (one job model for the
 * whole project), bound to the worker's own address so that its claims are recognised from the
 * stored commitment alone.
 */
import type { Provider } from "ethers";
import {
  JobReader,
  connectContracts,
  guard,
  readCircuit,
  type CircuitInfo,
  type Job,
  type JobTerms,
  type ProofworkContracts,
} from "../sdk/node.ts";

/** The addresses the worker talks to. */
export interface Addresses {
  market: string;
  staking: string;
  registry: string;
  token: string;
  /** The batch market (docs/BATCH.md); absent in a deployment record written before it existed. */
  batchMarket?: string;
}

/** Read-only access to the protocol for the worker. */
export class ChainReader {
  readonly contracts: ProofworkContracts;
  readonly jobs: JobReader;

  /**
   * @param fromBlock First block to search for a job's logs (the deployment's start block).
   * @param self The worker's address.
   */
  constructor(
    readonly provider: Provider,
    readonly addresses: Addresses,
    fromBlock = 0,
    self?: string,
    logChunkSize = 1000,
  ) {
    this.contracts = connectContracts({ contracts: addresses }, provider);
    this.jobs = new JobReader(this.contracts.market, { fromBlock, logChunkSize, self });
  }

  /** Records the terms of a job (from its `JobPosted` event or the worker's store). */
  rememberTerms(jobId: bigint, terms: JobTerms): void {
    this.jobs.remember(jobId, { terms });
  }

  /** Forgets what is known of a job (a reorg re-posted its id). */
  forget(jobId: bigint): void {
    this.jobs.forget(jobId);
  }

  getTerms(jobId: bigint): Promise<JobTerms> {
    return this.jobs.terms(jobId);
  }

  getJob(jobId: bigint): Promise<Job> {
    return this.jobs.getJob(jobId);
  }

  currentPrice(jobId: bigint): Promise<bigint> {
    return this.jobs.currentPrice(jobId);
  }

  getCircuit(circuitId: string): Promise<CircuitInfo> {
    return readCircuit(this.contracts.registry, circuitId);
  }

  freeStake(provider: string): Promise<bigint> {
    return guard("reading the free stake", () => this.contracts.staking.freeStake(provider));
  }

  tokenBalance(owner: string): Promise<bigint> {
    return guard("reading the token balance", () => this.contracts.token.balanceOf(owner));
  }
}
