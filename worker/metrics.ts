/**
 * Prometheus metrics (prom-client, a private registry per worker) and the operator HTTP endpoint:
 * `GET /metrics` (text exposition) and `GET /healthz` (200 while the main loop ticks, 503 when it
 * stalled or the worker is stopping; JSON body with the details).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface WorkerMetrics {
  registry: Registry;
  jobsSeen: Counter;
  jobsClaimed: Counter;
  claimsLost: Counter;
  jobsCompleted: Counter;
  jobsFailed: Counter<"reason">;
  jobsRefused: Counter<"reason">;
  inferenceSeconds: Histogram;
  provingSeconds: Histogram;
  claimToCompletedSeconds: Histogram;
  gasSpentWei: Counter<"kind">;
  txSent: Counter<"kind">;
  txBumped: Counter<"kind">;
  earningsWei: Counter;
  freeStakeWei: Gauge;
  lastProcessedBlock: Gauge;
  jobsInFlight: Gauge;
  jobsByState: Gauge<"state">;
  batchSamples: Counter;
  batchSamplesPerSecond: Gauge;
  batchJobsByState: Gauge<"state">;
}

/** Creates the worker's metrics in a fresh registry (`defaults` adds process metrics). */
export function createMetrics(opts: { defaults?: boolean } = {}): WorkerMetrics {
  const registry = new Registry();
  if (opts.defaults ?? true) collectDefaultMetrics({ register: registry, prefix: "proofwork_worker_" });
  const registers = [registry];
  const secs = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];
  return {
    registry,
    jobsSeen: new Counter({ name: "proofwork_jobs_seen_total", help: "Jobs discovered on-chain", registers }),
    jobsClaimed: new Counter({
      name: "proofwork_jobs_claimed_total",
      help: "Jobs this provider claimed",
      registers,
    }),
    claimsLost: new Counter({
      name: "proofwork_claims_lost_total",
      help: "Claims lost to another provider",
      registers,
    }),
    jobsCompleted: new Counter({
      name: "proofwork_jobs_completed_total",
      help: "Jobs proven and accepted on-chain",
      registers,
    }),
    jobsFailed: new Counter({
      name: "proofwork_jobs_failed_total",
      help: "Claimed jobs that could not be completed, by error code",
      labelNames: ["reason"],
      registers,
    }),
    jobsRefused: new Counter({
      name: "proofwork_jobs_refused_total",
      help: "Jobs evaluated and not claimed, by reason",
      labelNames: ["reason"],
      registers,
    }),
    inferenceSeconds: new Histogram({
      name: "proofwork_inference_seconds",
      help: "Inference time per job",
      buckets: secs,
      registers,
    }),
    provingSeconds: new Histogram({
      name: "proofwork_proving_seconds",
      help: "Proving time per job (witness + Groth16)",
      buckets: secs,
      registers,
    }),
    claimToCompletedSeconds: new Histogram({
      name: "proofwork_claim_to_completed_seconds",
      help: "Time from claim confirmed to submit confirmed",
      buckets: secs,
      registers,
    }),
    gasSpentWei: new Counter({
      name: "proofwork_gas_spent_wei_total",
      help: "Gas paid (wei), by transaction kind",
      labelNames: ["kind"],
      registers,
    }),
    txSent: new Counter({
      name: "proofwork_tx_sent_total",
      help: "Transactions broadcast, by kind",
      labelNames: ["kind"],
      registers,
    }),
    txBumped: new Counter({
      name: "proofwork_tx_bumped_total",
      help: "Fee bumps of stuck transactions, by kind",
      labelNames: ["kind"],
      registers,
    }),
    earningsWei: new Counter({
      name: "proofwork_earnings_total",
      help: "Payments received (token base units)",
      registers,
    }),
    freeStakeWei: new Gauge({
      name: "proofwork_free_stake",
      help: "Free (bonded, unlocked) stake (token base units)",
      registers,
    }),
    lastProcessedBlock: new Gauge({
      name: "proofwork_last_processed_block",
      help: "Last block whose logs were processed",
      registers,
    }),
    jobsInFlight: new Gauge({
      name: "proofwork_jobs_in_flight",
      help: "Jobs being executed/proved/submitted now",
      registers,
    }),
    jobsByState: new Gauge({
      name: "proofwork_jobs",
      help: "Jobs in the store, by state",
      labelNames: ["state"],
      registers,
    }),
    batchSamples: new Counter({
      name: "proofwork_batch_samples_total",
      help: "Batch job samples run through the executor",
      registers,
    }),
    batchSamplesPerSecond: new Gauge({
      name: "proofwork_batch_samples_per_second",
      help: "Inference throughput of the last batch chunk, samples per second",
      registers,
    }),
    batchJobsByState: new Gauge({
      name: "proofwork_batch_jobs",
      help: "Batch jobs in the store, by state",
      labelNames: ["state"],
      registers,
    }),
  };
}

export interface HealthSource {
  /** JSON-able status; `ok: false` answers 503. */
  health(): { ok: boolean } & Record<string, unknown>;
}

export interface MetricsServer {
  /** The bound port (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/** Serves `/metrics` and `/healthz` on `host:port` (port 0 = any free port). */
export async function startMetricsServer(
  metrics: WorkerMetrics,
  health: HealthSource,
  opts: { port: number; host?: string },
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET") {
      res.writeHead(405).end();
      return;
    }
    if (path === "/metrics") {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    } else if (path === "/healthz") {
      const h = health.health();
      res.writeHead(h.ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(h));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
