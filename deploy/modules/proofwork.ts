/**
 * Hardhat Ignition module of the whole protocol: payment token (TestToken, or an existing ERC20 on
 * testnets), ComputeStaking, CircuitRegistry, JobMarket, the market's role on staking, and one
 * Groth16 verifier + registry entry per circuit.
 *
 * Module parameters (`Proofwork.<name>`): tokenName, tokenSymbol, token (external token address),
 * minStake, unbondingPeriod, jailThreshold, jailPeriod, treasury, feeBps, slashRequesterBps,
 * slashBountyBps. Defaults suit development chains.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { id } from "ethers";

/** keccak256("MARKET_ROLE"), ComputeStaking's role for the market. */
export const MARKET_ROLE = id("MARKET_ROLE");

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
  circuits: CircuitRegistration[];
}

const DAY = 24 * 60 * 60;

/** Builds the module (its shape depends on the token choice and the circuits). */
export function proofworkModule(opts: ProofworkModuleOptions) {
  return buildModule("Proofwork", (m) => {
    const admin = m.getAccount(0);

    const token = opts.externalToken
      ? m.contractAt("TestToken", m.getParameter<string>("token"), { id: "PaymentToken" })
      : m.contract("TestToken", [
          m.getParameter("tokenName", "Proofwork Test Token"),
          m.getParameter("tokenSymbol", "PWT"),
        ]);

    const staking = m.contract("ComputeStaking", [
      token,
      admin,
      m.getParameter("minStake", 100n * 10n ** 18n),
      m.getParameter("unbondingPeriod", 14 * DAY),
      m.getParameter("jailThreshold", 3),
      m.getParameter("jailPeriod", DAY),
    ]);
    const registry = m.contract("CircuitRegistry", [admin]);
    const market = m.contract("JobMarket", [
      staking,
      registry,
      admin,
      m.getParameter("treasury", admin),
      m.getParameter("feeBps", 100),
      m.getParameter("slashRequesterBps", 5_000),
      m.getParameter("slashBountyBps", 1_000),
    ]);
    m.call(staking, "grantRole", [MARKET_ROLE, market], { id: "GrantMarketRole" });

    for (const c of opts.circuits) {
      const verifier = m.contract(c.verifierContract, [], { id: c.verifierContract });
      m.call(
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
    }

    return { token, staking, registry, market };
  });
}
