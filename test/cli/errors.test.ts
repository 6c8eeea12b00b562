/**
 * User mistakes exit non-zero with exactly one readable line (`error[CODE]: …`) and no stack
 * trace: each case runs the real CLI as a subprocess, with a clean environment and an empty
 * working directory (no .env, no deployment records).
 */
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { buildProgram } from "../../cli/main.ts";
import { getHre } from "../../deploy/index.ts";
import { runCli, type CliRun } from "../helpers/cli.ts";

type Run = CliRun;

function expectOneLineError(r: Run, code: string, contains?: string): void {
  const lines = r.stderr.trim().split("\n");
  expect(r.code, `stderr: ${r.stderr}`).to.equal(1);
  expect(lines, r.stderr).to.have.length(1);
  expect(lines[0]).to.match(new RegExp(`^error\\[${code}\\]: `));
  expect(r.stderr).to.not.match(/\n\s+at /);
  if (contains !== undefined) expect(lines[0]).to.contain(contains);
}

describe("cli: user mistakes", function () {
  this.timeout(120_000);
  let cwd: string;
  let rpc: string;
  let close: () => Promise<void>;

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), "proofwork-cli-"));
    const hre = await getHre();
    const server = await hre.network.createServer("default", "127.0.0.1", 0);
    const { port } = await server.listen();
    rpc = `http://127.0.0.1:${port}`;
    close = () => server.close();
  });

  after(async () => {
    await close?.();
    rmSync(cwd, { recursive: true, force: true });
  });

  const key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

  it("test_cli_badJobId_isBadNumber", async () => {
    expectOneLineError(await runCli(["job", "status", "abc"], {}, cwd), "BAD_NUMBER", '"abc"');
  });

  it("test_cli_badAddress_isBadAddress", async () => {
    expectOneLineError(await runCli(["provider", "status", "0x1234"], {}, cwd), "BAD_ADDRESS", "0x1234");
  });

  it("test_cli_missingKey_isMissingKey", async () => {
    expectOneLineError(await runCli(["job", "cancel", "1"], {}, cwd), "MISSING_KEY", "PROOFWORK_PRIVATE_KEY");
  });

  it("test_cli_badAmount_isBadNumber", async () => {
    expectOneLineError(
      await runCli(["provider", "stake", "lots"], { PROOFWORK_PRIVATE_KEY: key }, cwd),
      "BAD_NUMBER",
      "lots",
    );
    expectOneLineError(
      await runCli(
        ["job", "post", "-c", "x", "--input", "0x00", "--price", "1e3"],
        { PROOFWORK_PRIVATE_KEY: key },
        cwd,
      ),
      "BAD_NUMBER",
      "--price",
    );
  });

  it("test_cli_unknownNetwork_isUnknownNetwork", async () => {
    expectOneLineError(
      await runCli(["--network", "mainnet", "job", "status", "1"], {}, cwd),
      "UNKNOWN_NETWORK",
      "mainnet",
    );
  });

  it("test_cli_badEnvValue_isConfigInvalid", async () => {
    expectOneLineError(
      await runCli(["job", "status", "1"], { PROOFWORK_CONFIRMATIONS: "many" }, cwd),
      "CONFIG_INVALID",
      "PROOFWORK_CONFIRMATIONS",
    );
  });

  it("test_cli_badEnvFile_isConfigInvalid", async () => {
    const f = join(cwd, "bad.env");
    writeFileSync(f, "PROOFWORK_RPC_URL=not-a-url\n");
    expectOneLineError(
      await runCli(["--env-file", f, "job", "status", "1"], {}, cwd),
      "CONFIG_INVALID",
      "PROOFWORK_RPC_URL",
    );
  });

  it("test_cli_rpcDown_isRpcFailed", async () => {
    expectOneLineError(
      await runCli(["--rpc", "http://127.0.0.1:9", "job", "status", "1"], {}, cwd),
      "RPC_FAILED",
      "127.0.0.1:9",
    );
  });

  it("test_cli_noDeploymentFile_isDeploymentNotFound", async () => {
    expectOneLineError(
      await runCli(["--rpc", rpc, "job", "status", "1"], {}, cwd),
      "DEPLOYMENT_NOT_FOUND",
      "proofwork deploy",
    );
  });

  it("test_cli_wrongChain_isWrongChain", async () => {
    expectOneLineError(
      await runCli(["--rpc", rpc, "--chain-id", "11155111", "job", "status", "1"], {}, cwd),
      "WRONG_CHAIN",
      "11155111",
    );
  });

  it("test_cli_malformedDeploymentFile_isDeploymentNotFound", async () => {
    const f = join(cwd, "broken.json");
    writeFileSync(f, JSON.stringify({ chainId: 31337 }));
    expectOneLineError(
      await runCli(["--rpc", rpc, "--deployment", f, "job", "status", "1"], {}, cwd),
      "DEPLOYMENT_NOT_FOUND",
      "malformed",
    );
  });

  it("test_cli_missingInputFile_isBadArgument", async () => {
    expectOneLineError(
      await runCli(
        ["job", "post", "-c", "x", "--input", "nope.bin", "--price", "1"],
        { PROOFWORK_PRIVATE_KEY: key },
        cwd,
      ),
      "BAD_ARGUMENT",
      "nope.bin",
    );
  });

  it("test_cli_circuitsBuild_badProfileOrUnknownCircuit", async () => {
    expectOneLineError(
      await runCli(["circuits", "build", "--profile", "huge"], {}, cwd),
      "BAD_ARGUMENT",
      "huge",
    );
    expectOneLineError(
      await runCli(["circuits", "build", "--only", "nope"], {}, cwd),
      "CIRCUIT_UNKNOWN",
      "nope",
    );
  });

  it("test_cli_deploy_nodeDown_isRpcFailed", async () => {
    expectOneLineError(
      await runCli(
        ["--network", "localhost", "--rpc", "http://127.0.0.1:9", "deploy"],
        { PROOFWORK_PRIVATE_KEY: key },
        cwd,
      ),
      "RPC_FAILED",
    );
  });

  it("test_cli_deploy_sepoliaWithoutEndpoint_isConfigInvalid", async () => {
    expectOneLineError(
      await runCli(["--network", "sepolia", "deploy"], {}, cwd),
      "CONFIG_INVALID",
      "PROOFWORK_RPC_URL",
    );
  });

  it("test_cli_unknownCommand_exitsTwoWithUsageHint", async () => {
    const r = await runCli(["jbo"], {}, cwd);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain("unknown command");
    expect(r.stderr).to.not.match(/\n\s+at /);
  });

  it("test_cli_help_exitsZero", async () => {
    const r = await runCli(["job", "post", "--help"], {}, cwd);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.contain("Usage: proofwork job post");
  });

  it("test_cli_everyCommandHasHelp", () => {
    const walk = (c: Command, path: string[]): string[][] => [
      path,
      ...c.commands.flatMap((s) => walk(s, [...path, s.name()])),
    ];
    const program = buildProgram();
    const paths = walk(program, []);
    expect(paths.length).to.be.greaterThan(15);
    for (const p of paths) {
      let c: Command = program;
      for (const name of p) c = c.commands.find((s) => s.name() === name)!;
      expect(c.description(), p.join(" ")).to.not.equal("");
      expect(c.helpInformation()).to.contain("Usage:");
    }
  });
});
