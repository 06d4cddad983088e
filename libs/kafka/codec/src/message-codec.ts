import { inRange, MessageDescriptor } from '@dms/kafka-schema';
import { CodecError } from './codec-error';
import { Reader } from './reader';
import { compileStruct, spliceTally, StructCodec } from './struct-codec';
import { Splice, Writer } from './writer';

const compiled = new WeakMap<MessageDescriptor, StructCodec[]>();

/** The compiled codec of one message version; compiled on first use, then cached. */
export function messageCodec(descriptor: MessageDescriptor, version: number): StructCodec {
  let byVersion = compiled.get(descriptor);
  if (!byVersion) compiled.set(descriptor, (byVersion = []));
  let codec = byVersion[version];
  if (!codec) {
    if (!Number.isInteger(version) || !inRange(version, descriptor.validVersions)) {
      throw new CodecError(`${descriptor.name} has no version ${version}`);
    }
    codec = compileStruct(descriptor.fields, version, inRange(version, descriptor.flexibleVersions));
    byVersion[version] = codec;
  }
  return codec;
}

/** One unit of a frame: a message at a version with its value. */
export interface Part {
  codec: StructCodec;
  value: object;
}

function asCodecError(err: unknown, what: string): CodecError {
  return err instanceof CodecError ? err : new CodecError(`${what}: ${(err as Error)?.message ?? String(err)}`);
}

/**
 * Encodes parts back to back into one exact Buffer, optionally behind an int32 size prefix.
 * With `chunks`, large byte values are left out of the Buffer and returned by reference.
 */
export function encodeParts(parts: Part[], sizePrefix: boolean, what: string): Buffer;
export function encodeParts(parts: Part[], sizePrefix: boolean, what: string, chunks: true): Buffer[];
export function encodeParts(parts: Part[], sizePrefix: boolean, what: string, chunks = false): Buffer | Buffer[] {
  try {
    spliceTally.bytes = 0;
    let size = 0;
    for (const p of parts) size += p.codec.size(p.value);
    const spliced = chunks ? spliceTally.bytes : 0;
    const head = sizePrefix ? 4 : 0;
    const buf = Buffer.allocUnsafe(head + size - spliced);
    const splices: Splice[] | null = chunks ? [] : null;
    const w = new Writer(buf, 0, splices);
    if (sizePrefix) w.int32(size);
    for (const p of parts) p.codec.write(w, p.value);
    if (w.pos !== buf.length) throw new CodecError(`wrote ${w.pos} bytes, sized ${buf.length}`);
    if (!splices) return buf;
    const out: Buffer[] = [];
    let from = 0;
    for (const s of splices) {
      if (s.at > from) out.push(buf.subarray(from, s.at));
      out.push(s.data);
      from = s.at;
    }
    if (from < buf.length || out.length === 0) out.push(buf.subarray(from));
    return out;
  } catch (err) {
    throw asCodecError(err, `encode ${what}`);
  }
}

/** Decodes one message value from `buf` starting at `offset`; bytes fields are views of `buf`. */
export function decodeWith<T>(codec: StructCodec, reader: Reader, what: string): T {
  try {
    return codec.read(reader) as T;
  } catch (err) {
    throw asCodecError(err, `decode ${what}`);
  }
}

/** Encodes a standalone message (no header, no size prefix), e.g. ConsumerProtocolAssignment. */
export function encodeMessage(descriptor: MessageDescriptor, version: number, value: object): Buffer {
  return encodeParts([{ codec: messageCodec(descriptor, version), value }], false, `${descriptor.name} v${version}`);
}

export function decodeMessage<T = any>(descriptor: MessageDescriptor, version: number, buf: Buffer, offset = 0): T {
  const what = `${descriptor.name} v${version}`;
  return decodeWith<T>(messageCodec(descriptor, version), new Reader(buf, offset), what);
}
