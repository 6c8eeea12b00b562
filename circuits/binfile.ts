/**
 * The binary container of iden3's formats (.r1cs, .ptau, .zkey, .wtns), as @iden3/binfileutils
 * writes it: magic (4 ASCII bytes), version (u32), number of sections (u32), then each section as
 * id (u32), size (u64) and its bytes. All integers little-endian.
 */
import { open, readFile } from "node:fs/promises";
import { ErrorCodes, ProofworkError } from "../sdk/errors.ts";

export interface Section {
  id: number;
  /** Offset of the section's data in the file. */
  offset: number;
  size: number;
}

export interface BinFile {
  bytes: Buffer;
  sections: Map<number, Section>;
}

/** Reads a whole container file and indexes its sections (each id must appear once). */
export async function readBinFile(file: string, magic: string): Promise<BinFile> {
  const bytes = await readFile(file);
  if (bytes.length < 12 || bytes.toString("latin1", 0, 4) !== magic) {
    throw new ProofworkError(ErrorCodes.CIRCUIT_BUILD_FAILED, `${file} is not a .${magic} file`);
  }
  const sections = new Map<number, Section>();
  const n = bytes.readUInt32LE(8);
  let off = 12;
  for (let i = 0; i < n; i++) {
    const id = bytes.readUInt32LE(off);
    const size = Number(bytes.readBigUInt64LE(off + 4));
    if (sections.has(id)) {
      throw new ProofworkError(ErrorCodes.CIRCUIT_BUILD_FAILED, `${file}: section ${id} appears twice`);
    }
    sections.set(id, { id, offset: off + 12, size });
    off += 12 + size;
  }
  if (off !== bytes.length) {
    throw new ProofworkError(ErrorCodes.CIRCUIT_BUILD_FAILED, `${file}: truncated or trailing bytes`);
  }
  return { bytes, sections };
}

/** The bytes of one section (a view, not a copy). */
export function section(f: BinFile, id: number): Buffer {
  const s = f.sections.get(id);
  if (!s) throw new ProofworkError(ErrorCodes.CIRCUIT_BUILD_FAILED, `missing section ${id}`);
  return f.bytes.subarray(s.offset, s.offset + s.size);
}

/** Little-endian u32. */
export function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

/** Writes a container: sections in the given order, each made of the given parts. */
export async function writeBinFile(
  file: string,
  magic: string,
  version: number,
  sections: { id: number; parts: Uint8Array[] }[],
): Promise<void> {
  const fh = await open(file, "w");
  try {
    const head = Buffer.alloc(12);
    head.write(magic, 0, "latin1");
    head.writeUInt32LE(version, 4);
    head.writeUInt32LE(sections.length, 8);
    await fh.write(head);
    for (const s of sections) {
      const size = s.parts.reduce((a, p) => a + p.length, 0);
      const h = Buffer.alloc(12);
      h.writeUInt32LE(s.id, 0);
      h.writeBigUInt64LE(BigInt(size), 4);
      await fh.write(h);
      for (const p of s.parts) if (p.length > 0) await fh.write(p);
    }
  } finally {
    await fh.close();
  }
}
