/**
 * The page's runtime configuration, `config.json` next to `index.html`: the dev server answers it
 * from the project's configuration; a production build ships a default one to edit. No rebuild is
 * needed to point a build at another chain.
 */
import { fetchHttp, type ArtifactFetcher } from "proofwork";

export interface AppConfig {
  /** JSON-RPC endpoint the page reads the chain through (absolute, or relative to the page). */
  rpcUrl: string;
  /** The endpoint to offer a browser wallet when it must add the chain (default: `rpcUrl`). */
  walletRpcUrl?: string;
  /** The deployment record (`proofwork deploy` output), absolute or relative to the page. */
  deploymentUrl: string;
  /**
   * Where `file://` artifact URIs (local deployments register the build folder) are served:
   * `file:///…/<circuit>/<file>` is fetched from `<fileArtifactsUrl><circuit>/<file>`.
   */
  fileArtifactsUrl?: string;
  /** Prefix rewrites of other artifact URIs (e.g. `ipfs://` → an HTTP gateway). */
  artifactRewrites?: { from: string; to: string }[];
  /** Block explorer base URL for transaction and address links (e.g. https://sepolia.etherscan.io). */
  explorerUrl?: string;
  /**
   * Batch datasets: a folder served over HTTP holding `index.json` (the published datasets, see
   * app/src/datasets.ts) and their inputs files (absolute, or relative to the page).
   */
  datasetsUrl?: string;
  /**
   * Where the page may POST an inputs file to publish it next to the datasets (the dev server's
   * upload endpoint; absent on a static host, where an uploaded dataset must be published by hand).
   */
  datasetUploadUrl?: string;
}

/** Resolves `url` against the page's address (config URLs may be relative). */
export function absoluteUrl(url: string, base: string): string {
  return new URL(url, base).href;
}

/** Checks the shape of a parsed `config.json`. */
export function parseAppConfig(json: unknown): AppConfig {
  const o = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
  const str = (k: string, required: boolean): string | undefined => {
    const v = o[k];
    if (v === undefined && !required) return undefined;
    if (typeof v !== "string" || v === "") throw new Error(`config.json: "${k}" must be a non-empty string`);
    return v;
  };
  const rewrites = o.artifactRewrites;
  if (
    rewrites !== undefined &&
    (!Array.isArray(rewrites) ||
      !rewrites.every(
        (r: unknown) =>
          typeof r === "object" &&
          r !== null &&
          typeof (r as { from?: unknown }).from === "string" &&
          typeof (r as { to?: unknown }).to === "string",
      ))
  ) {
    throw new Error('config.json: "artifactRewrites" must be a list of { "from", "to" } strings');
  }
  return {
    rpcUrl: str("rpcUrl", true)!,
    walletRpcUrl: str("walletRpcUrl", false),
    deploymentUrl: str("deploymentUrl", true)!,
    fileArtifactsUrl: str("fileArtifactsUrl", false),
    artifactRewrites: rewrites as AppConfig["artifactRewrites"],
    explorerUrl: str("explorerUrl", false),
    datasetsUrl: str("datasetsUrl", false),
    datasetUploadUrl: str("datasetUploadUrl", false),
  };
}

/** Where the page fetches an artifact URI from (see `fileArtifactsUrl`, `artifactRewrites`). */
export function artifactLocation(config: AppConfig, uri: string, base: string): string {
  for (const r of config.artifactRewrites ?? []) {
    if (uri.startsWith(r.from)) return absoluteUrl(r.to + uri.slice(r.from.length), base);
  }
  if (uri.startsWith("file://") && config.fileArtifactsUrl !== undefined) {
    const parts = uri.split("/").filter((p) => p !== "");
    const [dir, file] = parts.slice(-2);
    return absoluteUrl(`${config.fileArtifactsUrl}${dir}/${file}`, base);
  }
  return uri;
}

/** The SDK's `ArtifactFetcher` for the page: registered URIs mapped by the config, then HTTP. */
export function artifactFetcher(config: AppConfig, base: string): ArtifactFetcher {
  return (uri) => fetchHttp(artifactLocation(config, uri, base));
}
