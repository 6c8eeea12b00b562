/**
 * Input commitments: bytes packed 31 per field element (little-endian) and hashed with a Poseidon
 * chain. Must match `circuits/src/lib/commitment.circom` bit for bit (see docs/ARCHITECTURE.md).
 */
import { buildPoseidon } from "circomlibjs";
import { ErrorCodes, ProofworkError } from "./errors.ts";

/** Bytes per packed field element (31 × 8 = 248 bits < 254). */
export const BYTES_PER_ELEMENT = 31;
/** Widest Poseidon circomlib provides (t = 17). */
export const POSEIDON_MAX_INPUTS = 16;

type PoseidonFn = ((inputs: bigint[]) => bigint) & { nInputsMax: number };

let poseidonPromise: Promise<PoseidonFn> | undefined;

/** circomlibjs Poseidon, built once per process, returning bigints. */
export function getPoseidon(): Promise<PoseidonFn> {
  poseidonPromise ??= buildPoseidon().then((p) => {
    const fn = ((inputs: bigint[]) => p.F.toObject(p(inputs))) as PoseidonFn;
    fn.nInputsMax = POSEIDON_MAX_INPUTS;
    return fn;
  });
  return poseidonPromise;
}

/** Number of field elements `nBytes` bytes pack into. */
export function packedLength(nBytes: number): number {
  return Math.ceil(nBytes / BYTES_PER_ELEMENT);
}

/** Packs bytes 31 per element, little-endian within each element; the last one zero-padded. */
export function packBytes(bytes: Uint8Array): bigint[] {
  const out: bigint[] = [];
  for (let k = 0; k < bytes.length; k += BYTES_PER_ELEMENT) {
    let acc = 0n;
    const end = Math.min(k + BYTES_PER_ELEMENT, bytes.length);
    for (let i = end - 1; i >= k; i--) acc = (acc << 8n) | BigInt(bytes[i]!);
    out.push(acc);
  }
  return out;
}

/**
 * Poseidon chain over field elements: `poseidon(e[0..16))`, then `h = poseidon([h, ...next 15])`
 * for each following chunk. A single element list of length ≤ 16 is one Poseidon call.
 */
export function poseidonChain(poseidon: PoseidonFn, elements: bigint[]): bigint {
  if (elements.length === 0) {
    throw new ProofworkError(ErrorCodes.INPUT_INVALID, "cannot commit to an empty input");
  }
  let h = poseidon(elements.slice(0, POSEIDON_MAX_INPUTS));
  for (let i = POSEIDON_MAX_INPUTS; i < elements.length; i += POSEIDON_MAX_INPUTS - 1) {
    h = poseidon([h, ...elements.slice(i, i + POSEIDON_MAX_INPUTS - 1)]);
  }
  return h;
}

/** The commitment a job's input bytes must match (public signal 1 of every job circuit). */
export async function commitInput(bytes: Uint8Array): Promise<bigint> {
  return poseidonChain(await getPoseidon(), packBytes(bytes));
}
