/**
 * A flaky JSON-RPC proxy for reliability tests and the soak benchmark: sits between a client
 * (the worker) and a node and, for a configurable share of requests, drops the connection (before
 * or after forwarding), delays, truncates the answer, answers HTTP 5xx, or answers HTTP 429 with
 * a JSON-RPC rate-limit error. Faults are drawn from a seeded RNG, so a run is reproducible for a
 * given request order. `stop()` closes the port (a dead endpoint, for fallback tests).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

export const FAULT_KINDS = ["drop", "dropAfter", "delay", "truncate", "http5xx", "rateLimit"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FlakyProxyOptions {
  /** Upstream JSON-RPC URL (the node). */
  target: string;
  /** Share of requests that get a fault, 0..1. */
  faultRate: number;
  /** RNG seed (same seed + same request order = same faults). */
  seed?: number;
  /** Fault kinds to draw from (uniformly); default all. */
  kinds?: readonly FaultKind[];
  /** Delay of a `delay` fault, ms (drawn uniformly from [0, delayMs]). */
  delayMs?: number;
  /** JSON-RPC methods never faulted (e.g. test-only `evm_*` calls). */
  exempt?: readonly string[];
  port?: number;
}

export interface FlakyProxyStats {
  requests: number;
  faults: Record<FaultKind, number>;
  /** Requests by JSON-RPC method (batch members counted one by one). */
  methods: Record<string, number>;
}

export interface FlakyProxy {
  url: string;
  port: number;
  stats: FlakyProxyStats;
  /** Changes the fault rate from now on. */
  setFaultRate(rate: number): void;
  /** Closes the listener and every open connection. */
  stop(): Promise<void>;
}

/** mulberry32: a small, fast, seeded PRNG (uniform in [0, 1)). */
export function seededRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (body += d));
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

function methodsOf(body: string): string[] {
  try {
    const parsed = JSON.parse(body) as { method?: string } | { method?: string }[];
    const list = Array.isArray(parsed) ? parsed : [parsed];
    return list.map((r) => String(r.method ?? "?"));
  } catch {
    return ["?"];
  }
}

function idsOf(body: string): unknown[] {
  try {
    const parsed = JSON.parse(body) as { id?: unknown } | { id?: unknown }[];
    return (Array.isArray(parsed) ? parsed : [parsed]).map((r) => r.id ?? null);
  } catch {
    return [null];
  }
}

/** Starts the proxy on `opts.port` (default: a free port on 127.0.0.1). */
export async function startFlakyRpcProxy(opts: FlakyProxyOptions): Promise<FlakyProxy> {
  const rng = seededRng(opts.seed ?? 1);
  const kinds = opts.kinds ?? FAULT_KINDS;
  const delayMs = opts.delayMs ?? 1500;
  const exempt = new Set(opts.exempt ?? []);
  let faultRate = opts.faultRate;
  const stats: FlakyProxyStats = {
    requests: 0,
    faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    methods: {},
  };
  const sockets = new Set<Socket>();

  async function forward(body: string): Promise<{ status: number; text: string }> {
    const res = await fetch(opts.target, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    return { status: res.status, text: await res.text() };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const methods = methodsOf(body);
    stats.requests++;
    for (const m of methods) stats.methods[m] = (stats.methods[m] ?? 0) + 1;
    // draw for every request (exempt or not) so the fault sequence depends only on request order
    const roll = rng();
    const pick = kinds[Math.floor(rng() * kinds.length)]!;
    const extra = rng();
    const fault: FaultKind | null =
      roll < faultRate && !methods.some((m) => exempt.has(m)) && kinds.length > 0 ? pick : null;
    if (fault !== null) stats.faults[fault]++;
    switch (fault) {
      case "drop":
        req.socket.destroy();
        return;
      case "http5xx":
        res.writeHead([500, 502, 503][Math.floor(extra * 3)]!, { "content-type": "text/plain" });
        res.end("upstream unavailable");
        return;
      case "rateLimit": {
        const ids = idsOf(body);
        const errors = ids.map((id) => ({
          jsonrpc: "2.0",
          id,
          error: { code: -32005, message: "rate limit exceeded" },
        }));
        res.writeHead(429, { "content-type": "application/json", "retry-after": "0" });
        res.end(JSON.stringify(Array.isArray(JSON.parse(body) as unknown) ? errors : errors[0]));
        return;
      }
      case "delay":
        await new Promise((r) => setTimeout(r, Math.floor(extra * delayMs)));
        break;
      default:
        break;
    }
    let upstream: { status: number; text: string };
    try {
      upstream = await forward(body);
    } catch {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end("upstream unreachable");
      return;
    }
    if (fault === "dropAfter") {
      // the node acted on the request, the client never learns the answer
      req.socket.destroy();
      return;
    }
    if (fault === "truncate") {
      const cut = upstream.text.slice(0, Math.max(1, Math.floor(upstream.text.length / 2)));
      res.writeHead(upstream.status, { "content-type": "application/json" });
      res.end(cut);
      return;
    }
    res.writeHead(upstream.status, { "content-type": "application/json" });
    res.end(upstream.text);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  let stopped: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    setFaultRate: (rate) => {
      faultRate = rate;
    },
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return stopped;
    },
  };
}
