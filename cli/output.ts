/**
 * What the CLI user sees, kept apart from debug logs: progress lines on stderr (human mode only),
 * results on stdout as text or as one JSON document (`--json`, bigints as decimal strings).
 */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  /** A progress line (suppressed with --json). */
  progress(line: string): void {
    if (!this.json) this.err.write(`${line}\n`);
  }

  /** The command's result: `data` as JSON with --json, else the human lines. */
  result(data: unknown, human: string[] | (() => string[])): void {
    if (this.json) {
      this.out.write(`${toJson(data)}\n`);
    } else {
      const lines = typeof human === "function" ? human() : human;
      if (lines.length > 0) this.out.write(`${lines.join("\n")}\n`);
    }
  }

  /** A JSON event line while streaming (watch) — human mode prints `line` instead. */
  event(data: unknown, line: string): void {
    if (this.json) this.out.write(`${toJson(data)}\n`);
    else this.out.write(`${line}\n`);
  }
}

/** JSON with bigints as decimal strings and Uint8Arrays as 0x hex. */
export function toJson(data: unknown, indent?: number): string {
  return JSON.stringify(
    data,
    (_k, v: unknown) =>
      typeof v === "bigint"
        ? v.toString()
        : v instanceof Uint8Array
          ? `0x${Buffer.from(v).toString("hex")}`
          : v,
    indent,
  );
}
