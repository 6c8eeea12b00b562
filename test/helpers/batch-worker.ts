/**
 * Helpers for the worker's batch-mode tests (test/worker/batch*.test.ts): the devnet protocol with
 * the `mnist_mlp_small_b1` circuit registered, a requester posting a batch of real digits (the
 * inputs file written where the worker can fetch it), an in-process worker with the real runner
 * (TF.js executor + prover thread), and the requester's check of a published outputs file against
 * the committed root. The requester side here is test scaffolding, not the SDK/CLI commands.
 */
import { createReadStream, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Wallet, keccak256, parseEther, type Contract, type Provider } from "ethers";
import {
  batchKeyHash,
  decodeOutputsFile,
  encodeInputsFile,
  inputsTree,
  outputsTree,
  type PostBatchParams,
} from "../../sdk/batch.ts";
import { connectContracts } from "../../sdk/node.ts";
import type { BatchMarket } from "../../sdk/types/BatchMarket.ts";
import { circuitIdFor, deployProtocol, waitFor, type Protocol } from "../../deploy/devnet/protocol.ts";
import { createRunner } from "../../worker/bootstrap.ts";
import type { WorkerHooks } from "../../worker/hooks.ts";
import type { JobRunner } from "../../worker/runner.ts";
import { startWorker, type WorkerHandle, type WorkerOptions } from "../../worker/index.ts";
import { createLogger, silentLogger } from "../../worker/log.ts";
import { createMetrics } from "../../worker/metrics.ts";
import { createWriteStream } from "node:fs";
import { BATCH_CIRCUIT, type BatchDataset } from "./batch.ts";

export const HOUR = 3600;

/** Worker options that keep the tests quick (polling, margins). */
export const FAST_BATCH: Partial<WorkerOptions> = {
  pollIntervalMs: 100,
  collectMaxAgeMs: 0,
  claimMarginSeconds: 10,
  defaultWorkSeconds: 5,
  submitReserveSeconds: 5,
  shutdownGraceMs: 20_000,
  batchChunkSize: 256,
};

/**
 * The devnet protocol with the batch circuit (or `circuit`, e.g. a sampling circuit) registered and
 * the requester's batch allowance.
 */
export async function batchProtocol(
  provider: Provider,
  circuit: { name: string; numPublic: number } = { name: BATCH_CIRCUIT, numPublic: 3 },
): Promise<Protocol & { batchMarket: BatchMarket }> {
  const p = await deployProtocol(provider, { circuit });
  const batchMarket = connectContracts({ contracts: p.addresses }, p.requester).batchMarket!;
  const token = (p.token as Contract).connect(p.requester) as Contract;
  await (await token.getFunction("approve")(await batchMarket.getAddress(), parseEther("100000"))).wait();
  return { ...p, batchMarket };
}

/** The first `n` samples of `ds` as a dataset of their own. */
export function subset(ds: BatchDataset, n: number): BatchDataset {
  const inputs = ds.inputs.slice(0, n);
  const commitments = ds.commitments.slice(0, n);
  return {
    ...ds,
    inputs,
    commitments,
    outputs: ds.outputs.slice(0, n),
    inputsFile: encodeInputsFile(inputs),
    inputs_: inputsTree(commitments),
  };
}

export interface PostedBatch {
  jobId: bigint;
  inputsPath: string;
}

/** Writes the inputs file of `ds` and posts a batch job over it (requester account). */
export async function postBatchJob(
  p: Protocol & { batchMarket: BatchMarket },
  ds: BatchDataset,
  over: Partial<PostBatchParams> & { uri?: (path: string) => string; dir?: string } = {},
): Promise<PostedBatch> {
  const { uri, dir: into, ...rest } = over;
  const dir = mkdtempSync(join(into ?? tmpdir(), "pw-batch-in-"));
  const inputsPath = join(dir, "inputs.bin");
  writeFileSync(inputsPath, ds.inputsFile);
  const now = (await p.provider.getBlock("latest"))!.timestamp;
  const params: PostBatchParams = {
    circuitId: circuitIdFor(BATCH_CIRCUIT),
    keyHash: batchKeyHash(ds.key),
    slots: 0,
    treeDepth: 0,
    inputsRoot: ds.inputs_.root,
    inputsHash: keccak256(ds.inputsFile),
    inputsURI: uri ? uri(inputsPath) : pathToFileURL(inputsPath).href,
    numSamples: ds.inputs.length,
    sampleSize: 4,
    maxChallenges: 2,
    challengeBond: parseEther("1"),
    minPrice: parseEther("20"),
    maxPrice: parseEther("20"),
    rampDuration: 0,
    collateral: parseEther("5"),
    claimDeadline: now + HOUR,
    commitWindow: HOUR,
    proveWindow: HOUR,
    challengeWindow: HOUR,
    answerWindow: HOUR,
    ...rest,
  };
  const jobId = await p.batchMarket.nextJobId();
  await (await p.batchMarket.postBatch(params)).wait();
  return { jobId, inputsPath };
}

/** Starts an in-process worker for provider `key` with the real runner (wasm TF.js, one prover thread). */
export async function startBatchWorker(
  p: Protocol,
  key: string,
  over: Partial<WorkerOptions> & {
    hooks?: WorkerHooks;
    dataDir?: string;
    /** Wraps the real runner (fault injection). */
    wrapRunner?: (r: JobRunner) => JobRunner;
  } = {},
): Promise<WorkerHandle> {
  const { hooks, wrapRunner, ...opts } = over;
  const runner = await createRunner({ executorBackend: "wasm", proverThreads: 1 });
  return startWorker(
    {
      provider: p.provider,
      signer: new Wallet(key, p.provider),
      addresses: p.addresses,
      startBlock: p.startBlock,
      runner: wrapRunner ? wrapRunner(runner) : runner,
      log: process.env.WORKER_TEST_LOG
        ? createLogger({
            level: "debug",
            destination: createWriteStream(process.env.WORKER_TEST_LOG, { flags: "a" }),
          })
        : silentLogger(),
      metrics: createMetrics({ defaults: false }),
      ...(hooks !== undefined ? { hooks } : {}),
    },
    { dataDir: mkdtempSync(join(tmpdir(), "pw-batch-worker-")), ...FAST_BATCH, ...opts },
  );
}

/**
 * Waits for `cond`, mining a block whenever one of the worker's batch jobs waits for its sample
 * block (a dev chain mines only on transactions); the blocks stand in for a live chain's.
 */
export async function waitMining(
  p: Protocol,
  w: () => WorkerHandle | undefined,
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 180_000,
): Promise<void> {
  await waitFor(
    async () => {
      if (await cond()) return true;
      const batch = w()?.batch;
      if (batch?.store.isOpen) {
        const head = await p.provider.getBlockNumber();
        if (batch.list(["committed"]).some((r) => r.sampleBlock !== null && head < r.sampleBlock)) {
          await (p.provider as unknown as { send(m: string, a: unknown[]): Promise<unknown> }).send(
            "evm_mine",
            [],
          );
        }
      }
      return cond();
    },
    timeoutMs,
    what,
  );
}

/** Advances the chain's clock by `seconds` and mines a block. */
export async function advance(p: Protocol, seconds: number): Promise<void> {
  const rpc = p.provider as unknown as { send(m: string, a: unknown[]): Promise<unknown> };
  await rpc.send("evm_increaseTime", [seconds]);
  await rpc.send("evm_mine", []);
}

/**
 * The requester's view: the outputs file named by the job's `BatchCommitted` event, downloaded
 * from its URI (http(s):// or file://) and checked against the committed hash and root (SDK rules); returns the outputs.
 */
export async function requesterOutputs(
  market: BatchMarket,
  jobId: bigint,
  commitments: readonly bigint[],
): Promise<{ outputs: bigint[][]; uri: string; root: string }> {
  const ev = (await market.queryFilter(market.filters.BatchCommitted(jobId))).at(-1);
  if (ev === undefined) throw new Error(`batch job ${jobId} was never committed`);
  const { outputsURI, outputsHash, outputsRoot } = ev.args;
  const file = /^https?:\/\//.test(outputsURI)
    ? new Uint8Array(await (await fetch(outputsURI)).arrayBuffer())
    : new Uint8Array(readFileSync(fileURLToPath(outputsURI)));
  if (keccak256(file) !== outputsHash)
    throw new Error(`outputs file of ${jobId} does not hash to the commitment`);
  const outputs = decodeOutputsFile(file, 1);
  const root = outputsTree(commitments, outputs).root;
  if (root !== outputsRoot)
    throw new Error(`outputs file of ${jobId} has root ${root}, committed ${outputsRoot}`);
  return { outputs, uri: outputsURI, root };
}

/** A static file server over `root` (what a requester's or provider's bucket is). */
export function serveDir(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const rel = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(
      /^\/+/,
      "",
    );
    const file = join(root, rel);
    if (rel.startsWith("..") || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-length": statSync(file).size });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof a === "object" && a !== null ? a.port : 0}/` });
    }),
  );
}
