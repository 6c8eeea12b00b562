/**
 * Bounded soak (a benchmark, not a test): N jobs (SOAK_JOBS, default 400) posted in waves to a
 * local `hardhat node`, served by SOAK_WORKERS (default 3) workers, each a separate process
 * (`test/reliability/fault-worker.ts`, binding_test proofs) behind its own flaky JSON-RPC proxy
 * (SOAK_FAULT_RATE of requests faulted, default 0.15) and killed with SIGKILL at a random durable
 * boundary with probability SOAK_KILL_RATE (default 0.01 per boundary) — except the first
 * SOAK_STEADY_WORKERS (default 1), which live through the run so their RSS shows memory growth; a
 * supervisor restarts killed workers. Reports jobs completed, lost (must be 0), double submissions (must be 0),
 * slashes and why, proxy faults, kills, and each worker's RSS over time; writes
 * `bench/soak-results.json`.
 *
 *   npm run bench:soak                       (SOAK_JOBS=50 for a quick run)
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet, getAddress } from "ethers";
import { JobStatus, marketInterface } from "../sdk/node.ts";
import {
  FAULT_KINDS,
  ROOT,
  deployProtocol,
  devKey,
  postJob,
  startFaultWorker,
  startFlakyRpcProxy,
  startHardhatNode,
  storePath,
  waitFor,
  withStore,
  workerEnv,
  writeFixtureDeployment,
  type Child,
  type FlakyProxy,
} from "../deploy/index.ts";

const N = Number(process.env.SOAK_JOBS ?? 400);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 3);
const FAULT_RATE = Number(process.env.SOAK_FAULT_RATE ?? 0.15);
const KILL_RATE = Number(process.env.SOAK_KILL_RATE ?? 0.01);
/** Workers 0..STEADY-1 are never killed (their RSS over the whole run is the memory-growth figure). */
const STEADY = Number(process.env.SOAK_STEADY_WORKERS ?? 1);
const WAVE = Number(process.env.SOAK_WAVE ?? 20);
const TIMEOUT_MS = Number(process.env.SOAK_TIMEOUT_MS ?? 15 * 60_000);
const RSS_EVERY_MS = 5_000;

/** RSS (MB) of the worker: the node process under the tsx wrapper, or the wrapper itself. */
function rssMb(pid: number): number | null {
  const read = (p: number): number | null => {
    const f = `/proc/${p}/status`;
    if (!existsSync(f)) return null;
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(f, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  };
  try {
    const kids = execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number);
    const sizes = kids.map(read).filter((x): x is number => x !== null);
    if (sizes.length > 0) return Math.max(...sizes);
  } catch {
    /* no children */
  }
  return read(pid);
}

interface WorkerSlot {
  index: number;
  key: string;
  address: string;
  dataDir: string;
  proxy: FlakyProxy;
  child: Child;
  restarts: number;
  kills: Record<string, number>;
  /** RSS samples: [seconds since start, MB, process generation (restarts so far)]. */
  rss: [number, number, number][];
  stopping: boolean;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const node = await startHardhatNode();
  const slots: WorkerSlot[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    const p = await deployProtocol(node.provider, { providers: WORKERS });
    const deploymentFile = await writeFixtureDeployment(
      p,
      join(mkdtempSync(join(tmpdir(), "pw-soak-dep-")), "31337.local.json"),
      new Wallet(devKey(0)).address,
    );
    const fromBlock = await node.provider.getBlockNumber();

    const spawn = (s: WorkerSlot): Child => {
      const child = startFaultWorker(
        workerEnv({
          rpcUrl: s.proxy.url,
          key: s.key,
          deploymentFile,
          dataDir: s.dataDir,
          extra: {
            PROOFWORK_FAULT_KILL_RATE: String(s.index < STEADY ? 0 : KILL_RATE),
            PROOFWORK_FAULT_SEED: String(1000 * (s.index + 1) + s.restarts),
            PROOFWORK_LOG_LEVEL: "error",
          },
        }),
      );
      void child.exited.then(() => {
        if (s.stopping) return;
        const m = /FAULT: SIGKILL at (\S+)/.exec(child.output());
        const why = m ? m[1]!.replace(/\+.*/, "") : `exit ${child.proc.exitCode}`;
        s.kills[why] = (s.kills[why] ?? 0) + 1;
        if (!m)
          process.stderr.write(`worker ${s.index} exited unexpectedly:\n${child.output().slice(-2000)}\n`);
        s.restarts++;
        s.child = spawn(s);
      });
      return child;
    };
    for (let i = 0; i < WORKERS; i++) {
      const key = p.providerKeys[i]!;
      const proxy = await startFlakyRpcProxy({ target: node.url, faultRate: FAULT_RATE, seed: 11 + i });
      const s: WorkerSlot = {
        index: i,
        key,
        address: new Wallet(key).address,
        dataDir: mkdtempSync(join(tmpdir(), `pw-soak-w${i}-`)),
        proxy,
        child: undefined as unknown as Child,
        restarts: 0,
        kills: {},
        rss: [],
        stopping: false,
      };
      s.child = spawn(s);
      slots.push(s);
    }
    sampler = setInterval(() => {
      for (const s of slots) {
        const pid = s.child.proc.pid;
        const mb = pid === undefined ? null : rssMb(pid);
        if (mb !== null) s.rss.push([Math.round((Date.now() - t0) / 1000), Math.round(mb), s.restarts]);
      }
    }, RSS_EVERY_MS);

    // post in waves, never more than two waves ahead of the chain
    const jobs: bigint[] = [];
    const status = async (id: bigint): Promise<number> =>
      Number(((await p.market.getFunction("getJob")(id)) as { status: bigint }).status);
    const done = new Set<string>();
    const settledOnChain = async (): Promise<number> => {
      for (const id of jobs) {
        if (done.has(id.toString())) continue;
        const st = await status(id);
        if (st === JobStatus.Completed || st === JobStatus.Paid || st === JobStatus.Slashed)
          done.add(id.toString());
      }
      return done.size;
    };
    const tPost = Date.now();
    while (jobs.length < N) {
      const n = Math.min(WAVE, N - jobs.length);
      for (let i = 0; i < n; i++) jobs.push((await postJob(p)).jobId);
      await waitFor(async () => jobs.length - (await settledOnChain()) <= WAVE, TIMEOUT_MS, "wave");
      process.stderr.write(`posted ${jobs.length}/${N}, finished ${done.size}\n`);
    }
    // the end: every job completed (or, if it was missed, past its deadline and slashed)
    await waitFor(
      async () => (await settledOnChain()) === jobs.length,
      TIMEOUT_MS,
      "all jobs finished",
    ).catch(() => undefined);
    const elapsedS = (Date.now() - tPost) / 1000;
    // stores settle the last payouts
    await waitFor(
      () =>
        slots.every((s) =>
          withStore(storePath(s.dataDir, s.key), (st) => st.listJobs(["completed"]).length === 0),
        ),
      60_000,
      "stores settled",
    ).catch(() => undefined);
    for (const s of slots) {
      s.stopping = true;
      s.child.signal("SIGTERM");
    }
    await Promise.all(slots.map((s) => s.child.exited));

    // --- the chain is the judge
    const providers = new Set(slots.map((s) => getAddress(s.address)));
    const head = await node.provider.getBlockNumber();
    const submits = new Map<string, number>();
    const claims = new Map<string, number>();
    /** claim txs per (provider, job): more than one would be a worker paying twice for a claim */
    const claimsByProvider = new Map<string, number>();
    let claimsReverted = 0;
    for (let b = fromBlock; b <= head; b++) {
      const block = await node.provider.getBlock(b, true);
      for (const tx of block?.prefetchedTransactions ?? []) {
        if (!providers.has(getAddress(tx.from)) || tx.to === null) continue;
        if (getAddress(tx.to) !== getAddress(p.addresses.market)) continue;
        const parsed = marketInterface.parseTransaction({ data: tx.data });
        const id = String(parsed?.args[0]);
        const m = parsed?.name === "submit" ? submits : parsed?.name === "claim" ? claims : null;
        m?.set(id, (m.get(id) ?? 0) + 1);
        if (parsed?.name === "claim") {
          const k = `${getAddress(tx.from)}:${id}`;
          claimsByProvider.set(k, (claimsByProvider.get(k) ?? 0) + 1);
          if ((await node.provider.getTransactionReceipt(tx.hash))?.status === 0) claimsReverted++;
        }
      }
    }
    let completed = 0;
    let slashed = 0;
    const lost: string[] = [];
    for (const id of jobs) {
      const st = await status(id);
      if (st === JobStatus.Completed || st === JobStatus.Paid) completed++;
      else if (st === JobStatus.Slashed) slashed++;
      else lost.push(`${id}:${st}`);
    }
    const doubleSubmissions = [...submits.entries()].filter(([, n]) => n > 1).map(([id, n]) => ({ id, n }));
    const doubleClaims = [...claimsByProvider.entries()].filter(([, n]) => n > 1).map(([k, n]) => ({ k, n }));
    const racedJobs = [...claims.values()].filter((n) => n > 1).length;
    const slashes: { jobId: string; provider: string; storeState: string | null; reason: string | null }[] =
      [];
    for (const ev of await p.market.queryFilter(p.market.filters.JobSlashed!(), fromBlock)) {
      const args = (ev as unknown as { args: { jobId: bigint; provider: string } }).args;
      const s = slots.find((x) => getAddress(x.address) === getAddress(args.provider));
      const row = s ? withStore(storePath(s.dataDir, s.key), (st) => st.getJob(args.jobId)) : null;
      slashes.push({
        jobId: args.jobId.toString(),
        provider: args.provider,
        storeState: row?.state ?? null,
        reason: row?.error ?? row?.reason ?? null,
      });
    }
    // store vs chain
    const mismatches: string[] = [];
    for (const s of slots)
      withStore(storePath(s.dataDir, s.key), (st) => {
        for (const row of st.listJobs(["settled", "completed"])) {
          if (!submits.has(row.jobId.toString()))
            mismatches.push(`w${s.index}:${row.jobId}:no submit on chain`);
        }
        if (st.pendingTxs().length > 0) mismatches.push(`w${s.index}: ${st.pendingTxs().length} pending txs`);
      });
    const faults = Object.fromEntries(
      FAULT_KINDS.map((k) => [k, slots.reduce((a, s) => a + s.proxy.stats.faults[k], 0)]),
    );
    const requests = slots.reduce((a, s) => a + s.proxy.stats.requests, 0);
    const results = {
      date: new Date().toISOString(),
      machine: { node: process.version, cpus: (await import("node:os")).cpus().length },
      config: {
        jobs: N,
        workers: WORKERS,
        steadyWorkers: STEADY,
        faultRate: FAULT_RATE,
        killRatePerBoundary: KILL_RATE,
        wave: WAVE,
      },
      elapsedSeconds: Math.round(elapsedS),
      jobsPerMinute: Math.round((completed / elapsedS) * 60 * 10) / 10,
      jobsCompleted: completed,
      jobsSlashed: slashed,
      jobsLost: lost.length,
      lost,
      doubleSubmissions: doubleSubmissions.length,
      doubleSubmissionDetail: doubleSubmissions,
      doubleClaimsBySameProvider: doubleClaims.length,
      claimRaces: {
        jobsWithClaimsFromSeveralWorkers: racedJobs,
        claimTxsRevertedOnChain: claimsReverted,
        note: "workers simulate before claiming; on an automining node two workers can both pass simulation, the later claim reverts (gas only)",
      },
      slashes,
      storeChainMismatches: mismatches,
      rpc: { requests, faulted: Object.values(faults).reduce((a, b) => a + b, 0), faults },
      workers: slots.map((s) => {
        const mbs = s.rss.map(([, mb]) => mb);
        const firstMinute = s.rss.filter(([t]) => t <= 60).map(([, mb]) => mb);
        // growth within the longest-lived process, after its first 30 s (warm-up: circuits, wasm)
        const gens = new Map<number, [number, number][]>();
        for (const [t, mb, g] of s.rss) gens.set(g, [...(gens.get(g) ?? []), [t, mb]]);
        const longest = [...gens.values()].sort((a, b) => b.length - a.length)[0] ?? [];
        const warm = longest.filter(([t]) => t - (longest[0]?.[0] ?? 0) >= 30);
        const growth =
          warm.length >= 2
            ? {
                fromMb: warm[0]![1],
                toMb: warm[warm.length - 1]![1],
                overSeconds: warm[warm.length - 1]![0] - warm[0]![0],
              }
            : null;
        return {
          index: s.index,
          address: s.address,
          jobsSettled: withStore(storePath(s.dataDir, s.key), (st) => st.listJobs(["settled"]).length),
          restarts: s.restarts,
          killedAt: s.kills,
          rssMb: {
            samples: s.rss.length,
            first: mbs[0] ?? null,
            max: mbs.length ? Math.max(...mbs) : null,
            last: mbs[mbs.length - 1] ?? null,
            firstMinuteMax: firstMinute.length ? Math.max(...firstMinute) : null,
            longestProcessGrowthAfterWarmup: growth,
          },
          rssSeries: s.rss.filter((_, i) => i % 6 === 0),
        };
      }),
    };
    writeFileSync(join(ROOT, "bench", "soak-results.json"), `${JSON.stringify(results, null, 2)}\n`);
    console.log(
      JSON.stringify(
        { ...results, workers: results.workers.map((w) => ({ ...w, rssSeries: undefined })) },
        null,
        2,
      ),
    );
    if (lost.length > 0 || doubleSubmissions.length > 0 || doubleClaims.length > 0 || mismatches.length > 0)
      process.exitCode = 1;
  } finally {
    if (sampler) clearInterval(sampler);
    for (const s of slots) {
      s.stopping = true;
      s.child.signal("SIGKILL");
      await s.child.exited;
      await s.proxy.stop();
    }
    await node.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
