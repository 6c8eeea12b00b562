/**
 * Model artifact → circom generator, for any `proofwork-qmodel-v2` artifact (sdk/model/format.ts).
 * The output is a pure function of (artifact, batch): the weights are constants in the source, so
 * the sha256 of the generated source plus the artifact hash pin the circuit to the model exactly.
 *
 *   public  jobKey, inputCommitment, outputs[BATCH · E]   (E = output elements per sample)
 *   private bytes[BATCH · IN]                              (job input bytes, samples concatenated)
 *
 * Constraints: JobBinding(jobKey); PackedBytesCommitment(bytes) == inputCommitment (which also
 * range-checks every byte once); per sample and layer:
 *   conv2d / dense   accumulators are linear combinations of the previous layer's signals with
 *                    constant weights (no multiplication constraint), then RequantRelu (lib/mlp.circom:
 *                    quotient and remainder range-checked, ReLU by the quotient's top bit) when the
 *                    layer shifts or has a ReLU, else the accumulator itself (the logits)
 *   avgpool          the window sum (linear), RequantRelu only if it shifts or has a ReLU
 *   maxpool          a chain of Max2(W) (lib/model.circom), W from the static bounds
 *   reshape          nothing (the flat vector is unchanged)
 * and outputs == the packed last-layer values (PackSigned, linear).
 *
 *   npx tsx circuits/model-gen.ts model/mnist-cnn.qmodel.json [--batch N] [--out file.circom]
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ErrorCodes, ProofworkError } from "../sdk/errors.ts";
import {
  artifactBounds,
  diffBits,
  inputSize,
  isRequantized,
  outputElements,
  parseArtifact,
  signedBits,
  size,
  type ModelArtifactV2,
  type QLayer,
} from "../sdk/model/format.ts";
import { loadArtifact } from "../sdk/node/model-files.ts";
import type { CircuitSpec } from "./pipeline.ts";

/**
 * Where the model-compiler tests install their compile-only builds (never `build/circuits/`, whose
 * circuits — e.g. the v1 MLPs' `mnist_mlp_small_b1`, same name as its v2 conversion — carry keys).
 */
export const TEST_BUILD_DIR = path.join("build", "model-test-circuits");

export interface GenerateOptions {
  batch: number;
}

/** Circuit name for an artifact and batch size, e.g. `mnist_cnn_b1`. */
export function circuitName(a: Pick<ModelArtifactV2, "name">, batch: number): string {
  return `${a.name.replace(/[^A-Za-z0-9]/g, "_").toLowerCase()}_b${batch}`;
}

/** Per layer, the static widths the circuit range-checks (per output channel). */
export interface LayerWidths {
  /** requant: accumulator width per output channel (0 = not requantized) */
  bits: number[];
  /** maxpool: comparison width per channel */
  maxBits: number[];
}

export function layerWidths(a: Pick<ModelArtifactV2, "input" | "layers">): LayerWidths[] {
  const bounds = artifactBounds(a);
  return a.layers.map((l, k) => {
    const b = bounds[k]!;
    if (l.kind === "maxpool") return { bits: [], maxBits: b.acc.map((iv) => diffBits(iv)) };
    if (!isRequantized(l)) return { bits: b.acc.map(() => 0), maxBits: [] };
    const shiftOf = (c: number): number =>
      l.kind === "avgpool" ? l.shift : (l as { shift: number[] }).shift[c]!;
    return { bits: b.acc.map((iv, c) => signedBits(iv, shiftOf(c))), maxBits: [] };
  });
}

/** Constraint estimate per layer and sample (what the generated gadgets cost after -O2). */
export interface LayerCost {
  layer: number;
  kind: string;
  outShape: number[];
  constraints: number;
}

export function constraintEstimate(a: ModelArtifactV2): LayerCost[] {
  const widths = layerWidths(a);
  return a.layers.map((l, k) => {
    const w = widths[k]!;
    const n = size(l.outShape);
    const oc = l.outShape[l.outShape.length - 1]!;
    let c = 0;
    if (l.kind === "maxpool") {
      const taps = l.pool[0] * l.pool[1];
      for (let i = 0; i < n; i++) c += (taps - 1) * (w.maxBits[i % oc]! + 2);
    } else if (isRequantized(l)) {
      const relu = (l as { relu: boolean }).relu ? 1 : 0;
      for (let i = 0; i < n; i++) c += w.bits[i % oc]! + relu;
    }
    return { layer: k, kind: l.kind, outShape: l.outShape, constraints: c };
  });
}

/** Input bytes range check + Poseidon commitment + binding, per the whole batch (measured shape). */
export function commitmentEstimate(nBytes: number): number {
  return 8 * nBytes;
}

const arr = (v: readonly (number | bigint)[]): string => `[${v.join(",")}]`;

/** Wraps a long array literal over several lines (circom has no line length limit; readability). */
function arrLines(v: readonly number[], per = 64): string {
  const rows: string[] = [];
  for (let i = 0; i < v.length; i += per) rows.push(v.slice(i, i + per).join(","));
  return `[\n    ${rows.join(",\n    ")}\n  ]`;
}

/** The circom main source for `a` at `opts.batch` samples per proof. */
/** The per-sample layer code of a model (inputs `bytes[b * IN + i]`, activations `a<k>[BATCH][…]`). */
interface ModelLayers {
  /** Function definitions (weights, biases, shifts, widths). */
  fns: string[];
  /** Signal and component declarations inside the main template. */
  decls: string[];
  /** The loop body over samples `b`: every layer. */
  body: string[];
  /** Template name (the artifact's name in PascalCase). */
  template: string;
  IN: number;
  E: number;
}

function modelLayers(a: ModelArtifactV2): ModelLayers {
  // Soundness rests on the static bounds: refuse an artifact that violates them or its hash.
  parseArtifact(a);
  const widths = layerWidths(a);
  const P = a.name.replace(/[^A-Za-z0-9]/g, "_").toUpperCase();
  const template = a.name
    .split(/[^A-Za-z0-9]/)
    .filter(Boolean)
    .map((s) => s[0]!.toUpperCase() + s.slice(1))
    .join("");
  const IN = inputSize(a);
  const E = outputElements(a.output);

  const fns: string[] = [];
  const decls: string[] = [];
  const body: string[] = [];
  const src = (k: number, idx: string): string =>
    k === 0 ? `bytes[b * IN + ${idx}]` : `a${k - 1}[b][${idx}]`;

  a.layers.forEach((l, k) => {
    const n = size(l.outShape);
    const w = widths[k]!;
    fns.push(`// layer ${k}: ${l.kind} ${JSON.stringify(l.inShape)} → ${JSON.stringify(l.outShape)}`);
    decls.push(`    signal a${k}[BATCH][${n}];`);
    const lines: string[] = [];
    const requant = isRequantized(l);
    if (l.kind === "conv2d" || l.kind === "dense") {
      fns.push(`function ${P}_W${k}() {\n  return ${arrLines(l.weights)};\n}`);
      fns.push(`function ${P}_B${k}() {\n  return ${arr(l.bias)};\n}`);
      fns.push(`function ${P}_S${k}() {\n  return ${arr(l.shift)};\n}`);
    }
    if (requant) {
      fns.push(`// static accumulator widths per output channel (sdk/model/format.ts artifactBounds)`);
      fns.push(`function ${P}_BITS${k}() {\n  return ${arr(w.bits)};\n}`);
      decls.push(`    component rq${k}[BATCH][${n}];`);
    }
    const finish = (acc: string, idx: string, ch: string, shift: string): string[] =>
      requant
        ? [
            `rq${k}[b][${idx}] = RequantRelu(BITS${k}[${ch}], ${shift}, ${(l as { relu: boolean }).relu ? 1 : 0});`,
            `rq${k}[b][${idx}].acc <== ${acc};`,
            `a${k}[b][${idx}] <== rq${k}[b][${idx}].out;`,
          ]
        : [`a${k}[b][${idx}] <== ${acc};`];
    if (l.kind === "dense") {
      const nIn = size(l.inShape);
      lines.push(
        `for (var o = 0; o < ${l.outShape[0]}; o++) {`,
        `    var acc = B${k}[o];`,
        `    for (var i = 0; i < ${nIn}; i++) {`,
        `        if (W${k}[o * ${nIn} + i] != 0) acc += W${k}[o * ${nIn} + i] * ${src(k, "i")};`,
        `    }`,
        ...finish("acc", "o", "o", `S${k}[o]`).map((s) => `    ${s}`),
        `}`,
      );
    } else if (l.kind === "conv2d") {
      const [h, wd, ic] = l.inShape as [number, number, number];
      const [oh, ow, oc] = l.outShape as [number, number, number];
      const [kh, kw] = l.kernel;
      lines.push(
        `for (var y = 0; y < ${oh}; y++) for (var x = 0; x < ${ow}; x++) for (var o = 0; o < ${oc}; o++) {`,
        `    var acc = B${k}[o];`,
        `    for (var i = 0; i < ${kh}; i++) for (var j = 0; j < ${kw}; j++) {`,
        `        var iy = y * ${l.strides[0]} + i - ${l.pad[0]};`,
        `        var ix = x * ${l.strides[1]} + j - ${l.pad[1]};`,
        `        if (iy >= 0 && iy < ${h} && ix >= 0 && ix < ${wd}) {`,
        `            for (var c = 0; c < ${ic}; c++) {`,
        `                var wt = W${k}[((o * ${kh} + i) * ${kw} + j) * ${ic} + c];`,
        `                if (wt != 0) acc += wt * ${src(k, `(iy * ${wd} + ix) * ${ic} + c`)};`,
        `            }`,
        `        }`,
        `    }`,
        ...finish("acc", `(y * ${ow} + x) * ${oc} + o`, "o", `S${k}[o]`).map((s) => `    ${s}`),
        `}`,
      );
    } else if (l.kind === "avgpool") {
      const [, wd, c] = l.inShape as [number, number, number];
      const [oh, ow] = l.outShape as [number, number, number];
      lines.push(
        `for (var y = 0; y < ${oh}; y++) for (var x = 0; x < ${ow}; x++) for (var c = 0; c < ${c}; c++) {`,
        `    // the exact window sum (the 1/area is in the next layer's scale): linear, no constraint`,
        `    var acc = 0;`,
        `    for (var i = 0; i < ${l.pool[0]}; i++) for (var j = 0; j < ${l.pool[1]}; j++) {`,
        `        acc += ${src(k, `((y * ${l.strides[0]} + i) * ${wd} + x * ${l.strides[1]} + j) * ${c} + c`)};`,
        `    }`,
        ...finish("acc", `(y * ${ow} + x) * ${c} + c`, "c", `${l.shift}`).map((s) => `    ${s}`),
        `}`,
      );
    } else if (l.kind === "maxpool") {
      const [, wd, c] = l.inShape as [number, number, number];
      const [oh, ow] = l.outShape as [number, number, number];
      const taps = l.pool[0] * l.pool[1];
      fns.push(`// static comparison widths per channel: window values differ by < 2^W`);
      fns.push(`function ${P}_MAXW${k}() {\n  return ${arr(w.maxBits)};\n}`);
      decls.push(`    component mx${k}[BATCH][${n}][${taps - 1}];`);
      lines.push(
        `for (var y = 0; y < ${oh}; y++) for (var x = 0; x < ${ow}; x++) for (var c = 0; c < ${c}; c++) {`,
        `    var o = (y * ${ow} + x) * ${c} + c;`,
        `    // running max over the window, tap t = i·${l.pool[1]} + j (row-major)`,
        `    for (var t = 1; t < ${taps}; t++) {`,
        `        var i = t \\ ${l.pool[1]};`,
        `        var j = t % ${l.pool[1]};`,
        `        mx${k}[b][o][t - 1] = Max2(MAXW${k}[c]);`,
        `        mx${k}[b][o][t - 1].a <== ${src(k, `((y * ${l.strides[0]} + i) * ${wd} + x * ${l.strides[1]} + j) * ${c} + c`)};`,
        `        if (t == 1) mx${k}[b][o][0].b <== ${src(k, `((y * ${l.strides[0]}) * ${wd} + x * ${l.strides[1]}) * ${c} + c`)};`,
        `        else mx${k}[b][o][t - 1].b <== mx${k}[b][o][t - 2].out;`,
        `    }`,
        `    a${k}[b][o] <== mx${k}[b][o][${taps - 2}].out;`,
        `}`,
      );
    } else {
      lines.push(`for (var i = 0; i < ${n}; i++) a${k}[b][i] <== ${src(k, "i")};`);
    }
    const vars: string[] = [];
    if (l.kind === "conv2d" || l.kind === "dense")
      vars.push(
        `var W${k}[${l.weights.length}] = ${P}_W${k}();`,
        `var B${k}[${l.bias.length}] = ${P}_B${k}();`,
        `var S${k}[${l.shift.length}] = ${P}_S${k}();`,
      );
    if (requant) vars.push(`var BITS${k}[${w.bits.length}] = ${P}_BITS${k}();`);
    if (l.kind === "maxpool") vars.push(`var MAXW${k}[${w.maxBits.length}] = ${P}_MAXW${k}();`);
    body.push(
      `        // layer ${k}: ${describe(l)}`,
      ...vars.map((v) => `        ${v}`),
      ...lines.map((s) => `        ${s}`),
    );
  });

  return { fns, decls, body, template, IN, E };
}

export function generateCircuit(a: ModelArtifactV2, opts: GenerateOptions): string {
  const batch = opts.batch;
  if (!Number.isInteger(batch) || batch < 1) {
    throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, `batch must be a positive integer, got ${batch}`);
  }
  const { fns, decls, body, template, IN, E } = modelLayers(a);
  const last = a.layers.length - 1;
  const o = a.output;
  return `pragma circom 2.1.6;

// GENERATED by circuits/model-gen.ts from model artifact "${a.name}" (hash ${a.hash}).
// Do not edit: regenerate. Arithmetic reference: sdk/model/reference.ts.
// Public signals, in order: [jobKey, inputCommitment, outputs[0..BATCH·${E})] (every public signal
// is declared as an input, jobKey first, so snarkjs orders them as the market builds them).

include "lib/commitment.circom";
include "lib/mlp.circom";
include "lib/model.circom";

${fns.join("\n")}

template ${template}(BATCH) {
    var IN = ${IN};

    signal input jobKey;
    signal input inputCommitment;
    // Per sample ${E} packed element(s): its ${o.classes} outputs, ${o.perElement} per element, ${o.bits} bits each with offset 2^${o.bits - 1}.
    var E = ${E};
    signal input outputs[BATCH * E];
    // The job input bytes (private), samples concatenated, each row-major HWC ${JSON.stringify(a.input.shape)}.
    signal input bytes[BATCH * IN];

    // Bind the proof to this job (chain, market, job id, provider).
    component binding = JobBinding();
    binding.jobKey <== jobKey;

    // The private bytes are the committed job input; this also range-checks each byte to [0, 256),
    // which is what the static bounds of layer 0 assume (so no layer checks the inputs again).
    component commit = PackedBytesCommitment(BATCH * IN);
    for (var i = 0; i < BATCH * IN; i++) commit.bytes[i] <== bytes[i];
    commit.commitment === inputCommitment;

${decls.join("\n")}
    component pack[BATCH][E];
    for (var b = 0; b < BATCH; b++) {
${body.join("\n")}
        // The claimed outputs must be exactly the packed values of this sample.
        for (var e = 0; e < E; e++) {
            var n = ${o.classes} - e * ${o.perElement} < ${o.perElement} ? ${o.classes} - e * ${o.perElement} : ${o.perElement};
            pack[b][e] = PackSigned(n, ${o.bits});
            for (var k = 0; k < n; k++) pack[b][e].in[k] <== a${last}[b][e * ${o.perElement} + k];
            outputs[b * E + e] === pack[b][e].out;
        }
    }
}

component main {public [jobKey, inputCommitment, outputs]} = ${template}(${batch});
`;
}

/** Options of a sampling circuit (docs/BATCH.md, "Design 2"). */
export interface SamplingOptions {
  /** Samples proven by one proof (K slots). */
  slots: number;
  /** Depth of both Poseidon trees (N ≤ 2^depth). */
  depth: number;
}

/** Circuit name of a sampling circuit, e.g. `mnist_mlp_small_s16d20`. */
export function samplingCircuitName(a: Pick<ModelArtifactV2, "name">, o: SamplingOptions): string {
  return `${a.name.replace(/[^A-Za-z0-9]/g, "_")}_s${o.slots}d${o.depth}`;
}

/**
 * A batch job's sampling circuit for a model: one proof that K samples of the job, at the packed
 * `indices`, have inputs under `inputsRoot` and the model's outputs under `outputsRoot` (both
 * fixed-depth Poseidon trees, sdk/sampling.ts), bound to the job by `jobKey`.
 *
 *   public  jobKey, inputsRoot, outputsRoot, indices[⌈K / per⌉]   (per = ⌊248 / depth⌋ indices of
 *           `depth` bits per element, least significant first)
 *   private bytes[K · IN], inputPaths[K][depth], outputPaths[K][depth]
 *
 * Per slot: PackedBytesCommitment(bytes) = c (the input leaf; it range-checks the bytes), the
 * model's layers as in `generateCircuit`, the output leaf Poseidon(c, packed outputs), and both
 * paths from the index bits (Num2Bits of the packed element: boolean, and unique since an element
 * holds ≤ 248 bits) to the two roots. Slots may repeat an index (a job with k < K pads that way).
 */
export function generateSamplingCircuit(a: ModelArtifactV2, opts: SamplingOptions): string {
  const { slots: K, depth: D } = opts;
  if (!Number.isInteger(K) || K < 1 || !Number.isInteger(D) || D < 1 || D > 32) {
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      `sampling circuit: slots must be ≥ 1 and depth 1..32, got ${K} and ${D}`,
    );
  }
  const { fns, decls, body, template, IN, E } = modelLayers(a);
  const o = a.output;
  const last = a.layers.length - 1;
  const per = Math.floor(248 / D);
  const np = Math.ceil(K / per);
  const lastBits = (K - (np - 1) * per) * D;
  return `pragma circom 2.1.6;

// GENERATED by circuits/model-gen.ts (sampling circuit) from model artifact "${a.name}" (hash ${a.hash}).
// Do not edit: regenerate. Arithmetic reference: sdk/model/reference.ts; trees: sdk/sampling.ts.
// Public signals, in order: [jobKey, inputsRoot, outputsRoot, indices[0..${np})].

include "lib/commitment.circom";
include "lib/merkle.circom";
include "lib/mlp.circom";
include "lib/model.circom";

${fns.join("\n")}

template ${template}Sampling(BATCH, DEPTH) {
    var IN = ${IN};
    var E = ${E};
    var PER = ${per};
    var NP = ${np};

    signal input jobKey;
    signal input inputsRoot;
    signal input outputsRoot;
    // Slot b's index is bits [(b % PER)·DEPTH, (b % PER + 1)·DEPTH) of indices[b \\ PER].
    signal input indices[NP];
    // The slots' input bytes (private), each row-major HWC ${JSON.stringify(a.input.shape)}.
    signal input bytes[BATCH * IN];
    signal input inputPaths[BATCH][DEPTH];
    signal input outputPaths[BATCH][DEPTH];

    component binding = JobBinding();
    binding.jobKey <== jobKey;

    // Index bits: boolean, and the packing is unique (each element holds at most 248 bits).
    component idx[NP];
    for (var p = 0; p < NP; p++) {
        idx[p] = Num2Bits(p < NP - 1 ? PER * DEPTH : ${lastBits});
        idx[p].in <== indices[p];
    }

    component commit[BATCH];
    component leafOut[BATCH];
    component inRoot[BATCH];
    component outRoot[BATCH];
${decls.join("\n")}
    component pack[BATCH][E];
    for (var b = 0; b < BATCH; b++) {
        // The input leaf: the slot's commitment (range-checks its bytes, as layer 0 assumes).
        commit[b] = PackedBytesCommitment(IN);
        for (var i = 0; i < IN; i++) commit[b].bytes[i] <== bytes[b * IN + i];
${body.join("\n")}
        // The output leaf: Poseidon(c, packed outputs of this slot).
        leafOut[b] = Poseidon(1 + E);
        leafOut[b].inputs[0] <== commit[b].commitment;
        for (var e = 0; e < E; e++) {
            var n = ${o.classes} - e * ${o.perElement} < ${o.perElement} ? ${o.classes} - e * ${o.perElement} : ${o.perElement};
            pack[b][e] = PackSigned(n, ${o.bits});
            for (var k = 0; k < n; k++) pack[b][e].in[k] <== a${last}[b][e * ${o.perElement} + k];
            leafOut[b].inputs[1 + e] <== pack[b][e].out;
        }
        // Both leaves sit at the slot's index of their trees.
        inRoot[b] = MerkleRoot(DEPTH);
        outRoot[b] = MerkleRoot(DEPTH);
        inRoot[b].leaf <== commit[b].commitment;
        outRoot[b].leaf <== leafOut[b].out;
        for (var d = 0; d < DEPTH; d++) {
            inRoot[b].bits[d] <== idx[b \\ PER].out[(b % PER) * DEPTH + d];
            outRoot[b].bits[d] <== idx[b \\ PER].out[(b % PER) * DEPTH + d];
            inRoot[b].siblings[d] <== inputPaths[b][d];
            outRoot[b].siblings[d] <== outputPaths[b][d];
        }
        inRoot[b].root === inputsRoot;
        outRoot[b].root === outputsRoot;
    }
}

component main {public [jobKey, inputsRoot, outputsRoot, indices]} = ${template}Sampling(${K}, ${D});
`;
}

/** Build spec of a model's sampling circuit (`generateSamplingCircuit`). */
export function samplingSpecFor(
  a: ModelArtifactV2,
  opts: SamplingOptions & { setup?: boolean },
): CircuitSpec {
  const source = generateSamplingCircuit(a, opts);
  return {
    name: samplingCircuitName(a, opts),
    source: () => source,
    setup: opts.setup ?? false,
    model: { artifact: a, artifactHash: a.hash, generatedSourceSha256: sourceSha256(source) },
    sampling: { slots: opts.slots, treeDepth: opts.depth },
    description: `${a.name} sampling circuit: ${opts.slots} samples, trees of depth ${opts.depth}, model ${a.hash.slice(0, 10)}…`,
  };
}

function describe(l: QLayer): string {
  switch (l.kind) {
    case "conv2d":
      return `conv2d ${l.kernel.join("×")} stride ${l.strides.join("×")} pad ${l.pad.join(",")} → ${l.outShape.join("×")}, relu ${l.relu}`;
    case "dense":
      return `dense ${l.inShape[0]} → ${l.outShape[0]}, relu ${l.relu}`;
    case "avgpool":
      return `avgpool ${l.pool.join("×")} stride ${l.strides.join("×")} (sum), shift ${l.shift}, relu ${l.relu}`;
    case "maxpool":
      return `maxpool ${l.pool.join("×")} stride ${l.strides.join("×")}`;
    case "reshape":
      return `reshape → ${l.outShape.join("×")}`;
  }
}

/** sha256 (hex) of a generated source: recorded in the build manifest next to the artifact hash. */
export function sourceSha256(source: string): string {
  return createHash("sha256").update(source).digest("hex");
}

/** Build spec for `circuits/pipeline.ts`: the generated circuit of an artifact at a batch size. */
export function circuitSpecFor(
  a: ModelArtifactV2,
  opts: { batch?: number; setup?: boolean } = {},
): CircuitSpec {
  const batch = opts.batch ?? 1;
  const source = generateCircuit(a, { batch });
  return {
    name: circuitName(a, batch),
    source: () => source,
    setup: opts.setup ?? false,
    model: { artifact: a, artifactHash: a.hash, generatedSourceSha256: sourceSha256(source) },
    description: `${a.name} (${a.layers.map((l) => l.kind).join("→")}), batch ${batch}, model ${a.hash.slice(0, 10)}…, source sha256 ${sourceSha256(source).slice(0, 12)}…`,
  };
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
      "usage: model-gen.ts <artifact.json> [--batch N] [--out file]",
    );
  const a = loadArtifact(file);
  const src = generateCircuit(a, { batch: Number(values.batch) });
  if (values.out) writeFileSync(values.out, src);
  else process.stdout.write(src);
  for (const c of constraintEstimate(a))
    console.error(`layer ${c.layer} ${c.kind} ${c.outShape.join("×")}: ${c.constraints}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main(process.argv.slice(2));
}
