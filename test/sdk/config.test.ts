import { expect } from "chai";
import { readFileSync } from "node:fs";
import {
  ConfigSchema,
  FIELD_SPECS,
  loadConfig,
  renderEnvExample,
  requirePrivateKey,
} from "../../sdk/node/config.ts";
import { ErrorCodes, isProofworkError } from "../../sdk/errors.ts";

function configError(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (isProofworkError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected a ProofworkError");
}

describe("sdk/config", () => {
  it("test_loadConfig_defaultsWhenEnvEmpty", () => {
    const c = loadConfig({}, { env: {}, envFile: false });
    expect(c.rpcUrl).to.equal("http://127.0.0.1:8545");
    expect(c.logChunkSize).to.equal(1000);
    expect(c.executorBackend).to.equal("auto");
    expect(c.minPrice).to.equal(0n);
    expect(c.privateKey).to.equal(undefined);
    expect(c.rpcFallbackUrls).to.deep.equal([]);
  });

  it("test_loadConfig_coercesEnvStrings", () => {
    const c = loadConfig(
      {},
      {
        env: {
          PROOFWORK_CONFIRMATIONS: "3",
          PROOFWORK_MIN_PRICE: "1000000000000000000000",
          PROOFWORK_RPC_FALLBACK_URLS: "http://a:1, http://b:2",
          PROOFWORK_PRIVATE_KEY: "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        },
        envFile: false,
      },
    );
    expect(c.confirmations).to.equal(3);
    expect(c.minPrice).to.equal(10n ** 21n);
    expect(c.rpcFallbackUrls).to.deep.equal(["http://a:1", "http://b:2"]);
    expect(c.privateKey).to.match(/^0x[0-9a-f]{64}$/);
  });

  it("test_loadConfig_overridesBeatEnv", () => {
    const c = loadConfig({ confirmations: 5 }, { env: { PROOFWORK_CONFIRMATIONS: "3" }, envFile: false });
    expect(c.confirmations).to.equal(5);
  });

  it("test_loadConfig_rejectsBadNumberNamingTheVariable", () => {
    const err = configError(() =>
      loadConfig({}, { env: { PROOFWORK_CONFIRMATIONS: "many" }, envFile: false }),
    );
    expect(err.code).to.equal(ErrorCodes.CONFIG_INVALID);
    expect(err.message).to.contain("PROOFWORK_CONFIRMATIONS");
    expect(err.message).to.not.contain("\n");
  });

  it("test_loadConfig_webgpuOptions_parsedOrRejectedNamingTheVariable", () => {
    const c = loadConfig(
      {},
      {
        env: {
          PROOFWORK_EXECUTOR_BACKEND: "webgpu",
          PROOFWORK_WEBGPU_FLAGS: " backend=opengles  enable-dawn-features=a,b ",
          PROOFWORK_WEBGPU_FEATURE_LEVEL: "compatibility",
        },
        envFile: false,
      },
    );
    expect(c.executorBackend).to.equal("webgpu");
    expect(c.webgpuFlags).to.deep.equal(["backend=opengles", "enable-dawn-features=a,b"]);
    expect(c.webgpuFeatureLevel).to.equal("compatibility");
    const defaults = loadConfig({}, { env: {}, envFile: false });
    expect([defaults.webgpuFlags, defaults.webgpuFeatureLevel]).to.deep.equal([[], "core"]);
    const flags = configError(() =>
      loadConfig({}, { env: { PROOFWORK_WEBGPU_FLAGS: "vulkan" }, envFile: false }),
    );
    expect(flags.code).to.equal(ErrorCodes.CONFIG_INVALID);
    expect(flags.message).to.contain("PROOFWORK_WEBGPU_FLAGS");
    expect(
      configError(() => loadConfig({}, { env: { PROOFWORK_WEBGPU_FEATURE_LEVEL: "max" }, envFile: false }))
        .message,
    ).to.contain("PROOFWORK_WEBGPU_FEATURE_LEVEL");
  });

  it("test_loadConfig_rejectsBadEnumAndUrl", () => {
    expect(
      configError(() => loadConfig({}, { env: { PROOFWORK_EXECUTOR_BACKEND: "cuda" }, envFile: false }))
        .message,
    ).to.contain("PROOFWORK_EXECUTOR_BACKEND");
    expect(
      configError(() => loadConfig({}, { env: { PROOFWORK_RPC_URL: "localhost" }, envFile: false })).message,
    ).to.contain("PROOFWORK_RPC_URL");
  });

  it("test_loadConfig_batchKeys_defaultsAndBadValues", () => {
    const d = loadConfig({}, { env: {}, envFile: false });
    expect(d.batchEnabled).to.equal(true);
    expect(d.batchChunkSize).to.equal(512);
    expect(d.batchPublishDir).to.equal(undefined);
    const off = loadConfig({}, { env: { PROOFWORK_BATCH_ENABLED: "false" }, envFile: false });
    expect(off.batchEnabled).to.equal(false);
    expect(
      configError(() => loadConfig({}, { env: { PROOFWORK_BATCH_ENABLED: "maybe" }, envFile: false }))
        .message,
    ).to.contain("PROOFWORK_BATCH_ENABLED");
    expect(
      configError(() => loadConfig({}, { env: { PROOFWORK_BATCH_CHUNK_SIZE: "0" }, envFile: false })).message,
    ).to.contain("PROOFWORK_BATCH_CHUNK_SIZE");
    expect(
      configError(() =>
        loadConfig({}, { env: { PROOFWORK_BATCH_SAMPLE_MARGIN_BLOCKS: "256" }, envFile: false }),
      ).message,
    ).to.contain("PROOFWORK_BATCH_SAMPLE_MARGIN_BLOCKS");
  });

  it("test_loadConfig_hidesPrivateKeyInErrors", () => {
    const err = configError(() =>
      loadConfig({}, { env: { PROOFWORK_PRIVATE_KEY: "0xdeadbeef" }, envFile: false }),
    );
    expect(err.message).to.contain("PROOFWORK_PRIVATE_KEY");
    expect(err.message).to.not.contain("deadbeef");
  });

  it("test_loadConfig_namesFlagForOverrides", () => {
    const err = configError(() =>
      loadConfig({ logChunkSize: "0" }, { env: {}, envFile: false, flagNames: { logChunkSize: "--chunk" } }),
    );
    expect(err.message).to.contain("--chunk");
  });

  it("test_requirePrivateKey_missingKeyIsCoded", () => {
    const err = configError(() => requirePrivateKey(loadConfig({}, { env: {}, envFile: false })));
    expect(err.code).to.equal(ErrorCodes.MISSING_KEY);
  });

  it("test_envExample_documentsEveryField", () => {
    expect(Object.keys(FIELD_SPECS).sort()).to.deep.equal(Object.keys(ConfigSchema.shape).sort());
    const example = readFileSync(new URL("../../.env.example", import.meta.url), "utf8");
    expect(example).to.equal(renderEnvExample());
    for (const spec of Object.values(FIELD_SPECS)) expect(example).to.contain(`${spec.env}=`);
  });
});
