import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

/**
 * Solidity is compiled offline with the `solc` npm package (its wasm build): Hardhat cannot
 * download compilers on machines without internet. Keep SOLC_VERSION equal to the exact version
 * pinned in package.json (checked by `npm run lint:versions`).
 */
export const SOLC_VERSION = "0.8.30";

/** Solidity test files (compiled without via-IR, see `overrides`). */
const SOLIDITY_TEST_FILES = ["test/contracts/JobMarket.fuzz.t.sol", "test/contracts/Protocol.invariant.t.sol"];

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    compilers: [
      {
        version: SOLC_VERSION,
        path: require.resolve("solc/soljson.js"),
        // via-IR: ~7k gas less on post + claim + submit (bench/RESULTS.md).
        settings: { optimizer: { enabled: true, runs: 10_000 }, evmVersion: "cancun", viaIR: true },
      },
    ],
    // The Solidity tests (fuzz, invariants) compile without via-IR: several times faster to build,
    // and they check behaviour, not gas.
    overrides: Object.fromEntries(
      SOLIDITY_TEST_FILES.map((f) => [
        f,
        {
          version: SOLC_VERSION,
          path: require.resolve("solc/soljson.js"),
          settings: { optimizer: { enabled: true, runs: 10_000 }, evmVersion: "cancun" },
        },
      ]),
    ),
  },
  paths: {
    tests: { mocha: "test", solidity: "test" },
  },
  test: {
    mocha: {
      timeout: 600_000,
      rootHooks: {
        // snarkjs keeps a pool of worker threads per curve (globalThis.curve_bn128) that would keep
        // the test process alive after the last test: release it once everything has run.
        async afterAll() {
          const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } };
          await g.curve_bn128?.terminate();
          delete g.curve_bn128;
        },
      },
    },
  },
  networks: {
    localhost: {
      type: "http",
      chainType: "l1",
      url: "http://127.0.0.1:8545",
    },
    sepolia: {
      type: "http",
      chainType: "l1",
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("SEPOLIA_PRIVATE_KEY")],
    },
  },
});
