/**
 * `proofwork deploy`: compile and deploy the protocol (Ignition), register the built circuits, write the record.
 */
import type { Command } from "commander";
import { FIELD_SPECS, connectChain } from "../../sdk/node.ts";
import { parseAddress, parseList, parseParam } from "../args.ts";
import { action, configOf, output } from "../context.ts";
import { buildCircuitsCommand, builtCircuitNames } from "./circuits.ts";

export function registerDeployCommand(program: Command): void {
  program
    .command("deploy")
    .description("compile and deploy the protocol with Hardhat Ignition; write deployments/<chainId>.json")
    .option(
      "--circuits <names>",
      "comma-separated built circuits to register (default: every built circuit with keys)",
    )
    .option("--build <profile>", "build circuits of this profile first (test | demo | all)")
    .option(
      "--token <address>",
      `use an existing ERC20 instead of the TestToken (env ${FIELD_SPECS.tokenAddress.env})`,
    )
    .option(
      "--param <key=value>",
      "Ignition parameter of module Proofwork (repeatable), e.g. feeBps=50",
      (v, acc: Record<string, string | bigint>) => parseParam(v, acc),
      {},
    )
    .option("--out <file>", "where to write the deployment record")
    .action(
      action(
        async (
          opts: {
            circuits?: string;
            build?: string;
            token?: string;
            param: Record<string, string | bigint>;
            out?: string;
          },
          cmd: Command,
        ) => {
          const out = output(cmd);
          const config = configOf(cmd, { tokenAddress: opts.token });
          const tokenAddress =
            config.tokenAddress === undefined ? undefined : parseAddress(config.tokenAddress, "--token");
          if (
            config.network !== "hardhat" &&
            !(config.network === "sepolia" && config.rpcUrl === FIELD_SPECS.rpcUrl.example)
          ) {
            await connectChain(config); // fail fast with one line if the node is down / on another chain
          }
          if (opts.build !== undefined) await buildCircuitsCommand(opts.build, undefined, config, out);
          const circuits =
            opts.circuits !== undefined ? parseList(opts.circuits) : await builtCircuitNames(config.buildDir);
          const d = await import("../../deploy/index.ts");
          const hre = await d.getHre();
          const connection = await d.connectNetwork(hre, {
            network: config.network,
            rpcUrl:
              config.network === "sepolia" && config.rpcUrl === FIELD_SPECS.rpcUrl.example
                ? undefined
                : config.rpcUrl,
            privateKey: config.privateKey,
          });
          try {
            out.progress("→ compiling contracts …");
            const abiWarning = await d.compileContracts(hre);
            if (abiWarning !== undefined) out.progress(`warning: ${abiWarning}`);
            out.progress(`→ deploying to ${config.network} (circuits: ${circuits.join(", ") || "none"}) …`);
            const { deployment, path } = await d.deployProofwork(connection, {
              circuits,
              buildDir: config.buildDir,
              artifactBaseUri: config.artifactBaseUri,
              tokenAddress,
              parameters: opts.param,
              governance: {
                kind: config.governance,
                timelockDelay: config.timelockDelay,
                proposers: config.timelockProposers,
                executors: config.timelockExecutors,
                guardian: config.guardian,
                circuitAdmin: config.circuitAdmin,
              },
              networkName: config.network,
              deploymentsDir: config.deploymentsDir,
              outFile: opts.out ?? config.deploymentFile,
              writeRecord: config.network !== "hardhat",
              log: (l) => out.progress(`  ${l}`),
            });
            out.result({ ok: true, deployment, path }, [
              `deployed to ${deployment.network} (chain ${deployment.chainId}) at block ${deployment.startBlock}`,
              `  market   ${deployment.contracts.market}`,
              `  staking  ${deployment.contracts.staking}`,
              `  registry ${deployment.contracts.registry}`,
              `  token    ${deployment.contracts.token}`,
              ...Object.values(deployment.circuits).map((c) => `  circuit  ${c.name} ${c.id}`),
              path !== undefined
                ? `record: ${path}`
                : "in-process chain: nothing written (it ends with this command)",
            ]);
          } finally {
            await connection.close();
          }
        },
      ),
    );
}
