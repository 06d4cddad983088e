import { decodeMessage, encodeMessage } from '@dms/kafka-codec';
import { RECORD_TYPES, type RecordType } from './record-table';

export class RecordFormatError extends Error {}

/** A decoded key: its record type and the key struct (field names as in Kafka, camelCase). */
export interface DecodedKey<K = Record<string, unknown>> {
  type: RecordType;
  key: K;
}

function typeOf(id: number): RecordType {
  const t = RECORD_TYPES.get(id);
  if (!t) throw new RecordFormatError(`unknown record type ${id}`);
  return t;
}

function withPrefix(prefix: number, body: Buffer): Buffer {
  const out = Buffer.alloc(2 + body.length);
  out.writeInt16BE(prefix);
  body.copy(out, 2);
  return out;
}

function decodeBody<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new RecordFormatError(`unreadable ${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function encodeRecordKey(typeId: number, key: object): Buffer {
  const t = typeOf(typeId);
  return withPrefix(typeId, encodeMessage(t.key, 0, key));
}

/** Encodes a value at the version this build writes for its type (or at `version`). */
export function encodeRecordValue(typeId: number, value: object, version?: number): Buffer {
  const t = typeOf(typeId);
  const v = version ?? t.writeVersion;
  return withPrefix(v, encodeMessage(t.value, v, value));
}

/**
 * The key's record type and struct; undefined for a type this build does not know (a newer
 * Kafka's record, left for replay to skip). Throws RecordFormatError on a truncated key.
 */
export function decodeRecordKey<K = Record<string, unknown>>(buf: Buffer): DecodedKey<K> | undefined {
  if (buf.length < 2) throw new RecordFormatError('record key truncated');
  const t = RECORD_TYPES.get(buf.readInt16BE(0));
  if (!t) return undefined;
  return { type: t, key: decodeBody(`${t.key.name}`, () => decodeMessage<K>(t.key, 0, buf, 2)) };
}

/** The value of a record of type `t`, at the version its prefix names. */
export function decodeRecordValue<V = Record<string, unknown>>(t: RecordType, buf: Buffer): { version: number; value: V } {
  if (buf.length < 2) throw new RecordFormatError(`${t.value.name} truncated`);
  const version = buf.readInt16BE(0);
  if (version < t.value.validVersions.min || version > t.value.validVersions.max) {
    throw new RecordFormatError(`unsupported ${t.value.name} version ${version}`);
  }
  return { version, value: decodeBody(`${t.value.name} v${version}`, () => decodeMessage<V>(t.value, version, buf, 2)) };
}
