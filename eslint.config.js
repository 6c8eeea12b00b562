// @ts-check
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

/** Node built-in modules (also without the `node:` prefix): not in the browser-safe SDK core. */
const NODE_BUILTINS = [
  "fs",
  "fs/promises",
  "path",
  "os",
  "crypto",
  "url",
  "child_process",
  "stream",
  "worker_threads",
  "util",
  "http",
  "https",
  "net",
];

/** Import boundaries between the project's folders (docs/ARCHITECTURE.md, "Layout"). */
const internalsOf = (folder, depth, entries) => {
  const up = "../".repeat(depth);
  return {
    group: [`${up}${folder}/*`, `${up}${folder}/**`, ...entries.map((e) => `!${up}${folder}/${e}`)],
    message: `import ${folder}/ through its public entry point (${entries.join(", ")}), not its internals`,
  };
};
const sdkEntries = ["index.ts", "node.ts"];

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "artifacts/",
      "cache/",
      "build/",
      "sdk/types/",
      ".toolchain/",
      "coverage/",
      "ignition/deployments/",
      "app/dist/",
      "app/.vite/",
      "test-results/",
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/ban-ts-comment": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-console": "off",
    },
  },
  // sdk/ core: browser-safe, imports nothing outside sdk/ and nothing Node-only.
  {
    files: ["sdk/*.ts"],
    ignores: ["sdk/node.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [...NODE_BUILTINS, "dotenv"].map((name) => ({
            name,
            message: "the SDK core is browser-safe: Node-only code belongs in sdk/node/",
          })),
          patterns: [
            {
              group: ["node:*"],
              message: "the SDK core is browser-safe: Node-only code belongs in sdk/node/",
            },
            { group: ["./node/*", "./node.ts"], message: "the SDK core must not import its Node-only part" },
            { group: ["../*", "!../sdk/*"], message: "sdk/ imports nothing outside itself" },
          ],
        },
      ],
    },
  },
  // sdk/node: may use Node, still nothing outside sdk/.
  {
    files: ["sdk/node/*.ts", "sdk/node.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["../../*"], message: "sdk/ imports nothing outside itself" }] },
      ],
    },
  },
  // worker/: through the SDK's entry points; never the circuit build, the CLI, deploy, demo, bench or tests.
  ...[1, 2].map((depth) => ({
    files: depth === 1 ? ["worker/*.ts"] : ["worker/*/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            internalsOf("sdk", depth, sdkEntries),
            ...["circuits", "cli", "deploy", "demo", "bench", "test", "model"].map((f) => ({
              group: [`${"../".repeat(depth)}${f}/*`],
              message: `the running worker does not import ${f}/`,
            })),
          ],
        },
      ],
    },
  })),
  // cli/, demo/, bench/: other folders only through their public entry points.
  ...[
    { files: ["cli/*.ts", "demo/*.ts", "bench/*.ts"], depth: 1 },
    { files: ["cli/commands/*.ts"], depth: 2 },
  ].map(({ files, depth }) => ({
    files,
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            internalsOf("sdk", depth, sdkEntries),
            internalsOf("worker", depth, ["index.ts"]),
            internalsOf("deploy", depth, ["index.ts"]),
            internalsOf("circuits", depth, ["index.ts"]),
            ...(files.includes("bench/*.ts")
              ? [{ group: ["../test/*", "../test/**"], message: "bench/ does not import test fixtures" }]
              : []),
          ],
        },
      ],
    },
  })),
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
