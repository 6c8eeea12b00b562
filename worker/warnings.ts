/**
 * Keeps Node's one known-harmless warning (node:sqlite, used by the worker's store, is flagged
 * experimental on Node 22) out of the user's terminal; every other warning is still printed.
 */
export function quietKnownWarnings(): void {
  process.removeAllListeners("warning");
  process.on("warning", (w) => {
    if (w.name === "ExperimentalWarning" && /SQLite/i.test(w.message)) return;
    process.stderr.write(`${w.name}: ${w.message}\n`);
  });
}
