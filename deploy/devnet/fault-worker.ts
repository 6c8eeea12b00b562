/**
 * The worker entry point used by the reliability tests and the soak benchmark: the same bootstrap
 * as `worker/main.ts` and `proofwork worker start` (worker/bootstrap.ts: config from the
 * environment, `connectChain` with RPC fallbacks, the deployment record), but with the
 * binding-circuit runner (small proofs) and fault hooks taken from the environment — production
 * keeps `noHooks`.
 *
 *   PROOFWORK_FAULT_KILL_AT        boundary (worker/hooks.ts) where the process SIGKILLs itself
 *   PROOFWORK_FAULT_KILL_DELAY_MS  kill this long after the boundary instead of at it (mid-work)
 *   PROOFWORK_FAULT_KILL_RATE      instead: kill at any boundary with this probability (soak)
 *   PROOFWORK_FAULT_SEED           seed of that draw
 */
import { pathToFileURL } from "node:url";
import { loadConfig } from "../../sdk/node.ts";
import {
  BOUNDARIES,
  bindingRunner,
  bootWorker,
  type Boundary,
  type WorkerHooks,
} from "../../worker/index.ts";
import { seededRng } from "./flaky-rpc.ts";

function die(boundary: string): void {
  process.stderr.write(`FAULT: SIGKILL at ${boundary}\n`);
  process.kill(process.pid, "SIGKILL");
}

function faultHooks(env: NodeJS.ProcessEnv): WorkerHooks | undefined {
  const at = env.PROOFWORK_FAULT_KILL_AT;
  const rate = Number(env.PROOFWORK_FAULT_KILL_RATE ?? "0");
  if (at !== undefined && at !== "") {
    if (!(BOUNDARIES as readonly string[]).includes(at)) throw new Error(`unknown boundary ${at}`);
    const delay = Number(env.PROOFWORK_FAULT_KILL_DELAY_MS ?? "0");
    return {
      at: (b: Boundary) => {
        if (b !== at) return;
        if (delay > 0) setTimeout(() => die(`${b}+${delay}ms`), delay);
        else die(b);
      },
    };
  }
  if (rate > 0) {
    const rng = seededRng(Number(env.PROOFWORK_FAULT_SEED ?? "1"));
    return {
      at: (b: Boundary) => {
        if (b !== "monitor.cursorSaved" && rng() < rate) die(b);
      },
    };
  }
  return undefined;
}

async function main(): Promise<void> {
  const hooks = faultHooks(process.env);
  const config = loadConfig();
  const { handle } = await bootWorker({ config, runner: bindingRunner(), ...(hooks ? { hooks } : {}) });
  const onSignal = (): void => void handle.stop(config.workerShutdownGraceMs);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.stderr.write(`READY ${handle.address} pid ${process.pid}\n`);
  await handle.done;
}

// Run only as a process entry point: mocha (Hardhat) loads every .ts file under test/.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
