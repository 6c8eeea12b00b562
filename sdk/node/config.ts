/**
 * The one configuration module: a zod schema over environment variables (and `.env`), with CLI
 * flag overrides. Every field has a doc line, an environment variable and a default. This is the
 * only module that reads `process.env`.
 *
 * Precedence: explicit overrides (CLI flags) > real environment > `.env` file > default.
 * A bad value stops start-up with one `ProofworkError` (CONFIG_INVALID) naming the variable.
 */
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseDotenv } from "dotenv";
import { z } from "zod";
import { ErrorCodes, ProofworkError } from "../errors.ts";

// ---------------------------------------------------------------------------------------------
// Field helpers (environment values are strings; these coerce and explain what they expect)
// ---------------------------------------------------------------------------------------------

const intField = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() !== "" ? Number(v.trim()) : v),
    z
      .number({ error: `expected an integer between ${min} and ${max}` })
      .int({ error: `expected an integer between ${min} and ${max}` })
      .min(min, { error: `expected an integer between ${min} and ${max}` })
      .max(max, { error: `expected an integer between ${min} and ${max}` }),
  );

const bigintField = () =>
  z.preprocess(
    (v) =>
      typeof v === "string" && /^\s*\d+\s*$/.test(v)
        ? BigInt(v.trim())
        : typeof v === "number"
          ? BigInt(v)
          : v,
    z.bigint({ error: "expected a non-negative integer (token base units)" }).nonnegative(),
  );

const urlField = () =>
  z.string().refine((s) => /^(https?|wss?):\/\/[^\s]+$/i.test(s), {
    error: "expected an http(s):// or ws(s):// URL",
  });

const urlListField = () =>
  z.preprocess(
    (v) =>
      typeof v === "string"
        ? v
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s !== "")
        : v,
    z.array(urlField()),
  );

const optionalString = () =>
  z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), z.string().optional());

const privateKeyField = () =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
    z
      .string()
      .transform((s) => (s.startsWith("0x") ? s : `0x${s}`))
      .refine((s) => /^0x[0-9a-fA-F]{64}$/.test(s), {
        error: "expected 32 bytes of hex (64 hex digits, optional 0x)",
      })
      .optional(),
  );

const addressField = () =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
    z
      .string()
      .refine((s) => /^0x[0-9a-fA-F]{40}$/.test(s), { error: "expected a 0x-prefixed 20-byte hex address" })
      .optional(),
  );

const addressListField = () =>
  z.preprocess(
    (v) =>
      typeof v === "string"
        ? v
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s !== "")
        : v,
    z.array(
      z.string().refine((s) => /^0x[0-9a-fA-F]{40}$/.test(s), {
        error: "expected comma-separated 0x-prefixed 20-byte hex addresses",
      }),
    ),
  );

/** A path inside this repository (defaults must not depend on the working directory). */
function fromRepo(rel: string): string {
  return fileURLToPath(new URL(`../../${rel}`, import.meta.url));
}

// ---------------------------------------------------------------------------------------------
// The schema
// ---------------------------------------------------------------------------------------------

/** Executor backends the worker can run TF.js on (`auto` picks the fastest that loads). */
export const EXECUTOR_BACKENDS = ["auto", "tensorflow-gpu", "webgpu", "tensorflow", "wasm", "cpu"] as const;
export type ExecutorBackend = (typeof EXECUTOR_BACKENDS)[number];

/** WebGPU feature levels an adapter may offer (`compatibility` admits OpenGL ES adapters). */
export const WEBGPU_FEATURE_LEVELS = ["core", "compatibility"] as const;

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Network names the CLI and deploy scripts know (`hardhat` = embedded in-process chain). */
export const NETWORKS = ["hardhat", "localhost", "sepolia"] as const;
export type NetworkName = (typeof NETWORKS)[number];

/** Who holds the admin roles of a deployment: the deployer account, or a timelock. */
export const GOVERNANCE_KINDS = ["auto", "deployer", "timelock"] as const;
export type GovernanceKind = (typeof GOVERNANCE_KINDS)[number];

/** Lower bound (exclusive) of the timelock delay: ProtocolBounds.MIN_GOVERNANCE_DELAY (11 days). */
export const MIN_GOVERNANCE_DELAY_SECONDS = 11 * 86_400;

/** One entry per config field: environment variable, doc line, default (as shown in docs). */
interface FieldSpec {
  env: string;
  doc: string;
  /** The default as it would be written in `.env` (empty = unset). */
  example: string;
}

/** The configuration schema. Keys are camelCase; every key has a FIELD_SPECS entry. */
export const ConfigSchema = z.object({
  network: z.enum(NETWORKS, { error: `expected one of ${NETWORKS.join(", ")}` }).default("localhost"),
  rpcUrl: urlField().default("http://127.0.0.1:8545"),
  rpcFallbackUrls: urlListField().default([]),
  privateKey: privateKeyField(),
  chainId: z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
    intField(1).optional(),
  ),
  deploymentFile: optionalString(),
  deploymentsDir: z.string().min(1).default(fromRepo("deployments")),
  tokenAddress: addressField(),
  governance: z
    .enum(GOVERNANCE_KINDS, { error: `expected one of ${GOVERNANCE_KINDS.join(", ")}` })
    .default("auto"),
  timelockDelay: intField(MIN_GOVERNANCE_DELAY_SECONDS + 1, 365 * 86_400).default(12 * 86_400),
  timelockProposers: addressListField().default([]),
  timelockExecutors: addressListField().default([]),
  guardian: addressField(),
  circuitAdmin: addressField(),
  confirmations: z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
    intField(0, 64).optional(),
  ),
  pollIntervalMs: intField(10, 600_000).default(1000),
  logChunkSize: intField(1, 100_000).default(1000),
  executorBackend: z
    .enum(EXECUTOR_BACKENDS, { error: `expected one of ${EXECUTOR_BACKENDS.join(", ")}` })
    .default("auto"),
  webgpuFlags: z
    .preprocess(
      (v) => (typeof v === "string" ? v.split(/\s+/).filter((s) => s !== "") : v),
      z.array(
        z
          .string()
          .regex(/^[a-z][a-z0-9-]*=\S*$/, { error: "expected space-separated name=value Dawn options" }),
      ),
    )
    .default([]),
  webgpuFeatureLevel: z
    .enum(WEBGPU_FEATURE_LEVELS, { error: `expected one of ${WEBGPU_FEATURE_LEVELS.join(", ")}` })
    .default("core"),
  proverThreads: intField(1, 256).default(Math.max(1, availableParallelism() - 1)),
  maxConcurrentJobs: intField(1, 1024).default(2),
  minPrice: bigintField().default(0n),
  claimMarginSeconds: intField(0, 86_400).default(30),
  dataDir: z.string().min(1).default(".proofwork"),
  metricsPort: intField(0, 65_535).default(0),
  logLevel: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(", ")}` }).default("warn"),
  ptau: optionalString(),
  cacheDir: z
    .string()
    .min(1)
    .default(join(homedir(), ".cache", "proofwork")),
  buildDir: z.string().min(1).default(fromRepo("build/circuits")),
  modelsDir: z.string().min(1).default(fromRepo("build/models")),
  artifactBaseUri: optionalString(),
  datasetDir: z.string().min(1).default(join(".proofwork", "datasets")),
  datasetBaseUri: optionalString(),
  workerLookbackBlocks: intField(0, 100_000).default(64),
  workerShutdownGraceMs: intField(0, 3_600_000).default(30_000),
  workerMaxFeeGwei: intField(1, 1_000_000).default(500),
  workerCollectBatch: intField(1, 256).default(8),
  workerCollectMaxAgeMs: intField(0, 86_400_000).default(60_000),
  workerMetricsHost: z.string().min(1).default("127.0.0.1"),
  batchEnabled: z
    .preprocess(
      (v) => (typeof v === "string" ? v.trim().toLowerCase() : v),
      z.enum(["true", "false", "1", "0"], { error: "expected true or false" }),
    )
    .default("true")
    .transform((v) => v === "true" || v === "1"),
  batchMinPrice: bigintField().default(0n),
  batchMaxSamples: intField(1, 2 ** 32 - 1).default(1 << 20),
  batchChunkSize: intField(1, 65_536).default(512),
  batchSampleMarginBlocks: intField(0, 255).default(64),
  batchPublishDir: optionalString(),
  batchPublishBaseUri: optionalString(),
});

export type Config = z.output<typeof ConfigSchema>;
export type ConfigKey = keyof Config;
/** Values a caller (CLI flags, tests) may pass to override the environment. */
export type ConfigOverrides = Partial<Record<ConfigKey, string | number | bigint | string[] | undefined>>;

/** Environment variable and documentation of every field (drives `.env.example` and `--help`). */
export const FIELD_SPECS: { readonly [K in ConfigKey]: FieldSpec } = {
  network: {
    env: "PROOFWORK_NETWORK",
    doc: "Network for deploy/CLI: hardhat (embedded in-process chain), localhost (npx hardhat node) or sepolia",
    example: "localhost",
  },
  rpcUrl: {
    env: "PROOFWORK_RPC_URL",
    doc: "JSON-RPC endpoint of the chain",
    example: "http://127.0.0.1:8545",
  },
  rpcFallbackUrls: {
    env: "PROOFWORK_RPC_FALLBACK_URLS",
    doc: "Comma-separated fallback JSON-RPC endpoints, tried when the main one fails",
    example: "",
  },
  privateKey: {
    env: "PROOFWORK_PRIVATE_KEY",
    doc: "Hex private key of the account that sends transactions (requester or provider); never commit it",
    example: "",
  },
  chainId: {
    env: "PROOFWORK_CHAIN_ID",
    doc: "Expected chain id; start-up fails if the RPC endpoint reports another one (unset = accept any)",
    example: "",
  },
  deploymentFile: {
    env: "PROOFWORK_DEPLOYMENT",
    doc: "Deployment record to use (default: <deploymentsDir>/<chainId>.json, or <chainId>.local.json on local chains)",
    example: "",
  },
  deploymentsDir: {
    env: "PROOFWORK_DEPLOYMENTS_DIR",
    doc: "Directory holding deployment records, one per chain (default: <repo>/deployments)",
    example: "",
  },
  tokenAddress: {
    env: "PROOFWORK_TOKEN_ADDRESS",
    doc: "Existing ERC20 payment token to deploy against (testnets); unset = deploy the TestToken",
    example: "",
  },
  governance: {
    env: "PROOFWORK_GOVERNANCE",
    doc: "Deploy: who holds the admin roles: deployer (the deploying account), timelock (a ProofworkTimelock), auto (deployer on local dev chains, else timelock)",
    example: "auto",
  },
  timelockDelay: {
    env: "PROOFWORK_TIMELOCK_DELAY",
    doc: "Deploy: timelock delay in seconds; must exceed the longest job lifetime plus the slash window (11 days)",
    example: "1036800",
  },
  timelockProposers: {
    env: "PROOFWORK_TIMELOCK_PROPOSERS",
    doc: "Deploy: comma-separated addresses that may schedule timelock operations (default: the deployer)",
    example: "",
  },
  timelockExecutors: {
    env: "PROOFWORK_TIMELOCK_EXECUTORS",
    doc: "Deploy: comma-separated addresses that may execute ready timelock operations (default: the proposers)",
    example: "",
  },
  guardian: {
    env: "PROOFWORK_GUARDIAN",
    doc: "Deploy: holder of PAUSER_ROLE (market, staking) under timelock governance (default: the deployer)",
    example: "",
  },
  circuitAdmin: {
    env: "PROOFWORK_CIRCUIT_ADMIN",
    doc: "Deploy: holder of CIRCUIT_ADMIN_ROLE (registry) under timelock governance (default: the deployer)",
    example: "",
  },
  confirmations: {
    env: "PROOFWORK_CONFIRMATIONS",
    doc: "Blocks a transaction or event needs before it is treated as final (default: 0 on local dev chains, else 1)",
    example: "",
  },
  pollIntervalMs: {
    env: "PROOFWORK_POLL_INTERVAL_MS",
    doc: "How often to poll the chain for new blocks and events, in milliseconds",
    example: "1000",
  },
  logChunkSize: {
    env: "PROOFWORK_LOG_CHUNK_SIZE",
    doc: "Maximum block range per eth_getLogs request (many providers cap it at 1000 or less)",
    example: "1000",
  },
  executorBackend: {
    env: "PROOFWORK_EXECUTOR_BACKEND",
    doc: "TensorFlow.js backend for inference: auto, tensorflow-gpu, webgpu, tensorflow, wasm or cpu",
    example: "auto",
  },
  webgpuFlags: {
    env: "PROOFWORK_WEBGPU_FLAGS",
    doc: "Space-separated Dawn options for the webgpu backend (e.g. backend=vulkan, adapter=<name>)",
    example: "",
  },
  webgpuFeatureLevel: {
    env: "PROOFWORK_WEBGPU_FEATURE_LEVEL",
    doc: "WebGPU adapter level: core, or compatibility to also accept OpenGL ES adapters",
    example: "core",
  },
  proverThreads: {
    env: "PROOFWORK_PROVER_THREADS",
    doc: "snarkjs prover worker threads (default: CPU cores - 1)",
    example: "",
  },
  maxConcurrentJobs: {
    env: "PROOFWORK_MAX_CONCURRENT_JOBS",
    doc: "Maximum jobs a provider holds claimed at once",
    example: "2",
  },
  minPrice: {
    env: "PROOFWORK_MIN_PRICE",
    doc: "Provider: lowest job price worth claiming, in token base units",
    example: "0",
  },
  claimMarginSeconds: {
    env: "PROOFWORK_CLAIM_MARGIN_SECONDS",
    doc: "Provider: skip jobs whose execution window leaves less than this many seconds of slack",
    example: "30",
  },
  dataDir: {
    env: "PROOFWORK_DATA_DIR",
    doc: "Worker state directory (job store, downloaded artifacts)",
    example: ".proofwork",
  },
  metricsPort: {
    env: "PROOFWORK_METRICS_PORT",
    doc: "Port for Prometheus metrics (0 = disabled)",
    example: "0",
  },
  logLevel: {
    env: "PROOFWORK_LOG_LEVEL",
    doc: "Log level of structured (debug) logs: trace, debug, info, warn, error, fatal, silent",
    example: "warn",
  },
  ptau: {
    env: "PTAU",
    doc: "Powers-of-Tau file for the circuit build (production: a public ceremony's file); unset = local ceremony",
    example: "",
  },
  cacheDir: {
    env: "PROOFWORK_CACHE",
    doc: "Cache for circuit artifacts, keyed by content hash (default: ~/.cache/proofwork)",
    example: "",
  },
  buildDir: {
    env: "PROOFWORK_BUILD_DIR",
    doc: "Where the circuit build writes <name>/{<name>.wasm,<name>.zkey,verification_key.json} (default: <repo>/build/circuits)",
    example: "",
  },
  modelsDir: {
    env: "PROOFWORK_MODELS_DIR",
    doc: "Where `proofwork model import` writes imported model artifacts, <name>.qmodel.json (default: <repo>/build/models)",
    example: "",
  },
  artifactBaseUri: {
    env: "PROOFWORK_ARTIFACT_BASE_URI",
    doc: "Base URI registered on-chain for providers to fetch circuit wasm/zkey (default: file:// of buildDir)",
    example: "",
  },
  datasetDir: {
    env: "PROOFWORK_DATASET_DIR",
    doc: "Requester: where `proofwork job post --batch` writes batch inputs files, <inputsHash>.inputs.bin",
    example: ".proofwork/datasets",
  },
  datasetBaseUri: {
    env: "PROOFWORK_DATASET_BASE_URI",
    doc: "Requester: base URI a batch job's inputsURI is published under (serve datasetDir there; default: file:// of datasetDir)",
    example: "",
  },
  workerLookbackBlocks: {
    env: "PROOFWORK_WORKER_LOOKBACK_BLOCKS",
    doc: "Worker: blocks re-read below the stored log cursor on start (reorg safety)",
    example: "64",
  },
  workerShutdownGraceMs: {
    env: "PROOFWORK_WORKER_SHUTDOWN_GRACE_MS",
    doc: "Worker: on SIGINT/SIGTERM, how long in-flight jobs may finish before they are parked for the next start",
    example: "30000",
  },
  workerMaxFeeGwei: {
    env: "PROOFWORK_WORKER_MAX_FEE_GWEI",
    doc: "Worker: cap on maxFeePerGas in gwei; above it the worker waits instead of overpaying",
    example: "500",
  },
  workerCollectBatch: {
    env: "PROOFWORK_WORKER_COLLECT_BATCH",
    doc: "Worker: collect the payment of completed jobs in one transaction once this many are waiting",
    example: "8",
  },
  workerCollectMaxAgeMs: {
    env: "PROOFWORK_WORKER_COLLECT_MAX_AGE_MS",
    doc: "Worker: or once the oldest waiting job has waited this long, in ms (0 = collect each job at once)",
    example: "60000",
  },
  batchEnabled: {
    env: "PROOFWORK_BATCH_ENABLED",
    doc: "Worker: serve batch jobs (docs/BATCH.md) when the deployment has a BatchMarket (true/false)",
    example: "true",
  },
  batchMinPrice: {
    env: "PROOFWORK_BATCH_MIN_PRICE",
    doc: "Worker: lowest batch job price (the whole batch) worth claiming, in token base units",
    example: "0",
  },
  batchMaxSamples: {
    env: "PROOFWORK_BATCH_MAX_SAMPLES",
    doc: "Worker: largest batch (samples N) the worker takes",
    example: "1048576",
  },
  batchChunkSize: {
    env: "PROOFWORK_BATCH_CHUNK_SIZE",
    doc: "Worker: samples per executor call when running a batch (size it to the backend's memory)",
    example: "512",
  },
  batchSampleMarginBlocks: {
    env: "PROOFWORK_BATCH_SAMPLE_MARGIN_BLOCKS",
    doc: "Worker: record a batch's sample-block randomness with sample() first when proving starts this many blocks after it (blockhash reaches back 256)",
    example: "64",
  },
  batchPublishDir: {
    env: "PROOFWORK_BATCH_PUBLISH_DIR",
    doc: "Worker: directory the batch outputs files are published into (default: <data dir>/batch/published)",
    example: "",
  },
  batchPublishBaseUri: {
    env: "PROOFWORK_BATCH_PUBLISH_BASE_URI",
    doc: "Worker: URI prefix under which PROOFWORK_BATCH_PUBLISH_DIR is served, e.g. https://host/outputs/ (default: its file:// URL)",
    example: "",
  },
  workerMetricsHost: {
    env: "PROOFWORK_WORKER_METRICS_HOST",
    doc: "Worker: interface the /metrics and /healthz server binds to",
    example: "127.0.0.1",
  },
};

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

export interface LoadConfigOptions {
  /** Environment to read (default: `process.env`). Tests pass their own. */
  env?: Record<string, string | undefined>;
  /** `.env` file to merge under the environment; `false` disables (default: `./.env` if it exists). */
  envFile?: string | false;
  /** Flag names to mention in errors for overridden keys (e.g. `{ rpcUrl: "--rpc" }`). */
  flagNames?: Partial<Record<ConfigKey, string>>;
}

/** Reads a `.env` file without touching `process.env`. */
function readEnvFile(path: string): Record<string, string> {
  try {
    return parseDotenv(readFileSync(path));
  } catch (e) {
    throw new ProofworkError(
      ErrorCodes.CONFIG_INVALID,
      `cannot read env file ${path}`,
      { path },
      { cause: e },
    );
  }
}

/**
 * Builds the configuration from overrides, the environment and `.env`.
 * Throws CONFIG_INVALID naming the first bad variable.
 */
export function loadConfig(overrides: ConfigOverrides = {}, options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  let fileEnv: Record<string, string> = {};
  if (options.envFile !== false) {
    const path = resolve(options.envFile ?? ".env");
    if (options.envFile !== undefined || existsSync(path)) {
      if (!existsSync(path))
        throw new ProofworkError(ErrorCodes.CONFIG_INVALID, `env file not found: ${path}`, { path });
      fileEnv = readEnvFile(path);
    }
  }

  const raw: Record<string, unknown> = {};
  const source: Partial<Record<ConfigKey, string>> = {};
  for (const key of Object.keys(FIELD_SPECS) as ConfigKey[]) {
    const { env: name } = FIELD_SPECS[key];
    const override = overrides[key];
    if (override !== undefined) {
      raw[key] = override;
      source[key] = options.flagNames?.[key] ?? name;
    } else if (env[name] !== undefined) {
      raw[key] = env[name];
      source[key] = name;
    } else if (fileEnv[name] !== undefined) {
      raw[key] = fileEnv[name];
      source[key] = `${name} (.env)`;
    }
  }

  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? "") as ConfigKey;
    const spec = FIELD_SPECS[key];
    const where = source[key] ?? spec?.env ?? key;
    const shown = key === "privateKey" ? "<hidden>" : JSON.stringify(String(raw[key]));
    throw new ProofworkError(ErrorCodes.CONFIG_INVALID, `invalid ${where}=${shown}: ${issue.message}`, {
      key,
      variable: spec?.env,
    });
  }
  return parsed.data;
}

/** The `.env.example` text: every variable with its doc line and default. */
export function renderEnvExample(): string {
  const lines = [
    "# proofwork configuration (read by sdk/node/config.ts; CLI flags override these).",
    "# Copy to .env and fill in. Empty = use the default described on the line above.",
    "",
  ];
  for (const key of Object.keys(FIELD_SPECS) as ConfigKey[]) {
    const spec = FIELD_SPECS[key];
    lines.push(`# ${spec.doc}`, `${spec.env}=${spec.example}`, "");
  }
  lines.push(
    "# Hardhat network `sepolia` (hardhat.config.ts configuration variables, read by Hardhat itself)",
    "SEPOLIA_RPC_URL=",
    "SEPOLIA_PRIVATE_KEY=",
    "",
  );
  return lines.join("\n");
}

/** Requires a private key, with a message telling the user how to provide one. */
export function requirePrivateKey(config: Config, flag = "--private-key"): string {
  if (config.privateKey === undefined) {
    throw new ProofworkError(
      ErrorCodes.MISSING_KEY,
      `no private key: set ${FIELD_SPECS.privateKey.env} (environment or .env) or pass ${flag}`,
    );
  }
  return config.privateKey;
}
