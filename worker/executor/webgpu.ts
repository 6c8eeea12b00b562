/**
 * The `webgpu` executor backend: TF.js' WebGPU kernels (@tensorflow/tfjs-backend-webgpu) on Dawn,
 * Chromium's WebGPU implementation, built for Node by the `webgpu` package (prebuilt `dawn.node`
 * for linux-x64, linux-arm64, darwin and win32 in its npm tarball: no download, no compiler).
 *
 * Both packages are optionalDependencies, loaded only when this backend is tried, through variable
 * specifiers (like the native TensorFlow packages) so that nothing resolves them at type-check time
 * and an install without them still runs on the other backends. Activation:
 *   0. on Linux with no Dawn options, Dawn reaches GPUs through Vulkan: when the dynamic loader
 *      cannot find `libvulkan.so.1` (not in /etc/ld.so.cache nor LD_LIBRARY_PATH), the backend is
 *      skipped with that reason without loading Dawn — which would only print its own warnings;
 *   1. `create(flags)` → a `GPU` object, installed as `navigator.gpu` with Dawn's WebGPU globals
 *      (`GPUBufferUsage`, … which the TF.js kernels use);
 *   2. `requestAdapter({ powerPreference: "high-performance", featureLevel })`: null when Dawn finds
 *      no usable driver (no GPU, no Vulkan loader): the backend is skipped with that reason;
 *      a fallback (software) adapter is refused too, since a CPU backend does the same work faster;
 *   3. a TF.js backend factory named `webgpu` that opens the device on that adapter with the
 *      adapter's limits (as tfjs-backend-webgpu's own factory does), then `tf.setBackend("webgpu")`.
 * Different options in the same process (tests) replace the registered factory.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";

/** How Dawn is asked for an adapter (config: PROOFWORK_WEBGPU_FLAGS, PROOFWORK_WEBGPU_FEATURE_LEVEL). */
export interface WebGpuOptions {
  /**
   * Dawn options for `create()`, e.g. `backend=vulkan`, `backend=opengles`, `adapter=<name>`,
   * `enable-dawn-features=a,b` (see the `webgpu` package's README). Default none.
   */
  dawnFlags?: readonly string[];
  /**
   * `core` (default) or `compatibility`: the latter also accepts adapters that only reach WebGPU's
   * compatibility mode, such as Dawn's OpenGL ES backend (with `backend=opengles`, Mesa's llvmpipe
   * software rasteriser serves as one on a machine without a GPU).
   */
  featureLevel?: "core" | "compatibility";
}

/** The parts of Dawn's objects used here (structural: the packages' types are not imported). */
interface AdapterInfoLike {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}
interface AdapterLike {
  readonly info: AdapterInfoLike;
  readonly limits: Readonly<Record<string, number>>;
  requestDevice(descriptor: { requiredLimits: Record<string, number> }): Promise<unknown>;
}
interface GpuLike {
  requestAdapter(options: { powerPreference: string; featureLevel: string }): Promise<AdapterLike | null>;
}
interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: object;
}
interface TfWebGpuModule {
  WebGPUBackend: new (device: unknown, adapterInfo?: AdapterInfoLike) => tf.KernelBackend;
}

const DAWN_PACKAGE: string = "webgpu";
const TF_WEBGPU_PACKAGE: string = "@tensorflow/tfjs-backend-webgpu";

/** The device limits the TF.js kernels need raised to the adapter's (as its own factory does). */
const LIMITS = [
  "maxComputeWorkgroupStorageSize",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupSizeX",
  "maxComputeInvocationsPerWorkgroup",
] as const;

/** The options the registered `webgpu` factory was made with (JSON), if any. */
let registeredWith: string | undefined;
let registeredDevice = "";

/** A one-line name of an adapter: "llvmpipe-… (OpenGL ES 3.2 Mesa 22.3.6)". */
export function describeAdapter(info: AdapterInfoLike): string {
  const name = [info.vendor, info.architecture, info.device].filter((s) => s !== "").join(" ");
  return info.description !== ""
    ? `${name || "unnamed adapter"} (${info.description})`
    : name || "unnamed adapter";
}

/**
 * Loads Dawn and the TF.js WebGPU kernels, finds an adapter and makes `webgpu` the active TF.js
 * backend. Throws, with the reason, when a package is missing or no acceptable adapter exists.
 */
export async function activateWebGpu(opts: WebGpuOptions): Promise<{ device: string }> {
  const flags = [...(opts.dawnFlags ?? [])];
  const featureLevel = opts.featureLevel ?? "core";
  const key = JSON.stringify({ flags, featureLevel });
  if (registeredWith !== key || tf.findBackendFactory("webgpu") === null) {
    if (flags.length === 0 && vulkanLoaderMissing()) {
      throw new Error(
        "no Vulkan loader (libvulkan.so.1) on this Linux machine, which Dawn needs to reach a GPU " +
          "(install the GPU driver's Vulkan support, or set PROOFWORK_WEBGPU_FLAGS for another Dawn backend)",
      );
    }
    // Dawn's OpenGL backends go through EGL; a worker has no display, so let Mesa open a headless
    // (surfaceless) one unless the operator chose a platform
    if (flags.some((f) => /^backend=opengl(es)?$/.test(f))) process.env["EGL_PLATFORM"] ??= "surfaceless";
    const dawn = (await import(DAWN_PACKAGE)) as DawnModule;
    const gpu = dawn.create(flags);
    Object.assign(globalThis, dawn.globals);
    installNavigatorGpu(gpu);
    const { WebGPUBackend } = (await import(TF_WEBGPU_PACKAGE)) as TfWebGpuModule;
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance", featureLevel });
    const asked = `Dawn flags [${flags.join(" ")}], feature level ${featureLevel}`;
    if (adapter === null) {
      throw new Error(`no WebGPU adapter (${asked}): no GPU or no driver Dawn can use on this machine`);
    }
    if (adapter.info.isFallbackAdapter === true) {
      throw new Error(
        `only a fallback (software) WebGPU adapter: ${describeAdapter(adapter.info)} (${asked})`,
      );
    }
    if (tf.findBackendFactory("webgpu") !== null) tf.removeBackend("webgpu");
    registeredWith = undefined;
    tf.registerBackend("webgpu", async () => {
      const requiredLimits: Record<string, number> = {};
      for (const l of LIMITS) {
        const v = adapter.limits[l];
        if (v !== undefined) requiredLimits[l] = v;
      }
      const device = await adapter.requestDevice({ requiredLimits });
      return new WebGPUBackend(device, adapter.info);
    });
    registeredWith = key;
    registeredDevice = describeAdapter(adapter.info);
  }
  if (!(await tf.setBackend("webgpu"))) throw new Error("the webgpu backend did not initialise");
  return { device: registeredDevice };
}

/**
 * True only when it is known that the dynamic loader cannot find `libvulkan.so.1`: Linux with a
 * glibc loader cache that does not list it, and no LD_LIBRARY_PATH directory holding it. Anything
 * else (other platforms, no cache) is left to Dawn.
 */
export function vulkanLoaderMissing(env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.platform !== "linux" || !existsSync("/etc/ld.so.cache")) return false;
  const lib = "libvulkan.so.1";
  if (readFileSync("/etc/ld.so.cache").includes(lib)) return false;
  const dirs = (env["LD_LIBRARY_PATH"] ?? "").split(":").filter((d) => d !== "");
  return !dirs.some((d) => existsSync(path.join(d, lib)));
}

/** `navigator.gpu` is where the TF.js WebGPU backend looks; Node ≥ 21 has a `navigator` without it. */
function installNavigatorGpu(gpu: GpuLike): void {
  const g = globalThis as { navigator?: object };
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, "navigator", { value: {}, configurable: true, writable: true });
  }
  Object.defineProperty(g.navigator, "gpu", { value: gpu, configurable: true, writable: true });
}
