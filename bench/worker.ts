/**
 * Worker benchmark (not a test): N jobs posted in a burst to a local `hardhat node`, served by one
 * worker over JSON-RPC with real inference and real Groth16 proofs, once per prover-thread count.
 * Prints and writes `bench/worker-results.json`: post→paid latency p50/p90, jobs/min, share of job
 * time spent in inference, proving and everything else (chain waits, polling, queueing), gas per
 * job — for each thread count, so the scaling with prover threads is visible.
 *
 *   npm run bench:worker -- [--circuit mnist_mlp_full_b1|binding_test] [--threads 1,2] [--jobs 20]
 *
 * Needs the circuit built with keys (`npm run circuits:build -- --profile demo` for the MNIST one).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Wallet } from "ethers";
import { loadCommittedModel } from "../circuits/index.ts";
import {
  ROOT,
  circuitIdFor,
  deployProtocol,
  postJob,
  startHardhatNode,
  type Protocol,
} from "../deploy/index.ts";
import { loadMnist } from "../model/data.ts";
import { JobStatus, encodeDigits } from "../sdk/node.ts";
import {
  bindingRunner,
  createMetrics,
  createProverPool,
  modelRunner,
  silentLogger,
  startWorker,
} from "../worker/index.ts";

const { values: args } = parseArgs({
  options: {
    circuit: { type: "string", default: "mnist_mlp_full_b1" },
    threads: { type: "string", default: "1,2" },
    jobs: { type: "string", default: "20" },
  },
});
const N = Number(args.jobs);
const CIRCUIT = args.circuit!;
const THREADS = args.threads!.split(",").map(Number);
const MNIST = CIRCUIT.startsWith("mnist_mlp_");
if (!(N > 0) || THREADS.some((t) => !(t > 0)) || (!MNIST && CIRCUIT !== "binding_test")) {
  console.error(
    "usage: npm run bench:worker -- [--circuit mnist_mlp_full_b1|binding_test] [--threads 1,2] [--jobs N]",
  );
  process.exit(2);
}

// Real held-out digits as job inputs for the MNIST circuits (distinct digit per job).
const model = MNIST
  ? loadCommittedModel(CIRCUIT.includes("_full_") ? "mnist-mlp-full" : "mnist-mlp-small")
  : undefined;
const heldOut = MNIST ? loadMnist().heldOut : [];
let nextDigit = 0;
function post(p: Protocol) {
  if (!model) return postJob(p);
  const sample = heldOut[nextDigit++ % heldOut.length]!;
  return postJob(p, { input: encodeDigits(model, [sample.image]), circuitId: circuitIdFor(CIRCUIT) });
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function histogramSum(h: {
  get(): Promise<{ values: { metricName?: string; value: number }[] }>;
}): Promise<{ sum: number; count: number }> {
  const v = (await h.get()).values;
  return {
    sum: v.find((x) => x.metricName?.endsWith("_sum"))?.value ?? 0,
    count: v.find((x) => x.metricName?.endsWith("_count"))?.value ?? 0,
  };
}

async function runOnce(threads: number): Promise<Record<string, unknown>> {
  const node = await startHardhatNode();
  try {
    const p = await deployProtocol(node.provider, MNIST ? { circuit: { name: CIRCUIT, numPublic: 3 } } : {});
    const metrics = createMetrics({ defaults: false });
    const pool = createProverPool({ threads });
    const w = await startWorker(
      {
        provider: node.provider,
        signer: new Wallet(p.providerKeys[0]!, node.provider),
        addresses: p.addresses,
        startBlock: p.startBlock,
        log: silentLogger(),
        metrics,
        runner: MNIST ? modelRunner({ pool, fallback: bindingRunner({ pool }) }) : bindingRunner({ pool }),
      },
      {
        dataDir: mkdtempSync(join(tmpdir(), "pw-bench-")),
        pollIntervalMs: 200,
        collectMaxAgeMs: 0,
        maxConcurrentJobs: Math.max(4, 2 * threads),
        proverConcurrency: threads,
        claimMarginSeconds: 10,
      },
    );
    const posted = new Map<bigint, number>();
    const paid = new Map<bigint, number>();
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      const { jobId } = await post(p);
      posted.set(jobId, performance.now());
    }
    const deadline = Date.now() + 30 * 60_000;
    while (paid.size < N && Date.now() < deadline) {
      for (const id of posted.keys()) {
        if (!paid.has(id) && w.store.getJob(id)?.state === "settled") paid.set(id, performance.now());
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const t1 = performance.now();
    for (const id of posted.keys()) {
      const s = Number(((await p.market.getFunction("getJob")(id)) as { status: bigint }).status);
      if (s !== JobStatus.Completed && s !== JobStatus.Paid)
        throw new Error(`job ${id} not completed (status ${s})`);
    }
    const latencies = [...posted].map(([id, t]) => (paid.get(id)! - t) / 1000);
    const inference = await histogramSum(metrics.inferenceSeconds);
    const proving = await histogramSum(metrics.provingSeconds);
    const total = latencies.reduce((a, b) => a + b, 0);
    const gas = { claim: [] as number[], submit: [] as number[] };
    for (const id of posted.keys()) {
      for (const kind of ["claim", "submit"] as const) {
        const mined = w.store.txsFor(id, kind).filter((t) => t.status === "mined");
        gas[kind].push(mined.reduce((a, t) => a + Number(t.gasUsed ?? 0n), 0));
      }
    }
    // unqueued latency: one job at a time
    const single: number[] = [];
    for (let i = 0; i < Math.min(5, N); i++) {
      const { jobId } = await post(p);
      const ts = performance.now();
      while (w.store.getJob(jobId)?.state !== "settled") await new Promise((r) => setTimeout(r, 20));
      single.push((performance.now() - ts) / 1000);
    }
    await w.stop();
    await pool.terminate();
    const avg = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
    return {
      proverThreads: threads,
      settings: {
        jobs: N,
        pollIntervalMs: 200,
        collectMaxAgeMs: 0,
        maxConcurrentJobs: Math.max(4, 2 * threads),
        proverConcurrency: threads,
        automine: true,
      },
      latencySeconds: {
        p50: +quantile(latencies, 0.5).toFixed(2),
        p90: +quantile(latencies, 0.9).toFixed(2),
        max: +Math.max(...latencies).toFixed(2),
      },
      singleJobLatencySeconds: {
        runs: single.length,
        p50: +quantile(single, 0.5).toFixed(2),
        max: +Math.max(...single).toFixed(2),
      },
      jobsPerMinute: +((N / ((t1 - t0) / 1000)) * 60).toFixed(1),
      wallSeconds: +((t1 - t0) / 1000).toFixed(1),
      shareOfJobTime: {
        inference: +(inference.sum / total).toFixed(3),
        proving: +(proving.sum / total).toFixed(3),
        chainWaitsAndQueueing: +(1 - (inference.sum + proving.sum) / total).toFixed(3),
      },
      meanSeconds: {
        inference: +(inference.sum / Math.max(1, inference.count)).toFixed(3),
        proving: +(proving.sum / Math.max(1, proving.count)).toFixed(3),
      },
      gasPerJob: { claim: avg(gas.claim), submit: avg(gas.submit), total: avg(gas.claim) + avg(gas.submit) },
    };
  } finally {
    await node.stop();
    const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } };
    await g.curve_bn128?.terminate();
  }
}

async function main(): Promise<void> {
  const runs: Record<string, unknown>[] = [];
  for (const t of THREADS) {
    const r = await runOnce(t);
    console.log(JSON.stringify(r, null, 2));
    runs.push(r);
  }
  const results = {
    benchmark: "worker post→paid, burst of N jobs, one worker, hardhat node over JSON-RPC",
    circuit: CIRCUIT,
    jobInputs: MNIST ? "real held-out MNIST digits (one per job)" : "random 62-byte inputs",
    machine: "2 cores (CI/dev machine class)",
    runs,
    note: "latencySeconds: burst, includes queueing behind earlier jobs; singleJobLatencySeconds: one job in the system at a time (compare with meanSeconds.proving: the rest is tx round trips and 200 ms polling on an automining node). chainWaitsAndQueueing = job time not spent in inference or proving. Gas in gas units.",
    date: new Date().toISOString().slice(0, 10),
  };
  writeFileSync(join(ROOT, "bench", "worker-results.json"), `${JSON.stringify(results, null, 2)}\n`);
}

await main();
