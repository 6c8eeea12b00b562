/**
 * Long-running child processes in end-to-end tests (a `hardhat node`, `proofwork worker start`):
 * waiting for a line of their output, the one helper the e2e tests share.
 */
import type { ChildProcess } from "node:child_process";

/** Resolves when `pattern` appears in the process' output (rejects on exit or timeout). */
export function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs: number,
  what: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (pattern.test(seen)) done(undefined);
    };
    const onExit = (code: number | null) =>
      done(new Error(`${what} exited (${code}) before ready:\n${seen.slice(-2000)}`));
    const timer = setTimeout(
      () => done(new Error(`${what} not ready after ${timeoutMs} ms:\n${seen.slice(-2000)}`)),
      timeoutMs,
    );
    function done(err: Error | undefined) {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      if (err) reject(err);
      else resolve();
    }
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}
