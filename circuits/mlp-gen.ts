/**
 * Model → circom generator. Emits the main source of a job circuit for a quantized MLP artifact
 * (`model/mnist-mlp-*.json`) and a batch size, with the weights as constants:
 *
 *   public  jobKey, inputCommitment, outputs[BATCH]     (in this order: ARCHITECTURE.md)
 *   private bytes[BATCH · inputSize]                     (the job input bytes, samples concatenated)
 *
 * and the constraints: JobBinding(jobKey); PackedBytesCommitment(bytes) == inputCommitment (which
 * also range-checks every byte to 8 bits, once); per sample the model's DenseLayers
 * (circuits/src/lib/mlp.circom); outputs[b] == PackSigned(logits of sample b).
 *
 *   npx tsx circuits/mlp-gen.ts model/mnist-mlp-small.json [--batch N] [--out file.circom]
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ErrorCodes, ProofworkError } from "../sdk/errors.ts";
import { loadModel } from "../sdk/node/files.ts";
import { modelBounds, numClasses, parseModel, type Interval, type ModelArtifact } from "../sdk/model.ts";
import { ROOT, type CircuitSpec } from "./pipeline.ts";

/** The model instances and their committed artifacts. */
export const MLP_INSTANCES = {
  full: "model/mnist-mlp-full.json",
  small: "model/mnist-mlp-small.json",
} as const;
export type MlpInstance = keyof typeof MLP_INSTANCES;

/** Loads (and validates) the committed artifact of an instance. */
export function loadMlpModel(instance: MlpInstance): ModelArtifact {
  return loadModel(path.join(ROOT, MLP_INSTANCES[instance]));
}

/** Build spec for the circuit of an instance at a batch size (name `mnist_mlp_<instance>_b<batch>`). */
export function mlpCircuitSpec(instance: MlpInstance, batch: number, setup: boolean): CircuitSpec {
  const model = loadMlpModel(instance);
  return {
    name: mlpCircuitName(model, batch),
    source: () => generateMlpCircuit(model, { batch }),
    setup,
    model: { artifact: model, hash: model.weightsHash },
    description: `${model.name} (${[model.inputSize, ...model.layers.map((l) => l.outputs)].join("→")}), batch ${batch}`,
  };
}

export interface GenOptions {
  batch: number;
}

/** Circuit name for a model and batch size, e.g. `mnist_mlp_full_b1`. */
export function mlpCircuitName(model: Pick<ModelArtifact, "name">, batch: number): string {
  return `${model.name.replace(/-/g, "_")}_b${batch}`;
}

/** Smallest width b (≥ shift + 1) with -2^(b-1) ≤ lo and hi < 2^(b-1). */
export function accumulatorBits(acc: Interval, shift: number): number {
  let b = Math.max(1, shift + 1);
  while (acc.lo < -(1n << BigInt(b - 1)) || acc.hi >= 1n << BigInt(b - 1)) b++;
  return b;
}

/**
 * Constraint count the generated circuit spends in the MLP (excluding commitment and binding):
 * per rescaled neuron BITS boolean constraints (quotient + remainder bits) + 1 for ReLU.
 */
export function mlpConstraintEstimate(model: ModelArtifact): number {
  const bounds = modelBounds(model);
  let n = 0;
  model.layers.forEach((l, k) => {
    if (l.shift === 0 && !l.relu) return;
    for (const a of bounds[k]!.acc)
      n += accumulatorBits(a, l.shift) + (l.relu ? 1 : 0) + (l.shift === 0 ? 1 : 0);
  });
  return n;
}

const arr1 = (v: readonly (number | bigint)[]): string => `[${v.join(",")}]`;
const arr2 = (v: readonly (readonly number[])[]): string => `[\n    ${v.map(arr1).join(",\n    ")}\n  ]`;

/** The circom main source for `model` at `opts.batch` samples per proof. */
export function generateMlpCircuit(model: ModelArtifact, opts: GenOptions): string {
  const batch = opts.batch;
  if (!Number.isInteger(batch) || batch < 1) {
    throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, `batch must be a positive integer, got ${batch}`);
  }
  // The circuit's soundness rests on the static bounds: refuse a model that violates them (int8
  // weights, accumulators < 2^24, logits within outputBits, weights hash).
  parseModel(model);
  const bounds = modelBounds(model);
  const prefix = model.name.replace(/[^A-Za-z0-9]/g, "_").toUpperCase();
  const template = model.name
    .split(/[^A-Za-z0-9]/)
    .filter(Boolean)
    .map((s) => s[0]!.toUpperCase() + s.slice(1))
    .join("");
  const nClasses = numClasses(model);
  const last = model.layers.length - 1;

  const fns: string[] = [];
  model.layers.forEach((l, k) => {
    const bits = bounds[k]!.acc.map((a) => (l.shift === 0 && !l.relu ? 0 : accumulatorBits(a, l.shift)));
    fns.push(`// layer ${k}: ${l.inputs} → ${l.outputs}, shift ${l.shift}, relu ${l.relu}`);
    fns.push(`function ${prefix}_W${k}() {\n  return ${arr2(l.weights)};\n}`);
    fns.push(`function ${prefix}_B${k}() {\n  return ${arr1(l.bias)};\n}`);
    fns.push(`// static accumulator widths (0: not rescaled, no range check needed)`);
    fns.push(`function ${prefix}_BITS${k}() {\n  return ${arr1(bits)};\n}`);
  });

  const layerLines: string[] = [];
  model.layers.forEach((l, k) => {
    layerLines.push(
      `        layer${k}[b] = DenseLayer(${l.inputs}, ${l.outputs}, ${prefix}_W${k}(), ${prefix}_B${k}(), ${l.shift}, ${l.relu ? 1 : 0}, ${prefix}_BITS${k}());`,
    );
    if (k === 0) {
      layerLines.push(`        for (var i = 0; i < IN; i++) layer0[b].in[i] <== bytes[b * IN + i];`);
    } else {
      layerLines.push(`        layer${k}[b].in <== layer${k - 1}[b].out;`);
    }
  });

  return `pragma circom 2.1.6;

// GENERATED by circuits/mlp-gen.ts from model ${model.name} (weightsHash ${model.weightsHash}).
// Do not edit: regenerate. Arithmetic reference: sdk/quant.ts.
// Public signals, in order: [jobKey, inputCommitment, outputs[0..BATCH)] (every public signal is
// declared as an input, jobKey first, so snarkjs orders them as the market builds them).

include "lib/commitment.circom";
include "lib/mlp.circom";

${fns.join("\n")}

template ${template}(BATCH) {
    var IN = ${model.inputSize};

    signal input jobKey;
    signal input inputCommitment;
    // One packed element per sample: its ${nClasses} logits, ${model.outputBits} bits each with offset 2^${model.outputBits - 1}.
    signal input outputs[BATCH];
    // The job input bytes (private), samples concatenated row-major.
    signal input bytes[BATCH * IN];

    // Bind the proof to this job (chain, market, job id, provider).
    component binding = JobBinding();
    binding.jobKey <== jobKey;

    // The private bytes are the committed job input; this also range-checks each byte to [0, 256),
    // which is what the layer-0 bounds assume (so the layers do not check the inputs again).
    component commit = PackedBytesCommitment(BATCH * IN);
    for (var i = 0; i < BATCH * IN; i++) commit.bytes[i] <== bytes[i];
    commit.commitment === inputCommitment;

${model.layers.map((_, k) => `    component layer${k}[BATCH];`).join("\n")}
    component pack[BATCH];
    for (var b = 0; b < BATCH; b++) {
${layerLines.join("\n")}
        // The claimed output must be exactly the packed logits of this sample.
        pack[b] = PackSigned(${nClasses}, ${model.outputBits});
        pack[b].in <== layer${last}[b].out;
        outputs[b] === pack[b].out;
    }
}

component main {public [jobKey, inputCommitment, outputs]} = ${template}(${batch});
`;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { batch: { type: "string", default: "1" }, out: { type: "string" } },
  });
  const file = positionals[0];
  if (!file)
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      "usage: mlp-gen.ts <model.json> [--batch N] [--out file]",
    );
  const model = loadModel(file);
  const src = generateMlpCircuit(model, { batch: Number(values.batch) });
  if (values.out) writeFileSync(values.out, src);
  else process.stdout.write(src);
  console.error(
    `${mlpCircuitName(model, Number(values.batch))}: MLP part ≈ ${mlpConstraintEstimate(model)} constraints per sample`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main(process.argv.slice(2));
}
