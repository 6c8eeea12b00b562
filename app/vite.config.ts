/**
 * Vite configuration of the web app (`npm run app`, `npm run app:build`).
 *
 * The page is configured at run time by `config.json` (see app/src/config.ts). The dev server
 * (`npm run app`) answers it from the project's configuration (`sdk/node/config.ts`: the
 * environment and `.env`) and serves, next to the page:
 *   /config.json       the runtime config
 *   /rpc               a proxy to PROOFWORK_RPC_URL (same origin: no CORS needed)
 *   /deployment.json   the deployment record (PROOFWORK_DEPLOYMENT, else
 *                      deployments/<chainId of the node>[.local].json), read on every request
 *   /artifacts/<name>/<file>   the built circuits (PROOFWORK_BUILD_DIR), onto which the page maps
 *                      the `file://` artifact URIs a local deployment registers
 *   /datasets/<file>   batch datasets: the datasets folder (PROOFWORK_DATASET_DIR) with its
 *                      index.json (app/src/datasets.ts); its URLs are the inputsURIs of batch jobs
 *   POST /datasets/upload?circuit=<name>&inputBytes=<n>&name=<label>   publishes an inputs file
 *                      there (content-addressed, at most 64 MiB) and answers its index entry
 * A production build (`npm run app:build` → app/dist/) is a static folder with a default
 * `config.json` to edit: RPC URL and deployment record URL (README, "Web app").
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { IncomingMessage, ServerResponse } from "node:http";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";
import { deploymentPath, loadConfig, probeChainId, readDeployment, type Config } from "../sdk/node.ts";
import type { AppConfig } from "./src/config.ts";
import type { DatasetEntry } from "./src/datasets.ts";
import { addDatasetEntry, publishInputsFile } from "./datasets.ts";

const APP_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(APP_DIR, "..");
const CIRCOMLIB_POSEIDON = join(
  dirname(createRequire(import.meta.url).resolve("circomlibjs")),
  "..",
  "src",
  "poseidon_wasm.js",
);

/** Files of a built circuit the page may fetch. */
const ARTIFACT_FILE = /^[A-Za-z0-9_.-]+\.(wasm|zkey|json)$/;
const CIRCUIT_DIR = /^[A-Za-z0-9_-]+$/;
/** Files of the datasets folder the page may fetch. */
const DATASET_FILE = /^[A-Za-z0-9_.-]+$/;
/** The largest inputs file the dev server accepts for upload. */
const MAX_UPLOAD_BYTES = 64 * 2 ** 20;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.setHeader("cache-control", "no-store");
  res.end(JSON.stringify(body));
}

/** The runtime config the dev server gives the page. */
function devAppConfig(config: Config): AppConfig {
  return {
    rpcUrl: "/rpc",
    walletRpcUrl: config.rpcUrl,
    deploymentUrl: "/deployment.json",
    fileArtifactsUrl: "/artifacts/",
    datasetsUrl: "/datasets/",
    datasetUploadUrl: "/datasets/upload",
  };
}

/** The request body, at most `max` bytes (undefined when larger). */
async function readBody(req: IncomingMessage, max: number): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > max) return undefined;
    chunks.push(c);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** POST /datasets/upload: publishes an inputs file into the datasets folder. */
async function uploadDataset(datasetDir: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const q = new URL(req.url ?? "/", "http://localhost").searchParams;
  const circuit = q.get("circuit") ?? "";
  const inputBytes = Number(q.get("inputBytes"));
  if (!CIRCUIT_DIR.test(circuit) || !Number.isInteger(inputBytes) || inputBytes < 1) {
    return sendJson(res, 400, { error: "upload needs ?circuit=<name>&inputBytes=<n>" });
  }
  const body = await readBody(req, MAX_UPLOAD_BYTES);
  if (body === undefined) {
    return sendJson(res, 413, {
      error: `the dev server takes inputs files up to ${MAX_UPLOAD_BYTES / 2 ** 20} MiB: publish larger ones yourself`,
    });
  }
  if (body.length === 0 || body.length % inputBytes !== 0) {
    return sendJson(res, 400, {
      error: `an inputs file of ${body.length} bytes is not whole samples of ${inputBytes} bytes`,
    });
  }
  const { name, inputsHash } = publishInputsFile(datasetDir, body);
  const entry: DatasetEntry = {
    name: (q.get("name") ?? "").slice(0, 120) || `uploaded ${name.slice(0, 10)}`,
    file: name,
    circuit,
    numSamples: body.length / inputBytes,
    inputBytes,
    inputsHash,
  };
  addDatasetEntry(datasetDir, entry);
  return sendJson(res, 200, entry);
}

/** Which deployment record the dev server serves: the configured file, else the node's chain's. */
async function deploymentFile(config: Config): Promise<string> {
  if (config.deploymentFile !== undefined) return resolve(config.deploymentFile);
  let chainId = 31337n;
  try {
    chainId = await probeChainId(config.rpcUrl, 2000);
  } catch {
    // the node is down: the page says so itself; point at the local chain's record
  }
  return resolve(deploymentPath(config.deploymentsDir, chainId));
}

/** Serves /config.json, /deployment.json and /artifacts/ from the project's configuration. */
function proofworkDevServer(config: Config): Plugin {
  const buildDir = resolve(config.buildDir);
  const datasetDir = resolve(config.datasetDir);
  const handle = async (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]!);
    if (path === "/config.json") return sendJson(res, 200, devAppConfig(config));
    if (path === "/datasets/upload") {
      if (req.method !== "POST") return sendJson(res, 405, { error: "POST an inputs file" });
      return uploadDataset(datasetDir, req, res);
    }
    if (path.startsWith("/datasets/")) {
      const file = path.slice("/datasets/".length);
      const full = join(datasetDir, file);
      if (!DATASET_FILE.test(file) || !existsSync(full) || !statSync(full).isFile()) {
        if (file === "index.json") return sendJson(res, 200, { datasets: [] });
        return sendJson(res, 404, { error: `no dataset file ${file} in ${datasetDir}` });
      }
      res.setHeader("content-type", file.endsWith(".json") ? "application/json" : "application/octet-stream");
      res.setHeader("cache-control", "no-store");
      res.setHeader("access-control-allow-origin", "*");
      return res.end(readFileSync(full));
    }
    if (path === "/deployment.json") {
      const file = await deploymentFile(config);
      if (!existsSync(file)) {
        return sendJson(res, 404, {
          error: `no deployment record at ${file}: run \`bin/proofwork --network localhost deploy\``,
        });
      }
      res.setHeader("cache-control", "no-store");
      res.setHeader("content-type", "application/json");
      return res.end(readFileSync(file));
    }
    if (path.startsWith("/artifacts/")) {
      const [name, file, ...rest] = path.slice("/artifacts/".length).split("/");
      if (
        rest.length > 0 ||
        name === undefined ||
        file === undefined ||
        !CIRCUIT_DIR.test(name) ||
        !ARTIFACT_FILE.test(file)
      ) {
        return sendJson(res, 404, { error: "not an artifact" });
      }
      const full = join(buildDir, name, file);
      if (!full.startsWith(buildDir + sep) || !existsSync(full) || !statSync(full).isFile()) {
        return sendJson(res, 404, { error: `no artifact ${name}/${file} in ${buildDir}` });
      }
      res.setHeader("content-type", file.endsWith(".json") ? "application/json" : "application/octet-stream");
      res.setHeader("cache-control", "no-cache");
      return res.end(readFileSync(full));
    }
    next();
  };
  return {
    name: "proofwork-dev-server",
    configureServer(server) {
      server.middlewares.use((req, res, next) => void handle(req, res, next).catch(next));
    },
  };
}

/**
 * Writes the runtime config into the production build: `rpcUrl` from PROOFWORK_RPC_URL. With
 * PROOFWORK_DEPLOYMENT set, the record is copied in as `deployment.json`, and for circuits it
 * registers with `file://` artifacts (local deployments), their verification key and model are
 * copied to `artifacts/<name>/` so the static folder verifies on its own. Edit config.json after
 * building to point the page elsewhere (README, "Web app").
 */
function proofworkBuildConfig(config: Config): Plugin {
  return {
    name: "proofwork-build-config",
    apply: "build",
    generateBundle() {
      const runtime: AppConfig = { rpcUrl: config.rpcUrl, deploymentUrl: "deployment.json" };
      if (config.deploymentFile !== undefined) {
        const deployment = readDeployment(config.deploymentFile);
        this.emitFile({
          type: "asset",
          fileName: "deployment.json",
          source: `${JSON.stringify(deployment, null, 2)}\n`,
        });
        for (const c of Object.values(deployment.circuits)) {
          if (!c.vkUri.startsWith("file://")) continue;
          runtime.fileArtifactsUrl = "artifacts/";
          for (const file of ["verification_key.json", "model.json"]) {
            const path = join(resolve(config.buildDir), c.name, file);
            if (existsSync(path))
              this.emitFile({
                type: "asset",
                fileName: `artifacts/${c.name}/${file}`,
                source: readFileSync(path),
              });
          }
        }
      }
      this.emitFile({
        type: "asset",
        fileName: "config.json",
        source: `${JSON.stringify(runtime, null, 2)}\n`,
      });
    },
  };
}

export default defineConfig(() => {
  const config = loadConfig();
  return {
    root: APP_DIR,
    // relative asset URLs: the static build works from any path of any host
    base: "./",
    // not the shared node_modules/.vite: the app keeps its pre-bundled dependencies to itself
    cacheDir: join(APP_DIR, ".vite"),
    plugins: [react(), proofworkDevServer(config), proofworkBuildConfig(config)],
    resolve: {
      alias: [
        // the SDK, as an integrator imports it (package.json "exports": "." → sdk/index.ts)
        { find: /^proofwork$/, replacement: join(ROOT, "sdk", "index.ts") },
        // circomlibjs' Poseidon module itself: the package index also loads its Baby Jubjub,
        // EdDSA and Pedersen code, whose dependencies need Node's Buffer at load time
        { find: /^circomlibjs$/, replacement: CIRCOMLIB_POSEIDON },
      ],
    },
    server: {
      host: "127.0.0.1",
      port: 5173,
      fs: { allow: [ROOT] },
      proxy: {
        "/rpc": { target: config.rpcUrl, changeOrigin: true, rewrite: () => "" },
      },
    },
    preview: { host: "127.0.0.1", port: 4173 },
    // pre-bundle every dependency up front, so a first visit never triggers a re-optimisation reload
    optimizeDeps: {
      include: ["react", "react-dom/client", "react/jsx-runtime", "ethers", "snarkjs", "ffjavascript", "zod"],
    },
    build: {
      outDir: join(APP_DIR, "dist"),
      emptyOutDir: true,
      target: "es2022",
      chunkSizeWarningLimit: 4096,
    },
    worker: { format: "es" as const },
  };
});
