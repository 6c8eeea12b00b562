/**
 * `npm run bench:zk [-- --runs N] [--threads N]`
 *
 * Verifiable-inference benchmark (issues 4 and 12), over every committed model (circuits/manifest.ts
 * MODELS: the two MLPs and the reference CNN). Needs the circuits built (`npm run circuits:build --
 * --profile demo` for the batch-1 keys, `--profile bench` for the batch-4 ones); circuits without
 * keys are measured for witness time only. Writes bench/RESULTS-zk.md and bench/results-zk.json
 * (committed). Not a test: nothing here is asserted.
 *
 *   1. constraints per circuit and per sample (model layers vs commitment + binding)
 *   2. witness and proving time per job, p50/p90 over N runs (distinct held-out digits), in the
 *      threaded prover pool with keys held in memory (the production path), batch 1 and 4
 *   3. TF.js inference throughput per available backend on a batch of 10,000 digits
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import * as prettier from "prettier";
import {
  MODELS,
  ROOT,
  circuitName,
  constraintEstimate,
  loadBuiltCircuit,
  loadCommittedModel,
  type BuiltCircuit,
  type ModelName,
} from "../circuits/index.ts";
import { heldOutInterleaved, loadMnist } from "../model/data.ts";
import { encodeImageBatch, inputSize, modelCircuitInput } from "../sdk/node.ts";
import {
  BACKEND_ORDER,
  calculateWitness,
  createModelExecutor,
  createProverPool,
  selectBackend,
  type BackendName,
} from "../worker/index.ts";

const BATCHES = [1, 4];

interface Stat {
  p50: number;
  p90: number;
  min: number;
  max: number;
  n: number;
}

function stat(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return { p50: q(0.5), p90: q(0.9), min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

interface CircuitRow {
  circuit: string;
  instance: ModelName;
  batch: number;
  constraints: number;
  perSample: number;
  modelPerSample: number;
  commitmentAndBinding: number;
  ptauPower?: number;
  witnessMs?: Stat;
  proveMs?: Stat;
  jobMs?: Stat;
  proveMsPerSample?: number;
}

interface ThroughputRow {
  instance: ModelName;
  backend: BackendName;
  samples: number;
  samplesPerSecond: number;
  msPer10k: number;
}

const fmt = (v: number | undefined, d = 0): string => (v === undefined ? "—" : v.toFixed(d));

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { runs: { type: "string", default: "10" }, threads: { type: "string", default: "1" } },
  });
  const runs = Number(values.runs);
  const digits = heldOutInterleaved();
  const log = (s: string): void => console.log(s);

  // ── 1 + 2: circuits
  const circuits: CircuitRow[] = [];
  const pool = createProverPool({ threads: Number(values.threads) });
  try {
    for (const instance of Object.keys(MODELS) as ModelName[]) {
      const model = loadCommittedModel(instance);
      for (const batch of BATCHES) {
        let built: BuiltCircuit;
        try {
          built = await loadBuiltCircuit(circuitName(model, batch));
        } catch {
          log(`skip ${circuitName(model, batch)}: not built`);
          continue;
        }
        const layers = constraintEstimate(model).reduce((s, c) => s + c.constraints, 0);
        const row: CircuitRow = {
          circuit: built.name,
          instance,
          batch,
          constraints: built.constraints,
          perSample: built.constraints / batch,
          modelPerSample: layers,
          commitmentAndBinding: built.constraints - layers * batch,
          ...(built.ptauPower ? { ptauPower: built.ptauPower } : {}),
        };
        const jobs = await Promise.all(
          Array.from({ length: runs + 1 }, (_, r) =>
            modelCircuitInput(model, batch, {
              jobKey: 1000n + BigInt(r),
              bytes: encodeImageBatch(
                model,
                digits.slice(r * batch, (r + 1) * batch).map((d) => d.image),
              ),
            }),
          ),
        );
        if (built.zkey) {
          const circuit = {
            name: built.name,
            wasm: path.resolve(ROOT, built.wasm),
            zkey: path.resolve(ROOT, built.zkey),
          };
          await pool.prove(circuit, jobs[0]!.input); // warm-up: loads keys and curve in the thread
          const w: number[] = [];
          const p: number[] = [];
          const j: number[] = [];
          for (const job of jobs.slice(1)) {
            const t0 = performance.now();
            const r = await pool.prove(circuit, job.input);
            j.push(performance.now() - t0);
            w.push(r.timings.witnessMs);
            p.push(r.timings.proveMs);
          }
          Object.assign(row, {
            witnessMs: stat(w),
            proveMs: stat(p),
            jobMs: stat(j),
            proveMsPerSample: stat(p).p50 / batch,
          });
        } else {
          const w: number[] = [];
          for (const job of jobs.slice(1)) {
            const t0 = performance.now();
            await calculateWitness(path.resolve(ROOT, built.wasm), job.input);
            w.push(performance.now() - t0);
          }
          row.witnessMs = stat(w);
        }
        circuits.push(row);
        log(
          `${row.circuit}: ${row.constraints} constraints (${fmt(row.perSample)}/sample), witness p50 ${fmt(row.witnessMs?.p50)} ms, prove p50 ${fmt(row.proveMs?.p50)} ms p90 ${fmt(row.proveMs?.p90)} ms`,
        );
      }
    }
  } finally {
    await pool.terminate();
  }

  // ── 3: inference throughput
  const all = loadMnist();
  const images = [...all.train, ...all.heldOut].map((s) => s.image).slice(0, 10_000);
  const throughput: ThroughputRow[] = [];
  const backends: BackendName[] = [];
  for (const b of BACKEND_ORDER) {
    try {
      await selectBackend({ force: b });
      backends.push(b);
    } catch {
      log(`backend ${b}: not available here`);
    }
  }
  for (const instance of Object.keys(MODELS) as ModelName[]) {
    const model = loadCommittedModel(instance);
    const bytes = encodeImageBatch(model, images);
    for (const backend of backends) {
      const ex = await createModelExecutor(model, { backend });
      await ex.infer(bytes.subarray(0, inputSize(model) * 100)); // warm-up
      const times: number[] = [];
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        await ex.infer(bytes);
        times.push(performance.now() - t0);
      }
      ex.dispose();
      const ms = stat(times).p50;
      throughput.push({
        instance,
        backend,
        samples: images.length,
        samplesPerSecond: (images.length / ms) * 1000,
        msPer10k: ms,
      });
      log(`${instance} on ${backend}: ${fmt((images.length / ms) * 1000)} samples/s`);
    }
  }

  const machine = {
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}`,
    loadAverageAtEnd: os.loadavg()[0]!.toFixed(2),
    node: process.version,
    date: new Date().toISOString(),
    proverThreads: Number(values.threads),
    runs,
  };
  writeFileSync(
    path.join(ROOT, "bench", "results-zk.json"),
    JSON.stringify({ machine, circuits, throughput }, null, 2) + "\n",
  );
  const mdFile = path.join(ROOT, "bench", "RESULTS-zk.md");
  // Formatted as `npm run lint:format` expects.
  const options = { ...(await prettier.resolveConfig(mdFile)), filepath: mdFile };
  writeFileSync(mdFile, await prettier.format(markdown(machine, circuits, throughput), options));
  log("wrote bench/RESULTS-zk.md and bench/results-zk.json");
}

function markdown(
  machine: Record<string, string | number>,
  circuits: CircuitRow[],
  throughput: ThroughputRow[],
): string {
  const proveOf = (inst: ModelName): number | undefined =>
    circuits
      .filter((c) => c.instance === inst && c.proveMsPerSample !== undefined)
      .map((c) => c.proveMsPerSample!)
      .sort((a, b) => a - b)[0];
  const full1 = circuits.find((c) => c.instance === "mnist-mlp-full" && c.batch === 1);
  const cnn1 = circuits.find((c) => c.instance === "mnist-cnn" && c.batch === 1);
  return `# Verifiable inference benchmark (issues 4 and 12)

Generated by \`npm run bench:zk\` (bench/zk.ts); raw numbers in \`results-zk.json\`. Not asserted by tests.
Machine: ${machine.cpus}, Node ${machine.node}, ${machine.date}; 1-minute load average at the end
${machine.loadAverageAtEnd} (other engineers' jobs shared the 2 cores). Prover pool: ${machine.proverThreads} worker thread(s), keys
and wasm held in memory, one warm-up job excluded, then ${machine.runs} jobs on distinct held-out digits.

**Targets.** Full model, constraints per sample with commitment and binding: ${fmt(full1?.perSample)} (target ≤ 12,000).
Proving one full-model sample, p50: ${fmt(full1?.proveMs?.p50)} ms, job (witness + proof) p50 ${fmt(full1?.jobMs?.p50)} ms (target ≤ 3,000 ms).

Reference CNN (issue 12): ${fmt(cnn1?.perSample)} constraints per sample with commitment and binding (target ≤ 60,000);
proof p50 ${fmt(cnn1?.proveMs?.p50)} ms, p90 ${fmt(cnn1?.proveMs?.p90)} ms; job (witness + proof) p50 ${fmt(cnn1?.jobMs?.p50)} ms (target: proof p50 ≤ 5,000 ms).

## Circuits

Constraints after \`circom --O2\`. "Layers" = requantization + ReLU range checks and max-pool comparisons
(weights are constants, so convolutions and matrix products are free linear combinations); the rest is the
input commitment (8 range-check constraints per byte + Poseidon chain) and the job binding.

| circuit | batch | constraints | per sample | layers per sample | commitment + binding | ptau | witness p50 / p90 (ms) | prove p50 / p90 (ms) | job p50 (ms) | prove per sample (ms) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${circuits
  .map(
    (c) =>
      `| ${c.circuit} | ${c.batch} | ${c.constraints} | ${fmt(c.perSample)} | ${c.modelPerSample} | ${c.commitmentAndBinding} | ${c.ptauPower ? `2^${c.ptauPower}` : "no keys"} | ${fmt(c.witnessMs?.p50)} / ${fmt(c.witnessMs?.p90)} | ${fmt(c.proveMs?.p50)} / ${fmt(c.proveMs?.p90)} | ${fmt(c.jobMs?.p50)} | ${fmt(c.proveMsPerSample)} |`,
  )
  .join("\n")}

## Inference throughput (TF.js, integer-exact, batch of ${throughput[0]?.samples ?? 10000} digits)

| model | backend | samples/s | ms per batch | best proving time per sample (ms) | samples inferred while one sample is proven |
| --- | --- | --- | --- | --- | --- |
${throughput
  .map((t) => {
    const p = proveOf(t.instance);
    return `| ${t.instance} | ${t.backend} | ${fmt(t.samplesPerSecond)} | ${fmt(t.msPer10k, 1)} | ${fmt(p)} | ${p === undefined ? "—" : fmt((p / 1000) * t.samplesPerSecond)} |`;
  })
  .join("\n")}

Native backends (\`@tensorflow/tfjs-node\`, \`-gpu\`) are optional dependencies that cannot install on this
machine; where present they are picked first and measured here too.
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main(process.argv.slice(2));
  process.exit(0);
}
