/**
 * Stand-alone entry point of the provider worker: `tsx worker/main.ts` (or `npm run worker`).
 * Starts the worker exactly as `proofwork worker start` does (worker/bootstrap.ts) from the
 * configuration in the environment / `.env`, runs until SIGINT/SIGTERM, then stops in two phases
 * (a second signal skips the grace period). Logs are JSON lines on stderr.
 */
import { errorMessage, isProofworkError, loadConfig } from "../sdk/node.ts";
import { bootWorker, runUntilSignal } from "./bootstrap.ts";

async function main(): Promise<void> {
  const config = loadConfig();
  const { handle, chainId } = await bootWorker({ config });
  process.stderr.write(
    `proofwork worker ${handle.address} on chain ${chainId}${handle.metricsPort !== null ? `, metrics :${handle.metricsPort}` : ""}\n`,
  );
  await runUntilSignal(handle, config.workerShutdownGraceMs, (signal, n) =>
    process.stderr.write(
      `${signal}: ${n === 1 ? `finishing in-flight jobs (up to ${config.workerShutdownGraceMs} ms; again to stop now)` : "stopping now"}\n`,
    ),
  );
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(
      isProofworkError(e) ? `${e.toLine()}\n` : `${e instanceof Error ? e.stack : errorMessage(e)}\n`,
    );
    process.exit(1);
  },
);
