/**
 * The on-disk and JSON forms of a replay buffer (internal to `lib/buffer/`).
 *
 * Binary file layout (all integers little-endian):
 * ```
 * bytes 0..7    magic "MBRLBUF1"
 * bytes 8..11   uint32 header length H
 * bytes 12..    UTF-8 JSON header of H bytes, then zero padding to a multiple of 8
 * then          each array of `header.arrays`, in order, as raw little-endian bytes,
 *               each padded with zeros to a multiple of 8 bytes
 * ```
 * The header carries the buffer's fields, every array's name, dtype and length, and an FNV-1a
 * checksum that covers the header itself and the array bytes, so a truncated file, an altered
 * array byte or a changed digit in the header (a capacity, a prioritisation setting) is
 * detected on load. The JSON form is the same header with each array's bytes in base64 under
 * `data`.
 *
 * Checksum (version 2): FNV-1a (32-bit) over the UTF-8 bytes of the header's canonical JSON
 * (every field but `checksum`, array entries without `data`, object keys sorted, no
 * spaces), followed by each array's bytes in header order. Version 1 files (written before
 * the header was covered: their checksum covers the arrays only) still load, with only their
 * arrays checked.
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** The format tag in every header. */
export const FORMAT = "mbrl-replay-buffer";
/** The format version this code writes (it also reads version 1). */
export const VERSION = 2;
/** Versions this code reads: 1 (checksum over the arrays only) and 2 (header and arrays). */
const READABLE_VERSIONS: readonly number[] = [1, 2];
const MAGIC = "MBRLBUF1";

/** Element types an array may have in a snapshot. */
export type DType = "float32" | "float64" | "uint8";
/** A typed array a snapshot can hold. */
export type SnapshotArray = Float32Array | Float64Array | Uint8Array;

/** One array's entry in the header. */
export interface ArrayEntry {
  name: string;
  dtype: DType;
  length: number;
  /** Base64 of the bytes (JSON form only). */
  data?: string;
}

/** The fields of a buffer snapshot besides its arrays. */
export interface SnapshotFields {
  kind: "uniform" | "prioritized";
  capacity: number;
  stateDim: number;
  actionDim: number;
  size: number;
  writePosition: number;
  [field: string]: unknown;
}

/** A decoded snapshot: fields plus named arrays. */
export interface Snapshot {
  fields: SnapshotFields;
  arrays: Record<string, SnapshotArray>;
}

/** The JSON form of a replay buffer (what `toJSON` returns). */
export interface ReplayBufferJson extends SnapshotFields {
  format: typeof FORMAT;
  version: number;
  checksum: string;
  arrays: ArrayEntry[];
}

const BYTES: Record<DType, number> = { float32: 4, float64: 8, uint8: 1 };

function dtypeOf(array: SnapshotArray): DType {
  if (array instanceof Float32Array) return "float32";
  if (array instanceof Float64Array) return "float64";
  return "uint8";
}

function bytesOf(array: SnapshotArray): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function assertLittleEndianHost(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error("Replay buffer files are little-endian; this host is big-endian");
  }
}

/** FNV-1a (32-bit) over several byte arrays, as 8 hex digits. */
function checksumOf(parts: Uint8Array[]): string {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      hash ^= part[i]!;
      hash = Math.imul(hash, 0x01000193);
    }
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/** JSON with object keys sorted at every level (arrays keep their order), no spaces. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).filter((key) => value[key] !== undefined).sort();
    return `{${
      keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")
    }}`;
  }
  return JSON.stringify(value);
}

/** The header's bytes the version-2 checksum covers: all but `checksum` and arrays' `data`. */
function headerDigestBytes(header: Omit<ReplayBufferJson, "checksum">): Uint8Array {
  const { checksum: _checksum, ...rest } = header as ReplayBufferJson;
  const arrays = rest.arrays.map(({ name, dtype, length }) => ({ name, dtype, length }));
  return new TextEncoder().encode(canonicalJson({ ...rest, arrays }));
}

/** The checksum `header` should carry for `arrays`, by the rule of `header.version`. */
function expectedChecksum(
  header: Omit<ReplayBufferJson, "checksum">,
  arrays: SnapshotArray[],
): string {
  const parts = arrays.map(bytesOf);
  return header.version === 1
    ? checksumOf(parts)
    : checksumOf([headerDigestBytes(header), ...parts]);
}

function corrupt(source: string, why: string): Error {
  return new Error(`Corrupt or incompatible replay buffer ${source}: ${why}`);
}

function headerOf(snapshot: Snapshot): ReplayBufferJson {
  const arrays = Object.entries(snapshot.arrays).map(([name, array]) => ({
    name,
    dtype: dtypeOf(array),
    length: array.length,
  }));
  const header = { format: FORMAT, version: VERSION, ...snapshot.fields, arrays };
  const checksum = expectedChecksum(header, Object.values(snapshot.arrays));
  return { format: FORMAT, version: VERSION, ...snapshot.fields, checksum, arrays };
}

/** The JSON form of a snapshot. */
export function snapshotToJson(snapshot: Snapshot): ReplayBufferJson {
  assertLittleEndianHost();
  const header = headerOf(snapshot);
  header.arrays = header.arrays.map((entry) => ({
    ...entry,
    data: Buffer.from(bytesOf(snapshot.arrays[entry.name]!)).toString("base64"),
  }));
  return header;
}

/** The binary file form of a snapshot. */
export function snapshotToBytes(snapshot: Snapshot): Uint8Array {
  assertLittleEndianHost();
  const header = new TextEncoder().encode(JSON.stringify(headerOf(snapshot)));
  const pad8 = (n: number) => Math.ceil(n / 8) * 8;
  const arrays = Object.values(snapshot.arrays).map(bytesOf);
  let total = pad8(12 + header.length);
  for (const bytes of arrays) total += pad8(bytes.length);
  const out = new Uint8Array(total);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  let offset = pad8(12 + header.length);
  for (const bytes of arrays) {
    out.set(bytes, offset);
    offset += pad8(bytes.length);
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function allocate(dtype: DType, length: number): SnapshotArray {
  if (dtype === "float32") return new Float32Array(length);
  if (dtype === "float64") return new Float64Array(length);
  return new Uint8Array(length);
}

/** Checks the header's shape and returns its fields and array entries. */
function parseHeader(value: unknown, source: string): ReplayBufferJson {
  if (!isRecord(value)) throw corrupt(source, "the header is not an object");
  if (value.format !== FORMAT) {
    throw corrupt(source, `expected format "${FORMAT}" but found ${JSON.stringify(value.format)}`);
  }
  if (!READABLE_VERSIONS.includes(value.version as number)) {
    throw corrupt(
      source,
      `expected version ${READABLE_VERSIONS.join(" or ")} but found ${
        JSON.stringify(value.version)
      }`,
    );
  }
  for (const key of ["capacity", "stateDim", "actionDim", "size", "writePosition"]) {
    const field = value[key];
    if (!Number.isSafeInteger(field) || (field as number) < 0) {
      throw corrupt(source, `expected ${key} to be a non-negative integer but found ${field}`);
    }
  }
  if (value.kind !== "uniform" && value.kind !== "prioritized") {
    throw corrupt(source, `unknown kind ${JSON.stringify(value.kind)}`);
  }
  if (typeof value.checksum !== "string") throw corrupt(source, "the checksum is missing");
  if (!Array.isArray(value.arrays)) throw corrupt(source, "the array list is missing");
  for (const entry of value.arrays) {
    if (
      !isRecord(entry) || typeof entry.name !== "string" || !(entry.dtype as string in BYTES) ||
      !Number.isSafeInteger(entry.length) || (entry.length as number) < 0
    ) {
      throw corrupt(source, `bad array entry ${JSON.stringify(entry)?.slice(0, 80)}`);
    }
  }
  return value as unknown as ReplayBufferJson;
}

function finish(header: ReplayBufferJson, arrays: Record<string, SnapshotArray>, source: string) {
  const checksum = expectedChecksum(header, Object.values(arrays));
  if (checksum !== header.checksum) {
    const covered = header.version === 1 ? "the arrays were" : "the header or the arrays were";
    throw corrupt(
      source,
      `checksum ${checksum} does not match the header's ${header.checksum} (${covered} changed)`,
    );
  }
  const { format: _format, version: _version, checksum: _checksum, arrays: _arrays, ...fields } =
    header;
  return { fields, arrays };
}

/** Decodes the JSON form (an object or its string); throws a clear error on any defect. */
export function snapshotFromJson(json: unknown): Snapshot {
  const source = "JSON";
  assertLittleEndianHost();
  let value = json;
  if (typeof json === "string") {
    try {
      value = JSON.parse(json);
    } catch (error) {
      throw corrupt(source, `not valid JSON (${(error as Error).message})`);
    }
  }
  const header = parseHeader(value, source);
  const arrays: Record<string, SnapshotArray> = {};
  for (const entry of header.arrays) {
    if (typeof entry.data !== "string") throw corrupt(source, `array ${entry.name} has no data`);
    const bytes = Buffer.from(entry.data, "base64");
    const size = BYTES[entry.dtype];
    if (bytes.length !== entry.length * size) {
      throw corrupt(
        source,
        `array ${entry.name} has ${bytes.length} bytes but ${entry.length * size} were expected`,
      );
    }
    const array = allocate(entry.dtype, entry.length);
    bytesOf(array).set(bytes);
    arrays[entry.name] = array;
  }
  return finish(header, arrays, source);
}

/** Decodes the binary file form; `source` names the file in error messages. */
export function snapshotFromBytes(bytes: Uint8Array, source: string): Snapshot {
  assertLittleEndianHost();
  const pad8 = (n: number) => Math.ceil(n / 8) * 8;
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw corrupt(source, `it does not start with "${MAGIC}"`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .getUint32(8, true);
  if (12 + headerLength > bytes.length) throw corrupt(source, "the header is truncated");
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  } catch (error) {
    throw corrupt(source, `the header is not valid JSON (${(error as Error).message})`);
  }
  const header = parseHeader(value, source);
  const arrays: Record<string, SnapshotArray> = {};
  let offset = pad8(12 + headerLength);
  for (const entry of header.arrays) {
    const byteLength = entry.length * BYTES[entry.dtype];
    if (offset + byteLength > bytes.length) {
      throw corrupt(source, `array ${entry.name} is truncated`);
    }
    const array = allocate(entry.dtype, entry.length);
    bytesOf(array).set(bytes.subarray(offset, offset + byteLength));
    arrays[entry.name] = array;
    offset += pad8(byteLength);
  }
  if (offset !== bytes.length) {
    throw corrupt(source, `expected ${offset} bytes but found ${bytes.length}`);
  }
  return finish(header, arrays, source);
}
