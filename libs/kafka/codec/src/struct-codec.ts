import { FieldDescriptor, inRange, ScalarType, ZERO_UUID } from '@dms/kafka-schema';
import { CodecError } from './codec-error';
import { Reader } from './reader';
import { sizeOfUvarint, Writer } from './writer';

/**
 * Compiles a list of field descriptors, for one version, into closures. Encoding is two passes
 * over the same closures: `size` first (so one exact Buffer is allocated), then `write`.
 */
export interface ValueCodec<T = any> {
  size(value: T): number;
  write(w: Writer, value: T): void;
  read(r: Reader): T;
  /** Fixed wire size, when every value has the same one. */
  readonly fixed?: number;
}

export interface StructCodec extends ValueCodec<any> {
  makeDefault(): any;
  isDefault(value: any): boolean;
}

/** Byte values at least this large are referenced, not copied, by chunked encoding. */
export const SPLICE_THRESHOLD = 4096;

/**
 * Bytes the size pass saw in spliceable values. Encoding is synchronous, so the caller resets
 * it before a size pass and reads it right after.
 */
export const spliceTally = { bytes: 0 };

const EMPTY = Buffer.alloc(0);

function notNullable(): never {
  throw new CodecError('null in a field that is not nullable in this version');
}

function fixedCodec(
  fixed: number,
  write: (w: Writer, v: any) => void,
  read: (r: Reader) => any,
): ValueCodec {
  return { fixed, size: () => fixed, write, read };
}

const FIXED: Partial<Record<ScalarType, ValueCodec>> = {
  bool: fixedCodec(1, (w, v) => w.bool(v), (r) => r.bool()),
  int8: fixedCodec(1, (w, v) => w.int8(v), (r) => r.int8()),
  int16: fixedCodec(2, (w, v) => w.int16(v), (r) => r.int16()),
  uint16: fixedCodec(2, (w, v) => w.uint16(v), (r) => r.uint16()),
  int32: fixedCodec(4, (w, v) => w.int32(v), (r) => r.int32()),
  uint32: fixedCodec(4, (w, v) => w.uint32(v), (r) => r.uint32()),
  int64: fixedCodec(8, (w, v) => w.int64(v), (r) => r.int64()),
  float64: fixedCodec(8, (w, v) => w.float64(v), (r) => r.float64()),
  uuid: fixedCodec(16, (w, v) => w.uuid(v), (r) => r.uuid()),
};

function stringCodec(compact: boolean, nullable: boolean): ValueCodec<string | null> {
  const prefix = compact ? (n: number) => sizeOfUvarint(n + 1) : () => 2;
  return {
    size(v) {
      if (v === null) return nullable ? (compact ? 1 : 2) : notNullable();
      const n = Buffer.byteLength(v, 'utf8');
      return prefix(n) + n;
    },
    write(w, v) {
      if (v === null) {
        if (!nullable) notNullable();
        if (compact) w.uvarint(0);
        else w.int16(-1);
        return;
      }
      const n = Buffer.byteLength(v, 'utf8');
      if (compact) w.uvarint(n + 1);
      else w.int16(n);
      w.utf8(v, n);
    },
    read(r) {
      const v = compact ? r.compactString() : r.string();
      return v === null && !nullable ? notNullable() : v;
    },
  };
}

function bytesCodec(compact: boolean, nullable: boolean): ValueCodec<Buffer | null> {
  return {
    size(v) {
      if (v === null) return nullable ? (compact ? 1 : 4) : notNullable();
      if (v.length >= SPLICE_THRESHOLD) spliceTally.bytes += v.length;
      return (compact ? sizeOfUvarint(v.length + 1) : 4) + v.length;
    },
    write(w, v) {
      if (v === null) {
        if (!nullable) notNullable();
        if (compact) w.uvarint(0);
        else w.int32(-1);
        return;
      }
      if (compact) w.uvarint(v.length + 1);
      else w.int32(v.length);
      w.raw(v, v.length >= SPLICE_THRESHOLD);
    },
    read(r) {
      const v = compact ? r.compactBytes() : r.bytes();
      return v === null && !nullable ? notNullable() : v;
    },
  };
}

function arrayCodec(element: ValueCodec, compact: boolean, nullable: boolean): ValueCodec<any[] | null> {
  const fixed = element.fixed;
  return {
    size(v) {
      if (v === null) return nullable ? (compact ? 1 : 4) : notNullable();
      let s = compact ? sizeOfUvarint(v.length + 1) : 4;
      if (fixed !== undefined) return s + fixed * v.length;
      for (let i = 0; i < v.length; i++) s += element.size(v[i]);
      return s;
    },
    write(w, v) {
      if (v === null) {
        if (!nullable) notNullable();
        if (compact) w.uvarint(0);
        else w.int32(-1);
        return;
      }
      if (compact) w.uvarint(v.length + 1);
      else w.int32(v.length);
      for (let i = 0; i < v.length; i++) element.write(w, v[i]);
    },
    read(r) {
      const n = r.arrayLength(compact);
      if (n < 0) return nullable ? null : notNullable();
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = element.read(r);
      return out;
    },
  };
}

/** A struct field (not an array) that may be null carries an int8 marker: -1 null, 1 present. */
function nullableStructCodec(inner: StructCodec): ValueCodec {
  return {
    size: (v) => (v === null ? 1 : 1 + inner.size(v)),
    write(w, v) {
      if (v === null) return w.int8(-1);
      w.int8(1);
      inner.write(w, v);
    },
    read: (r) => (r.int8() < 0 ? null : inner.read(r)),
  };
}

interface Slot {
  key: string;
  /** How the value travels in this version; absent when the field is not on the wire. */
  codec?: ValueCodec;
  tag?: number;
  def: () => any;
  isDefault: (v: any) => boolean;
}

function zeroOf(type: ScalarType): unknown {
  switch (type) {
    case 'bool': return false;
    case 'int64': return 0n;
    case 'string': return '';
    case 'uuid': return ZERO_UUID;
    case 'bytes': return EMPTY;
    case 'records': return null;
    default: return 0;
  }
}

function compileSlot(f: FieldDescriptor, version: number, flexible: boolean): Slot {
  const tagged = f.tag !== undefined;
  const present = tagged ? flexible && inRange(version, f.taggedVersions) : inRange(version, f.versions);
  const nullable = inRange(version, f.nullableVersions);
  const compact = f.flexibleVersions === undefined ? flexible : inRange(version, f.flexibleVersions);
  const explicitNull = f.default === null;

  let element: ValueCodec;
  let def: () => any;
  let isDefault: (v: any) => boolean;
  if (f.type === 'struct') {
    const inner = compileStruct(f.fields ?? [], version, flexible);
    element = inner;
    def = explicitNull ? () => null : () => inner.makeDefault();
    isDefault = explicitNull ? (v) => v == null : (v) => v === undefined || (v !== null && inner.isDefault(v));
  } else if (f.type === 'string') {
    element = stringCodec(compact, nullable);
  } else if (f.type === 'bytes' || f.type === 'records') {
    element = bytesCodec(compact, nullable);
  } else {
    element = FIXED[f.type]!;
  }
  if (f.array) {
    element = arrayCodec(element, compact, nullable);
    def = explicitNull ? () => null : () => [];
    isDefault = explicitNull ? (v) => v == null : (v) => v === undefined || (v !== null && v.length === 0);
  } else if (f.type === 'struct') {
    if (nullable) element = nullableStructCodec(element as StructCodec);
  } else {
    const d = f.default !== undefined ? f.default : zeroOf(f.type);
    def = () => d;
    isDefault =
      d instanceof Buffer ? (v) => v === undefined || (v !== null && v.length === 0) : (v) => v === undefined || v === d;
  }
  return { key: f.name, codec: present ? element : undefined, tag: tagged ? f.tag : undefined, def: def!, isDefault: isDefault! };
}

/**
 * Compiles one struct (a message body, a nested struct or an array element) for one version.
 * The per-field walk is unrolled into generated functions with literal property names, so
 * every decoded struct gets one hidden class and no call site goes megamorphic: this is the
 * hot path of every request. Only descriptor names (quoted) reach the generated source.
 */
export function compileStruct(fields: readonly FieldDescriptor[], version: number, flexible: boolean): StructCodec {
  const slots = fields.map((f) => compileSlot(f, version, flexible));
  const tagged = slots.filter((s) => s.codec && s.tag !== undefined).sort((a, b) => a.tag! - b.tag!);
  const byTag = new Map(tagged.map((s) => [s.tag!, s]));
  const codecs = slots.map((s) => s.codec);
  const defs = slots.map((s) => s.def);

  const taggedToWrite = (obj: any): Slot[] => tagged.filter((s) => !s.isDefault(obj[s.key]));
  const tagsSize = (obj: any): number => {
    const present = taggedToWrite(obj);
    let n = sizeOfUvarint(present.length);
    for (const s of present) {
      const len = s.codec!.size(obj[s.key]);
      n += sizeOfUvarint(s.tag!) + sizeOfUvarint(len) + len;
    }
    return n;
  };
  const writeTags = (w: Writer, obj: any): void => {
    const present = taggedToWrite(obj);
    w.uvarint(present.length);
    for (const s of present) {
      w.uvarint(s.tag!);
      w.uvarint(s.codec!.size(obj[s.key]));
      s.codec!.write(w, obj[s.key]);
    }
  };
  const readTags = (r: Reader, obj: any): void => {
    const count = r.uvarint();
    for (let i = 0; i < count; i++) {
      const tag = r.uvarint();
      const size = r.uvarint();
      const at = r.take(size);
      const s = byTag.get(tag);
      // Unknown tags are skipped: a newer peer may send fields this build does not know.
      if (s) obj[s.key] = s.codec!.read(new Reader(r.buf, at, at + size));
    }
  };

  let fixedSize = 0;
  const sizeSrc: string[] = [];
  const writeSrc: string[] = [];
  const readSrc: string[] = [];
  slots.forEach((s, i) => {
    const prop = `o[${JSON.stringify(s.key)}]`;
    const value = `(v = ${prop}) === undefined ? d[${i}]() : v`;
    const onWire = s.codec !== undefined && s.tag === undefined;
    const method = onWire && s.codec === FIXED[fields[i].type as ScalarType] && !fields[i].array ? fields[i].type : null;
    if (!onWire) {
      readSrc.push(`${JSON.stringify(s.key)}: d[${i}]()`);
    } else if (method) {
      fixedSize += s.codec!.fixed!;
      writeSrc.push(`w.${method}(${value});`);
      readSrc.push(`${JSON.stringify(s.key)}: r.${method}()`);
    } else {
      sizeSrc.push(`n += c[${i}].size(${value});`);
      writeSrc.push(`c[${i}].write(w, ${value});`);
      readSrc.push(`${JSON.stringify(s.key)}: c[${i}].read(r)`);
    }
  });
  const hasTags = tagged.length > 0;
  const tail = !flexible
    ? { size: '', write: '', read: '' }
    : hasTags
      ? { size: 'n += tagsSize(o);', write: 'writeTags(w, o);', read: 'readTags(r, o);' }
      : { size: 'n += 1;', write: 'w.uvarint(0);', read: 'r.skipTaggedFields();' };

  const build = new Function(
    'c', 'd', 'tagsSize', 'writeTags', 'readTags',
    `return {
      size(o) { let v, n = ${fixedSize}; ${sizeSrc.join(' ')} ${tail.size} return n; },
      write(w, o) { let v; ${writeSrc.join(' ')} ${tail.write} },
      read(r) { const o = { ${readSrc.join(', ')} }; ${tail.read} return o; },
    };`,
  );
  const unrolled = build(codecs, defs, tagsSize, writeTags, readTags) as ValueCodec;

  return {
    size: unrolled.size,
    write: unrolled.write,
    read: unrolled.read,
    makeDefault() {
      const obj: any = {};
      for (const s of slots) obj[s.key] = s.def();
      return obj;
    },
    isDefault(obj) {
      return slots.every((s) => s.isDefault(obj[s.key]));
    },
  };
}
