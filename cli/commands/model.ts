/**
 * `proofwork model …`: bring your own model. A TF.js Layers model is imported (folded, quantized
 * from calibration data, written as one `proofwork-qmodel-v2` artifact), built (its circuit
 * generated, compiled, keyed, with a Solidity verifier), and registered on a deployment (verifier
 * deployed, circuit registered with the hashes and URIs of its wasm, zkey, verification key and
 * model artifact). Providers' workers then serve it with no code change.
 *
 *   proofwork model import <model.json> --name <name> [--calibration <data>] [--labels <data>]
 *   proofwork model build <name> [--batch N]
 *   proofwork model register <name> [--batch N]
 *   proofwork model list | show <name>
 */
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import {
  ErrorCodes,
  ProofworkError,
  encodeTensor,
  errorMessage,
  importModel,
  inputFileKind,
  inputSize,
  listBuiltCircuits,
  parseNpy,
  readBuiltCircuit,
  readDeployment,
  readModelGraph,
  readPicture,
  tensorFromJson,
  writeDeployment,
  encodePictures,
  type Config,
  type ImportReport,
  type ModelArtifact,
} from "../../sdk/node.ts";
import { readFileSync } from "node:fs";
import { parseInteger, parseList } from "../args.ts";
import { action, configOf, output } from "../context.ts";
import type { Output } from "../output.ts";

/** The circuits built from `artifact` in the build dir (by model hash), with their batch and keys. */
function builtCircuitsOf(
  artifact: ModelArtifact,
  buildDir: string,
): { name: string; constraints: number; nPublic: number; keys: boolean }[] {
  return listBuiltCircuits(buildDir)
    .map((n) => readBuiltCircuit(n, buildDir))
    .filter((m) => m.model?.artifactHash === artifact.hash)
    .map((m) => ({
      name: m.name,
      constraints: m.constraints,
      nPublic: m.nPublic,
      keys: m.zkeySha256 !== undefined,
    }));
}

function accuracyOf(a: ModelArtifact): number | undefined {
  const acc = (a.meta?.["accuracy"] as { quantized?: unknown } | undefined)?.quantized;
  return typeof acc === "number" ? acc : undefined;
}

const shape = (s: readonly number[]) => s.join("×");

/** Reads integer labels from a .npy or .json file. */
function readLabels(file: string): number[] {
  const t =
    inputFileKind(file) === "npy"
      ? parseNpy(new Uint8Array(readFileSync(file)))
      : tensorFromJson(JSON.parse(readFileSync(file, "utf8")));
  const out = Array.from(t.data);
  if (out.some((v) => !Number.isInteger(v) || v < 0))
    throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, `--labels ${file}: labels are non-negative integers`);
  return out;
}

interface CalibrationSet {
  inputs: Uint8Array[];
  labels?: number[];
  evaluation?: { inputs: Uint8Array[]; labels: number[] };
  description: string;
}

/**
 * Calibration inputs for a model of input shape `inputShape`: `mnist` (the bundled digits:
 * every 8th training digit, accuracy on the held-out ones), tensor files (.npy, .json: a batch),
 * or pictures (files or a directory of .png/.jpg), comma-separated.
 */
async function readCalibration(
  spec: string,
  inputShape: number[],
  scale: number,
  offset: number,
): Promise<CalibrationSet> {
  const n = inputShape.reduce((a, b) => a * b, 1);
  const input = {
    input: {
      shape: inputShape,
      encoding: "uint8-hwc" as const,
      scale,
      offset,
      source: { kind: "identity" as const },
    },
  };
  if (spec === "mnist") {
    if (n !== 784) {
      throw new ProofworkError(
        ErrorCodes.BAD_ARGUMENT,
        `--calibration mnist needs a 28×28 (784-value) input; the model takes ${shape(inputShape)}`,
      );
    }
    const { loadMnist } = await import("../../model/data.ts");
    const data = loadMnist();
    const cal = data.train.filter((_, i) => i % 8 === 0);
    return {
      inputs: cal.map((s) => s.image),
      evaluation: { inputs: data.heldOut.map((s) => s.image), labels: data.heldOut.map((s) => s.label) },
      description: `${cal.length} MNIST training digits (accuracy on ${data.heldOut.length} held-out digits)`,
    };
  }
  const files = parseList(spec).flatMap((f) => {
    let st;
    try {
      st = statSync(f);
    } catch {
      throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, `--calibration: ${f} not found`);
    }
    return st.isDirectory()
      ? readdirSync(f)
          .filter((e) => inputFileKind(e) === "picture")
          .sort()
          .map((e) => path.join(f, e))
      : [f];
  });
  if (files.length === 0) throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, "--calibration: no input files");
  const inputs: Uint8Array[] = [];
  for (const f of files) {
    const kind = inputFileKind(f);
    let bytes: Uint8Array;
    try {
      if (kind === "picture") bytes = encodePictures(input, [readPicture(f)]);
      else if (kind === "npy") bytes = encodeTensor(input, parseNpy(new Uint8Array(readFileSync(f))));
      else if (kind === "json")
        bytes = encodeTensor(input, tensorFromJson(JSON.parse(readFileSync(f, "utf8"))));
      else throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, "calibration data is .npy, .json or pictures");
    } catch (e) {
      throw new ProofworkError(ErrorCodes.INPUT_INVALID, `--calibration ${f}: ${errorMessage(e)}`);
    }
    for (let o = 0; o < bytes.length; o += n) inputs.push(bytes.slice(o, o + n));
  }
  return { inputs, description: `${inputs.length} sample(s) from ${files.length} file(s)` };
}

function reportLines(a: ModelArtifact, report: ImportReport, file: string): string[] {
  const lines = [`imported ${a.name} → ${file}`, `  hash           ${a.hash}`];
  lines.push(
    `  input          ${shape(a.input.shape)} bytes (float = byte × ${a.input.scale} + ${a.input.offset})`,
  );
  for (const n of report.notes) lines.push(`  fold           ${n}`);
  for (const l of report.layers) {
    lines.push(
      `  layer          ${l.name} ${l.kind} → ${shape(l.outShape)}${l.shift ? ` shifts ${l.shift.join(",")}` : ""} bound [${l.bound.join(", ")}]`,
    );
  }
  if (report.accuracy) {
    const r = report.accuracy;
    lines.push(
      `  accuracy       float ${(r.float * 100).toFixed(2)}%, quantized ${(r.quantized * 100).toFixed(2)}% on ${r.samples} labelled samples (${r.disagreements} predictions differ)`,
    );
  }
  lines.push(`next: proofwork model build ${a.name}`);
  return lines;
}

async function modelCatalog() {
  return import("../../circuits/index.ts");
}

function summary(a: ModelArtifact) {
  return {
    name: a.name,
    hash: a.hash,
    input: { shape: a.input.shape, scale: a.input.scale, offset: a.input.offset, source: a.input.source },
    layers: a.layers.map((l) => ({ kind: l.kind, outShape: l.outShape })),
    output: a.output,
    accuracy: accuracyOf(a),
  };
}

export function registerModelCommands(program: Command): void {
  const model = program
    .command("model")
    .description("bring your own model: import a TF.js model, build its circuit, register it as a job type");

  model
    .command("import")
    .description(
      "import a TF.js Layers model (model.json + weights): fold, quantize, write the model artifact",
    )
    .argument("<model.json>", "the TF.js Layers model (as model.save() writes it)")
    .requiredOption("--name <name>", "artifact name (letters, digits, '-', '_')")
    .option(
      "--calibration <data>",
      "calibration inputs: `mnist`, .npy/.json tensors (a batch) or pictures (files or a folder), comma-separated (default: mnist for 28×28 inputs)",
    )
    .option(
      "--labels <file>",
      "labels of the calibration samples (.npy or .json): float vs quantized accuracy",
    )
    .option("--input-shape <HxWxC>", "input shape when the model does not declare one, e.g. 28x28x1")
    .option(
      "--input-scale <s>",
      "float value of input byte v is v·s + offset (default 1/255; a model that rescales bytes itself: 1)",
    )
    .option("--input-offset <o>", "see --input-scale (default 0)")
    .option("--activation-target <n>", "calibration maximum per requantized channel (default 127)")
    .option("--force", "replace an imported model of the same name")
    .action(
      action(
        async (
          file: string,
          opts: {
            name: string;
            calibration?: string;
            labels?: string;
            inputShape?: string;
            inputScale?: string;
            inputOffset?: string;
            activationTarget?: string;
            force?: boolean;
          },
          cmd: Command,
        ) => {
          const out = output(cmd);
          const config = configOf(cmd);
          const num = (v: string | undefined, flag: string, dflt: number): number => {
            if (v === undefined) return dflt;
            const x = v.includes("/") ? Number(v.split("/")[0]) / Number(v.split("/")[1]) : Number(v);
            if (!Number.isFinite(x) || (x === 0 && flag === "--input-scale"))
              throw new ProofworkError(ErrorCodes.BAD_NUMBER, `${flag} must be a number, got "${v}"`);
            return x;
          };
          const inputShape =
            opts.inputShape === undefined
              ? undefined
              : opts.inputShape.split(/[x×,]/).map((d) => parseInteger(d, "--input-shape", 1));
          const scale = num(opts.inputScale, "--input-scale", 1 / 255);
          const offset = num(opts.inputOffset, "--input-offset", 0);
          // the input shape first (to read the calibration data for it); unsupported layers fail here
          const graph = readModelGraph(file, inputShape ? { inputShape } : {});
          if (graph.inputShape.length === 0) {
            throw new ProofworkError(
              ErrorCodes.MODEL_INVALID,
              "the model declares no input shape: pass --input-shape HxWxC",
            );
          }
          const n = graph.inputShape.reduce((a, b) => a * b, 1);
          const calSpec = opts.calibration ?? (n === 784 ? "mnist" : undefined);
          if (calSpec === undefined) {
            throw new ProofworkError(
              ErrorCodes.BAD_ARGUMENT,
              `--calibration is needed for a ${shape(graph.inputShape)} input (.npy/.json tensors or pictures)`,
            );
          }
          const cal = await readCalibration(calSpec, graph.inputShape, scale, offset);
          const labels = opts.labels !== undefined ? readLabels(opts.labels) : undefined;
          if (labels !== undefined && labels.length !== cal.inputs.length) {
            throw new ProofworkError(
              ErrorCodes.BAD_ARGUMENT,
              `--labels has ${labels.length} labels for ${cal.inputs.length} calibration samples`,
            );
          }
          out.progress(`→ importing ${file}: calibration on ${cal.description} …`);
          const { artifact, report } = importModel(file, {
            name: opts.name,
            calibration: cal.inputs,
            ...(labels ? { labels } : {}),
            ...(cal.evaluation ? { evaluation: cal.evaluation } : {}),
            ...(inputShape ? { inputShape } : {}),
            inputScale: scale,
            inputOffset: offset,
            ...(opts.activationTarget !== undefined
              ? { activationTarget: parseInteger(opts.activationTarget, "--activation-target", 1, 1 << 20) }
              : {}),
            meta: { calibration: { data: calSpec, samples: cal.inputs.length } },
          });
          if (report.accuracy) artifact.meta = { ...artifact.meta, accuracy: report.accuracy };
          const { saveImportedModel } = await modelCatalog();
          const saved = saveImportedModel(config.modelsDir, artifact, opts.force === true);
          out.result(
            { ok: true, model: summary(artifact), file: saved, report },
            reportLines(artifact, report, saved),
          );
        },
      ),
    );

  model
    .command("build")
    .description(
      "generate, compile and key the model's circuit, and its Solidity verifier (cached by content hash)",
    )
    .argument("<name>", "model name (`proofwork model list`) or artifact file")
    .option("--batch <n>", "samples per job (per proof)", "1")
    .option("--no-keys", "compile only (no Groth16 setup)")
    .action(
      action(async (name: string, opts: { batch: string; keys: boolean }, cmd: Command) => {
        const out = output(cmd);
        const config = configOf(cmd);
        const c = await modelCatalog();
        const entry = c.resolveModel(name, config.modelsDir);
        const batch = parseInteger(opts.batch, "--batch", 1, 64);
        const spec = c.circuitSpecFor(entry.artifact, { batch, setup: opts.keys });
        const estimate = c.constraintEstimate(entry.artifact).reduce((s, l) => s + l.constraints, 0);
        out.progress(
          `→ building ${spec.name} (${entry.artifact.name}, batch ${batch}; model layers ≈ ${estimate * batch} constraints) …`,
        );
        try {
          const [built] = await c.buildCircuits([spec], {
            ptau: config.ptau,
            cacheDir: config.cacheDir,
            outDir: config.buildDir,
            log: (l) => out.progress(`  ${l}`),
          });
          if (built === undefined)
            throw new ProofworkError(
              ErrorCodes.CIRCUIT_BUILD_FAILED,
              `building ${spec.name} produced nothing`,
            );
          out.result(
            {
              ok: true,
              circuit: built.name,
              model: entry.artifact.name,
              modelHash: entry.artifact.hash,
              batch,
              constraints: built.constraints,
              numPublic: built.nPublic,
              inputBytes: batch * inputSize(entry.artifact),
              keys: built.zkey !== undefined,
              verifierContract: built.verifierContract,
            },
            [
              `built ${built.name}: ${built.constraints} constraints, ${built.nPublic} public signals, ${batch * inputSize(entry.artifact)} input bytes per job`,
              built.zkey !== undefined
                ? `  keys and verifier ${built.verifierContract} in ${path.dirname(built.wasm)}`
                : "  compiled only (no keys)",
              ...(built.zkey !== undefined
                ? [`next: proofwork model register ${name}${batch > 1 ? ` --batch ${batch}` : ""}`]
                : []),
            ],
          );
        } finally {
          await c.releaseCurves();
        }
      }),
    );

  model
    .command("register")
    .description("deploy the model circuit's verifier and register it on the deployment (circuit admin)")
    .argument("<name>", "model name or artifact file")
    .option("--batch <n>", "samples per job (the circuit built with `model build --batch`)", "1")
    .action(
      action(async (name: string, opts: { batch: string }, cmd: Command) => {
        const out = output(cmd);
        const config = configOf(cmd);
        if (config.network === "hardhat") {
          throw new ProofworkError(
            ErrorCodes.BAD_ARGUMENT,
            "the in-process hardhat network ends with this command: register on a running chain (--network localhost or sepolia)",
          );
        }
        const c = await modelCatalog();
        const entry = c.resolveModel(name, config.modelsDir);
        const circuit = c.circuitName(entry.artifact, parseInteger(opts.batch, "--batch", 1, 64));
        await registerOnChain(circuit, entry.artifact, config, out);
      }),
    );

  model
    .command("list")
    .description("committed and imported models, with their built circuits")
    .action(
      action(async (_opts: object, cmd: Command) => {
        const out = output(cmd);
        const config = configOf(cmd);
        const c = await modelCatalog();
        const rows = c.listModels(config.modelsDir).map((m) => ({
          ...summary(m.artifact),
          origin: m.origin,
          file: m.file,
          circuits: builtCircuitsOf(m.artifact, config.buildDir),
        }));
        out.result(
          { ok: true, models: rows },
          rows.map(
            (r) =>
              `${r.name.padEnd(18)} ${r.origin.padEnd(9)} ${r.hash.slice(0, 10)}…  input ${shape(r.input.shape).padEnd(8)} ${r.layers
                .map((l) => l.kind)
                .join("→")
                .padEnd(
                  36,
                )} ${r.accuracy !== undefined ? `${(r.accuracy * 100).toFixed(1)}%` : "  —  "}  ${r.circuits.map((x) => `${x.name}${x.keys ? "" : " (no keys)"}`).join(", ") || "not built"}`,
          ),
        );
      }),
    );

  model
    .command("show")
    .description("a model's layers, bounds, constraint estimate, accuracy and built circuits")
    .argument("<name>", "model name or artifact file")
    .action(
      action(async (name: string, _opts: object, cmd: Command) => {
        const out = output(cmd);
        const config = configOf(cmd);
        const c = await modelCatalog();
        const m = c.resolveModel(name, config.modelsDir);
        const a = m.artifact;
        const costs = c.constraintEstimate(a);
        const circuits = builtCircuitsOf(a, config.buildDir);
        const lines = [
          `model ${a.name} (${m.origin}: ${m.file})`,
          `  hash (model commitment)  ${a.hash}`,
          `  input                    ${shape(a.input.shape)} bytes, float = byte × ${a.input.scale} + ${a.input.offset}${a.input.source.kind === "avgpool2x2" ? `; from a ${shape(a.input.source.from)} image, 2×2 average-pooled` : ""}`,
          `  output                   ${a.output.classes} values of ${a.output.bits} bits, ${a.output.perElement} per public signal`,
          ...a.layers.map(
            (l, k) =>
              `  layer ${k}  ${l.kind.padEnd(8)} ${shape(l.inShape).padStart(9)} → ${shape(l.outShape).padEnd(9)} ≈ ${costs[k]!.constraints} constraints, bound ±${a.bounds[k]!.absMax}`,
          ),
          `  accuracy                 ${accuracyOf(a) !== undefined ? `${(accuracyOf(a)! * 100).toFixed(2)}% (quantized, recorded at import)` : "not recorded"}`,
          `  circuits                 ${circuits.map((x) => `${x.name} (${x.constraints} constraints${x.keys ? "" : ", no keys"})`).join(", ") || `not built: proofwork model build ${name}`}`,
        ];
        out.result(
          { ok: true, model: summary(a), origin: m.origin, file: m.file, constraints: costs, circuits },
          lines,
        );
      }),
    );
}

/** Deploys the circuit's verifier and registers it; writes the updated deployment record. */
async function registerOnChain(
  circuit: string,
  artifact: ModelArtifact,
  config: Config,
  out: Output,
): Promise<void> {
  let built;
  try {
    built = readBuiltCircuit(circuit, config.buildDir);
  } catch {
    throw new ProofworkError(
      ErrorCodes.CIRCUIT_NOT_BUILT,
      `circuit ${circuit} is not built: run \`proofwork model build ${artifact.name}\` first`,
    );
  }
  if (built.model?.artifactHash !== artifact.hash) {
    throw new ProofworkError(
      ErrorCodes.ARTIFACT_MISMATCH,
      `the built ${circuit} proves model ${built.model?.artifactHash ?? "(none)"}, not ${artifact.hash}: rebuild it`,
    );
  }
  const { connectChain, deploymentPath } = await import("../../sdk/node.ts");
  const { chainId } = await connectChain(config);
  const recordPath = config.deploymentFile ?? deploymentPath(config.deploymentsDir, chainId);
  const deployment = readDeployment(recordPath);
  const d = await import("../../deploy/index.ts");
  const hre = await d.getHre();
  out.progress("→ compiling contracts (the generated verifier) …");
  const abiWarning = await d.compileContracts(hre);
  if (abiWarning !== undefined) out.progress(`warning: ${abiWarning}`);
  const connection = await d.connectNetwork(hre, {
    network: config.network,
    rpcUrl: config.rpcUrl,
    privateKey: config.privateKey,
  });
  try {
    const result = await d.registerBuiltCircuit(connection, deployment, circuit, {
      buildDir: config.buildDir,
      artifactBaseUri: config.artifactBaseUri,
      log: (l) => out.progress(`  ${l}`),
    });
    const written = writeDeployment(recordPath, result.deployment);
    out.result({ ok: true, circuit: result.circuit, record: written }, [
      `registered ${circuit} (id ${result.circuit.id})`,
      `  verifier  ${result.circuit.verifier}`,
      `  model     ${artifact.name} ${artifact.hash}`,
      `  files     ${result.circuit.wasmUri.replace(/[^/]*$/, "")}`,
      `  record    ${written}`,
      `requesters: proofwork job post -c ${circuit} --input <picture|.npy|.json> --price <amount>`,
    ]);
  } finally {
    await connection.close();
  }
}
