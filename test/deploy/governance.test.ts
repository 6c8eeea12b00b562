/**
 * The deployment's governance (issue 10): on a public network the admin role of every contract is a
 * ProofworkTimelock with a delay longer than any job lives; the deployer keeps no admin role; the
 * guardian and circuit admin get theirs; a governance change goes through the timelock's delay.
 * Runs the real Ignition module on the in-process chain.
 */
import { expect } from "chai";
import { Contract } from "ethers";
import { ROLES, connectNetwork, deployProofwork, getHre, governanceFor } from "../../deploy/index.ts";
import { circuitRegistryAbi, computeStakingAbi, isProofworkError, jobMarketAbi } from "../../sdk/node.ts";

const DAY = 86_400;

describe("deploy: governance", function () {
  it("test_deploy_timelockGovernance_holdsEveryAdminRole", async function () {
    const hre = await getHre();
    const conn = await connectNetwork(hre, { network: "hardhat" });
    const [deployer, guardian, circuitAdmin, multisig] = await conn.ethers.getSigners();
    const { deployment } = await deployProofwork(conn, {
      circuits: [],
      networkName: "hardhat (in-process)",
      writeRecord: false,
      governance: {
        kind: "timelock",
        timelockDelay: 12 * DAY,
        proposers: [multisig!.address],
        guardian: guardian!.address,
        circuitAdmin: circuitAdmin!.address,
      },
    });
    const g = deployment.governance!;
    expect(g.kind).to.equal("timelock");
    expect(g.timelock).to.match(/^0x[0-9a-fA-F]{40}$/);
    const timelock = g.timelock!;
    const p = conn.ethers.provider;
    const registry = new Contract(deployment.contracts.registry, circuitRegistryAbi, p);
    const market = new Contract(deployment.contracts.market, jobMarketAbi, p);
    const staking = new Contract(deployment.contracts.staking, computeStakingAbi, p);
    for (const c of [registry, market, staking]) {
      expect(await c.getFunction("hasRole")(ROLES.DEFAULT_ADMIN_ROLE, timelock)).to.equal(true);
      expect(await c.getFunction("hasRole")(ROLES.DEFAULT_ADMIN_ROLE, deployer!.address)).to.equal(false);
    }
    for (const c of [market, staking]) {
      expect(await c.getFunction("hasRole")(ROLES.PAUSER_ROLE, guardian!.address)).to.equal(true);
      expect(await c.getFunction("hasRole")(ROLES.PAUSER_ROLE, deployer!.address)).to.equal(false);
    }
    expect(await registry.getFunction("hasRole")(ROLES.CIRCUIT_ADMIN_ROLE, circuitAdmin!.address)).to.equal(
      true,
    );
    expect(await registry.getFunction("hasRole")(ROLES.CIRCUIT_ADMIN_ROLE, deployer!.address)).to.equal(
      false,
    );

    // A parameter change: only through the timelock, and only after its delay.
    const tl = await conn.ethers.getContractAt("ProofworkTimelock", timelock, multisig);
    expect(await tl.getMinDelay()).to.equal(BigInt(12 * DAY));
    await expect(market.connect(deployer!).getFunction("setFee")(50)).to.be.revertedWithCustomError(
      market,
      "AccessControlUnauthorizedAccount",
    );
    const data = market.interface.encodeFunctionData("setFee", [50]);
    const salt = conn.ethers.ZeroHash;
    await tl.schedule(deployment.contracts.market, 0, data, conn.ethers.ZeroHash, salt, 12 * DAY);
    await expect(
      tl.execute(deployment.contracts.market, 0, data, conn.ethers.ZeroHash, salt),
    ).to.be.revertedWithCustomError(tl, "TimelockUnexpectedOperationState");
    await conn.networkHelpers.time.increase(12 * DAY);
    await tl.execute(deployment.contracts.market, 0, data, conn.ethers.ZeroHash, salt);
    expect(await market.getFunction("feeBps")()).to.equal(50n);
  });

  it("test_deploy_localChainKeepsTheDeployer_andRefusesShortDelays", async function () {
    expect(governanceFor(undefined, 31337, "0x" + "11".repeat(20)).kind).to.equal("deployer");
    const remote = governanceFor(undefined, 11155111, "0x" + "11".repeat(20));
    expect(remote.kind).to.equal("timelock");
    try {
      governanceFor({ kind: "timelock", timelockDelay: 11 * DAY }, 11155111, "0x" + "11".repeat(20));
      expect.fail("a delay of 11 days must be refused");
    } catch (e) {
      expect(isProofworkError(e, "CONFIG_INVALID")).to.equal(true);
    }
  });
});
