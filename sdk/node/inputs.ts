/**
 * Job input files → job input bytes for a model (Node: reads and decodes files; the encoding
 * itself is sdk/model/inputs.ts, shared with the web app):
 *
 *   .png .jpg .jpeg   a picture, decoded to RGBA (pngjs, jpeg-js) and encoded per the model
 *                     (`encodePicture`: normalised as an MNIST digit for 28×28 grey models,
 *                     resized otherwise)
 *   .npy              a NumPy tensor (one sample or a batch)
 *   .json             a JSON tensor (nested arrays or { shape, data })
 *   anything else     raw job input bytes, used as they are
 *
 * Several files make a batch (their samples concatenated, in order).
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { ErrorCodes, ProofworkError, errorMessage } from "../errors.ts";
import type { ModelArtifactV2 } from "../model/format.ts";
import { encodePicture, type PictureMode } from "../images.ts";
import {
  encodeTensor,
  parseNpy,
  tensorFromJson,
  type EncodeTensorOptions,
  type RgbaImage,
} from "../model/inputs.ts";

export type InputFileKind = "picture" | "npy" | "json" | "raw";

export function inputFileKind(file: string): InputFileKind {
  const ext = extname(file).toLowerCase();
  if (ext === ".png" || ext === ".jpg" || ext === ".jpeg") return "picture";
  if (ext === ".npy") return "npy";
  if (ext === ".json") return "json";
  return "raw";
}

function readBytes(file: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new ProofworkError(ErrorCodes.BAD_ARGUMENT, `cannot read input file ${file}: ${errorMessage(e)}`);
  }
}

/** Decodes a PNG or JPEG file to an RGBA raster. */
export function readPicture(file: string): RgbaImage {
  const bytes = readBytes(file);
  try {
    if (extname(file).toLowerCase() === ".png") {
      const png = PNG.sync.read(Buffer.from(bytes));
      return { width: png.width, height: png.height, data: png.data };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
    return { width: img.width, height: img.height, data: img.data };
  } catch (e) {
    throw new ProofworkError(ErrorCodes.INPUT_INVALID, `${file} is not a readable image: ${errorMessage(e)}`);
  }
}

export interface ReadInputOptions extends EncodeTensorOptions {
  /** How a picture becomes the model's input (`encodePicture`: digit for 28×28 grey models, else resize). */
  picture?: PictureMode;
}

/**
 * Files → job input bytes for `model` (undefined: only raw files are accepted, e.g. for a circuit
 * without a model).
 */
export function readJobInput(
  files: string[],
  model: Pick<ModelArtifactV2, "input"> | undefined,
  opts: ReadInputOptions = {},
): Uint8Array {
  const parts = files.map((file) => {
    const kind = inputFileKind(file);
    if (kind === "raw") return readBytes(file);
    if (model === undefined) {
      throw new ProofworkError(
        ErrorCodes.BAD_ARGUMENT,
        `${file}: the circuit runs no model, so only raw input bytes are accepted`,
      );
    }
    try {
      if (kind === "picture") {
        const img = readPicture(file);
        return encodePicture(model, img, opts.picture !== undefined ? { mode: opts.picture } : {});
      }
      const tensor =
        kind === "npy"
          ? parseNpy(readBytes(file))
          : tensorFromJson(JSON.parse(new TextDecoder().decode(readBytes(file))));
      return encodeTensor(model, tensor, opts);
    } catch (e) {
      if (e instanceof ProofworkError) throw new ProofworkError(e.code, `${file}: ${e.message}`);
      throw new ProofworkError(ErrorCodes.INPUT_INVALID, `${file}: ${errorMessage(e)}`);
    }
  });
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
