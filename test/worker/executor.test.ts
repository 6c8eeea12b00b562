/**
 * TF.js executor of qmodel-v2 artifacts: backend selection (structured reason, logged), and integer
 * results identical to the bigint reference on every backend present, for every committed model
 * (the 200-digit CNN comparison with the circuit's outputs lives in test/circuits/model.test.ts);
 * the model JobRunner: execute + prove, two models at once, and the executor-vs-reference check.
 * The webgpu backend: its place in the chain, skipped with its reason where Dawn finds no adapter
 * (the job then runs on the next backend), and — where Mesa's llvmpipe serves as a WebGPU adapter
 * through Dawn's OpenGL ES backend (no GPU needed) — exact on 200 held-out digits, MLP and CNN.
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import * as snarkjs from "snarkjs";
import { loadBuiltCircuit } from "../../circuits/pipeline.ts";
import { commitInput } from "../../sdk/commitment.ts";
import { decodeProof } from "../../sdk/proof.ts";
import { batchOf, modelRunner } from "../../worker/executor/runner.ts";
import { createProverPool } from "../../worker/prover/pool.ts";
import { MODELS, loadCommittedModel, type ModelName } from "../../circuits/manifest.ts";
import { heldOutInterleaved } from "../../model/data.ts";
import { isProofworkError } from "../../sdk/errors.ts";
import { encodeImageBatch } from "../../sdk/model/encode.ts";
import { inputSize } from "../../sdk/model/format.ts";
import { decodePublicOutputs, inferBatch } from "../../sdk/model/reference.ts";
import { BACKEND_ORDER, selectBackend, type BackendName } from "../../worker/executor/backend.ts";
import { EXECUTOR_BACKENDS, loadConfig } from "../../sdk/node/config.ts";
import { Registry } from "prom-client";
import { createRunner } from "../../worker/bootstrap.ts";
import { registerBackendMetric } from "../../worker/executor/backend.ts";
import { vulkanLoaderMissing } from "../../worker/executor/webgpu.ts";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createModelExecutor, defaultChunk } from "../../worker/executor/model-executor.ts";

function capture() {
  const lines: { fields: object; msg?: string }[] = [];
  return { lines, logger: { info: (fields: object, msg?: string) => lines.push({ fields, msg }) } };
}

async function available(): Promise<BackendName[]> {
  const out: BackendName[] = [];
  for (const b of BACKEND_ORDER) {
    try {
      await selectBackend({ force: b });
      out.push(b);
    } catch {
      // not installed here
    }
  }
  return out;
}

describe("worker/executor: TF.js quantized inference", function () {
  it("test_selectBackend_autoPicksFirstAvailableAndLogsWhy", async function () {
    const have = await available();
    expect(have).to.include.members(["wasm", "cpu"]);
    const { lines, logger } = capture();
    const choice = await selectBackend({ logger });
    expect(choice.backend).to.equal(have[0]);
    expect(choice.forced).to.equal(false);
    // Every backend ahead of the chosen one was tried and has a recorded reason.
    const skipped = BACKEND_ORDER.slice(0, BACKEND_ORDER.indexOf(choice.backend));
    expect(choice.attempts.filter((a) => !a.ok).map((a) => a.backend)).to.deep.equal(skipped);
    for (const a of choice.attempts.filter((x) => !x.ok)) expect(a.error?.length).to.be.greaterThan(0);
    expect(lines).to.have.length(1);
    expect(lines[0]!.msg).to.contain(`"${choice.backend}"`);
    expect(lines[0]!.fields).to.include({ backend: choice.backend, forced: false });
  });

  it("test_selectBackend_forcedUnavailableBackendIsCodedError", async function () {
    const have = await available();
    const missing = BACKEND_ORDER.filter((b) => !have.includes(b));
    if (missing.length === 0) this.skip();
    let err: unknown;
    try {
      await selectBackend({ force: missing[0]! });
    } catch (e) {
      err = e;
    }
    expect(isProofworkError(err, "BACKEND_UNAVAILABLE"), String(err)).to.equal(true);
  });

  it("test_infer_everyAvailableBackendEqualsReference_everyCommittedModel", async function () {
    for (const name of Object.keys(MODELS) as ModelName[]) {
      // the CNN's bigint reference is slower: fewer digits here, 200 in test/circuits/model.test.ts
      const digits = heldOutInterleaved().slice(0, name === "mnist-cnn" ? 40 : 200);
      const model = loadCommittedModel(name);
      const bytes = encodeImageBatch(
        model,
        digits.map((d) => d.image),
      );
      const ref = inferBatch(model, bytes).map((l) => l.join(","));
      for (const backend of await available()) {
        const ex = await createModelExecutor(model, { backend, chunk: 16 });
        const got = await ex.infer(bytes);
        ex.dispose();
        expect(
          got.logits.map((l) => l.join(",")),
          `${name} on ${backend}`,
        ).to.deep.equal(ref);
        expect(got.predictions).to.have.length(digits.length);
      }
    }
  });

  it("test_infer_extremeInputsStayExact", async function () {
    // All-255 and alternating 0/255 inputs push accumulators toward their static bounds.
    for (const name of ["mnist-mlp-full", "mnist-cnn"] as const) {
      const model = loadCommittedModel(name);
      const n = inputSize(model);
      const hi = new Uint8Array(n).fill(255);
      const alt = Uint8Array.from({ length: n }, (_, i) => (i % 2 ? 255 : 0));
      const bytes = new Uint8Array([...hi, ...alt, ...new Uint8Array(n)]);
      const ref = inferBatch(model, bytes).map((l) => l.join(","));
      for (const backend of ["wasm", "cpu"] as const) {
        const ex = await createModelExecutor(model, { backend });
        expect(
          (await ex.infer(bytes)).logits.map((l) => l.join(",")),
          `${name} on ${backend}`,
        ).to.deep.equal(ref);
        ex.dispose();
      }
    }
  });

  it("test_infer_rejectsPartialSample", async function () {
    const ex = await createModelExecutor(loadCommittedModel("mnist-mlp-small"), { backend: "cpu" });
    let err: unknown;
    try {
      await ex.infer(new Uint8Array(195));
    } catch (e) {
      err = e;
    }
    expect(isProofworkError(err, "INPUT_INVALID")).to.equal(true);
    ex.dispose();
  });
});

describe("worker/executor/runner: model JobRunner", function () {
  const digit = (k: number) => heldOutInterleaved()[k]!.image;

  it("test_modelRunner_executeAndProveSmallCircuit", async function () {
    const model = loadCommittedModel("mnist-mlp-small");
    expect(batchOf({ numPublic: 6 }, model)).to.equal(4);

    const built = await loadBuiltCircuit("mnist_mlp_small_b1");
    // the model the build published next to the circuit, hashed as the registry commits to it
    expect(built.model?.artifactHash).to.equal(model.hash);
    const pool = createProverPool({ threads: 1 });
    const runner = modelRunner({ pool, backend: "wasm" });
    try {
      const input = encodeImageBatch(model, [digit(9)]);
      const circuit = {
        circuitId: "0x01",
        name: built.name,
        wasmPath: built.wasm,
        zkeyPath: built.zkey!,
        numPublic: 3,
        model,
      };
      const binding = { jobKey: 5n, inputCommitment: await commitInput(input) };
      const exec = await runner.execute(circuit, input, binding);
      expect(exec.outputs).to.have.length(1);
      expect(decodePublicOutputs(model, exec.outputs).values).to.deep.equal(inferBatch(model, input));
      const proof = await runner.prove(circuit, exec.witness);
      expect(proof.publicSignals).to.deep.equal([5n, binding.inputCommitment, ...exec.outputs]);
      const vkey = JSON.parse(readFileSync(built.vkey!, "utf8")) as object;
      expect(
        await snarkjs.groth16.verify(vkey, proof.publicSignals.map(String), decodeProof(proof.proof)),
      ).to.equal(true);
      let err: unknown;
      try {
        // a circuit without a model, and no fallback runner
        await runner.execute({ ...circuit, name: "other", model: undefined }, input, binding);
      } catch (e) {
        err = e;
      }
      expect(isProofworkError(err, "CIRCUIT_UNKNOWN")).to.equal(true);
      err = undefined;
      try {
        await runner.execute(circuit, input.subarray(1), binding);
      } catch (e) {
        err = e;
      }
      expect(isProofworkError(err, "INPUT_INVALID"), String(err)).to.equal(true);
    } finally {
      await runner.close();
      await pool.terminate();
    }
  });

  it("test_modelRunner_twoModelsInterleaved_eachProvenUnderItsOwnKey", async function () {
    const pool = createProverPool({ threads: 1 });
    const created: string[] = [];
    const runner = modelRunner({
      pool,
      backend: "wasm",
      createExecutor: (m, o) => {
        created.push(m.name);
        return createModelExecutor(m, o);
      },
    });
    try {
      const circuits = await Promise.all(
        (["mnist-mlp-small", "mnist-cnn"] as const).map(async (name) => {
          const model = loadCommittedModel(name);
          const built = await loadBuiltCircuit(name === "mnist-cnn" ? "mnist_cnn_b1" : "mnist_mlp_small_b1");
          return {
            model,
            built,
            circuit: {
              circuitId: "0x01",
              name: built.name,
              wasmPath: built.wasm,
              zkeyPath: built.zkey!,
              numPublic: built.nPublic,
              model,
            },
          };
        }),
      );
      // small, cnn, small, cnn: one executor per model, each job on its own model
      const runs = await Promise.all(
        [0, 1, 2, 3].map(async (k) => {
          const c = circuits[k % 2]!;
          const input = encodeImageBatch(c.model, [digit(20 + k)]);
          const binding = { jobKey: 100n + BigInt(k), inputCommitment: await commitInput(input) };
          const exec = await runner.execute(c.circuit, input, binding);
          expect(decodePublicOutputs(c.model, exec.outputs).values, c.model.name).to.deep.equal(
            inferBatch(c.model, input),
          );
          return { c, exec };
        }),
      );
      expect([...created].sort()).to.deep.equal(["mnist-cnn", "mnist-mlp-small"]);
      for (const { c, exec } of runs.slice(0, 2)) {
        const proof = await runner.prove(c.circuit, exec.witness);
        const vkey = JSON.parse(readFileSync(c.built.vkey!, "utf8")) as object;
        expect(
          await snarkjs.groth16.verify(vkey, proof.publicSignals.map(String), decodeProof(proof.proof)),
          c.model.name,
        ).to.equal(true);
      }
    } finally {
      await runner.close();
      await pool.terminate();
    }
  });

  it("test_modelRunner_driftingExecutorStub_refusedWithExecutorMismatchBeforeProving", async function () {
    // a stub around the real executor that adds 1 to one logit: what an inexact backend (TF32) does
    const pool = createProverPool({ threads: 1 });
    const runner = modelRunner({
      pool,
      backend: "cpu",
      createExecutor: async (m, o) => {
        const real = await createModelExecutor(m, o);
        return {
          backend: real.backend,
          model: real.model,
          dispose: () => real.dispose(),
          infer: async (bytes) => {
            const r = await real.infer(bytes);
            return { ...r, logits: r.logits.map((l) => l.map((v, i) => (i === 3 ? v + 1n : v))) };
          },
        };
      },
    });
    try {
      const model = loadCommittedModel("mnist-mlp-small");
      const built = await loadBuiltCircuit("mnist_mlp_small_b1");
      const input = encodeImageBatch(model, [digit(3)]);
      const circuit = {
        circuitId: "0x01",
        name: built.name,
        wasmPath: built.wasm,
        zkeyPath: built.zkey!,
        numPublic: 3,
        model,
      };
      let err: unknown;
      try {
        await runner.execute(circuit, input, { jobKey: 7n, inputCommitment: await commitInput(input) });
      } catch (e) {
        err = e;
      }
      expect(isProofworkError(err, "EXECUTOR_MISMATCH"), String(err)).to.equal(true);
    } finally {
      await runner.close();
      await pool.terminate();
    }
  });
});

describe("worker/executor: webgpu backend (Dawn)", function () {
  // Dawn's `adapter=<name>` option restricts it to adapters of that name: none has this one, on any
  // machine, so "no adapter" is reproduced deterministically, GPU or not.
  const NO_ADAPTER = { dawnFlags: ["adapter=proofwork-no-such-adapter"] };
  // Dawn's OpenGL ES backend at the compatibility feature level: Mesa's llvmpipe (software) is an
  // adapter there, so the WebGPU kernels really run without a GPU.
  const SOFTWARE = { dawnFlags: ["backend=opengles"], featureLevel: "compatibility" as const };

  it("test_backendOrder_webgpuAfterTensorflowGpuBeforeTheCpuBackends", function () {
    expect(BACKEND_ORDER).to.deep.equal(["tensorflow-gpu", "webgpu", "tensorflow", "wasm", "cpu"]);
    // every backend of the chain can be chosen by configuration (PROOFWORK_EXECUTOR_BACKEND)
    expect([...EXECUTOR_BACKENDS]).to.deep.equal(["auto", ...BACKEND_ORDER]);
    // GPU backends run in large chunks (one dispatch and one read-back each), CPU ones in 512s
    expect(BACKEND_ORDER.map(defaultChunk)).to.deep.equal([4096, 4096, 512, 512, 512]);
  });

  it("test_webgpu_noAdapter_skippedWithReason_jobRunsOnNextBackend", async function () {
    const { lines, logger } = capture();
    const choice = await selectBackend({ logger, webgpu: NO_ADAPTER });
    expect(choice.backend).to.not.equal("webgpu");
    if (BACKEND_ORDER.indexOf(choice.backend) > BACKEND_ORDER.indexOf("webgpu")) {
      const attempt = choice.attempts.find((a) => a.backend === "webgpu");
      expect(attempt?.ok).to.equal(false);
      expect(attempt?.error).to.match(/no WebGPU adapter \(Dawn flags \[adapter=proofwork-no-such-adapter\]/);
      expect(choice.reason).to.contain("webgpu (no WebGPU adapter");
      // the worker's log line carries every attempt with its reason
      expect(JSON.stringify(lines[0]!.fields)).to.contain("no WebGPU adapter");
    }

    // forced, the same cause is a coded error naming it
    let err: unknown;
    try {
      await selectBackend({ force: "webgpu", webgpu: NO_ADAPTER });
    } catch (e) {
      err = e;
    }
    expect(isProofworkError(err, "BACKEND_UNAVAILABLE"), String(err)).to.equal(true);
    expect(String(err)).to.contain("webgpu: no WebGPU adapter");

    // a job through the model runner on the auto chain: executed on the next backend, exact
    const model = loadCommittedModel("mnist-mlp-small");
    const pool = createProverPool({ threads: 1 });
    const runner = modelRunner({ pool, webgpu: NO_ADAPTER, logger });
    try {
      const input = encodeImageBatch(model, [heldOutInterleaved()[11]!.image]);
      const circuit = {
        circuitId: "0x01",
        name: "mnist_mlp_small_b1",
        wasmPath: "",
        zkeyPath: "",
        numPublic: 3,
        model,
      };
      const exec = await runner.execute(circuit, input, {
        jobKey: 1n,
        inputCommitment: await commitInput(input),
      });
      expect(decodePublicOutputs(model, exec.outputs).values).to.deep.equal(inferBatch(model, input));
      const ran = lines.at(-1)!.fields as { backend: string; attempts: { backend: string; ok: boolean }[] };
      expect(ran.backend).to.not.equal("webgpu");
      expect(ran.attempts.at(-1)).to.include({ backend: ran.backend, ok: true });
    } finally {
      await runner.close();
      await pool.terminate();
    }
  });

  it("test_webgpu_defaultOptions_noVulkanLoader_skippedWithoutLoadingDawn", async function () {
    // a loader found through LD_LIBRARY_PATH counts (Dawn is then left to decide)
    const dir = mkdtempSync(join(tmpdir(), "pw-vk-"));
    writeFileSync(join(dir, "libvulkan.so.1"), "");
    expect(vulkanLoaderMissing({ LD_LIBRARY_PATH: `/nonexistent:${dir}` })).to.equal(false);
    let err: unknown;
    try {
      await selectBackend({ force: "webgpu" });
    } catch (e) {
      err = e;
    }
    if (vulkanLoaderMissing()) {
      // this machine (no GPU driver): the reason names the missing loader
      expect(isProofworkError(err, "BACKEND_UNAVAILABLE"), String(err)).to.equal(true);
      expect(String(err)).to.contain("webgpu: no Vulkan loader (libvulkan.so.1)");
    } else if (err !== undefined) {
      // a loader exists: Dawn was asked, and either found an adapter or said why not
      expect(String(err)).to.contain("webgpu:");
    }
  });

  it("test_workerRunner_configuredWebgpuWithoutAdapter_metricShowsItSkippedWithReason", async function () {
    // the worker's own runner, from configuration (PROOFWORK_WEBGPU_FLAGS), and its Prometheus metric
    const config = loadConfig(
      {},
      {
        env: { PROOFWORK_WEBGPU_FLAGS: "adapter=proofwork-no-such-adapter", PROOFWORK_PROVER_THREADS: "1" },
        envFile: false,
      },
    );
    expect(config.webgpuFlags).to.deep.equal(["adapter=proofwork-no-such-adapter"]);
    const { lines, logger } = capture();
    const runner = await createRunner(config, logger);
    const registry = new Registry();
    registerBackendMetric(registry, () => runner.backendChoice());
    try {
      expect(await registry.getSingleMetricAsString("proofwork_executor_backend")).to.not.contain("state=");
      const model = loadCommittedModel("mnist-mlp-small");
      const input = encodeImageBatch(model, [heldOutInterleaved()[12]!.image]);
      const circuit = {
        circuitId: "0x01",
        name: "mnist_mlp_small_b1",
        wasmPath: "",
        zkeyPath: "",
        numPublic: 3,
        model,
      };
      const exec = await runner.execute(circuit, input, {
        jobKey: 2n,
        inputCommitment: await commitInput(input),
      });
      expect(decodePublicOutputs(model, exec.outputs).values).to.deep.equal(inferBatch(model, input));
      const text = await registry.getSingleMetricAsString("proofwork_executor_backend");
      const active = runner.backend()!;
      expect(text).to.match(new RegExp(`backend="${active}",state="active",reason=""\\} 1`));
      if (BACKEND_ORDER.indexOf(active as BackendName) > BACKEND_ORDER.indexOf("webgpu")) {
        expect(text).to.match(
          /backend="webgpu",state="skipped",reason="no WebGPU adapter \(Dawn flags \[adapter=proofwork-no-such-adapter\][^"]*"\} 1/,
        );
      }
      // and the log line the worker writes says the same
      expect(lines.at(-1)!.msg).to.contain(`"${active}"`);
    } finally {
      await runner.close();
    }
  });

  it("test_webgpu_softwareAdapter_exactOn200HeldOutDigits_mlpAndCnn", async function () {
    let available = true;
    try {
      await selectBackend({ force: "webgpu", webgpu: SOFTWARE });
    } catch (e) {
      // a machine without Mesa's EGL: the reason is still a coded, named one
      expect(isProofworkError(e, "BACKEND_UNAVAILABLE"), String(e)).to.equal(true);
      expect(String(e)).to.contain("webgpu:");
      available = false;
      console.log(`      (no software WebGPU adapter here, kernels not exercised: ${String(e)})`);
    }
    if (!available) return;
    const digits = heldOutInterleaved().slice(0, 200);
    for (const name of ["mnist-mlp-full", "mnist-cnn"] as const) {
      const model = loadCommittedModel(name);
      const bytes = encodeImageBatch(
        model,
        digits.map((d) => d.image),
      );
      const ref = inferBatch(model, bytes).map((l) => l.join(","));
      const ex = await createModelExecutor(model, { backend: "webgpu", webgpu: SOFTWARE, chunk: 64 });
      try {
        expect(ex.backend.tfBackend).to.equal("webgpu");
        expect(ex.backend.device).to.match(/llvmpipe|OpenGL/);
        const got = await ex.infer(bytes);
        expect(
          got.logits.map((l) => l.join(",")),
          `${name} on webgpu (${ex.backend.device})`,
        ).to.deep.equal(ref);
      } finally {
        ex.dispose();
      }
    }
  });
});
