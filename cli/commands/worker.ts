/**
 * `proofwork worker start`: starts the provider worker exactly as `npm run worker` does (worker/bootstrap.ts), until SIGINT/SIGTERM (two-phase stop).
 */
import { Option, type Command } from "commander";
import { FIELD_SPECS, requirePrivateKey } from "../../sdk/node.ts";
import { action, configOf, output } from "../context.ts";

export function registerWorkerCommands(program: Command): void {
  const worker = program.command("worker").description("run the provider worker");
  worker
    .command("start")
    .description("watch the market, claim, execute, prove and submit jobs until stopped (Ctrl-C)")
    .addOption(new Option("--backend <name>", `executor backend (env ${FIELD_SPECS.executorBackend.env})`))
    .option("--prover-threads <n>", `prover threads (env ${FIELD_SPECS.proverThreads.env})`)
    .option("--max-jobs <n>", `max concurrent jobs (env ${FIELD_SPECS.maxConcurrentJobs.env})`)
    .option("--data-dir <dir>", `worker state directory (env ${FIELD_SPECS.dataDir.env})`)
    .action(
      action(
        async (
          opts: { backend?: string; proverThreads?: string; maxJobs?: string; dataDir?: string },
          cmd: Command,
        ) => {
          const config = configOf(cmd, {
            executorBackend: opts.backend,
            proverThreads: opts.proverThreads,
            maxConcurrentJobs: opts.maxJobs,
            dataDir: opts.dataDir,
          });
          requirePrivateKey(config);
          const out = output(cmd);
          const { bootWorker, runUntilSignal } = await import("../../worker/index.ts");
          const { handle, chainId, deployment } = await bootWorker({ config });
          out.progress(
            `worker ${handle.address} running on chain ${chainId} (market ${deployment.contracts.market}); Ctrl-C to stop`,
          );
          if (handle.metricsPort !== null)
            out.progress(`metrics on http://127.0.0.1:${handle.metricsPort}/metrics`);
          await runUntilSignal(handle, config.workerShutdownGraceMs, (_signal, n) =>
            out.progress(
              n === 1 ? "stopping: finishing in-flight jobs (Ctrl-C again to stop now) …" : "stopping now …",
            ),
          );
          out.progress("worker stopped");
        },
      ),
    );
}
