/**
 * Published batch datasets (docs/BATCH.md "inputs file"): the `index.json` a datasets folder
 * holds — which inputs files it serves, for which circuit, their hash and (for MNIST) the true
 * labels the page scores predictions against. Written by `app/datasets.ts` (Node: `npm run
 * app:local`, the tests) and by the dev server's upload endpoint; read by the page. No protocol
 * rule lives here: the page computes every root and hash with the SDK from the file itself.
 */

/** `url` resolved against `base` (config.ts's `absoluteUrl`; not imported: the dev server's
 * config loads this module, and config.ts imports the SDK by its package name). */
const absoluteUrl = (url: string, base: string): string => new URL(url, base).href;

/** One published inputs file. */
export interface DatasetEntry {
  /** Shown to the user, e.g. "MNIST held-out digits (1,000)". */
  name: string;
  /** The inputs file, relative to the datasets folder (or absolute). */
  file: string;
  /** The circuit whose model the samples are encoded for. */
  circuit: string;
  numSamples: number;
  inputBytes: number;
  /** keccak256 of the inputs file (the job's `inputsHash` when it is posted). */
  inputsHash: string;
  /** The true class of each sample, when known (accuracy of the predictions). */
  labels?: number[];
}

export interface DatasetIndex {
  datasets: DatasetEntry[];
}

/** Checks the shape of a parsed `index.json` (entries that do not fit are dropped). */
export function parseDatasetIndex(json: unknown): DatasetIndex {
  const list = (json as { datasets?: unknown } | null)?.datasets;
  if (!Array.isArray(list)) return { datasets: [] };
  const ok = (d: unknown): d is DatasetEntry => {
    const o = d as Record<string, unknown> | null;
    return (
      o !== null &&
      typeof o === "object" &&
      typeof o.name === "string" &&
      typeof o.file === "string" &&
      typeof o.circuit === "string" &&
      Number.isInteger(o.numSamples) &&
      Number.isInteger(o.inputBytes) &&
      typeof o.inputsHash === "string" &&
      (o.labels === undefined || (Array.isArray(o.labels) && o.labels.every((l) => Number.isInteger(l))))
    );
  };
  return { datasets: list.filter(ok) };
}

/** The absolute URL of a dataset's inputs file (what a job's `inputsURI` is). */
export function datasetUrl(entry: Pick<DatasetEntry, "file">, datasetsUrl: string, base: string): string {
  return absoluteUrl(entry.file, absoluteUrl(datasetsUrl, base));
}

/** The published datasets (none when the folder has no index or is not configured). */
export async function loadDatasets(datasetsUrl: string | undefined, base: string): Promise<DatasetEntry[]> {
  if (datasetsUrl === undefined) return [];
  // the dev server answers with cache-control: no-store
  const res = await fetch(absoluteUrl("index.json", absoluteUrl(datasetsUrl, base))).catch(() => undefined);
  if (res === undefined || !res.ok) return [];
  return parseDatasetIndex(await res.json().catch(() => undefined)).datasets;
}

/**
 * Downloads a file over HTTP with progress (`done` of `total` bytes; total 0 when unknown). A
 * failure is one plain sentence with the URL.
 */
export async function fetchBytes(
  url: string,
  onProgress?: (done: number, total: number) => void,
): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch {
    throw new Error(
      `${url} could not be fetched (offline, or the server does not allow this page to read it: CORS)`,
    );
  }
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  const total = Number(res.headers.get("content-length") ?? 0);
  if (res.body === null) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let done = 0;
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    chunks.push(r.value);
    done += r.value.length;
    onProgress?.(done, total);
  }
  const out = new Uint8Array(done);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A percentage with two decimals, as docs/BATCH.md's detection table writes it. */
export function percent(p: number): string {
  return `${(100 * p).toFixed(2)}%`;
}
