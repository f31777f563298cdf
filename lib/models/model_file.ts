/**
 * The saved-model folder: `model.json` (configuration, normalisers, elites, array layout,
 * checksums) and `weights.bin` (every member's parameters as little-endian float32), both
 * written atomically (temporary file, then rename).
 *
 * Integrity: `weightsChecksum` is the FNV-1a of `weights.bin`; `checksum` is the FNV-1a of
 * `model.json`'s other fields (serialised compactly in their stored order), so it covers
 * everything that changes predictions (normalisers, elites, configuration, layout) and, through
 * `weightsChecksum`, the weights. A changed digit anywhere is refused with a message naming the
 * file. Version-1 files (whose checksum covered the weights only) are refused too: they cannot
 * be checked, so re-train and save again.
 *
 * @module
 */
import { writeFileAtomic, writeJsonAtomic } from "../run_folder.ts";
import type { DynamicsModelConfig } from "./model_config.ts";
import type { NormalizerJson } from "./normalizer.ts";

/** The `format` field of every `model.json`. */
export const SAVED_MODEL_FORMAT = "mbrl-dynamics-model";

/** The current `version` of `model.json`. */
export const SAVED_MODEL_VERSION = 2;

/** The parsed `model.json` of a saved model (version 2). */
export interface SavedModelJson {
  format: "mbrl-dynamics-model";
  version: 2;
  config: DynamicsModelConfig;
  inputNormalizer: NormalizerJson;
  targetNormalizer: NormalizerJson;
  elites: number[];
  /** Float32 counts of each member's arrays, in `weights.bin` order. */
  arrayLengths: number[][];
  byteLength: number;
  /** FNV-1a of `weights.bin`'s bytes. */
  weightsChecksum: number;
  /** FNV-1a of the compact JSON of every field above, in stored order. */
  checksum: number;
}

/** What a model hands to {@linkcode writeSavedModel}. */
export interface SavedModelContent {
  config: DynamicsModelConfig;
  inputNormalizer: NormalizerJson;
  targetNormalizer: NormalizerJson;
  elites: readonly number[];
  /** Each member's parameter arrays, in order. */
  memberStates: readonly (readonly Float32Array[])[];
}

/**
 * 32-bit FNV-1a of `bytes`.
 *
 * @example
 * ```ts
 * fnv1a(new Uint8Array([])); // 2166136261
 * ```
 */
export function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i]!;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function joinPath(folder: string, name: string): string {
  return folder.endsWith("/") ? folder + name : `${folder}/${name}`;
}

/** The checksum of `model.json`'s fields other than `checksum`, in their order. */
function bodyChecksum(json: Omit<SavedModelJson, "checksum">): number {
  const { checksum: _drop, ...body } = json as SavedModelJson;
  return fnv1a(new TextEncoder().encode(JSON.stringify(body)));
}

/**
 * Writes `weights.bin` then `model.json` into the folder `path` (created if missing), each
 * atomically. A reader that comes between the two sees new weights with the old
 * `model.json`, which its weights checksum refuses.
 * @throws {RunWriteError} when a file cannot be written.
 *
 * @example
 * ```ts
 * import { ProbabilisticDynamicsModel } from "./probabilistic_model.ts";
 * import { setupBackend } from "../backend.ts";
 * await setupBackend();
 * const model = new ProbabilisticDynamicsModel({ stateDim: 2, actionDim: 1, hiddenSizes: [8] });
 * const dir = await Deno.makeTempDir();
 * await model.save(dir); // writeSavedModel under the hood
 * (await readSavedModel(dir)).json.version; // 2
 * model.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeSavedModel(path: string, content: SavedModelContent): Promise<void> {
  const states = content.memberStates;
  const total = states.reduce((acc, st) => acc + st.reduce((a, w) => a + w.length, 0), 0);
  const flat = new Float32Array(total);
  let offset = 0;
  for (const st of states) {
    for (const w of st) {
      flat.set(w, offset);
      offset += w.length;
    }
  }
  const bytes = new Uint8Array(flat.buffer);
  const body: Omit<SavedModelJson, "checksum"> = {
    format: SAVED_MODEL_FORMAT,
    version: SAVED_MODEL_VERSION,
    config: { ...content.config, hiddenSizes: [...content.config.hiddenSizes] },
    inputNormalizer: content.inputNormalizer,
    targetNormalizer: content.targetNormalizer,
    elites: [...content.elites],
    arrayLengths: states.map((st) => st.map((w) => w.length)),
    byteLength: bytes.length,
    weightsChecksum: fnv1a(bytes),
  };
  const json: SavedModelJson = { ...body, checksum: bodyChecksum(body) };
  await Deno.mkdir(path, { recursive: true });
  writeFileAtomic(joinPath(path, "weights.bin"), bytes);
  writeJsonAtomic(joinPath(path, "model.json"), json);
}

/**
 * Reads and checks a saved model folder: both files present, `model.json` a version-2 file
 * whose `checksum` matches its fields, `weights.bin` of the recorded size and checksum.
 * @throws {Error} naming the file and what is wrong (missing, bad JSON, old version, size,
 *   checksum).
 *
 * @example
 * ```ts
 * import { EnsembleDynamicsModel } from "./ensemble_model.ts";
 * import { setupBackend } from "../backend.ts";
 * await setupBackend();
 * const model = new EnsembleDynamicsModel({ stateDim: 2, actionDim: 1, numModels: 2, hiddenSizes: [8] });
 * const dir = await Deno.makeTempDir();
 * await model.save(dir);
 * const { json, weights } = await readSavedModel(dir);
 * json.config.numModels; // 2
 * weights.length > 0; // true
 * model.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readSavedModel(
  path: string,
): Promise<{ json: SavedModelJson; weights: Float32Array }> {
  const jsonPath = joinPath(path, "model.json");
  const binPath = joinPath(path, "weights.bin");
  let text: string;
  let bytes: Uint8Array;
  try {
    text = await Deno.readTextFile(jsonPath);
    bytes = await Deno.readFile(binPath);
  } catch (error) {
    throw new Error(
      `Cannot read a saved dynamics model in ${path}: ${(error as Error).message}`,
    );
  }
  let json: SavedModelJson;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`Corrupt ${jsonPath}: ${(error as Error).message}`);
  }
  if (json?.format !== SAVED_MODEL_FORMAT || typeof json.config !== "object") {
    throw new Error(`${jsonPath} is not a ${SAVED_MODEL_FORMAT} file`);
  }
  if ((json.version as number) === 1) {
    throw new Error(
      `${jsonPath} is a version-1 ${SAVED_MODEL_FORMAT} file, whose checksum covers the weights ` +
        `but not the normalisers, so it cannot be checked: train and save the model again`,
    );
  }
  if (json.version !== SAVED_MODEL_VERSION) {
    throw new Error(
      `${jsonPath} is version ${json.version} of ${SAVED_MODEL_FORMAT}; this code reads version ${SAVED_MODEL_VERSION}`,
    );
  }
  if (bodyChecksum(json) !== json.checksum) {
    throw new Error(
      `Corrupt ${jsonPath}: checksum mismatch (a field that changes predictions, such as a ` +
        `normaliser, the elites or the configuration, was edited or damaged)`,
    );
  }
  if (bytes.length !== json.byteLength || bytes.length % 4 !== 0) {
    throw new Error(
      `Corrupt ${binPath}: expected ${json.byteLength} bytes but found ${bytes.length}`,
    );
  }
  if (fnv1a(bytes) !== json.weightsChecksum) {
    throw new Error(`Corrupt ${binPath}: checksum mismatch`);
  }
  const weights = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4).slice();
  return { json, weights };
}

/**
 * Throws unless `json` was saved from a model of the same architecture as `config` (kind,
 * dims, activation, heads, member count, hidden sizes) whose members have arrays of
 * `memberLengths`.
 *
 * @example
 * ```ts
 * import { EnsembleDynamicsModel } from "./ensemble_model.ts";
 * import { setupBackend } from "../backend.ts";
 * await setupBackend();
 * const model = new EnsembleDynamicsModel({ stateDim: 2, actionDim: 1, numModels: 2, hiddenSizes: [8] });
 * const dir = await Deno.makeTempDir();
 * await model.save(dir);
 * await model.load(dir); // assertSavedModelMatches passes
 * model.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function assertSavedModelMatches(
  json: SavedModelJson,
  config: DynamicsModelConfig,
  memberLengths: readonly number[][],
  path: string,
): void {
  const theirs = json.config;
  for (
    const key of [
      "kind",
      "stateDim",
      "actionDim",
      "activation",
      "probabilistic",
      "learnTermination",
      "numModels",
    ] as const
  ) {
    if (config[key] !== theirs[key]) {
      throw new Error(
        `Model in ${path} does not match: expected ${key} ${config[key]} but found ${theirs[key]}`,
      );
    }
  }
  if (config.hiddenSizes.join() !== theirs.hiddenSizes.join()) {
    throw new Error(
      `Model in ${path} does not match: expected hiddenSizes [${config.hiddenSizes}] but found [${theirs.hiddenSizes}]`,
    );
  }
  memberLengths.forEach((expected, m) => {
    const found = json.arrayLengths[m] ?? [];
    if (expected.join() !== found.join()) {
      throw new Error(
        `Model in ${path} does not match: member ${m} has arrays [${found}], expected [${expected}]`,
      );
    }
  });
}
