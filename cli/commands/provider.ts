/**
 * `proofwork provider …`: the provider account — faucet, stake, unstake, withdraw, register, collect, status.
 */
import type { Command } from "commander";
import type { Signer } from "ethers";
import {
  BACKEND_BITS,
  ErrorCodes,
  JobStatus,
  ProofworkError,
  ProviderAccount,
  type BackendName,
} from "../../sdk/node.ts";
import { parseAddress, parseAmount, parseInteger, parseJobId, parseList } from "../args.ts";
import { action, chainContext, fmt, output, requesterClient, tokenInfo } from "../context.ts";

export function registerProviderCommands(program: Command): void {
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
          if (job.status !== JobStatus.Completed || completion === undefined) {
            throw new ProofworkError(
              ErrorCodes.JOB_NOT_FOUND,
              `job ${jobId} is not completed (status ${job.statusName})`,
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
}
