/**
 * Provider account actions used by the CLI, the demo and tests: token faucet (TestToken only),
 * stake, unstake, withdraw, capability registration, collecting the payment of completed jobs and
 * status. The long-running claim/prove/submit loop lives in `worker/`.
 */
import type { ContractTransactionReceipt, ContractTransactionResponse, Signer } from "ethers";
import { connectContracts, guard, sendAndConfirm, type ProofworkContracts } from "./contracts.ts";
import type { Deployment } from "./deployments.ts";
import { ErrorCodes, ProofworkError } from "./errors.ts";
import type { JobTerms } from "./terms.ts";

/** A completed job to collect: its id, terms (from `JobPosted`) and proven outputs. */
export interface Collectable {
  jobId: bigint;
  terms: JobTerms;
  outputs: readonly bigint[];
}

/** Backend bits of `IComputeStaking.Capability.backends`. */
export const BACKEND_BITS = { cpu: 1, wasm: 2, webgl: 4, webgpu: 8, cuda: 16, metal: 32 } as const;
export type BackendName = keyof typeof BACKEND_BITS;

export interface Capability {
  gpuModel: string;
  memoryMB: number;
  backends: BackendName[];
  maxConcurrentJobs: number;
  metadataURI: string;
}

export interface ProviderStatus {
  address: string;
  registered: boolean;
  active: boolean;
  stake: bigint;
  locked: bigint;
  freeStake: bigint;
  unbonding: bigint;
  unbondingEnd: bigint;
  jailedUntil: bigint;
  openJobs: number;
  jobsCompleted: number;
  jobsFailed: number;
  totalSlashed: bigint;
  minStake: bigint;
  tokenBalance: bigint;
  capability?: Capability;
}

export class ProviderAccount {
  readonly contracts: ProofworkContracts;

  constructor(
    readonly deployment: Pick<Deployment, "contracts">,
    readonly signer: Signer,
    private readonly confirmations = 1,
  ) {
    this.contracts = connectContracts(deployment, signer);
  }

  private send(
    action: string,
    tx: () => Promise<ContractTransactionResponse>,
  ): Promise<ContractTransactionReceipt> {
    return sendAndConfirm(action, this.confirmations, tx);
  }

  /** Mints test tokens to this account (TestToken's faucet; reverts on real tokens). */
  async faucet(amount: bigint): Promise<ContractTransactionReceipt> {
    const me = await this.signer.getAddress();
    return this.send("minting test tokens", () => this.contracts.token.faucet(me, amount));
  }

  /** Approves (if needed) and stakes `amount`. */
  async stake(amount: bigint): Promise<ContractTransactionReceipt> {
    if (amount <= 0n) throw new ProofworkError(ErrorCodes.BAD_NUMBER, "stake amount must be positive");
    const me = await this.signer.getAddress();
    const { token, staking } = this.contracts;
    const stakingAddress = await staking.getAddress();
    const [balance, allowance] = await guard("reading the token balance", () =>
      Promise.all([token.balanceOf(me), token.allowance(me, stakingAddress)]),
    );
    if (balance < amount) {
      throw new ProofworkError(
        ErrorCodes.TX_REVERTED,
        `token balance ${balance} is below the stake amount ${amount}`,
      );
    }
    if (allowance < amount) {
      await this.send("approving the stake", () => token.approve(stakingAddress, amount));
    }
    return this.send("staking", () => staking.stake(amount));
  }

  /** Moves `amount` of bonded stake into unbonding. */
  async requestUnstake(amount: bigint): Promise<ContractTransactionReceipt> {
    if (amount <= 0n) throw new ProofworkError(ErrorCodes.BAD_NUMBER, "unstake amount must be positive");
    return this.send("requesting unstake", () => this.contracts.staking.requestUnstake(amount));
  }

  /** Withdraws unbonded stake whose period ended. */
  async withdraw(): Promise<ContractTransactionReceipt> {
    return this.send("withdrawing", () => this.contracts.staking.withdraw());
  }

  /**
   * Collects the payment of completed jobs of this account in one transaction (the market pays
   * pull-style: one token transfer for any number of jobs).
   */
  async collect(jobs: readonly Collectable[]): Promise<ContractTransactionReceipt> {
    if (jobs.length === 0) throw new ProofworkError(ErrorCodes.BAD_NUMBER, "no jobs to collect");
    const me = await this.signer.getAddress();
    return this.send(`collecting ${jobs.length} job(s)`, () =>
      this.contracts.market.collect(
        me,
        jobs.map((j) => ({ jobId: j.jobId, terms: j.terms, outputs: [...j.outputs] })),
      ),
    );
  }

  /** Registers (or updates, if already registered) the capability record. */
  async register(cap: Capability): Promise<ContractTransactionReceipt> {
    const me = await this.signer.getAddress();
    const { staking } = this.contracts;
    const record = {
      gpuModel: cap.gpuModel,
      memoryMB: cap.memoryMB,
      backends: cap.backends.reduce((bits, b) => bits | BACKEND_BITS[b], 0),
      maxConcurrentJobs: cap.maxConcurrentJobs,
      metadataURI: cap.metadataURI,
    };
    const registered = await guard("reading registration", () => staking.isRegistered(me));
    return registered
      ? this.send("updating the capability record", () => staking.updateCapability(record))
      : this.send("registering", () => staking.register(record));
  }

  /** Stake accounting, reputation and capability of `address` (default: this account). */
  async status(address?: string): Promise<ProviderStatus> {
    const who = address ?? (await this.signer.getAddress());
    const { staking, token } = this.contracts;
    const [p, registered, active, freeStake, minStake, tokenBalance] = await guard(
      "reading provider status",
      () =>
        Promise.all([
          staking.getProvider(who),
          staking.isRegistered(who),
          staking.isActive(who),
          staking.freeStake(who),
          staking.minStake(),
          token.balanceOf(who),
        ]),
    );
    const status: ProviderStatus = {
      address: who,
      registered,
      active,
      stake: p.stake,
      locked: p.locked,
      freeStake,
      unbonding: p.unbonding,
      unbondingEnd: p.unbondingEnd,
      jailedUntil: p.jailedUntil,
      openJobs: Number(p.openJobs),
      jobsCompleted: Number(p.jobsCompleted),
      jobsFailed: Number(p.jobsFailed),
      totalSlashed: p.totalSlashed,
      minStake,
      tokenBalance,
    };
    if (registered) {
      const c = await guard("reading capability", () => staking.getCapability(who));
      const bits = Number(c.backends);
      status.capability = {
        gpuModel: c.gpuModel,
        memoryMB: Number(c.memoryMB),
        backends: (Object.keys(BACKEND_BITS) as BackendName[]).filter((b) => (bits & BACKEND_BITS[b]) !== 0),
        maxConcurrentJobs: Number(c.maxConcurrentJobs),
        metadataURI: c.metadataURI,
      };
    }
    return status;
  }
}
