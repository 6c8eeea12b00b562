/**
 * Structured logs (pino): JSON lines by default, pretty-printed when stdout is a terminal. Quiet by
 * default (level from config, `warn` unless raised); every job-related line carries `jobId`.
 */
import { pino, type Logger } from "pino";

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Pretty-print (default: when stdout is a TTY). */
  pretty?: boolean;
  /** Where JSON lines go (default stdout); tests pass a stream to capture them. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? "info";
  const pretty = opts.pretty ?? (opts.destination === undefined && process.stdout.isTTY === true);
  const base = { name: "proofwork-worker" };
  if (pretty) {
    return pino({
      level,
      base,
      transport: { target: "pino-pretty", options: { colorize: true, translateTime: "SYS:HH:MM:ss.l" } },
    });
  }
  if (opts.destination) return pino({ level, base }, opts.destination);
  return pino({ level, base });
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
