/** File hashing shared by the circuit build, the deploy scripts and the worker's artifact checks. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";

/** Streaming sha256 of a file, as a 0x-prefixed bytes32 hex string (the form the registry stores). */
export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  await pipeline(createReadStream(path), h);
  return `0x${h.digest("hex")}`;
}
