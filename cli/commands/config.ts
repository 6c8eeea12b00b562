/**
 * `proofwork config show|env`: the effective configuration and the documented variables.
 */
import type { Command } from "commander";
import { FIELD_SPECS, renderEnvExample, type Config } from "../../sdk/node.ts";
import { action, configOf, output } from "../context.ts";

export function registerConfigCommands(program: Command): void {
  const configCmd = program.command("config").description("configuration");
  configCmd
    .command("show")
    .description("print the effective configuration (private key hidden)")
    .action(
      action(async (_opts: object, cmd: Command) => {
        const config = configOf(cmd);
        const shown: Record<string, unknown> = {
          ...config,
          privateKey: config.privateKey === undefined ? undefined : "<set>",
        };
        const keys = Object.keys(FIELD_SPECS) as (keyof Config)[];
        output(cmd).result(
          shown,
          keys.map((k) => {
            const v = shown[k];
            return `${FIELD_SPECS[k].env}=${v === undefined ? "" : Array.isArray(v) ? v.join(",") : String(v)}`;
          }),
        );
      }),
    );
  configCmd
    .command("env")
    .description("print every variable with its documentation (the .env.example text)")
    .action(
      action(async () => {
        process.stdout.write(renderEnvExample());
      }),
    );
}
