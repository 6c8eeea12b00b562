/**
 * proofwork SDK — the browser-safe core shared by the worker, the CLI, deploy scripts, tests and
 * the web app: protocol rules (terms, commitments, jobKey, auction price), typed ABIs and contract
 * bindings (ethers v6), the job model and reader, the market index, output decoding, verification
 * keys and proof verification, the quantized reference. Nothing here imports a Node module; the
 * Node-only parts (configuration from the environment, files, deployment records on disk) are in
 * `sdk/node.ts`, which re-exports this module too.
 */
export * from "./abi/index.ts";
export * from "./artifacts.ts";
export * from "./batch.ts";
export * from "./batch-client.ts";
export * from "./client.ts";
export * from "./commitment.ts";
export * from "./contracts.ts";
export * from "./deployments.ts";
export * from "./errors.ts";
export * from "./field.ts";
export * from "./images.ts";
export * from "./indexer.ts";
export * from "./jobs.ts";
export * from "./keys.ts";
export * from "./mnist.ts";
export * from "./model/format.ts";
export * from "./model/reference.ts";
export * from "./model/encode.ts";
export * from "./model/circuit-input.ts";
export * from "./model/inputs.ts";
export * from "./proof.ts";
export * from "./provider.ts";
export * from "./sampling.ts";
export * from "./terms.ts";
export * from "./verify.ts";
