/**
 * `proofwork job …`: post jobs (fixed price or auction), follow, verify, cancel and reclaim them (requester).
 */
import { existsSync } from "node:fs";
import type { Command } from "commander";
import {
  BatchStatus,
  ErrorCodes,
  JOB_STATUS_NAMES,
  JobStatus,
  MarketIndex,
  ProofworkError,
  decodePredictions,
  encodeDigits,
  fetchArtifact,
  hasClaimer,
  jobToJson,
  loadCircuitModel,
  readJobInput,
  renderDigit,
  verifyResult,
  type BatchStatusName,
  type CircuitRecord,
  type Job,
  type JobResult,
  type JobStatusName,
} from "../../sdk/node.ts";
import {
  parseAddress,
  parseAmount,
  parseInteger,
  parseJobId,
  parseList,
  parsePricing,
  readInput,
} from "../args.ts";

const BATCH_STATUS_NAMES = Object.keys(BatchStatus);
import { action, chainContext, fmt, output, requesterClient, tokenInfo } from "../context.ts";
import {
  batchClient,
  batchStatusLines,
  postBatchJob,
  registerBatchCommands,
  type BatchPostOptions,
} from "./batch.ts";

function statusLines(job: Job, t: { decimals: number; symbol: string }): string[] {
  const t_ = job.terms;
  const lines = [
    `job ${job.jobId}: ${job.statusName}`,
    `  requester      ${t_.requester}`,
    `  circuit        ${t_.circuitId}`,
    `  price          ${t_.minPrice === t_.maxPrice ? fmt(t_.maxPrice, t) : `${fmt(t_.minPrice, t)} → ${fmt(t_.maxPrice, t)} over ${t_.rampDuration}s`}`,
    `  collateral     ${fmt(t_.collateral, t)}`,
    `  fee            ${t_.feeBps / 100}% (fixed at post); slash split ${t_.slashRequesterBps / 100}% requester, ${t_.slashBountyBps / 100}% slasher`,
    `  claim deadline ${new Date(t_.claimDeadline * 1000).toISOString()}`,
  ];
  if (hasClaimer(job.status)) {
    lines.push(`  provider       ${job.provider}`, `  paid price     ${fmt(job.price, t)}`);
    lines.push(`  deadline       ${new Date(Number(job.deadline) * 1000).toISOString()}`);
  }
  return lines;
}

/** The human lines of a result and, for a model circuit, its decoded predictions (for --json too). */
async function describeResult(
  result: JobResult,
  circuit: CircuitRecord | undefined,
  t: { decimals: number; symbol: string },
): Promise<{ lines: string[]; predictions?: { sample: number; predicted: number; logits: string[] }[] }> {
  const lines = [
    `job ${result.jobId} completed by ${result.provider}`,
    `  tx             ${result.txHash} (block ${result.blockNumber}, gas ${result.gasUsed})`,
    `  ${result.paid ? "paid          " : "to be paid    "} ${fmt(result.payout, t)} (fee ${fmt(result.fee, t)}, refund ${fmt(result.refund, t)})${result.paid ? "" : " — when the provider collects"}`,
    `  outputs        [${result.outputs.join(", ")}]`,
  ];
  const model = circuit ? await loadCircuitModel(circuit) : undefined;
  if (model === undefined) return { lines };
  const preds = decodePredictions(model, result.outputs);
  preds.forEach((p, i) =>
    lines.push(`  sample ${i}: predicted ${p.predicted}  logits [${p.logits.join(", ")}]`),
  );
  return {
    lines,
    predictions: preds.map((p, i) => ({ sample: i, predicted: p.predicted, logits: p.logits.map(String) })),
  };
}

export function registerJobCommands(program: Command): void {
  const job = program.command("job").description("post and follow inference jobs (requester)");

  job
    .command("post")
    .description(
      "post a job: escrows the max price (EIP-2612 permit by default); with --batch, a batch job of many samples of which --samples k are proven on-chain (docs/BATCH.md)",
    )
    .requiredOption("-c, --circuit <name>", "circuit name (or bytes32 id) from the deployment record")
    .option(
      "--input <file|0x…>",
      "job input: a picture (.png, .jpg: resized and encoded per the circuit's model), a tensor (.npy, .json), raw bytes (any other file) or hex; repeat for a batch",
      (v: string, acc: string[] = []) => [...acc, v],
    )
    .option(
      "--as <bytes|floats>",
      "read tensor values as input bytes or as the float model's inputs (default: by type)",
    )
    .option("--digit <label>", "use a held-out MNIST digit with this label (0-9) as input")
    .option(
      "--batch <dataset>",
      "batch job: a folder of PNG/JPEG pictures, a .npy/.json tensor (samples first), or mnist:test[:N] (held-out digits)",
    )
    .option("--samples <k>", "batch: samples proven on-chain (1-64)")
    .option("--challenges <m>", "batch: indices the requester may challenge after the proof (0-32)", "4")
    .option("--bond <amount>", "batch: bond per challenged index, in tokens (default 0)")
    .option(
      "--inputs-uri <uri>",
      "batch: where providers fetch the inputs file (default: the dataset base URI)",
    )
    .option("--commit-window <seconds>", "batch: seconds from the claim to commit the outputs", "3600")
    .option("--prove-window <seconds>", "batch: seconds from the commit to prove the samples", "3600")
    .option(
      "--challenge-window <seconds>",
      "batch: seconds the requester may challenge after the proof",
      "600",
    )
    .option("--answer-window <seconds>", "batch: seconds the provider has to answer a challenge", "3600")
    .option("--index <n>", "which held-out sample of that label (default 0)", "0")
    .option("--input-uri <uri>", "also publish where the input can be fetched")
    .option("--price <amount>", "fixed price in tokens (e.g. 10 or 0.5)")
    .option("--min-price <amount>", "auction: start price in tokens")
    .option("--max-price <amount>", "auction: end price in tokens (escrowed)")
    .option("--ramp <seconds>", "auction: seconds from min to max price")
    .option("--collateral <amount>", "provider collateral in tokens (default: the max price)")
    .option("--claim-period <seconds>", "seconds the job stays claimable", "3600")
    .option("--window <seconds>", "seconds the provider has to prove after claiming", "600")
    .option("--no-permit", "approve the token in a separate transaction instead of signing a permit")
    .option("--wait", "wait for the result and print it")
    .option("--timeout <seconds>", "with --wait: give up after this many seconds")
    .action(
      action(
        async (
          opts: Omit<BatchPostOptions, "batch"> & {
            batch?: string;
            input?: string[];
            as?: string;
            picture?: string;
            digit?: string;
            index: string;
            inputUri?: string;
            window: string;
            permit: boolean;
            wait?: boolean;
            timeout?: string;
          },
          cmd: Command,
        ) => {
          const out = output(cmd);
          const batch = opts.batch;
          if (batch !== undefined) {
            if (opts.input !== undefined || opts.digit !== undefined || opts.wait === true)
              throw new ProofworkError(
                ErrorCodes.BAD_ARGUMENT,
                "--batch takes no --input, --digit or --wait (follow it with `proofwork job status <id> --batch`)",
              );
            await postBatchJob({ ...opts, batch }, cmd);
            return;
          }
          if ((opts.input === undefined) === (opts.digit === undefined)) {
            throw new ProofworkError(
              ErrorCodes.BAD_ARGUMENT,
              "give exactly one of --input <file|0x…> or --digit <label>",
            );
          }
          const claimPeriod = parseInteger(opts.claimPeriod, "--claim-period", 1);
          const executionWindow = parseInteger(opts.window, "--window", 1);
          const timeoutMs =
            opts.timeout !== undefined ? parseInteger(opts.timeout, "--timeout", 1) * 1000 : undefined;
          for (const [flag, v] of [
            ["--price", opts.price],
            ["--min-price", opts.minPrice],
            ["--max-price", opts.maxPrice],
            ["--collateral", opts.collateral],
          ] as const) {
            if (v !== undefined) parseAmount(v, 18, flag); // format check before connecting
          }
          if (opts.ramp !== undefined) parseInteger(opts.ramp, "--ramp", 1);
          if (opts.as !== undefined && opts.as !== "bytes" && opts.as !== "floats")
            throw new ProofworkError(
              ErrorCodes.BAD_ARGUMENT,
              `--as must be bytes or floats, got "${opts.as}"`,
            );
          const hexInput = opts.input?.length === 1 && opts.input[0]!.startsWith("0x");
          if (opts.input !== undefined) {
            if (hexInput) readInput(opts.input[0]!);
            for (const f of opts.input)
              if (!f.startsWith("0x") && !existsSync(f))
                throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, `input file not found: ${f}`);
          }
          const ctx = await chainContext(cmd, true);
          const client = requesterClient(ctx);
          const circuit = client.circuit(opts.circuit);
          const t = await tokenInfo(ctx);

          const pricing = parsePricing(opts, t.decimals);
          const collateral =
            opts.collateral !== undefined
              ? parseAmount(opts.collateral, t.decimals, "--collateral")
              : undefined;

          let input: Uint8Array;
          let label: number | undefined;
          if (opts.input !== undefined) {
            input = hexInput
              ? readInput(opts.input[0]!)
              : readJobInput(opts.input, await loadCircuitModel(circuit), {
                  ...(opts.as !== undefined ? { as: opts.as as "bytes" | "floats" } : {}),
                  ...(opts.picture !== undefined ? { picture: opts.picture as "digit" | "resize" } : {}),
                });
          } else {
            label = parseInteger(opts.digit!, "--digit", 0, 9);
            const index = parseInteger(opts.index, "--index", 0);
            const model = await loadCircuitModel(circuit);
            if (model === undefined) {
              throw new ProofworkError(
                ErrorCodes.BAD_ARGUMENT,
                `circuit ${circuit.name} does not run an MNIST model; use --input`,
              );
            }
            const { loadMnist } = await import("../../model/data.ts");
            const samples = loadMnist().heldOut.filter((s) => s.label === label);
            const sample = samples[index];
            if (sample === undefined) {
              throw new ProofworkError(
                ErrorCodes.BAD_NUMBER,
                `--index must be below ${samples.length} for digit ${label}`,
              );
            }
            input = encodeDigits(model, [sample.image]);
            if (!out.json) out.progress(renderDigit(sample.image).join("\n"));
          }
          out.progress(`→ posting job on ${circuit.name} (${input.length} input bytes) …`);
          const posted = await client.postJob({
            circuit: circuit.id,
            input,
            inputURI: opts.inputUri,
            pricing,
            collateral,
            claimPeriod,
            executionWindow,
            permit: opts.permit,
          });
          if (opts.wait !== true) {
            out.result({ ok: true, ...posted, circuit: circuit.name, label }, [
              `posted job ${posted.jobId} (tx ${posted.txHash}, gas ${posted.gasUsed}${posted.usedPermit ? ", permit" : ""})`,
              `follow it with: proofwork job watch ${posted.jobId}`,
            ]);
            return;
          }
          out.progress(`  posted job ${posted.jobId} (gas ${posted.gasUsed}); waiting for a provider …`);
          const result = await client.waitForResult(posted.jobId, {
            timeoutMs,
            fromBlock: posted.blockNumber,
            onStatus: (j) =>
              out.progress(
                `  job ${j.jobId}: ${j.statusName}${j.status === JobStatus.Claimed ? ` by ${j.provider}` : ""}`,
              ),
          });
          const { lines, predictions } = await describeResult(result, circuit, t);
          out.result({ ok: true, posted, result, label, predictions }, lines);
        },
      ),
    );

  job
    .command("status")
    .description("show a job (--batch: a batch job)")
    .argument("<jobId>", "job id")
    .option("--batch", "the id is a batch job's (batch jobs are numbered apart)")
    .action(
      action(async (id: string, opts: { batch?: boolean }, cmd: Command) => {
        const jobId = parseJobId(id);
        const ctx = await chainContext(cmd, false);
        if (opts.batch === true) {
          const b = await batchClient(ctx).getBatchJob(jobId);
          output(cmd).result({ ok: true, batch: true, job: b }, batchStatusLines(b, await tokenInfo(ctx)));
          return;
        }
        const job = await requesterClient(ctx).getJob(jobId);
        const t = await tokenInfo(ctx);
        output(cmd).result({ ok: true, job: jobToJson(job) }, statusLines(job, t));
      }),
    );

  job
    .command("list")
    .description("list jobs, newest first (--batch: batch jobs), from the chain's events")
    .option("--batch", "batch jobs instead of single jobs")
    .option("--mine", "only jobs posted by the configured key (PROOFWORK_PRIVATE_KEY)")
    .option("--requester <address>", "only jobs posted by this address")
    .option("--status <names>", "only these statuses, comma-separated (e.g. Open,Claimed)")
    .option("--limit <n>", "at most this many", "20")
    .action(
      action(
        async (
          opts: { batch?: boolean; mine?: boolean; requester?: string; status?: string; limit: string },
          cmd: Command,
        ) => {
          const limit = parseInteger(opts.limit, "--limit", 1, 10_000);
          const ctx = await chainContext(cmd, opts.mine === true);
          const requester =
            opts.mine === true
              ? await ctx.signer!.getAddress()
              : opts.requester !== undefined
                ? parseAddress(opts.requester, "--requester")
                : undefined;
          const names: readonly string[] = opts.batch === true ? BATCH_STATUS_NAMES : JOB_STATUS_NAMES;
          const status = opts.status === undefined ? undefined : parseList(opts.status);
          for (const n of status ?? []) {
            if (!names.includes(n) || n === "None")
              throw new ProofworkError(
                ErrorCodes.BAD_ARGUMENT,
                `--status: "${n}" is not a${opts.batch === true ? " batch" : ""} job status (${names.filter((x) => x !== "None").join(", ")})`,
              );
          }
          const t = await tokenInfo(ctx);
          const out = output(cmd);
          if (opts.batch === true) {
            const jobs = await batchClient(ctx).listBatchJobs({
              ...(requester !== undefined ? { requester } : {}),
              ...(status !== undefined ? { status: status as BatchStatusName[] } : {}),
              limit,
            });
            out.result(
              { ok: true, batch: true, jobs },
              jobs.length === 0
                ? ["no batch jobs"]
                : jobs.map(
                    (j) =>
                      `batch ${String(j.jobId).padStart(4)}  ${j.statusName.padEnd(10)}  N ${String(j.terms.numSamples).padStart(7)}  k ${String(j.terms.sampleSize).padStart(2)}  ${fmt(j.terms.maxPrice, t).padStart(14)}  ${j.terms.requester}`,
                  ),
            );
            return;
          }
          const index = new MarketIndex(ctx.provider, {
            market: ctx.deployment.contracts.market,
            registry: ctx.deployment.contracts.registry,
            fromBlock: ctx.deployment.startBlock,
            chunkSize: ctx.config.logChunkSize,
          });
          out.progress(`→ reading the market's events from block ${ctx.deployment.startBlock} …`);
          await index.sync();
          const jobs = index
            .jobs({
              ...(requester !== undefined ? { requester } : {}),
              ...(status !== undefined ? { status: status as JobStatusName[] } : {}),
            })
            .slice(0, limit);
          out.result(
            { ok: true, jobs },
            jobs.length === 0
              ? ["no jobs"]
              : jobs.map(
                  (j) =>
                    `job ${j.jobId.padStart(4)}  ${j.status.padEnd(9)}  ${fmt(j.price !== undefined ? BigInt(j.price) : j.terms.maxPrice, t).padStart(14)}  ${j.terms.requester}${j.provider !== undefined ? `  → ${j.provider}` : ""}`,
                ),
          );
        },
      ),
    );

  job
    .command("watch")
    .description("wait for a job's result (exits non-zero if it is cancelled or expires)")
    .argument("<jobId>", "job id")
    .option("--timeout <seconds>", "give up after this many seconds")
    .option("--verify", "re-verify the proof locally with snarkjs")
    .action(
      action(async (id: string, opts: { timeout?: string; verify?: boolean }, cmd: Command) => {
        const jobId = parseJobId(id);
        const timeoutMs =
          opts.timeout !== undefined ? parseInteger(opts.timeout, "--timeout", 1) * 1000 : undefined;
        const out = output(cmd);
        const ctx = await chainContext(cmd, false);
        const client = requesterClient(ctx);
        const result = await client.waitForResult(jobId, {
          timeoutMs,
          onStatus: (j) =>
            out.progress(
              `job ${j.jobId}: ${j.statusName}${j.status === JobStatus.Claimed ? ` by ${j.provider}` : ""}`,
            ),
        });
        const job = await client.getJob(jobId);
        const circuit = Object.values(ctx.deployment.circuits).find((c) => c.id === job.terms.circuitId);
        const t = await tokenInfo(ctx);
        const { lines, predictions } = await describeResult(result, circuit, t);
        let verified: boolean | undefined;
        if (opts.verify === true) {
          out.progress("→ verifying the proof locally …");
          const report = await verifyResult(client, jobId, { fetch: fetchArtifact });
          verified = report.valid;
          lines.push(`  local check    ${report.valid ? "proof valid, input commitment matches" : "FAILED"}`);
          if (!report.valid)
            throw new ProofworkError(ErrorCodes.PROOF_INVALID, `job ${jobId}: local verification failed`);
        }
        out.result({ ok: true, result, predictions, verified }, lines);
      }),
    );

  job
    .command("verify")
    .description(
      "re-verify a completed job from the chain alone: proof from the submit calldata, signals rebuilt, the published verification key trusted through the registered verifier, snarkjs + the on-chain verifier",
    )
    .argument("<jobId>", "job id")
    .option("--deep", "also download the registered zkey and check the key was exported from it")
    .action(
      action(async (id: string, opts: { deep?: boolean }, cmd: Command) => {
        const jobId = parseJobId(id);
        const out = output(cmd);
        const ctx = await chainContext(cmd, false);
        const report = await verifyResult(requesterClient(ctx), jobId, {
          fetch: fetchArtifact,
          deep: opts.deep === true,
          onStep: (s) => out.progress(`  ${s.ok ? "✓" : "✗"} ${s.detail}`),
        });
        out.result({ ok: report.valid, report }, [
          `job ${jobId}: ${report.valid ? "VALID — every check passed" : "INVALID"}`,
          `  key            ${report.key.uri} (sha256 ${report.key.sha256.slice(0, 18)}…)`,
          `  tx             ${report.txHash}`,
        ]);
        if (!report.valid) process.exitCode = 1;
      }),
    );

  registerBatchCommands(job);

  for (const [name, desc] of [
    ["cancel", "cancel an unclaimed job and get the escrow back (requester only)"],
    ["reclaim", "refund an unclaimed job whose claim deadline passed"],
  ] as const) {
    job
      .command(name)
      .description(desc)
      .argument("<jobId>", "job id")
      .action(
        action(async (id: string, _opts: object, cmd: Command) => {
          const jobId = parseJobId(id);
          const ctx = await chainContext(cmd, true);
          const client = requesterClient(ctx);
          const receipt = name === "cancel" ? await client.cancel(jobId) : await client.reclaim(jobId);
          output(cmd).result({ ok: true, jobId, txHash: receipt.hash, gasUsed: receipt.gasUsed }, [
            `job ${jobId} ${name === "cancel" ? "cancelled" : "reclaimed"} (tx ${receipt.hash})`,
          ]);
        }),
      );
  }
}
