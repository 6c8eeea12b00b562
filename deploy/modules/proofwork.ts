/**
 * Hardhat Ignition module of the whole protocol: payment token (TestToken, or an existing ERC20 on
 * testnets), CircuitRegistry, JobMarket (which deploys its own ComputeStaking, bound to it for
 * ever, and then — `deployBatchMarket`, CREATE2 of the creation code whose hash it was built with —
 * the BatchMarket, the staking contract's second market; docs/BATCH.md), one Groth16 verifier +
 * registry entry per circuit, and the governance roles (the BatchMarket has none).
 *
 * Governance (`ProofworkModuleOptions.governance`):
 * - `deployer` (local dev chains): the deployer account holds every role of every contract.
 * - `timelock` (testnets, production): a `ProofworkTimelock` (delay > longest job + slash window,
 *   enforced on-chain) holds `DEFAULT_ADMIN_ROLE` of registry, market and staking — parameters and
 *   role grants wait for its delay; a guardian holds `PAUSER_ROLE` (pausing stops new posts, claims
 *   and stakes only: it never traps funds); a circuit admin holds `CIRCUIT_ADMIN_ROLE` (register and
 *   deactivate circuits). The deployer gives up every role it does not hold by those choices once
 *   the circuits are registered.
 *
 * Module parameters (`Proofwork.<name>`): tokenName, tokenSymbol, token (external token address),
 * minStake, unbondingPeriod, jailThreshold, jailPeriod, treasury, feeBps, slashRequesterBps,
 * slashBountyBps. Defaults suit development chains.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { ZeroHash, id, keccak256 } from "ethers";

/** keccak256 role ids of the protocol's contracts (OpenZeppelin AccessControl). */
export const ROLES = {
  DEFAULT_ADMIN_ROLE: ZeroHash,
  PAUSER_ROLE: id("PAUSER_ROLE"),
  CIRCUIT_ADMIN_ROLE: id("CIRCUIT_ADMIN_ROLE"),
} as const;

/** Who governs the deployed contracts. */
export type GovernanceOptions =
  | { kind: "deployer" }
  | {
      kind: "timelock";
      /** Timelock delay in seconds (must exceed ProtocolBounds.MIN_GOVERNANCE_DELAY, 11 days). */
      minDelay: number;
      /** Accounts that may schedule and cancel timelock operations (e.g. a multisig). */
      proposers: string[];
      /** Accounts that may execute ready operations (the zero address: anyone). */
      executors: string[];
      /** Holder of PAUSER_ROLE on market and staking (an address). */
      guardian: string;
      /** Holder of CIRCUIT_ADMIN_ROLE on the registry (an address). */
      circuitAdmin: string;
      /** The deploying account's address (keeps the roles above only if it is their holder). */
      deployer: string;
    };

/** One circuit to deploy a verifier for and register. */
export interface CircuitRegistration {
  /** Build name, e.g. "binding_test". */
  name: string;
  /** bytes32 circuit id. */
  id: string;
  /** Generated verifier contract name (`contracts/generated/<Pascal>Verifier.sol`). */
  verifierContract: string;
  /** `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[numPublic])` selector. */
  selector: string;
  numPublic: number;
  modelCommitment: string;
  zkeyHash: string;
  wasmHash: string;
  artifactsURI: string;
}

export interface ProofworkModuleOptions {
  /** Use an existing ERC20 (parameter `token`) instead of deploying the TestToken. */
  externalToken: boolean;
  /** The BatchMarket creation code (artifact `bytecode`; it takes no constructor arguments). */
  batchMarketCreationCode: string;
  circuits: CircuitRegistration[];
  governance: GovernanceOptions;
}

const DAY = 24 * 60 * 60;

type Builder = Parameters<Parameters<typeof buildModule>[1]>[0];

/** Token, registry, market (+ its staking), verifiers and circuit registrations. */
function coreFutures(m: Builder, opts: ProofworkModuleOptions) {
  const admin = m.getAccount(0);

  const token = opts.externalToken
    ? m.contractAt("TestToken", m.getParameter<string>("token"), { id: "PaymentToken" })
    : m.contract("TestToken", [
        m.getParameter("tokenName", "Proofwork Test Token"),
        m.getParameter("tokenSymbol", "PWT"),
      ]);

  const registry = m.contract("CircuitRegistry", [admin]);
  const market = m.contract("JobMarket", [
    token,
    registry,
    admin,
    m.getParameter("treasury", admin),
    {
      feeBps: m.getParameter("feeBps", 100),
      slashRequesterBps: m.getParameter("slashRequesterBps", 5_000),
      slashBountyBps: m.getParameter("slashBountyBps", 1_000),
    },
    {
      minStake: m.getParameter("minStake", 100n * 10n ** 18n),
      unbondingPeriod: m.getParameter("unbondingPeriod", 14 * DAY),
      jailThreshold: m.getParameter("jailThreshold", 3),
      jailPeriod: m.getParameter("jailPeriod", DAY),
    },
    keccak256(opts.batchMarketCreationCode),
  ]);
  // The market deployed its staking contract in its constructor (bound to it, immutably); the
  // batch market's address is fixed too, and anyone may deploy its code there once.
  const staking = m.contractAt("ComputeStaking", m.staticCall(market, "staking"), { id: "Staking" });
  m.call(market, "deployBatchMarket", [opts.batchMarketCreationCode], { id: "DeployBatchMarket" });
  const batchMarket = m.contractAt("BatchMarket", m.staticCall(market, "batchMarket"), { id: "BatchMarket" });

  const registrations = opts.circuits.map((c) => {
    const verifier = m.contract(c.verifierContract, [], { id: c.verifierContract });
    return m.call(
      registry,
      "registerCircuit",
      [
        c.id,
        {
          verifier,
          selector: c.selector,
          numPublic: c.numPublic,
          active: true,
          modelCommitment: c.modelCommitment,
          zkeyHash: c.zkeyHash,
          wasmHash: c.wasmHash,
          artifactsURI: c.artifactsURI,
        },
      ],
      { id: `Register_${c.name}` },
    );
  });
  return { admin, token, registry, market, staking, batchMarket, registrations };
}

/** Builds the module (its shape depends on the token, the circuits and the governance). */
export function proofworkModule(opts: ProofworkModuleOptions) {
  const g = opts.governance;
  if (g.kind === "deployer") {
    return buildModule("Proofwork", (m) => {
      const { token, staking, registry, market, batchMarket } = coreFutures(m, opts);
      return { token, staking, registry, market, batchMarket };
    });
  }
  return buildModule("Proofwork", (m) => {
    const { admin, token, staking, registry, market, batchMarket, registrations } = coreFutures(m, opts);
    const timelock = m.contract("ProofworkTimelock", [g.minDelay, g.proposers, g.executors]);
    const contracts = [
      ["Registry", registry],
      ["Market", market],
      ["Staking", staking],
    ] as const;
    const grants = contracts.map(([name, c]) =>
      m.call(c, "grantRole", [ROLES.DEFAULT_ADMIN_ROLE, timelock], { id: `GrantAdmin_${name}` }),
    );
    grants.push(
      m.call(registry, "grantRole", [ROLES.CIRCUIT_ADMIN_ROLE, g.circuitAdmin], { id: "GrantCircuitAdmin" }),
      m.call(market, "grantRole", [ROLES.PAUSER_ROLE, g.guardian], { id: "GrantPauser_Market" }),
      m.call(staking, "grantRole", [ROLES.PAUSER_ROLE, g.guardian], { id: "GrantPauser_Staking" }),
    );
    const after = [...grants, ...registrations];
    // The deployer keeps only what the choices above give it: never the admin role.
    const isDeployer = (a: string) => a.toLowerCase() === g.deployer.toLowerCase();
    if (!isDeployer(g.circuitAdmin)) {
      m.call(registry, "renounceRole", [ROLES.CIRCUIT_ADMIN_ROLE, admin], {
        id: "RenounceCircuitAdmin",
        after,
      });
    }
    if (!isDeployer(g.guardian)) {
      m.call(market, "renounceRole", [ROLES.PAUSER_ROLE, admin], { id: "RenouncePauser_Market", after });
      m.call(staking, "renounceRole", [ROLES.PAUSER_ROLE, admin], { id: "RenouncePauser_Staking", after });
    }
    for (const [name, c] of contracts) {
      m.call(c, "renounceRole", [ROLES.DEFAULT_ADMIN_ROLE, admin], { id: `RenounceAdmin_${name}`, after });
    }
    return { token, staking, registry, market, batchMarket, timelock };
  });
}
