/**
 * `proofwork worker start`: connects with the project configuration and runs the provider worker
 * (`worker/index.ts`) until SIGINT/SIGTERM, then stops it in two phases.
 */
import { Wallet } from "ethers";
import type { Config } from "../sdk/config.ts";
import { requirePrivateKey } from "../sdk/config.ts";
import { connectChain } from "../sdk/contracts.ts";
import { confirmationsFor, findDeployment, type Deployment } from "../sdk/deployments.ts";
import type { Output } from "./output.ts";

/** Off-chain artifact hints by circuit id (lower-case) from the deployment record. */
export function circuitHints(
  d: Deployment,
): Map<string, { name: string; wasmUri: string; zkeyUri: string; inputBytes: number }> {
  return new Map(
    Object.values(d.circuits).map((c) => [
      c.id.toLowerCase(),
      { name: c.name, wasmUri: c.wasmUri, zkeyUri: c.zkeyUri, inputBytes: c.inputBytes },
    ]),
  );
}

export async function runWorkerCommand(config: Config, out: Output): Promise<void> {
  const key = requirePrivateKey(config);
  const { provider, chainId } = await connectChain(config);
  const deployment = findDeployment({ file: config.deploymentFile, dir: config.deploymentsDir, chainId });
  const { startWorker, workerOptionsFromConfig } = await import("../worker/index.ts");
  const { createLogger } = await import("../worker/log.ts");
  const { createRunner } = await import("./runner.ts");
  const runner = await createRunner(config, deployment);
  const handle = await startWorker(
    {
      provider,
      signer: new Wallet(key, provider),
      addresses: deployment.contracts,
      startBlock: deployment.startBlock,
      circuitHints: circuitHints(deployment),
      log: createLogger({ level: config.logLevel, destination: process.stderr }),
      runner,
    },
    { ...workerOptionsFromConfig(config), confirmations: confirmationsFor(config.confirmations, chainId) },
  );
  out.progress(
    `worker ${handle.address} running on chain ${chainId} (market ${deployment.contracts.market}); Ctrl-C to stop`,
  );
  if (handle.metricsPort !== null) out.progress(`metrics on http://127.0.0.1:${handle.metricsPort}/metrics`);
  let signals = 0;
  const stop = () => {
    signals++;
    // First signal: finish in-flight jobs within the grace period; a second one skips it.
    out.progress(
      signals === 1 ? "stopping: finishing in-flight jobs (Ctrl-C again to stop now) …" : "stopping now …",
    );
    void handle.stop(signals === 1 ? config.workerShutdownGraceMs : 0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  await handle.done;
  out.progress("worker stopped");
}
