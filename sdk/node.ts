/**
 * proofwork SDK for Node: the browser-safe core (`sdk/index.ts`) plus what needs Node — the
 * configuration module (environment, `.env`), files (hashing, `file://` artifacts, deployment
 * records on disk, model artifacts).
 */
export * from "./index.ts";
export * from "./node/config.ts";
export * from "./node/files.ts";
export * from "./node/build-manifest.ts";
export * from "./node/models.ts";
export * from "./node/model-files.ts";
export * from "./node/model-import.ts";
export * from "./node/inputs.ts";
export * from "./node/batch.ts";
