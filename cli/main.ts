/**
 * `proofwork` — the command-line interface (run through `bin/proofwork`).
 *
 * Exit codes: 0 success; 1 a known problem (user mistake, environment, revert: one line
 * `error[CODE]: message` on stderr, no stack); 2 bad usage (commander's message); 3 an unexpected
 * error (a bug: printed with its stack).
 */
import { Command, CommanderError, Option } from "commander";
import { formatUnits, type Provider, type Signer } from "ethers";
import { RequesterClient, type Job, type JobResult, type Pricing } from "../sdk/client.ts";
import {
  FIELD_SPECS,
  loadConfig,
  requirePrivateKey,
  type Config,
  type ConfigOverrides,
} from "../sdk/config.ts";
import { connectChain, createSigner, connectContracts } from "../sdk/contracts.ts";
import { confirmationsFor, findDeployment, type CircuitRecord, type Deployment } from "../sdk/deployments.ts";
import { ErrorCodes, ProofworkError, isProofworkError } from "../sdk/errors.ts";
import { decodePredictions, encodeDigits, renderDigit } from "../sdk/mnist.ts";
import { releaseSnarkjs } from "../sdk/proof.ts";
import { BACKEND_BITS, ProviderAccount, type BackendName } from "../sdk/provider.ts";
import { verifyResult } from "../sdk/verify.ts";
import {
  parseAddress,
  parseAmount,
  parseInteger,
  parseJobId,
  parseList,
  parseNetwork,
  parseParam,
  readInput,
} from "./args.ts";
import { modelForCircuit } from "./models.ts";
import { Output, toJson } from "./output.ts";
import { quietKnownWarnings } from "./warnings.ts";

// ---------------------------------------------------------------------------------------------
// Shared plumbing
// ---------------------------------------------------------------------------------------------

interface GlobalOptions {
  json?: boolean;
  network?: string;
  rpc?: string;
  privateKey?: string;
  deployment?: string;
  envFile?: string;
  chainId?: string;
  confirmations?: string;
  logLevel?: string;
}

const FLAG_NAMES = {
  network: "--network",
  rpcUrl: "--rpc",
  privateKey: "--private-key",
  deploymentFile: "--deployment",
  chainId: "--chain-id",
  confirmations: "--confirmations",
  logLevel: "--log-level",
} as const;

function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

function output(cmd: Command): Output {
  return new Output(globals(cmd).json === true);
}

/** The configuration: flags over environment over `.env`. */
function configOf(cmd: Command, extra: ConfigOverrides = {}): Config {
  const g = globals(cmd);
  if (g.network !== undefined) parseNetwork(g.network);
  return loadConfig(
    {
      network: g.network,
      rpcUrl: g.rpc,
      privateKey: g.privateKey,
      deploymentFile: g.deployment,
      chainId: g.chainId,
      confirmations: g.confirmations,
      logLevel: g.logLevel,
      ...extra,
    },
    { envFile: g.envFile, flagNames: FLAG_NAMES },
  );
}

interface ChainContext {
  config: Config;
  /** Effective confirmations (configured, or the chain's default). */
  confirmations: number;
  provider: Provider;
  chainId: bigint;
  deployment: Deployment;
  signer?: Signer;
}

/** Connects to the chain and loads its deployment record (and the signer when `needSigner`). */
async function chainContext(cmd: Command, needSigner: boolean): Promise<ChainContext> {
  const config = configOf(cmd);
  const key = needSigner ? requirePrivateKey(config) : config.privateKey;
  const { provider, chainId } = await connectChain(config);
  const deployment = findDeployment({ file: config.deploymentFile, dir: config.deploymentsDir, chainId });
  const ctx: ChainContext = {
    config,
    confirmations: confirmationsFor(config.confirmations, chainId),
    provider,
    chainId,
    deployment,
  };
  if (key !== undefined) ctx.signer = createSigner(key, provider);
  return ctx;
}

function requesterClient(ctx: ChainContext): RequesterClient {
  return new RequesterClient(ctx.deployment, ctx.signer ?? ctx.provider, {
    confirmations: ctx.confirmations,
    logChunkSize: ctx.config.logChunkSize,
    pollIntervalMs: ctx.config.pollIntervalMs,
  });
}

async function tokenInfo(ctx: ChainContext): Promise<{ decimals: number; symbol: string }> {
  const { token } = connectContracts(ctx.deployment, ctx.provider);
  try {
    const [decimals, symbol] = await Promise.all([
      token.getFunction("decimals").staticCall(),
      token.getFunction("symbol").staticCall(),
    ]);
    return { decimals: Number(decimals as bigint), symbol: symbol as string };
  } catch {
    return { decimals: 18, symbol: "tokens" };
  }
}

const fmt = (v: bigint, t: { decimals: number; symbol: string }) =>
  `${formatUnits(v, t.decimals)} ${t.symbol}`;

function statusLines(job: Job, t: { decimals: number; symbol: string }): string[] {
  const lines = [
    `job ${job.jobId}: ${job.status}`,
    `  requester      ${job.requester}`,
    `  circuit        ${job.circuitId}`,
    `  price          ${job.minPrice === job.maxPrice ? fmt(job.maxPrice, t) : `${fmt(job.minPrice, t)} → ${fmt(job.maxPrice, t)} over ${job.rampDuration}s`}`,
    `  collateral     ${fmt(job.collateral, t)}`,
    `  claim deadline ${new Date(Number(job.claimDeadline) * 1000).toISOString()}`,
  ];
  if (job.status !== "Open" && job.status !== "Cancelled" && job.status !== "Reclaimed") {
    lines.push(`  provider       ${job.provider}`, `  paid price     ${fmt(job.price, t)}`);
    lines.push(`  deadline       ${new Date(Number(job.deadline) * 1000).toISOString()}`);
  }
  return lines;
}

function resultLines(
  result: JobResult,
  circuit: CircuitRecord | undefined,
  t: { decimals: number; symbol: string },
): string[] {
  const lines = [
    `job ${result.jobId} completed by ${result.provider}`,
    `  tx             ${result.txHash} (block ${result.blockNumber}, gas ${result.gasUsed})`,
    `  ${result.paid ? "paid          " : "to be paid    "} ${fmt(result.payout, t)} (fee ${fmt(result.fee, t)}, refund ${fmt(result.refund, t)})${result.paid ? "" : " — when the provider collects"}`,
    `  outputs        [${result.outputs.join(", ")}]`,
  ];
  const model = circuit ? modelForCircuit(circuit) : undefined;
  if (model !== undefined) {
    const preds = decodePredictions(model, result.outputs);
    preds.forEach((p, i) =>
      lines.push(`  sample ${i}: predicted ${p.predicted}  logits [${p.logits.join(", ")}]`),
    );
  }
  return lines;
}

/** Runs an action: known errors → one line + exit 1; unknown → stack + exit 3. */
function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const cmd = args[args.length - 1] as Command;
    try {
      await fn(...args);
    } catch (e) {
      reportError(e, globals(cmd).json === true);
      process.exitCode = isProofworkError(e) ? 1 : 3;
    } finally {
      await releaseSnarkjs();
    }
  };
}

function reportError(e: unknown, json: boolean): void {
  if (isProofworkError(e)) {
    process.stderr.write(`${e.toLine()}\n`);
    if (json) process.stdout.write(`${toJson({ ok: false, error: { code: e.code, message: e.message } })}\n`);
  } else {
    process.stderr.write(
      `internal error (please report): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Program
// ---------------------------------------------------------------------------------------------

export function buildProgram(): Command {
  const program = new Command("proofwork")
    .description(
      "Proof-of-compute marketplace: post ML inference jobs, provide compute, verify Groth16 proofs on-chain",
    )
    .version("0.1.0")
    .option("--json", "machine-readable JSON output on stdout")
    .option("-n, --network <name>", `network: hardhat | localhost | sepolia (env ${FIELD_SPECS.network.env})`)
    .option("--rpc <url>", `JSON-RPC endpoint (env ${FIELD_SPECS.rpcUrl.env})`)
    .option("--private-key <hex>", `signing key (env ${FIELD_SPECS.privateKey.env}; prefer the env or .env)`)
    .option("--deployment <file>", `deployment record (env ${FIELD_SPECS.deploymentFile.env})`)
    .option("--chain-id <id>", `expected chain id (env ${FIELD_SPECS.chainId.env})`)
    .option("--confirmations <n>", `blocks to wait after each tx (env ${FIELD_SPECS.confirmations.env})`)
    .option("--log-level <level>", `debug log level (env ${FIELD_SPECS.logLevel.env})`)
    .option("--env-file <file>", "read variables from this file instead of ./.env")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  // ── deploy ──────────────────────────────────────────────────────────────────────────────
  program
    .command("deploy")
    .description("compile and deploy the protocol with Hardhat Ignition; write deployments/<chainId>.json")
    .option(
      "--circuits <names>",
      "comma-separated built circuits to register (default: every built circuit with keys)",
    )
    .option("--build <profile>", "build circuits of this profile first (test | demo | all)")
    .option(
      "--token <address>",
      `use an existing ERC20 instead of the TestToken (env ${FIELD_SPECS.tokenAddress.env})`,
    )
    .option(
      "--param <key=value>",
      "Ignition parameter of module Proofwork (repeatable), e.g. feeBps=50",
      (v, acc: Record<string, string | bigint>) => parseParam(v, acc),
      {},
    )
    .option("--out <file>", "where to write the deployment record")
    .action(
      action(
        async (
          opts: {
            circuits?: string;
            build?: string;
            token?: string;
            param: Record<string, string | bigint>;
            out?: string;
          },
          cmd: Command,
        ) => {
          const out = output(cmd);
          const config = configOf(cmd, { tokenAddress: opts.token });
          const tokenAddress =
            config.tokenAddress === undefined ? undefined : parseAddress(config.tokenAddress, "--token");
          if (
            config.network !== "hardhat" &&
            !(config.network === "sepolia" && config.rpcUrl === FIELD_SPECS.rpcUrl.example)
          ) {
            await connectChain(config); // fail fast with one line if the node is down / on another chain
          }
          if (opts.build !== undefined) await buildCircuitsCommand(opts.build, undefined, config, out);
          const circuits =
            opts.circuits !== undefined ? parseList(opts.circuits) : await builtCircuitNames(config.buildDir);
          const d = await import("../deploy/deploy.ts");
          const hre = await d.getHre();
          const connection = await d.connectNetwork(hre, {
            network: config.network,
            rpcUrl:
              config.network === "sepolia" && config.rpcUrl === FIELD_SPECS.rpcUrl.example
                ? undefined
                : config.rpcUrl,
            privateKey: config.privateKey,
          });
          try {
            out.progress("→ compiling contracts …");
            await d.compileContracts(hre);
            out.progress(`→ deploying to ${config.network} (circuits: ${circuits.join(", ") || "none"}) …`);
            const { deployment, path } = await d.deployProofwork(connection, {
              circuits,
              buildDir: config.buildDir,
              artifactBaseUri: config.artifactBaseUri,
              tokenAddress,
              parameters: opts.param,
              governance: {
                kind: config.governance,
                timelockDelay: config.timelockDelay,
                proposers: config.timelockProposers,
                executors: config.timelockExecutors,
                guardian: config.guardian,
                circuitAdmin: config.circuitAdmin,
              },
              networkName: config.network,
              deploymentsDir: config.deploymentsDir,
              outFile: opts.out ?? config.deploymentFile,
              writeRecord: config.network !== "hardhat",
              log: (l) => out.progress(`  ${l}`),
            });
            out.result({ ok: true, deployment, path }, [
              `deployed to ${deployment.network} (chain ${deployment.chainId}) at block ${deployment.startBlock}`,
              `  market   ${deployment.contracts.market}`,
              `  staking  ${deployment.contracts.staking}`,
              `  registry ${deployment.contracts.registry}`,
              `  token    ${deployment.contracts.token}`,
              ...Object.values(deployment.circuits).map((c) => `  circuit  ${c.name} ${c.id}`),
              path !== undefined
                ? `record: ${path}`
                : "in-process chain: nothing written (it ends with this command)",
            ]);
          } finally {
            await connection.close();
          }
        },
      ),
    );

  // ── job ─────────────────────────────────────────────────────────────────────────────────
  const job = program.command("job").description("post and follow inference jobs (requester)");

  job
    .command("post")
    .description("post a job: escrows the max price (EIP-2612 permit by default)")
    .requiredOption("-c, --circuit <name>", "circuit name (or bytes32 id) from the deployment record")
    .option("--input <file|0x…>", "input bytes: a file or hex")
    .option("--digit <label>", "use a held-out MNIST digit with this label (0-9) as input")
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
          opts: {
            circuit: string;
            input?: string;
            digit?: string;
            index: string;
            inputUri?: string;
            price?: string;
            minPrice?: string;
            maxPrice?: string;
            ramp?: string;
            collateral?: string;
            claimPeriod: string;
            window: string;
            permit: boolean;
            wait?: boolean;
            timeout?: string;
          },
          cmd: Command,
        ) => {
          const out = output(cmd);
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
          if (opts.input !== undefined) readInput(opts.input);
          const ctx = await chainContext(cmd, true);
          const client = requesterClient(ctx);
          const circuit = client.circuit(opts.circuit);
          const t = await tokenInfo(ctx);

          let pricing: Pricing;
          if (opts.price !== undefined) {
            if (opts.minPrice !== undefined || opts.maxPrice !== undefined) {
              throw new ProofworkError(
                ErrorCodes.BAD_ARGUMENT,
                "give either --price or --min-price/--max-price/--ramp, not both",
              );
            }
            pricing = { price: parseAmount(opts.price, t.decimals, "--price") };
          } else if (opts.minPrice !== undefined && opts.maxPrice !== undefined && opts.ramp !== undefined) {
            pricing = {
              minPrice: parseAmount(opts.minPrice, t.decimals, "--min-price"),
              maxPrice: parseAmount(opts.maxPrice, t.decimals, "--max-price"),
              rampDuration: parseInteger(opts.ramp, "--ramp", 1),
            };
          } else {
            throw new ProofworkError(
              ErrorCodes.BAD_ARGUMENT,
              "give a --price, or --min-price, --max-price and --ramp for an auction",
            );
          }
          const collateral =
            opts.collateral !== undefined
              ? parseAmount(opts.collateral, t.decimals, "--collateral")
              : undefined;

          let input: Uint8Array;
          let label: number | undefined;
          if (opts.input !== undefined) {
            input = readInput(opts.input);
          } else {
            label = parseInteger(opts.digit!, "--digit", 0, 9);
            const index = parseInteger(opts.index, "--index", 0);
            const model = modelForCircuit(circuit);
            if (model === undefined) {
              throw new ProofworkError(
                ErrorCodes.BAD_ARGUMENT,
                `circuit ${circuit.name} does not run an MNIST model; use --input`,
              );
            }
            const { loadMnist } = await import("../model/data.ts");
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
                `  job ${j.jobId}: ${j.status}${j.status === "Claimed" ? ` by ${j.provider}` : ""}`,
              ),
          });
          out.result({ ok: true, posted, result, label }, resultLines(result, circuit, t));
        },
      ),
    );

  job
    .command("status")
    .description("show a job")
    .argument("<jobId>", "job id")
    .action(
      action(async (id: string, _opts: object, cmd: Command) => {
        const jobId = parseJobId(id);
        const ctx = await chainContext(cmd, false);
        const job = await requesterClient(ctx).getJob(jobId);
        const t = await tokenInfo(ctx);
        output(cmd).result({ ok: true, job }, statusLines(job, t));
      }),
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
            out.progress(`job ${j.jobId}: ${j.status}${j.status === "Claimed" ? ` by ${j.provider}` : ""}`),
        });
        const job = await client.getJob(jobId);
        const circuit = Object.values(ctx.deployment.circuits).find((c) => c.id === job.circuitId);
        const t = await tokenInfo(ctx);
        const lines = resultLines(result, circuit, t);
        let verified: boolean | undefined;
        if (opts.verify === true) {
          out.progress("→ verifying the proof locally …");
          const report = await verifyResult(client, jobId);
          verified = report.valid;
          lines.push(`  local check    ${report.valid ? "proof valid, input commitment matches" : "FAILED"}`);
          if (!report.valid)
            throw new ProofworkError(ErrorCodes.PROOF_INVALID, `job ${jobId}: local verification failed`);
        }
        out.result({ ok: true, result, verified }, lines);
      }),
    );

  job
    .command("verify")
    .description("re-verify a completed job's proof locally (snarkjs + shipped verification key)")
    .argument("<jobId>", "job id")
    .action(
      action(async (id: string, _opts: object, cmd: Command) => {
        const jobId = parseJobId(id);
        const ctx = await chainContext(cmd, false);
        const report = await verifyResult(requesterClient(ctx), jobId);
        output(cmd).result({ ok: report.valid, report }, [
          `job ${jobId}: ${report.valid ? "VALID" : "INVALID"}`,
          `  proof          ${report.proofValid ? "verifies (snarkjs, shipped key)" : "does NOT verify (snarkjs)"}`,
          `  on-chain       ${report.onchainVerifierValid ? "registered verifier accepts it" : "registered verifier REJECTS it"}`,
          `  commitment     ${report.commitmentMatches ? "matches the input" : "does NOT match the input"}`,
          `  tx             ${report.txHash}`,
        ]);
        if (!report.valid) process.exitCode = 1;
      }),
    );

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

  // ── provider ────────────────────────────────────────────────────────────────────────────
  const provider = program.command("provider").description("provider account: stake, register, status");

  /** `provider <name> <amount>`: parse a token amount, run one ProviderAccount action, report it. */
  function amountCommand(
    name: string,
    description: string,
    run: (acct: ProviderAccount, value: bigint) => Promise<{ hash: string }>,
    done: string,
  ): void {
    provider
      .command(name)
      .description(description)
      .argument("<amount>", "tokens, e.g. 100")
      .action(
        action(async (amount: string, _opts: object, cmd: Command) => {
          parseAmount(amount, 18, "amount"); // format check before connecting
          const ctx = await chainContext(cmd, true);
          const t = await tokenInfo(ctx);
          const value = parseAmount(amount, t.decimals, "amount");
          const receipt = await run(
            new ProviderAccount(ctx.deployment, ctx.signer!, ctx.confirmations),
            value,
          );
          output(cmd).result({ ok: true, amount: value, txHash: receipt.hash }, [
            `${done} ${fmt(value, t)} (tx ${receipt.hash})`,
          ]);
        }),
      );
  }

  amountCommand(
    "stake",
    "stake tokens (approves the staking contract if needed)",
    (a, v) => a.stake(v),
    "staked",
  );
  amountCommand(
    "unstake",
    "start unbonding stake (withdrawable after the unbonding period)",
    (a, v) => a.requestUnstake(v),
    "unbonding",
  );

  provider
    .command("withdraw")
    .description("withdraw unbonded stake")
    .action(
      action(async (_opts: object, cmd: Command) => {
        const ctx = await chainContext(cmd, true);
        const receipt = await new ProviderAccount(ctx.deployment, ctx.signer!, ctx.confirmations).withdraw();
        output(cmd).result({ ok: true, txHash: receipt.hash }, [`withdrawn (tx ${receipt.hash})`]);
      }),
    );

  provider
    .command("collect")
    .description(
      "collect the payment of your completed jobs in one transaction (the worker does this itself)",
    )
    .argument("<jobIds...>", "completed job ids")
    .action(
      action(async (ids: string[], _opts: object, cmd: Command) => {
        const jobIds = ids.map((v) => parseJobId(v));
        const ctx = await chainContext(cmd, true);
        const client = requesterClient(ctx);
        const jobs = [];
        for (const jobId of jobIds) {
          const job = await client.getJob(jobId);
          const completion = await client.findCompletion(jobId);
          if (job.status !== "Completed" || completion === undefined) {
            throw new ProofworkError(
              ErrorCodes.JOB_NOT_FOUND,
              `job ${jobId} is not completed (status ${job.status})`,
            );
          }
          jobs.push({ jobId, terms: job.terms, outputs: completion.outputs });
        }
        const receipt = await new ProviderAccount(ctx.deployment, ctx.signer!, ctx.confirmations).collect(
          jobs,
        );
        output(cmd).result({ ok: true, jobIds, txHash: receipt.hash }, [
          `collected ${jobIds.length} job(s) (tx ${receipt.hash})`,
        ]);
      }),
    );

  amountCommand(
    "faucet",
    "mint test tokens to your account (TestToken deployments only)",
    (a, v) => a.faucet(v),
    "minted",
  );

  provider
    .command("register")
    .description("register (or update) your capability record")
    .option("--gpu <model>", "accelerator name", "cpu")
    .option("--memory <MiB>", "memory in MiB", "1024")
    .option("--backends <list>", `comma-separated: ${Object.keys(BACKEND_BITS).join(", ")}`, "cpu,wasm")
    .option("--max-jobs <n>", "most jobs held claimed at once", "2")
    .option("--metadata <uri>", "metadata URI", "")
    .action(
      action(
        async (
          opts: { gpu: string; memory: string; backends: string; maxJobs: string; metadata: string },
          cmd: Command,
        ) => {
          const backends = parseList(opts.backends);
          const unknown = backends.filter((b) => !(b in BACKEND_BITS));
          if (unknown.length > 0) {
            throw new ProofworkError(
              ErrorCodes.BAD_ARGUMENT,
              `unknown backend(s) ${unknown.join(", ")} (known: ${Object.keys(BACKEND_BITS).join(", ")})`,
            );
          }
          const cap = {
            gpuModel: opts.gpu,
            memoryMB: parseInteger(opts.memory, "--memory", 0, 2 ** 32 - 1),
            backends: backends as BackendName[],
            maxConcurrentJobs: parseInteger(opts.maxJobs, "--max-jobs", 1, 65_535),
            metadataURI: opts.metadata,
          };
          const ctx = await chainContext(cmd, true);
          const receipt = await new ProviderAccount(ctx.deployment, ctx.signer!, ctx.confirmations).register(
            cap,
          );
          output(cmd).result({ ok: true, capability: cap, txHash: receipt.hash }, [
            `registered ${cap.gpuModel} (tx ${receipt.hash})`,
          ]);
        },
      ),
    );

  provider
    .command("status")
    .description("stake, locks, reputation and capability of a provider")
    .argument("[address]", "provider address (default: your account)")
    .action(
      action(async (address: string | undefined, _opts: object, cmd: Command) => {
        const who = address !== undefined ? parseAddress(address, "provider") : undefined;
        const ctx = await chainContext(cmd, who === undefined);
        const signerOrRead = ctx.signer ?? ctx.provider;
        const acct = new ProviderAccount(ctx.deployment, signerOrRead as Signer, ctx.confirmations);
        const s = await acct.status(who);
        const t = await tokenInfo(ctx);
        output(cmd).result({ ok: true, status: s }, [
          `provider ${s.address}: ${s.registered ? (s.active ? "active" : "registered, not active") : "not registered"}`,
          `  stake          ${fmt(s.stake, t)} (free ${fmt(s.freeStake, t)}, locked ${fmt(s.locked, t)}, minimum ${fmt(s.minStake, t)})`,
          `  unbonding      ${fmt(s.unbonding, t)}${s.unbonding > 0n ? ` until ${new Date(Number(s.unbondingEnd) * 1000).toISOString()}` : ""}`,
          `  jobs           ${s.jobsCompleted} completed, ${s.jobsFailed} failed, ${s.openJobs} open`,
          `  wallet         ${fmt(s.tokenBalance, t)}`,
          ...(s.capability
            ? [
                `  capability     ${s.capability.gpuModel}, ${s.capability.memoryMB} MiB, ${s.capability.backends.join("+")}, max ${s.capability.maxConcurrentJobs} jobs`,
              ]
            : []),
        ]);
      }),
    );

  // ── worker ──────────────────────────────────────────────────────────────────────────────
  const worker = program.command("worker").description("run the provider worker");
  worker
    .command("start")
    .description("watch the market, claim, execute, prove and submit jobs until stopped (Ctrl-C)")
    .addOption(new Option("--backend <name>", `executor backend (env ${FIELD_SPECS.executorBackend.env})`))
    .option("--prover-threads <n>", `prover threads (env ${FIELD_SPECS.proverThreads.env})`)
    .option("--max-jobs <n>", `max concurrent jobs (env ${FIELD_SPECS.maxConcurrentJobs.env})`)
    .option("--data-dir <dir>", `worker state directory (env ${FIELD_SPECS.dataDir.env})`)
    .action(
      action(
        async (
          opts: { backend?: string; proverThreads?: string; maxJobs?: string; dataDir?: string },
          cmd: Command,
        ) => {
          const config = configOf(cmd, {
            executorBackend: opts.backend,
            proverThreads: opts.proverThreads,
            maxConcurrentJobs: opts.maxJobs,
            dataDir: opts.dataDir,
          });
          requirePrivateKey(config);
          const { runWorkerCommand } = await import("./worker.ts");
          await runWorkerCommand(config, output(cmd));
        },
      ),
    );

  // ── circuits ────────────────────────────────────────────────────────────────────────────
  const circuits = program.command("circuits").description("circuit artifacts");
  circuits
    .command("build")
    .description("compile circuits, run the Groth16 setup and generate verifiers (cached by content hash)")
    .option("--profile <profile>", "test | demo | all", "demo")
    .option("--only <names>", "comma-separated circuit names")
    .option("--ptau <file>", `Powers-of-Tau file (env ${FIELD_SPECS.ptau.env}; default: local dev ceremony)`)
    .action(
      action(async (opts: { profile: string; only?: string; ptau?: string }, cmd: Command) => {
        const out = output(cmd);
        const config = configOf(cmd, { ptau: opts.ptau });
        const built = await buildCircuitsCommand(opts.profile, opts.only, config, out);
        out.result({ ok: true, circuits: built }, [`built ${built.length} circuit(s): ${built.join(", ")}`]);
      }),
    );

  // ── config ──────────────────────────────────────────────────────────────────────────────
  const configCmd = program.command("config").description("configuration");
  configCmd
    .command("show")
    .description("print the effective configuration (private key hidden)")
    .action(
      action(async (_opts: object, cmd: Command) => {
        const config = configOf(cmd);
        const shown: Record<string, unknown> = {
          ...config,
          privateKey: config.privateKey === undefined ? undefined : "<set>",
        };
        const keys = Object.keys(FIELD_SPECS) as (keyof Config)[];
        output(cmd).result(
          shown,
          keys.map((k) => {
            const v = shown[k];
            return `${FIELD_SPECS[k].env}=${v === undefined ? "" : Array.isArray(v) ? v.join(",") : String(v)}`;
          }),
        );
      }),
    );
  configCmd
    .command("env")
    .description("print every variable with its documentation (the .env.example text)")
    .action(
      action(async () => {
        const { renderEnvExample } = await import("../sdk/config.ts");
        process.stdout.write(renderEnvExample());
      }),
    );

  return program;
}

/** Circuits with keys installed in `buildDir` (each has `manifest.json` with a zkey hash). */
async function builtCircuitNames(buildDir: string): Promise<string[]> {
  const { existsSync, readdirSync, readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  if (!existsSync(buildDir)) return [];
  return readdirSync(buildDir)
    .filter((n) => {
      const m = join(buildDir, n, "manifest.json");
      return (
        existsSync(m) &&
        (JSON.parse(readFileSync(m, "utf8")) as { zkeySha256?: string }).zkeySha256 !== undefined
      );
    })
    .sort();
}

async function buildCircuitsCommand(
  profile: string,
  only: string | undefined,
  config: Config,
  out: Output,
): Promise<string[]> {
  if (!["test", "demo", "all"].includes(profile)) {
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      `unknown profile "${profile}" (expected test, demo or all)`,
    );
  }
  const { specsFor, circuitNames } = await import("../circuits/manifest.ts");
  const { buildCircuits, releaseCurves } = await import("../circuits/pipeline.ts");
  const names = only !== undefined ? parseList(only) : undefined;
  const unknown = names?.filter((n) => !circuitNames().includes(n)) ?? [];
  if (unknown.length > 0) {
    throw new ProofworkError(
      ErrorCodes.CIRCUIT_UNKNOWN,
      `unknown circuit(s) ${unknown.join(", ")} (known: ${circuitNames().join(", ")})`,
    );
  }
  try {
    const built = await buildCircuits(specsFor(profile as "test" | "demo" | "all", names), {
      ptau: config.ptau,
      cacheDir: config.cacheDir,
      outDir: config.buildDir,
      log: (l) => out.progress(l),
    });
    return built.map((b) => b.name);
  } finally {
    await releaseCurves();
  }
}

/** Entry point: parses argv, maps errors to exit codes. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
        ? 0
        : 2;
    }
    reportError(e, false);
    return isProofworkError(e) ? 1 : 3;
  }
  return typeof process.exitCode === "number" ? process.exitCode : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  quietKnownWarnings();
  process.exitCode = await main(process.argv.slice(2));
}
