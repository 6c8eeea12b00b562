/**
 * `proofwork` — the command-line interface (run through `bin/proofwork`). One module per command
 * group in `cli/commands/`; shared plumbing in `cli/context.ts`.
 *
 * Exit codes: 0 success; 1 a known problem (user mistake, environment, revert: one line
 * `error[CODE]: message` on stderr, no stack); 2 bad usage (commander's message); 3 an unexpected
 * error (a bug: printed with its stack).
 */
import { Command, CommanderError } from "commander";
import { FIELD_SPECS, isProofworkError } from "../sdk/node.ts";
import { registerCircuitsCommands } from "./commands/circuits.ts";
import { registerConfigCommands } from "./commands/config.ts";
import { registerDeployCommand } from "./commands/deploy.ts";
import { registerJobCommands } from "./commands/job.ts";
import { registerModelCommands } from "./commands/model.ts";
import { registerProviderCommands } from "./commands/provider.ts";
import { registerWorkerCommands } from "./commands/worker.ts";
import { reportError } from "./context.ts";
import { quietKnownWarnings } from "../worker/index.ts";

export function buildProgram(): Command {
  const program = new Command("proofwork")
    .description(
      "Proof-of-compute marketplace: post ML inference jobs, provide compute, verify Groth16 proofs on-chain",
    )
    .version("0.1.0")
    .option("--json", "machine-readable JSON output on stdout")
    .option("-n, --network <name>", `network: hardhat | localhost | sepolia (env ${FIELD_SPECS.network.env})`)
    .option("--rpc <url>", `JSON-RPC endpoint (env ${FIELD_SPECS.rpcUrl.env})`)
    .option("--private-key <hex>", `signing key (env ${FIELD_SPECS.privateKey.env}; prefer the env or .env)`)
    .option("--deployment <file>", `deployment record (env ${FIELD_SPECS.deploymentFile.env})`)
    .option("--chain-id <id>", `expected chain id (env ${FIELD_SPECS.chainId.env})`)
    .option("--confirmations <n>", `blocks to wait after each tx (env ${FIELD_SPECS.confirmations.env})`)
    .option("--log-level <level>", `debug log level (env ${FIELD_SPECS.logLevel.env})`)
    .option("--env-file <file>", "read variables from this file instead of ./.env")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  registerDeployCommand(program);
  registerJobCommands(program);
  registerProviderCommands(program);
  registerWorkerCommands(program);
  registerModelCommands(program);
  registerCircuitsCommands(program);
  registerConfigCommands(program);
  return program;
}

/** Entry point: parses argv, maps errors to exit codes. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
        ? 0
        : 2;
    }
    reportError(e, false);
    return isProofworkError(e) ? 1 : 3;
  }
  return typeof process.exitCode === "number" ? process.exitCode : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  quietKnownWarnings();
  process.exitCode = await main(process.argv.slice(2));
}
