/**
 * TF.js backend selection at run time, best first:
 *   tensorflow-gpu (@tensorflow/tfjs-node-gpu) → webgpu (@tensorflow/tfjs-backend-webgpu on Dawn,
 *   the `webgpu` package) → tensorflow (@tensorflow/tfjs-node) → wasm (@tensorflow/tfjs-backend-wasm)
 *   → cpu (pure JS, always there).
 * The native packages and the WebGPU pair are optionalDependencies (tfjs-node's install downloads
 * libtensorflow and fails on machines without that host; Dawn ships prebuilt binaries for a few
 * platforms only), so each is loaded with a dynamic `import()` inside try/catch and skipped, with
 * the reason recorded, when it is missing or fails to initialise — for WebGPU, also when Dawn finds
 * no adapter (no GPU driver), which is the case on machines without a GPU.
 *
 * WebGPU (worker/executor/webgpu.ts): Dawn is asked for a high-performance adapter at the core
 * feature level by default; `PROOFWORK_WEBGPU_FLAGS` passes Dawn options (e.g. `backend=opengles`)
 * and `PROOFWORK_WEBGPU_FEATURE_LEVEL=compatibility` accepts compatibility-mode adapters — with both,
 * Mesa's llvmpipe (software OpenGL ES) serves as an adapter on a machine without a GPU, which is how
 * the tests exercise this backend's kernels here. WGSL computes in float32 without TF32-like
 * shortcuts; its exactness is checked like every backend's (tests, and the runner's spot check).
 *
 * GPU exactness: on NVIDIA Ampere and newer, cuBLAS/cuDNN compute float32 matmuls and convolutions
 * in TF32 by default (operands rounded to 11 significant bits), which breaks the integer-exact
 * arithmetic the circuits prove. Before the GPU package loads CUDA, `NVIDIA_TF32_OVERRIDE=0` is set
 * in the process environment (unless the operator set it), which disables TF32 globally; and the
 * model runner checks the executor's outputs against the bigint reference before proving
 * (EXECUTOR_MISMATCH), so a backend that is still inexact fails the job instead of a proof.
 */
import * as tf from "@tensorflow/tfjs";
import { Gauge, type Registry } from "prom-client";
import { ErrorCodes, ProofworkError, errorMessage } from "../../sdk/node.ts";
import { activateWebGpu, type WebGpuOptions } from "./webgpu.ts";

export type BackendName = "tensorflow-gpu" | "webgpu" | "tensorflow" | "wasm" | "cpu";

/** Preference order when nothing is forced: the GPU ones first, then the CPU ones. */
export const BACKEND_ORDER: readonly BackendName[] = [
  "tensorflow-gpu",
  "webgpu",
  "tensorflow",
  "wasm",
  "cpu",
];

/** The minimal logger the executor needs (pino's `Logger` satisfies it). */
export interface ExecutorLogger {
  info(fields: object, msg?: string): void;
}

export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  /** why it was skipped (import or init error), when not ok */
  error?: string;
}

/** Which backend runs and why (structured; also logged as one line). */
export interface BackendChoice {
  backend: BackendName;
  /** TF.js' own name for it (`tensorflow` for both native packages, `webgpu`, `wasm`, `cpu`) */
  tfBackend: string;
  /** the device it runs on, when the backend says (WebGPU: the adapter's description) */
  device?: string;
  forced: boolean;
  reason: string;
  attempts: BackendAttempt[];
}

const NATIVE_PACKAGE: Record<"tensorflow-gpu" | "tensorflow", string> = {
  "tensorflow-gpu": "@tensorflow/tfjs-node-gpu",
  tensorflow: "@tensorflow/tfjs-node",
};

/** Registers (if needed) and activates one backend; throws with the cause when it cannot. */
async function activate(
  name: BackendName,
  webgpu: WebGpuOptions,
): Promise<{ tfBackend: string; device?: string }> {
  if (name === "tensorflow-gpu" || name === "tensorflow") {
    // A variable specifier: these optional packages are usually absent, and must not be resolved
    // at type-check or bundle time.
    const specifier: string = NATIVE_PACKAGE[name];
    if (name === "tensorflow-gpu") process.env["NVIDIA_TF32_OVERRIDE"] ??= "0";
    await import(specifier);
    if (!(await tf.setBackend("tensorflow"))) throw new Error("the tensorflow backend did not initialise");
    return { tfBackend: "tensorflow" };
  }
  if (name === "webgpu") {
    const { device } = await activateWebGpu(webgpu);
    return { tfBackend: "webgpu", device };
  }
  if (name === "wasm") {
    await import("@tensorflow/tfjs-backend-wasm");
    if (!(await tf.setBackend("wasm"))) throw new Error("the wasm backend did not initialise");
    return { tfBackend: "wasm" };
  }
  if (!(await tf.setBackend("cpu"))) throw new Error("the cpu backend did not initialise");
  return { tfBackend: "cpu" };
}

/**
 * Picks and activates a backend: the forced one (error BACKEND_UNAVAILABLE if it cannot run), or
 * the first of BACKEND_ORDER that loads. Logs one line saying which and why.
 */
export async function selectBackend(
  opts: { force?: BackendName; logger?: ExecutorLogger; webgpu?: WebGpuOptions } = {},
): Promise<BackendChoice> {
  const attempts: BackendAttempt[] = [];
  const candidates = opts.force ? [opts.force] : BACKEND_ORDER;
  for (const backend of candidates) {
    try {
      const { tfBackend, device } = await activate(backend, opts.webgpu ?? {});
      await tf.ready();
      attempts.push({ backend, ok: true });
      const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.backend} (${a.error})`);
      const reason = opts.force
        ? `forced by configuration`
        : skipped.length === 0
          ? `preferred backend available`
          : `first available; skipped ${skipped.join("; ")}`;
      const choice: BackendChoice = {
        backend,
        tfBackend,
        ...(device !== undefined ? { device } : {}),
        forced: opts.force !== undefined,
        reason,
        attempts,
      };
      // the fields are the choice itself (the worker keeps the last one for its metric)
      opts.logger?.info({ ...choice }, `executor: TF.js backend "${backend}" — ${reason}`);
      return choice;
    } catch (e) {
      attempts.push({ backend, ok: false, error: firstLine(errorMessage(e)) });
    }
  }
  throw new ProofworkError(
    ErrorCodes.BACKEND_UNAVAILABLE,
    `no TF.js backend could start: ${attempts.map((a) => `${a.backend}: ${a.error}`).join("; ")}`,
    { attempts },
  );
}

function firstLine(s: string): string {
  return (s.split("\n")[0] ?? s).slice(0, 200);
}

export type { WebGpuOptions } from "./webgpu.ts";

/** Makes `choice`'s backend the active one again (the TF.js engine is process-global). */
export async function useBackend(choice: BackendChoice): Promise<void> {
  if (tf.getBackend() !== choice.tfBackend) await tf.setBackend(choice.tfBackend);
}

/**
 * `proofwork_executor_backend{backend,state,reason}` in `registry`: 1 for the backend that runs
 * (`state="active"`) and for each one tried before it and skipped (`state="skipped"`, with the
 * first line of its reason), read from `current()` at each scrape (nothing before the first job
 * has chosen a backend).
 */
export function registerBackendMetric(registry: Registry, current: () => BackendChoice | undefined): Gauge {
  return new Gauge({
    name: "proofwork_executor_backend",
    help: "TF.js executor backends: the active one, and those skipped before it with their reason",
    labelNames: ["backend", "state", "reason"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const a of current()?.attempts ?? []) {
        this.set({ backend: a.backend, state: a.ok ? "active" : "skipped", reason: a.error ?? "" }, 1);
      }
    },
  });
}
