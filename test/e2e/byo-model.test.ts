/**
 * Bring your own model, as a new user would, every step a real process:
 *   1. a short script saves a TF.js model the repository has never seen (Conv2D + MaxPooling2D +
 *      Conv2D + AveragePooling2D + Dense, 16×16 RGB in, 5 classes out) with `model.save`;
 *   2. `npx hardhat node`; `proofwork deploy`; a provider stakes and starts `proofwork worker start`
 *      (running before the model exists: it must pick the new job type up with no restart);
 *   3. `proofwork model import` (calibration from a .npy file) → `model build` → `model register`;
 *      an LSTM model is refused with one line naming the layer;
 *   4. `proofwork job post -c <circuit> --input picture.png --wait`: proven by the worker, outputs
 *      equal to the bigint reference on the picture's encoding; `proofwork job verify` from the
 *      chain alone.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { PNG } from "pngjs";
import { buildCircuits, specsFor } from "../../circuits/index.ts";
import { encodePictures, inferSample, parseArtifact } from "../../sdk/index.ts";
import { fileSaveHandler } from "../../sdk/node.ts";
import { randomBytes, saveUnsupported } from "../model/fixtures.ts";
import { CLI, TSX, runCli, type CliRun } from "../helpers/cli.ts";
import { waitForOutput } from "../helpers/process.ts";
import { devKey, freePort } from "../../deploy/index.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HARDHAT = join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
const NAME = "byo-rgb-cnn";
const CIRCUIT = "byo_rgb_cnn_b1";
const VERIFIER_SOURCE = join(ROOT, "contracts", "generated", "ByoRgbCnnB1Verifier.sol");

// Hardhat's well-known development accounts #0–#2 (never use them on a real network).
const DEPLOYER_KEY = devKey(0);
const REQUESTER_KEY = devKey(1);
const PROVIDER_KEY = devKey(2);

/** A uint8 .npy file (format 1.0). */
function npyU8(shape: number[], data: Uint8Array): Uint8Array {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = `${header}${" ".repeat(pad % 64)}\n`;
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

/** The never-seen model: what a user's training script would save. */
async function saveNewModel(dir: string): Promise<void> {
  await tf.setBackend("cpu");
  let seed = 7;
  const init = () => tf.initializers.glorotUniform({ seed: seed++ });
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [16, 16, 3],
      filters: 4,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      kernelInitializer: init(),
    }),
  );
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(
    tf.layers.conv2d({
      filters: 6,
      kernelSize: 3,
      strides: 1,
      activation: "relu",
      kernelInitializer: init(),
    }),
  );
  m.add(tf.layers.averagePooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 5, kernelInitializer: init() }));
  await m.save(fileSaveHandler(dir));
  m.dispose();
}

/** A 40×40 RGB picture (a coloured diagonal pattern) as a PNG file. */
function writePicture(file: string): void {
  const png = new PNG({ width: 40, height: 40 });
  for (let y = 0; y < 40; y++) {
    for (let x = 0; x < 40; x++) {
      const i = 4 * (y * 40 + x);
      png.data[i] = (x * 6) & 0xff;
      png.data[i + 1] = (y * 6) & 0xff;
      png.data[i + 2] = x + y < 40 ? 230 : 20;
      png.data[i + 3] = 255;
    }
  }
  writeFileSync(file, PNG.sync.write(png));
}

describe("e2e: bring your own model — import → build → register → picture job → verify", function () {
  this.timeout(900_000);
  let dir: string;
  let node: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let env: Record<string, string>;

  async function ok(args: string[], extra: Record<string, string> = {}): Promise<CliRun> {
    const r = await runCli(args, { ...env, ...extra }, dir);
    expect(r.code, `proofwork ${args.join(" ")}\n${r.stderr}`).to.equal(0);
    return r;
  }

  before(async () => {
    // the protocol's own circuits for the deployment (cached by content hash)
    await buildCircuits(specsFor("test", ["binding_test"]), { log: () => undefined });
    dir = mkdtempSync(join(tmpdir(), "proofwork-byo-"));
    await saveNewModel(join(dir, "my-model"));
    await saveUnsupported(join(dir, "lstm-model"));
    writeFileSync(join(dir, "calibration.npy"), npyU8([48, 16, 16, 3], randomBytes(48 * 768, 11)));
    writePicture(join(dir, "picture.png"));
    const port = await freePort();
    node = spawn(process.execPath, [HARDHAT, "node", "--port", String(port)], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    await waitForOutput(node, /Started HTTP and WebSocket JSON-RPC server/, 120_000, "hardhat node");
    env = {
      PROOFWORK_RPC_URL: `http://127.0.0.1:${port}`,
      PROOFWORK_NETWORK: "localhost",
      PROOFWORK_DEPLOYMENT: join(dir, "deployment.json"),
      PROOFWORK_POLL_INTERVAL_MS: "200",
      PROOFWORK_WORKER_COLLECT_MAX_AGE_MS: "0",
      // the user's models and circuits live outside the repository's build folder
      PROOFWORK_MODELS_DIR: join(dir, "models"),
      PROOFWORK_BUILD_DIR: join(dir, "circuits"),
    };
  });

  after(async () => {
    for (const p of [worker, node]) {
      if (p !== undefined && p.exitCode === null && p.signalCode === null) {
        const exited = new Promise((r) => p.once("exit", r));
        p.kill("SIGTERM");
        await exited;
      }
    }
    // the generated verifier of the test's model (generated, not committed)
    rmSync(VERIFIER_SOURCE, { force: true });
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("test_byoModel_importBuildRegister_pictureJobProvenByRunningWorker_verifiedFromChain", async () => {
    // deploy the protocol (with the repository's binding_test circuit) and start a provider
    await ok(["--json", "deploy", "--circuits", "binding_test"], {
      PROOFWORK_PRIVATE_KEY: DEPLOYER_KEY,
      PROOFWORK_BUILD_DIR: join(ROOT, "build", "circuits"),
    });
    const asProvider = { PROOFWORK_PRIVATE_KEY: PROVIDER_KEY };
    await ok(["provider", "faucet", "1000"], asProvider);
    await ok(["provider", "stake", "500"], asProvider);
    await ok(["provider", "register", "--max-jobs", "2"], asProvider);
    worker = spawn(process.execPath, ["--import", TSX, CLI, "worker", "start"], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        ...env,
        ...asProvider,
        PROOFWORK_DATA_DIR: join(dir, "worker"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let workerLog = "";
    worker.stdout?.on("data", (d: Buffer) => (workerLog += d.toString()));
    worker.stderr?.on("data", (d: Buffer) => (workerLog += d.toString()));
    await waitForOutput(worker, /running on chain/, 60_000, "worker");

    // an unsupported layer: one line naming it and the supported list, exit 1
    const refused = await runCli(
      [
        "model",
        "import",
        join(dir, "lstm-model", "model.json"),
        "--name",
        "lstm",
        "--calibration",
        join(dir, "calibration.npy"),
      ],
      env,
      dir,
    );
    expect(refused.code).to.equal(1);
    const line = refused.stderr.trim();
    expect(line.split("\n"), line).to.have.length(1);
    expect(line).to.match(/^error\[MODEL_UNSUPPORTED\]: .*LSTM.*Conv2D/);

    // import: calibration from a .npy batch
    const imported = JSON.parse(
      (
        await ok([
          "--json",
          "model",
          "import",
          join(dir, "my-model", "model.json"),
          "--name",
          NAME,
          "--calibration",
          join(dir, "calibration.npy"),
        ])
      ).stdout,
    ) as { model: { hash: string; input: { shape: number[] }; layers: { kind: string }[] }; file: string };
    expect(imported.model.input.shape).to.deep.equal([16, 16, 3]);
    expect(imported.model.layers.map((l) => l.kind)).to.include.members([
      "conv2d",
      "maxpool",
      "avgpool",
      "dense",
    ]);
    const artifact = parseArtifact(JSON.parse(readFileSync(imported.file, "utf8")));
    expect(artifact.hash).to.equal(imported.model.hash);

    // build: circuit, keys, verifier
    const built = JSON.parse((await ok(["--json", "model", "build", NAME])).stdout) as {
      circuit: string;
      keys: boolean;
      inputBytes: number;
    };
    expect(built).to.include({ circuit: CIRCUIT, keys: true, inputBytes: 768 });
    expect(existsSync(join(dir, "circuits", CIRCUIT, `${CIRCUIT}.zkey`))).to.equal(true);

    // register on the running deployment (the deployer is the dev chain's circuit admin)
    const registered = JSON.parse(
      (await ok(["--json", "model", "register", NAME], { PROOFWORK_PRIVATE_KEY: DEPLOYER_KEY })).stdout,
    ) as { circuit: { id: string; modelHash: string; modelUri: string }; record: string };
    expect(registered.circuit.modelHash).to.equal(artifact.hash);
    const record = JSON.parse(readFileSync(registered.record, "utf8")) as {
      circuits: Record<string, { id: string }>;
    };
    expect(record.circuits[CIRCUIT]?.id).to.equal(registered.circuit.id);

    const listed = JSON.parse((await ok(["--json", "model", "list"])).stdout) as {
      models: { name: string; origin: string; circuits: { name: string; keys: boolean }[] }[];
    };
    expect(listed.models.find((m) => m.name === NAME)).to.deep.include({ origin: "imported" });
    expect(listed.models.find((m) => m.name === NAME)!.circuits.map((c) => c.name)).to.deep.equal([CIRCUIT]);

    // a requester posts a picture; the running worker serves the new job type
    const asRequester = { PROOFWORK_PRIVATE_KEY: REQUESTER_KEY };
    await ok(["provider", "faucet", "100"], asRequester);
    const done = JSON.parse(
      (
        await ok(
          [
            "--json",
            "job",
            "post",
            "-c",
            CIRCUIT,
            "--input",
            join(dir, "picture.png"),
            "--price",
            "1",
            "--wait",
            "--timeout",
            "600",
          ],
          asRequester,
        )
      ).stdout,
    ) as { posted: { jobId: string }; predictions: { predicted: number; logits: string[] }[] };
    const { width, height, data } = PNG.sync.read(readFileSync(join(dir, "picture.png")));
    const expected = inferSample(artifact, encodePictures(artifact, [{ width, height, data }]));
    expect(done.predictions).to.have.length(1);
    expect(done.predictions[0]!.logits.map(BigInt)).to.deep.equal(expected);

    const verified = JSON.parse((await ok(["--json", "job", "verify", done.posted.jobId])).stdout) as {
      ok: boolean;
      report: { valid: boolean };
    };
    expect(verified.report.valid).to.equal(true);
    expect(workerLog).to.not.match(/"level":(50|60)/);

    const exited = new Promise<number | null>((r) => worker!.once("exit", (code) => r(code)));
    worker.kill("SIGINT");
    expect(await exited).to.equal(0);
  });
});
