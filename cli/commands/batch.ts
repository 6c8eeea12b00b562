/**
 * Batch jobs from the requester's side (docs/BATCH.md), wired into `proofwork job …`:
 *
 *   job post -c <circuit> --batch <dataset> --samples k   post N samples, k of them proven on-chain
 *   job results <id> [--labels …] [--out file]            download the outputs, check them against
 *                                                         the committed root, print predictions
 *   job challenge <id> <index…>                           force proofs of doubted outputs
 *   job settle <id>                                       pay a proven job after its window
 *   job status <id> --batch                               a batch job's state
 *
 * A dataset is a folder of PNG/JPEG pictures, a `.npy`/`.json` tensor, or `mnist:test[:N]` (the first
 * N held-out MNIST digits, class-interleaved). Its inputs file is written content-addressed to the
 * configured dataset directory and published at the dataset base URI (like circuit artifacts).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { extname } from "node:path";
import type { Command } from "commander";
import {
  BatchClient,
  BatchStatus,
  ErrorCodes,
  ProofworkError,
  batchProofFor,
  buildBatchInputs,
  connectContracts,
  encodeCommitmentsFile,
  fetchBatchResults,
  decodePredictions,
  encodeImageBytes,
  fetchArtifact,
  inputSize,
  loadCircuitModel,
  publishBatchFile,
  readBatchDataset,
  readCircuit,
  readCommitmentsFile,
  resolveVerificationKey,
  type BatchJob,
  type CircuitRecord,
  type ModelArtifact,
  type ProgressFn,
} from "../../sdk/node.ts";
import { parseAmount, parseInteger, parseJobId, parsePricing, type PricingFlags } from "../args.ts";
import { action as actionOf, chainContext, fmt, output, tokenInfo, type ChainContext } from "../context.ts";
import type { Output } from "../output.ts";

/** `mnist:test` or `mnist:test:N` → N (default: all held-out digits); undefined for other specs. */
export function parseMnistSpec(spec: string): { count: number | undefined } | undefined {
  const m = /^mnist(?::(test))?(?::(\d+))?$/.exec(spec.trim());
  if (m === null) {
    if (spec.startsWith("mnist:"))
      throw new ProofworkError(
        ErrorCodes.DATASET_INVALID,
        `unknown MNIST set "${spec}": use mnist:test or mnist:test:N (the held-out digits)`,
      );
    return undefined;
  }
  if (m[2] === undefined) return { count: undefined };
  const count = Number(m[2]);
  if (count < 1) throw new ProofworkError(ErrorCodes.DATASET_INVALID, `${spec}: N must be at least 1`);
  return { count };
}

/** The first `count` held-out MNIST digits (class-interleaved), with their labels. */
async function heldOutDigits(count: number | undefined): Promise<{ image: Uint8Array; label: number }[]> {
  const { heldOutInterleaved } = await import("../../model/data.ts");
  const all = heldOutInterleaved();
  if (count !== undefined && count > all.length) {
    throw new ProofworkError(
      ErrorCodes.DATASET_INVALID,
      `mnist:test has ${all.length} held-out digits, not ${count}`,
    );
  }
  return all.slice(0, count ?? all.length);
}

/** A dataset spec → per-sample input bytes for the circuit's model (+ labels for MNIST). */
export async function readDatasetSpec(
  spec: string,
  model: ModelArtifact | undefined,
  circuit: CircuitRecord,
): Promise<{ samples: Uint8Array[]; labels?: number[] }> {
  if (model === undefined) {
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      `circuit ${circuit.name} runs no model: --batch needs a model circuit`,
    );
  }
  const mnist = parseMnistSpec(spec);
  if (mnist !== undefined) {
    const digits = await heldOutDigits(mnist.count);
    return {
      samples: digits.map((d) => encodeImageBytes(model, d.image)),
      labels: digits.map((d) => d.label),
    };
  }
  return { samples: readBatchDataset(spec, model) };
}

/**
 * A progress callback drawing a bar on stderr when it is a TTY (and not --json): `label [####…] 42%`.
 * Returns `done()` to end the line. Nothing at all otherwise.
 */
export function progressBar(
  out: Output,
  label: string,
  unit: "bytes" | "samples",
): { fn: ProgressFn; done: () => void } {
  const tty = !out.json && process.stderr.isTTY === true;
  let last = 0;
  let drawn = false;
  const show = (n: number) =>
    unit === "bytes" ? `${(n / 2 ** 20).toFixed(1)} MB` : `${n.toLocaleString("en-US")}`;
  return {
    fn: (done, total) => {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100 && done !== total) return;
      last = now;
      drawn = true;
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      const width = 30;
      const bar = "#".repeat(Math.round(frac * width)).padEnd(width, ".");
      const pct = total > 0 ? `${(frac * 100).toFixed(0).padStart(3)}%` : "    ";
      process.stderr.write(
        `\r  ${label} [${bar}] ${pct} ${show(done)}${total > 0 ? ` / ${show(total)}` : ""}`,
      );
    },
    done: () => {
      if (drawn) process.stderr.write("\n");
    },
  };
}

export function batchClient(ctx: ChainContext): BatchClient {
  return new BatchClient(ctx.deployment, ctx.signer ?? ctx.provider, {
    confirmations: ctx.confirmations,
    logChunkSize: ctx.config.logChunkSize,
  });
}

export interface BatchPostOptions extends PricingFlags {
  circuit: string;
  batch: string;
  samples?: string;
  challenges: string;
  bond?: string;
  inputsUri?: string;
  commitWindow: string;
  proveWindow: string;
  challengeWindow: string;
  answerWindow: string;
}

/** `job post --batch`: reads the dataset, builds its commitments, publishes it, posts the job. */
export async function postBatchJob(opts: BatchPostOptions, cmd: Command): Promise<void> {
  const out = output(cmd);
  if (opts.samples === undefined)
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      "--batch needs --samples <k> (samples proven on-chain)",
    );
  const k = parseInteger(opts.samples, "--samples", 1, 64);
  const m = parseInteger(opts.challenges, "--challenges", 0, 32);
  const claimPeriod = parseInteger(opts.claimPeriod, "--claim-period", 1);
  const windows = {
    commit: parseInteger(opts.commitWindow, "--commit-window", 60),
    prove: parseInteger(opts.proveWindow, "--prove-window", 60),
    challenge: parseInteger(opts.challengeWindow, "--challenge-window", 60),
    answer: parseInteger(opts.answerWindow, "--answer-window", 60),
  };
  for (const [flag, v] of [
    ["--price", opts.price],
    ["--min-price", opts.minPrice],
    ["--max-price", opts.maxPrice],
    ["--collateral", opts.collateral],
    ["--bond", opts.bond],
  ] as const) {
    if (v !== undefined) parseAmount(v, 18, flag); // format check before connecting
  }
  parseMnistSpec(opts.batch); // a malformed mnist: spec fails before connecting
  const ctx = await chainContext(cmd, true);
  const client = batchClient(ctx);
  const circuit = client.circuit(opts.circuit);
  const t = await tokenInfo(ctx);
  const pricing = parsePricing(opts, t.decimals);

  const model = await loadCircuitModel(circuit);
  const { samples, labels } = await readDatasetSpec(opts.batch, model, circuit);
  if (k > samples.length) {
    throw new ProofworkError(
      ErrorCodes.BAD_NUMBER,
      `--samples ${k} is more than the dataset's ${samples.length} samples`,
    );
  }
  // the proof system: a sampling circuit's shape (its deployment record's) or the circuit's key,
  // trusted through the registered verifier
  const { key, treeDepth } = await batchProofFor(circuit, async () => {
    out.progress("→ reading the circuit's verification key (trusted through the registered verifier) …");
    const registered = await readCircuit(connectContracts(ctx.deployment, ctx.provider).registry, circuit.id);
    return (
      await resolveVerificationKey(ctx.provider, registered, { fetch: fetchArtifact, vkeyUri: circuit.vkUri })
    ).vkey;
  });
  const shape = circuit.sampling;
  out.progress(`→ ${samples.length} samples from ${opts.batch}: computing input commitments …`);
  const bar = progressBar(out, "commitments", "samples");
  const inputs = await buildBatchInputs(samples, bar.fn, treeDepth);
  bar.done();
  // (a sampling circuit records no single input size: its model's is the sample size)
  const takes = shape !== undefined && model !== undefined ? inputSize(model) : circuit.inputBytes;
  if (takes > 0 && inputs.inputBytes !== takes) {
    throw new ProofworkError(
      ErrorCodes.DATASET_INVALID,
      `circuit ${circuit.name} takes ${takes} input bytes a sample, the dataset has ${inputs.inputBytes}`,
    );
  }
  const published = publishBatchFile(inputs.inputsFile, inputs.inputsHash, {
    dir: ctx.config.datasetDir,
    baseUri: ctx.config.datasetBaseUri,
  });
  // the commitments, kept next to the inputs file: `job results` then needs no Poseidon pass
  publishBatchFile(encodeCommitmentsFile(inputs.commitments), inputs.inputsHash, {
    dir: ctx.config.datasetDir,
    suffix: ".commitments.bin",
  });
  if (labels !== undefined) {
    publishBatchFile(new TextEncoder().encode(JSON.stringify(labels)), inputs.inputsHash, {
      dir: ctx.config.datasetDir,
      suffix: ".labels.json",
    });
  }
  const inputsURI = opts.inputsUri ?? published.uri;
  out.progress(`  inputs file ${published.path} (${inputs.inputsFile.length} bytes) → ${inputsURI}`);
  out.progress(
    `→ posting batch job on ${circuit.name}: N = ${inputs.numSamples}, k = ${k}, m = ${m}${shape ? `, ${shape.slots} samples per proof` : ""} …`,
  );
  const posted = await client.postBatch({
    circuit: circuit.id,
    inputs,
    inputsURI,
    key,
    sampleSize: k,
    maxChallenges: m,
    challengeBond: opts.bond !== undefined ? parseAmount(opts.bond, t.decimals, "--bond") : 0n,
    pricing,
    collateral:
      opts.collateral !== undefined ? parseAmount(opts.collateral, t.decimals, "--collateral") : undefined,
    claimPeriod,
    windows,
  });
  out.result(
    {
      ok: true,
      batch: true,
      jobId: posted.jobId,
      circuit: circuit.name,
      numSamples: inputs.numSamples,
      sampleSize: k,
      maxChallenges: m,
      inputsURI,
      inputsRoot: inputs.inputsRoot,
      inputsHash: inputs.inputsHash,
      inputsFile: published.path,
      txHash: posted.txHash,
      gasUsed: posted.gasUsed,
      terms: posted.terms,
    },
    [
      `posted batch job ${posted.jobId}: ${inputs.numSamples} samples on ${circuit.name}, ${k} proven on-chain (tx ${posted.txHash}, gas ${posted.gasUsed})`,
      `  inputs         ${inputsURI}`,
      `  inputs root    ${inputs.inputsRoot}`,
      `follow it with: proofwork job status ${posted.jobId} --batch; then proofwork job results ${posted.jobId}`,
    ],
  );
}

/** The human lines of a batch job's state. */
export function batchStatusLines(job: BatchJob, t: { decimals: number; symbol: string }): string[] {
  const tm = job.terms;
  const iso = (s: number | bigint) => new Date(Number(s) * 1000).toISOString();
  const lines = [
    `batch job ${job.jobId}: ${job.statusName}`,
    `  requester      ${tm.requester}`,
    `  circuit        ${tm.circuitId}`,
    `  samples        N = ${tm.numSamples}, k = ${tm.sampleSize} proven, up to m = ${tm.maxChallenges} challenges (bond ${fmt(tm.challengeBond, t)} each)`,
    `  inputs         ${job.inputsURI} (root ${tm.inputsRoot})`,
    `  price          ${tm.minPrice === tm.maxPrice ? fmt(tm.maxPrice, t) : `${fmt(tm.minPrice, t)} → ${fmt(tm.maxPrice, t)} over ${tm.rampDuration}s`}`,
    `  collateral     ${fmt(tm.collateral, t)}`,
  ];
  if (job.record.claimedAt > 0)
    lines.push(
      `  provider       ${job.record.provider} (claimed ${iso(job.record.claimedAt)}, price ${fmt(job.price ?? 0n, t)})`,
    );
  if (job.outputsURI !== undefined)
    lines.push(`  outputs        ${job.outputsURI} (root ${job.record.outputsRoot})`);
  if (job.provenIndices !== undefined) lines.push(`  proven samples ${job.provenIndices.join(", ")}`);
  if (job.record.challenged.length > 0) lines.push(`  challenged     ${job.record.challenged.join(", ")}`);
  if (job.deadline > 0n) lines.push(`  deadline       ${iso(job.deadline)}`);
  if (job.paid !== undefined)
    lines.push(
      `  paid           ${fmt(job.paid.payout, t)} to the provider (fee ${fmt(job.paid.fee, t)}, refund ${fmt(job.paid.refund, t)})`,
    );
  if (job.slashed !== undefined)
    lines.push(
      `  slashed        ${fmt(job.slashed.toRequester, t)} + refund ${fmt(job.slashed.refund, t)} to the requester`,
    );
  return lines;
}

/** Labels from `--labels`: `mnist`/`mnist:test` (the held-out digits in posting order) or a file. */
async function readLabels(spec: string, n: number): Promise<number[]> {
  if (spec === "mnist" || spec.startsWith("mnist:")) {
    const parsed = parseMnistSpec(spec === "mnist" ? "mnist:test" : spec);
    const digits = await heldOutDigits(parsed?.count ?? n);
    return digits.map((d) => d.label);
  }
  let text: string;
  try {
    text = readFileSync(spec, "utf8");
  } catch (e) {
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      `cannot read --labels ${spec}: ${(e as Error).message}`,
    );
  }
  const values: unknown[] = text.trim().startsWith("[")
    ? (JSON.parse(text) as unknown[])
    : text.split(/[\s,]+/).filter((s) => s !== "");
  const labels = values.map((v) => Number(v));
  if (labels.some((l) => !Number.isInteger(l) || l < 0)) {
    throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, `--labels ${spec}: expected non-negative integers`);
  }
  return labels;
}

export function registerBatchCommands(job: Command): void {
  job
    .command("results")
    .description(
      "a batch job's outputs: download the outputs file, check its hash and its Merkle root against what the provider committed (and the inputs against the posted root), print the predictions",
    )
    .argument("<jobId>", "batch job id")
    .option(
      "--labels <file|mnist>",
      "true labels (JSON array or whitespace-separated, or mnist for mnist:test datasets): print the accuracy",
    )
    .option("--out <file>", "write every prediction to a file (.csv or .json)")
    .option(
      "--inputs <file|uri>",
      "the inputs file (default: the commitments kept at post in the dataset dir, else a download from the job's inputsURI)",
    )
    .option(
      "--outputs <file|uri>",
      "the outputs file (default: download it from the committed outputsURI); checked all the same",
    )
    .option("--show <n>", "predictions to print (default 20; --out or --json for all)", "20")
    .action(
      actionOf(
        async (
          id: string,
          opts: { labels?: string; out?: string; inputs?: string; outputs?: string; show: string },
          cmd: Command,
        ) => {
          const jobId = parseJobId(id);
          const show = parseInteger(opts.show, "--show", 0);
          const out = output(cmd);
          const ctx = await chainContext(cmd, false);
          const client = batchClient(ctx);
          const job = await client.getBatchJob(jobId);
          const labelsOf: Record<string, string> = {
            inputs: "inputs download",
            commitments: "input commitments",
            outputs: "outputs download",
          };
          const local =
            opts.inputs === undefined
              ? readCommitmentsFile(ctx.config.datasetDir, job.terms.inputsHash)
              : undefined;
          if (local !== undefined && job.outputsURI !== undefined)
            out.progress(`→ input commitments of the posted dataset from ${ctx.config.datasetDir}`);
          const { outputs: rows } = await fetchBatchResults(job, {
            commitments: local,
            inputsUri: opts.inputs,
            outputsUri: opts.outputs,
            progress: (step) => {
              if (step === "inputs") out.progress(`→ inputs ${opts.inputs ?? job.inputsURI}`);
              if (step === "outputs") {
                out.progress(`  ✓ ${job.terms.numSamples} input commitments match the posted inputsRoot`);
                out.progress(`→ outputs ${opts.outputs ?? job.outputsURI}`);
              }
              return progressBar(out, labelsOf[step]!, step === "commitments" ? "samples" : "bytes");
            },
          });
          const proven =
            job.status === BatchStatus.Proven ||
            job.status === BatchStatus.Paid ||
            job.status === BatchStatus.Challenged;
          out.progress(
            `  ✓ ${rows.length} outputs match the committed outputsHash and outputsRoot${proven ? ` (${job.provenIndices?.length ?? 0} samples proven on-chain against it)` : " — NOT proven yet"}`,
          );
          const circuit = Object.values(ctx.deployment.circuits).find((c) => c.id === job.terms.circuitId);
          const model = circuit !== undefined ? await loadCircuitModel(circuit) : undefined;
          const predicted =
            model === undefined
              ? undefined
              : rows.map((r) => decodePredictions(model, r)[0]?.predicted ?? -1);
          const labels = opts.labels !== undefined ? await readLabels(opts.labels, rows.length) : undefined;
          if (labels !== undefined && labels.length !== rows.length) {
            throw new ProofworkError(
              ErrorCodes.BAD_ARGUMENT,
              `--labels has ${labels.length} labels for ${rows.length} samples`,
            );
          }
          let correct: number | undefined;
          if (labels !== undefined && predicted !== undefined)
            correct = predicted.filter((p, i) => p === labels[i]).length;
          const accuracy = correct === undefined ? undefined : correct / rows.length;
          if (opts.out !== undefined) {
            const csv = extname(opts.out).toLowerCase() === ".csv";
            const body = csv
              ? [
                  `index,predicted${labels ? ",label" : ""},outputs`,
                  ...rows.map(
                    (r, i) =>
                      `${i},${predicted?.[i] ?? ""}${labels ? `,${labels[i]}` : ""},${r.map(String).join(" ")}`,
                  ),
                ].join("\n") + "\n"
              : JSON.stringify(
                  rows.map((r, i) => ({
                    index: i,
                    predicted: predicted?.[i],
                    label: labels?.[i],
                    outputs: r.map(String),
                  })),
                ) + "\n";
            writeFileSync(opts.out, body);
          }
          const lines = [
            `batch job ${jobId}: ${job.statusName} — ${rows.length} outputs verified against the committed root ${job.record.outputsRoot}`,
          ];
          if (!proven)
            lines.push(
              "  warning        the provider has not proven its samples yet: these outputs are unchecked",
            );
          if (job.provenIndices !== undefined) lines.push(`  proven samples ${job.provenIndices.join(", ")}`);
          if (predicted !== undefined) {
            for (let i = 0; i < Math.min(show, rows.length); i++)
              lines.push(
                `  sample ${String(i).padStart(5)}: predicted ${predicted[i]}${labels ? `  label ${labels[i]} ${predicted[i] === labels[i] ? "✓" : "✗"}` : ""}`,
              );
            if (rows.length > show)
              lines.push(`  … ${rows.length - show} more (--out <file> or --json for all)`);
          }
          if (accuracy !== undefined)
            lines.push(`  accuracy       ${correct}/${rows.length} (${(accuracy * 100).toFixed(2)}%)`);
          if (opts.out !== undefined) lines.push(`  written to     ${opts.out}`);
          out.result(
            {
              ok: true,
              jobId,
              status: job.statusName,
              proven,
              provenIndices: job.provenIndices,
              outputsRoot: job.record.outputsRoot,
              outputsHash: job.outputsHash,
              numSamples: rows.length,
              predictions: predicted,
              outputs: model === undefined ? rows : undefined,
              correct,
              accuracy,
            },
            lines,
          );
        },
      ),
    );

  job
    .command("challenge")
    .description(
      "force proofs of doubted outputs of a proven batch job (requester, within its challenge window; pays the bond per index, returned if the provider cannot answer)",
    )
    .argument("<jobId>", "batch job id")
    .argument("<index...>", "sample indices (0-based), at most the job's m")
    .action(
      actionOf(async (id: string, indices: string[], _opts: object, cmd: Command) => {
        const jobId = parseJobId(id);
        const parsed = indices.map((v) => parseInteger(v, "index", 0, 2 ** 32 - 2));
        const ctx = await chainContext(cmd, true);
        const client = batchClient(ctx);
        const receipt = await client.challenge(jobId, parsed);
        const job = await client.getBatchJob(jobId);
        const t = await tokenInfo(ctx);
        output(cmd).result(
          {
            ok: true,
            jobId,
            indices: job.record.challenged,
            bonds: job.terms.challengeBond * BigInt(parsed.length),
            deadline: job.deadline,
            txHash: receipt.hash,
            gasUsed: receipt.gasUsed,
          },
          [
            `challenged batch job ${jobId} on ${job.record.challenged.join(", ")} (bonds ${fmt(job.terms.challengeBond * BigInt(parsed.length), t)}, tx ${receipt.hash})`,
            `  the provider must prove them by ${new Date(Number(job.deadline) * 1000).toISOString()} or lose its collateral`,
          ],
        );
      }),
    );

  job
    .command("settle")
    .description("pay a proven batch job out after its challenge window (anyone)")
    .argument("<jobId>", "batch job id")
    .action(
      actionOf(async (id: string, _opts: object, cmd: Command) => {
        const jobId = parseJobId(id);
        const ctx = await chainContext(cmd, true);
        const receipt = await batchClient(ctx).settle(jobId);
        output(cmd).result({ ok: true, jobId, txHash: receipt.hash, gasUsed: receipt.gasUsed }, [
          `batch job ${jobId} settled (tx ${receipt.hash})`,
        ]);
      }),
    );
}
