/**
 * The models a circuit can be built from: the committed ones (`model/*.qmodel.json`, see
 * manifest.ts MODELS) and the ones a user imported with `proofwork model import`
 * (`<modelsDir>/<name>.qmodel.json`). Names are unique across both; a path to an artifact file
 * works too.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ErrorCodes, ProofworkError, errorMessage, parseArtifact, type ModelArtifact } from "../sdk/node.ts";
import { MODELS, loadCommittedModel, type ModelName } from "./manifest.ts";
import { ROOT } from "./pipeline.ts";

export const ARTIFACT_SUFFIX = ".qmodel.json";

export interface CatalogEntry {
  name: string;
  origin: "committed" | "imported" | "file";
  file: string;
  artifact: ModelArtifact;
}

const isCommitted = (name: string): name is ModelName => Object.hasOwn(MODELS, name);

function readArtifactFile(file: string): ModelArtifact {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ProofworkError(
      ErrorCodes.MODEL_INVALID,
      `${file}: not a JSON model artifact (${errorMessage(e)})`,
    );
  }
  try {
    return parseArtifact(json);
  } catch (e) {
    throw new ProofworkError(ErrorCodes.MODEL_INVALID, `${file}: ${errorMessage(e)}`);
  }
}

/** Where an imported model's artifact lives. */
export function importedModelPath(modelsDir: string, name: string): string {
  return path.join(modelsDir, `${name}${ARTIFACT_SUFFIX}`);
}

/** Every model: committed first, then imported (sorted by name). */
export function listModels(modelsDir: string): CatalogEntry[] {
  const out: CatalogEntry[] = (Object.keys(MODELS) as ModelName[]).map((name) => ({
    name,
    origin: "committed",
    file: path.join(ROOT, MODELS[name]),
    artifact: loadCommittedModel(name),
  }));
  if (existsSync(modelsDir)) {
    for (const f of readdirSync(modelsDir).sort()) {
      if (!f.endsWith(ARTIFACT_SUFFIX)) continue;
      const file = path.join(modelsDir, f);
      out.push({
        name: f.slice(0, -ARTIFACT_SUFFIX.length),
        origin: "imported",
        file,
        artifact: readArtifactFile(file),
      });
    }
  }
  return out;
}

/** A model by name (committed or imported) or by artifact path. */
export function resolveModel(nameOrFile: string, modelsDir: string): CatalogEntry {
  if (isCommitted(nameOrFile)) {
    return {
      name: nameOrFile,
      origin: "committed",
      file: path.join(ROOT, MODELS[nameOrFile]),
      artifact: loadCommittedModel(nameOrFile),
    };
  }
  const imported = importedModelPath(modelsDir, nameOrFile);
  if (/^[A-Za-z][A-Za-z0-9_-]*$/.test(nameOrFile) && existsSync(imported)) {
    return { name: nameOrFile, origin: "imported", file: imported, artifact: readArtifactFile(imported) };
  }
  if (nameOrFile.endsWith(".json") && existsSync(nameOrFile)) {
    const artifact = readArtifactFile(nameOrFile);
    return { name: artifact.name, origin: "file", file: path.resolve(nameOrFile), artifact };
  }
  const known = listModels(modelsDir).map((m) => m.name);
  throw new ProofworkError(
    ErrorCodes.BAD_ARGUMENT,
    `unknown model "${nameOrFile}" (known: ${known.join(", ")}; import one with \`proofwork model import\`)`,
  );
}

/**
 * Saves an imported artifact as `<modelsDir>/<name>.qmodel.json`. Refuses a committed model's
 * name, and a different model under an existing name unless `force`.
 */
export function saveImportedModel(modelsDir: string, artifact: ModelArtifact, force = false): string {
  if (isCommitted(artifact.name)) {
    throw new ProofworkError(
      ErrorCodes.BAD_ARGUMENT,
      `"${artifact.name}" is a committed model's name: choose another --name`,
    );
  }
  const file = importedModelPath(modelsDir, artifact.name);
  if (existsSync(file) && !force) {
    const old = readArtifactFile(file);
    if (old.hash !== artifact.hash) {
      throw new ProofworkError(
        ErrorCodes.BAD_ARGUMENT,
        `a different model named "${artifact.name}" exists (${file}, hash ${old.hash.slice(0, 10)}…): pass --force to replace it`,
      );
    }
  }
  mkdirSync(modelsDir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(artifact)}\n`);
  renameSync(tmp, file);
  return file;
}
