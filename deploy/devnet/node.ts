/**
 * Child processes for tests and benchmarks: a `hardhat node` on a free port, and the worker as its
 * own process (`tsx worker/main.ts`). Both are started in their own process group and stopped by
 * pid; readiness is awaited by polling, never by fixed sleeps.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { JsonRpcProvider, Network } from "ethers";

export const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "node_modules", ".bin");

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Child {
  proc: ChildProcess;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** SIGKILL goes to the whole process group; other signals to the process (tsx relays them). */
  signal(sig: NodeJS.Signals): void;
}

export function startChild(cmd: string, args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return {
    proc,
    output: () => out,
    exited,
    signal: (sig) => {
      if (proc.exitCode === null && proc.pid !== undefined) {
        try {
          process.kill(sig === "SIGKILL" ? -proc.pid : proc.pid, sig);
        } catch {
          /* already gone */
        }
      }
    },
  };
}

export interface LocalNode {
  url: string;
  provider: JsonRpcProvider;
  child: Child;
  stop(): Promise<void>;
}

/** Starts `hardhat node` on a free port and waits until it answers. */
export async function startHardhatNode(timeoutMs = 120_000): Promise<LocalNode> {
  const port = await freePort();
  const child = startChild(join(BIN, "hardhat"), ["node", "--port", String(port)]);
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (child.proc.exitCode !== null) throw new Error(`hardhat node exited: ${child.output()}`);
    if (Date.now() > end) throw new Error(`hardhat node did not start: ${child.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const network = Network.from(31337n);
  const provider = new JsonRpcProvider(url, network, { staticNetwork: network, pollingInterval: 100 });
  return {
    url,
    provider,
    child,
    stop: async () => {
      provider.destroy();
      child.signal("SIGTERM");
      await child.exited;
    },
  };
}

/** Starts the worker entry point as a separate process with `env` (PROOFWORK_* variables). */
export function startWorkerProcess(env: Record<string, string>): Child {
  return startChild(join(BIN, "tsx"), [join(ROOT, "worker", "main.ts")], env);
}
