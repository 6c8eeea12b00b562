/**
 * `npm run demo` (and `npm start`): the whole marketplace in one process.
 *
 * On an embedded in-process chain (Hardhat EDR): build the circuit if missing (cached), compile and
 * deploy the contracts (Ignition), fund and stake a provider, start the provider worker in-process,
 * post real held-out MNIST digits as paid jobs, and show each result as its proof is verified
 * on-chain — then a summary. Everything on the requester and provider side goes through plain
 * ethers (the SDK and the worker), over an EIP-1193 bridge to the embedded chain.
 *
 *   npm run demo -- [--jobs N] [--model full|small|cnn|auto] [--offset K] [--ascii] [--verbose]
 *   npm run demo -- --batch N [--samples k] [--model …]   one batch job of N digits (docs/BATCH.md)
 *
 * `--batch N` posts N held-out digits as ONE batch job (demo/batch.ts): the in-process worker runs
 * all N, commits to the outputs, proves k drawn samples; the requester checks the outputs against
 * the committed root and the job is paid after its challenge window (fast-forwarded on the embedded
 * chain, which also mines a block every 500 ms in this mode so the sample block arrives).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BrowserProvider, Wallet, formatUnits, parseEther, type Eip1193Provider } from "ethers";
import {
  ErrorCodes,
  ProofworkError,
  ProviderAccount,
  RequesterClient,
  decodePredictions,
  encodeDigits,
  errorMessage,
  fetchArtifact,
  isProofworkError,
  listBuiltCircuits,
  loadConfig,
  loadCircuitModel,
  releaseSnarkjs,
  renderDigit,
  verifyResult,
  type JobResult,
} from "../sdk/node.ts";
import { bootWorker, createLogger, createRunner, quietKnownWarnings } from "../worker/index.ts";

const out = (line = "") => process.stdout.write(`${line}\n`);
const step = (line: string) => process.stdout.write(`\x1b[1m▸\x1b[0m ${line}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** `--model` → the committed model artifact the demo's circuit is generated from. */
/** `--sampling`: samples per proof of the demo's sampling circuit. */
const SAMPLING_SLOTS = 4;

const DEMO_MODELS = {
  full: "mnist-mlp-full",
  small: "mnist-mlp-small",
  cnn: "mnist-cnn",
} as const;
type DemoModel = keyof typeof DEMO_MODELS;

interface DemoOptions {
  jobs: number;
  model: DemoModel | "auto";
  offset: number;
  ascii: boolean;
  verbose: boolean;
  /** `--batch N`: one batch job of N digits instead of N single jobs. */
  batch?: number;
  /** `--samples k`: batch samples proven on-chain. */
  samples: number;
  /** `--sampling`: the batch job is proven by the model's sampling circuit (docs/BATCH.md "Design 2"). */
  sampling: boolean;
}

function parseOptions(argv: string[]): DemoOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      jobs: { type: "string", default: "5" },
      model: { type: "string", default: "full" },
      offset: { type: "string", default: "0" },
      ascii: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      batch: { type: "string" },
      samples: { type: "string", default: "16" },
      sampling: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    out("usage: npm run demo -- [--jobs N] [--model full|small|cnn|auto] [--offset K] [--ascii] [--verbose]");
    out("  --jobs N      digits to post as jobs (default 5)");
    out("  --model       full: 28×28 input, MLP 784→16→10 (93.4%; default);");
    out("                small: 14×14 pooled input, MLP 196→16→10 (92.2%);");
    out("                cnn: 28×28 input, conv 5×5/2 ×8 → conv 3×3/2 ×16 → dense 10 (98.3%);");
    out("                auto: full if its keys are already built, else small");
    out("                (the first run of a model builds its circuit and keys, then they are cached)");
    out("  --offset K    start at the K-th held-out digit (class-interleaved order)");
    out("  --ascii       draw each digit");
    out("  --verbose     show the worker's logs");
    out(
      "  --batch N     one batch job of N held-out digits (1-2000): all run, k proven, paid (docs/BATCH.md)",
    );
    out("  --samples k   with --batch: samples proven on-chain (default 16)");
    out(
      `  --sampling    with --batch: prove with the model's sampling circuit (${SAMPLING_SLOTS} samples per proof, paths inside)`,
    );
    process.exit(0);
  }
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 200) {
    throw new ProofworkError(
      ErrorCodes.BAD_NUMBER,
      `--jobs must be an integer between 1 and 200, got "${values.jobs}"`,
    );
  }
  const offset = Number(values.offset);
  if (!Number.isInteger(offset) || offset < 0) {
    throw new ProofworkError(
      ErrorCodes.BAD_NUMBER,
      `--offset must be a non-negative integer, got "${values.offset}"`,
    );
  }
  const model = values.model;
  if (model !== "auto" && !Object.hasOwn(DEMO_MODELS, model)) {
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      `--model must be one of ${[...Object.keys(DEMO_MODELS), "auto"].join(", ")}, got "${model}"`,
    );
  }
  let batch: number | undefined;
  if (values.batch !== undefined) {
    batch = Number(values.batch);
    if (!Number.isInteger(batch) || batch < 1 || batch > 2000) {
      throw new ProofworkError(
        ErrorCodes.BAD_NUMBER,
        `--batch must be an integer between 1 and 2000 (the held-out digits), got "${values.batch}"`,
      );
    }
  }
  const samples = Number(values.samples);
  if (!Number.isInteger(samples) || samples < 1 || samples > Math.min(64, batch ?? 64)) {
    throw new ProofworkError(
      ErrorCodes.BAD_NUMBER,
      `--samples must be an integer between 1 and ${Math.min(64, batch ?? 64)}, got "${values.samples}"`,
    );
  }
  if (values.sampling && batch === undefined) {
    throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, "--sampling goes with --batch N");
  }
  return {
    jobs,
    model: model as DemoModel | "auto",
    offset,
    ascii: values.ascii,
    verbose: values.verbose,
    batch,
    samples,
    sampling: values.sampling,
  };
}

/** Whether the full model's circuit already has keys installed (so using it costs no ceremony). */
function fullKeysBuilt(buildDir: string): boolean {
  return listBuiltCircuits(buildDir, { withKeys: true }).includes("mnist_mlp_full_b1");
}

/** The quantized held-out accuracy the model's import recorded in its artifact's metadata. */
function heldOutAccuracy(model: { meta?: Record<string, unknown> }): string {
  const acc = (model.meta?.["accuracy"] as { quantized?: unknown } | undefined)?.quantized;
  return typeof acc === "number" ? `${(acc * 100).toFixed(1)}%` : "not recorded";
}

async function main(argv: string[]): Promise<void> {
  const opts = parseOptions(argv);
  const config = loadConfig();
  const t0 = performance.now();
  out("proofwork demo — paid MNIST inference, proven with Groth16, verified on-chain");
  out();

  // 1. Circuit (cached by content hash: a second run does no ceremony and no setup).
  const { circuitSpecFor, samplingSpecFor, loadCommittedModel, buildCircuits, releaseCurves } =
    await import("../circuits/index.ts");
  const instance: DemoModel =
    opts.model === "auto" ? (fullKeysBuilt(config.buildDir) ? "full" : "small") : opts.model;
  const spec = circuitSpecFor(loadCommittedModel(DEMO_MODELS[instance]), { batch: 1, setup: true });
  if (opts.model === "auto" && instance === "small") {
    out(
      "  (using the small model; `npm run demo -- --model full` sets up the 784-input one, ~10 min the first time)",
    );
  }
  step(
    `circuit ${spec.name}: building what is missing (first run: trusted-setup ceremony, minutes; then cached)`,
  );
  // --sampling: the model's sampling circuit too, its trees just deep enough for the batch
  const samplingSpec =
    opts.sampling && opts.batch !== undefined
      ? samplingSpecFor(loadCommittedModel(DEMO_MODELS[instance]), {
          slots: SAMPLING_SLOTS,
          depth: Math.max(1, Math.ceil(Math.log2(opts.batch))),
          setup: true,
        })
      : undefined;
  if (samplingSpec !== undefined) step(`sampling circuit ${samplingSpec.name}: building what is missing`);
  const tBuild = performance.now();
  const [built, builtSampling] = await buildCircuits(samplingSpec ? [spec, samplingSpec] : [spec], {
    ptau: config.ptau,
    cacheDir: config.cacheDir,
    outDir: config.buildDir,
    log: (l) => (/(…|done in|cached|constraints|ready|ptau:)/.test(l) ? out(`    ${l.trim()}`) : undefined),
  });
  await releaseCurves();
  if (built === undefined)
    throw new ProofworkError(ErrorCodes.CIRCUIT_BUILD_FAILED, "circuit build produced nothing");
  out(
    `    ${built.constraints} constraints, ${built.nPublic} public signals (${secs(performance.now() - tBuild)})`,
  );

  // 2. Contracts on an embedded chain.
  step("embedded chain: compiling and deploying (Hardhat Ignition) …");
  const d = await import("../deploy/index.ts");
  const hre = await d.getHre();
  const abiWarning = await d.compileContracts(hre);
  if (abiWarning !== undefined) out(`    warning: ${abiWarning}`);
  const connection = await d.connectNetwork(hre, { network: "hardhat" });
  const dataDir = mkdtempSync(join(tmpdir(), "proofwork-demo-"));
  let stopWorker: (() => Promise<void>) | undefined;
  try {
    const { deployment } = await d.deployProofwork(connection, {
      circuits: builtSampling ? [built.name, builtSampling.name] : [built.name],
      buildDir: config.buildDir,
      networkName: "hardhat (in-process)",
      writeRecord: false,
    });
    out(`    market ${deployment.contracts.market}, verifier ${deployment.circuits[built.name]!.verifier}`);

    // Plain ethers from here on, over an EIP-1193 bridge to the embedded chain.
    const provider = new BrowserProvider(connection.provider as Eip1193Provider, undefined, {
      pollingInterval: 100,
      cacheTimeout: -1,
    });
    provider.pollingInterval = 100;
    const [funder] = await connection.ethers.getSigners();
    const requester = Wallet.createRandom().connect(provider);
    const providerKey = Wallet.createRandom().connect(provider);
    for (const w of [requester, providerKey]) {
      await (await funder!.sendTransaction({ to: w.address, value: parseEther("10") })).wait();
    }

    // 3. Provider: test tokens, stake, capability record.
    step(`provider ${providerKey.address}: minting test tokens, staking, registering …`);
    const account = new ProviderAccount(deployment, providerKey);
    await account.faucet(parseEther("1000"));
    await account.stake(parseEther("500"));
    await account.register({
      gpuModel: "cpu",
      memoryMB: 2048,
      backends: ["cpu", "wasm"],
      maxConcurrentJobs: 4,
      metadataURI: "",
    });
    const st = await account.status();
    out(`    staked ${formatUnits(st.stake, 18)} PWT, active: ${st.active}`);

    /** `--batch N`: one batch job (demo/batch.ts) served by the in-process worker's batch mode. */
    const batchDemo = async (numSamples: number, sampleSize: number) => {
      const circuit = deployment.circuits[(builtSampling ?? built).name]!;
      const model = await loadCircuitModel(circuit);
      if (model === undefined)
        throw new ProofworkError(ErrorCodes.MODEL_INVALID, `no model found for circuit ${circuit.name}`);
      // the sample block must arrive without transactions: mine every 500 ms besides automining
      const rpc = connection.provider as Eip1193Provider;
      await rpc.request({ method: "evm_setIntervalMining", params: [500] });
      await new ProviderAccount(deployment, requester).faucet(parseEther("1000"));
      step(
        `requester ${requester.address}: ${numSamples} held-out MNIST digits as ONE batch job, ${sampleSize} proven on-chain${circuit.sampling ? ` by ${Math.ceil(sampleSize / circuit.sampling.slots)} proof(s) of ${circuit.name}` : ""} …`,
      );
      const { runBatchDemo, batchSummaryLines } = await import("./batch.ts");
      const summary = await runBatchDemo({
        deployment,
        circuit,
        model,
        requester,
        provider,
        numSamples,
        sampleSize,
        datasetDir: join(dataDir, "datasets"),
        price: parseEther("50"),
        collateral: parseEther("100"),
        advanceTime: async (seconds) => {
          await rpc.request({ method: "evm_increaseTime", params: [seconds] });
          await rpc.request({ method: "evm_mine", params: [] });
        },
        log: (l) => out(`    ${l}`),
      });
      out();
      out("summary");
      for (const l of batchSummaryLines(summary)) out(l);
      out(
        `  executor backend   ${runner.backend() ?? "n/a"} (TensorFlow.js); prover snarkjs Groth16 (${circuit.name})`,
      );
      out(`  total time         ${secs(performance.now() - t0)}`);
    };

    // 4. The worker, in-process.
    step("provider worker: starting (monitor → evaluate → claim → execute → prove → submit → settle) …");
    const runner = await createRunner(config);
    const { handle: worker } = await bootWorker({
      config,
      provider,
      signer: providerKey,
      deployment,
      runner,
      log: createLogger({
        level: opts.verbose ? "info" : "error",
        destination: process.stderr,
        pretty: false,
      }),
      // a demo: poll fast, pay every job as soon as it is proven
      options: {
        dataDir,
        pollIntervalMs: 200,
        confirmations: 0,
        maxConcurrentJobs: 2,
        proverConcurrency: 1,
        metricsPort: null,
        collectMaxAgeMs: 0,
      },
    });
    stopWorker = () => worker.stop(5_000);

    if (opts.batch !== undefined) {
      await batchDemo(opts.batch, opts.samples);
      return;
    }

    // 5. The requester posts real held-out digits.
    const circuit = deployment.circuits[built.name]!;
    const model = await loadCircuitModel(circuit);
    if (model === undefined)
      throw new ProofworkError(ErrorCodes.MODEL_INVALID, `no model found for circuit ${circuit.name}`);
    const { heldOutInterleaved } = await import("../model/data.ts");
    const samples = heldOutInterleaved().slice(opts.offset, opts.offset + opts.jobs);
    await new ProviderAccount(deployment, requester).faucet(parseEther("1000"));
    const client = new RequesterClient(deployment, requester, { pollIntervalMs: 100, confirmations: 1 });
    step(
      `requester ${requester.address}: posting ${samples.length} held-out MNIST digit(s) as jobs (2 PWT each, escrow by EIP-2612 permit) …`,
    );
    out();
    out("  job  label  predicted  on-chain proof  submit gas  latency");
    out("  ───  ─────  ─────────  ──────────────  ──────────  ───────");

    interface Row {
      label: number;
      predicted: number;
      gas: bigint;
      postGas: bigint;
      latencyMs: number;
    }
    const rows: Row[] = [];
    const pending: Promise<void>[] = [];
    for (const sample of samples) {
      const postedAt = performance.now();
      const posted = await client.postJob({
        circuit: circuit.name,
        input: encodeDigits(model, [sample.image]),
        pricing: { price: parseEther("2") },
        collateral: parseEther("10"),
        claimPeriod: 600,
        executionWindow: 600,
      });
      pending.push(
        client
          .waitForResult(posted.jobId, { timeoutMs: 600_000, fromBlock: posted.blockNumber })
          .then(async (result: JobResult) => {
            const latencyMs = performance.now() - postedAt;
            const [pred] = decodePredictions(model, result.outputs);
            const report = await verifyResult(client, posted.jobId, { fetch: fetchArtifact });
            const predicted = pred?.predicted ?? -1;
            rows.push({
              label: sample.label,
              predicted,
              gas: result.gasUsed,
              postGas: posted.gasUsed,
              latencyMs,
            });
            const mark = predicted === sample.label ? "✓" : "✗";
            const proof = report.valid
              ? "verified ✓"
              : !report.onchainVerifierValid
                ? "ON-CHAIN FAIL"
                : "LOCAL FAIL";
            if (opts.ascii) for (const l of renderDigit(sample.image)) out(`       ${l}`);
            out(
              `  ${String(posted.jobId).padStart(3)}  ${String(sample.label).padStart(5)}  ${String(predicted).padStart(7)} ${mark}  ${proof.padEnd(14)}  ${result.gasUsed.toLocaleString("en-US").padStart(10)}  ${secs(latencyMs).padStart(7)}`,
            );
          }),
      );
    }
    await Promise.all(pending);

    // 6. Summary.
    const correct = rows.filter((r) => r.predicted === r.label).length;
    const submitGas = rows.reduce((s, r) => s + r.gas, 0n);
    const postGas = rows.reduce((s, r) => s + r.postGas, 0n);
    const avgLatency = rows.reduce((s, r) => s + r.latencyMs, 0) / Math.max(1, rows.length);
    const metrics = await account.status();
    out();
    out("summary");
    out(
      `  jobs completed     ${rows.length}/${samples.length}, every proof verified on-chain by JobMarket.submit,`,
    );
    out(`                     re-checked with snarkjs and by an eth_call to the registered verifier`);
    out(
      `  accuracy           ${correct}/${rows.length} (${((100 * correct) / Math.max(1, rows.length)).toFixed(0)}%; model held-out accuracy ${heldOutAccuracy(model)})`,
    );
    out(
      `  gas                ${submitGas.toLocaleString("en-US")} in submits (avg ${(submitGas / BigInt(Math.max(1, rows.length))).toLocaleString("en-US")}), ${postGas.toLocaleString("en-US")} in posts`,
    );
    out(`  average latency    ${secs(avgLatency)} from post to verified result`);
    out(
      `  executor backend   ${runner.backend() ?? "n/a"} (TensorFlow.js); prover snarkjs Groth16 (${circuit.name})`,
    );
    out(
      `  provider           ${metrics.jobsCompleted} completed, ${formatUnits(metrics.tokenBalance, 18)} PWT in wallet`,
    );
    out(`  total time         ${secs(performance.now() - t0)}`);
    out();
    out("next: `npm run app:local` serves the web app on a local chain — draw a digit, post it, and verify");
    out("      its proof in your browser (README, “Web app”)");
    if (rows.length !== samples.length) {
      throw new ProofworkError(ErrorCodes.TIMEOUT, `only ${rows.length} of ${samples.length} jobs completed`);
    }
  } finally {
    await stopWorker?.();
    await connection.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

quietKnownWarnings();
try {
  await main(process.argv.slice(2));
  await releaseSnarkjs();
  process.exit(0);
} catch (e) {
  await releaseSnarkjs().catch(() => undefined);
  if (isProofworkError(e)) process.stderr.write(`${e.toLine()}\n`);
  else process.stderr.write(`demo failed: ${errorMessage(e)}\n`);
  process.exit(1);
}
