/**
 * Protobuf wire primitives for the hand-written decoders (record-deserializers.ts). They read
 * what the generated (ts-proto) decoders read, to the same values: int32 keeps a varint's low 32
 * bits, int64/uint64 give BigInts (through a Number when the value lies within ±2^53, through
 * BigInt arithmetic only beyond), bytes are views of the input, strings decode ASCII with a loop
 * and anything else with TextDecoder (U+FFFD for invalid UTF-8, as the generated code).
 * Where the generated reader would run past the end of its input or of a nested message, these
 * throw a WireDecodeError naming the message and the byte offset.
 */

export class WireDecodeError extends Error {}

const TWO_32 = 4294967296;
/** hi words within ±2^21 keep hi * 2^32 + lo within ±2^53 (exact as a Number). */
const SAFE_HI = 0x200000;
const MAX_GROUP_DEPTH = 100;

const utf8 = new TextDecoder('utf-8');
/** The value of an absent or empty bytes field (zero length: nothing to share or mutate). */
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

export class WireReader {
  buf: Uint8Array;
  pos = 0;
  /** End of the message being read (the input's end at the top, a nested message's end below). */
  limit: number;
  /** Low and high 32 bits of the last varint64 (signed int32s). */
  private lo = 0;
  private hi = 0;

  constructor(
    buf: Uint8Array,
    private what: string,
  ) {
    this.buf = buf;
    this.limit = buf.length;
  }

  /** Starts reading another message (`what` names it in errors). */
  reset(buf: Uint8Array, what: string): void {
    this.buf = buf;
    this.pos = 0;
    this.limit = buf.length;
    this.what = what;
  }

  /** Drops the reference to the input (a reused reader would otherwise keep it alive). */
  release(): void {
    this.buf = EMPTY_BYTES;
    this.limit = 0;
    this.pos = 0;
  }

  fail(reason: string): never {
    throw new WireDecodeError(`${this.what}: ${reason} at byte ${this.pos} of ${this.buf.length}`);
  }

  private truncated(): never {
    return this.fail(this.limit < this.buf.length ? 'field runs past the end of its nested message' : 'truncated message');
  }

  /** A tag: throws on field number 0 and on an end-group tag no group opened. */
  tag(): number {
    const t = this.uint32();
    if (t >>> 3 === 0) this.fail(`invalid tag ${t}`);
    return t;
  }

  /** A varint's low 32 bits as an unsigned number (tags and lengths; int32 is `uint32() | 0`). */
  uint32(): number {
    const buf = this.buf;
    const limit = this.limit;
    let pos = this.pos;
    if (pos >= limit) this.truncated();
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      return b;
    }
    let v = b & 0x7f;
    for (let shift = 7; shift < 35; shift += 7) {
      if (pos >= limit) this.truncated();
      b = buf[pos++]!;
      v |= (b & 0x7f) << shift; // bits past 32 fall off, as in the generated reader
      if (b < 0x80) {
        this.pos = pos;
        return v >>> 0;
      }
    }
    // A 64-bit varint (a negative int32 is sign-extended to ten bytes): skip the upper bytes.
    for (let n = 5; n < 10; n++) {
      if (pos >= limit) this.truncated();
      if (buf[pos++]! < 0x80) {
        this.pos = pos;
        return v >>> 0;
      }
    }
    this.pos = pos;
    return this.fail('varint longer than ten bytes');
  }

  int32(): number {
    return this.uint32() | 0;
  }

  /** Reads a varint of up to 64 bits into lo/hi. */
  private varint64(): void {
    const buf = this.buf;
    const limit = this.limit;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= limit) this.truncated();
      b = buf[pos++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        this.lo = lo;
        this.hi = 0;
        return;
      }
    }
    if (pos >= limit) this.truncated();
    b = buf[pos++]!;
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x70) >> 4;
    if (b >= 0x80) {
      for (let shift = 3; ; shift += 7) {
        if (shift > 31) {
          this.pos = pos;
          this.fail('varint longer than ten bytes');
        }
        if (pos >= limit) this.truncated();
        b = buf[pos++]!;
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
    }
    this.pos = pos;
    this.lo = lo;
    this.hi = hi;
  }

  int64(): bigint {
    const first = this.buf[this.pos]!;
    if (first < 0x80 && this.pos < this.limit) {
      this.pos++;
      return BigInt(first);
    }
    this.varint64();
    const hi = this.hi;
    if (hi >= -SAFE_HI && hi < SAFE_HI) return BigInt(hi * TWO_32 + (this.lo >>> 0));
    return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(this.lo >>> 0));
  }

  uint64(): bigint {
    const first = this.buf[this.pos]!;
    if (first < 0x80 && this.pos < this.limit) {
      this.pos++;
      return BigInt(first);
    }
    this.varint64();
    const hi = this.hi >>> 0;
    if (hi < SAFE_HI) return BigInt(hi * TWO_32 + (this.lo >>> 0));
    return (BigInt(hi) << 32n) | BigInt(this.lo >>> 0);
  }

  bool(): boolean {
    this.varint64();
    return this.lo !== 0 || this.hi !== 0;
  }

  /** Reads a length prefix and returns where the delimited value ends (checked against limit). */
  delimited(): number {
    const len = this.uint32();
    const end = this.pos + len;
    if (end > this.limit) this.truncated();
    return end;
  }

  /** A bytes field as a view of the input (no copy), like the generated decoders. */
  bytes(): Buffer {
    const end = this.delimited();
    const start = this.pos;
    this.pos = end;
    if (end === start) return EMPTY_BYTES;
    const buf = this.buf;
    return Buffer.from(buf.buffer, buf.byteOffset + start, end - start);
  }

  string(): string {
    const end = this.delimited();
    const start = this.pos;
    this.pos = end;
    return decodeString(this.buf, start, end);
  }

  /** A string that repeats across messages (a topic name): decoded once, then found by its bytes. */
  cachedString(): string {
    const end = this.delimited();
    const start = this.pos;
    this.pos = end;
    return names.get(this.buf, start, end);
  }

  /** One entry of a map<string, string> (fields 1 key, 2 value) into `into`, as the generated decoders add it. */
  stringMapEntry(into: { [key: string]: string }): void {
    const outer = this.enter();
    let key = '';
    let value = '';
    while (this.pos < this.limit) {
      const tag = this.tag();
      if (tag === 10) key = this.cachedString();
      else if (tag === 18) value = this.string();
      else this.skip(tag);
    }
    this.leave(outer);
    into[key] = value;
  }

  /** Enters a nested message: returns the outer limit for `leave`. */
  enter(): number {
    const end = this.delimited();
    const outer = this.limit;
    this.limit = end;
    return outer;
  }

  leave(outer: number): void {
    this.limit = outer;
  }

  /** Skips a field this decoder does not know (or that came with another wire type). */
  skip(tag: number, depth = 0): void {
    switch (tag & 7) {
      case 0:
        this.uint32();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.pos = this.delimited();
        return;
      case 5:
        this.advance(4);
        return;
      case 3: {
        if (depth >= MAX_GROUP_DEPTH) this.fail('groups nested too deep');
        for (;;) {
          const t = this.tag();
          if ((t & 7) === 4) {
            if (t >>> 3 !== tag >>> 3) this.fail('end-group tag does not match its group');
            return;
          }
          this.skip(t, depth + 1);
        }
      }
      default:
        this.fail(`unexpected wire type ${tag & 7} (field ${tag >>> 3})`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.limit) this.truncated();
    this.pos += n;
  }
}

/**
 * Up to this many bytes, ASCII is decoded by a loop; longer ASCII by Buffer's latin1 slice (one
 * native call, 95-120 ns at 8-27 bytes against 70-220 for the loop), anything else by TextDecoder.
 */
const LOOP_MAX = 6;

export function decodeString(buf: Uint8Array, start: number, end: number): string {
  if (start === end) return '';
  if (end - start <= LOOP_MAX) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return utf8.decode(buf.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) return utf8.decode(buf.subarray(start, end));
  }
  return Buffer.isBuffer(buf) ? buf.toString('latin1', start, end) : utf8.decode(buf.subarray(start, end));
}

/**
 * Strings by their UTF-8 bytes, for names that repeat (topics): a small direct-mapped table,
 * slot by length and first and last byte; a hit costs one byte comparison, a miss one decode
 * and one copy of the bytes.
 */
class NameCache {
  private readonly keys: (Uint8Array | undefined)[] = new Array(64).fill(undefined);
  private readonly values: string[] = new Array(64).fill('');

  get(buf: Uint8Array, start: number, end: number): string {
    const len = end - start;
    if (len === 0) return '';
    if (len > 255) return decodeString(buf, start, end);
    const slot = (len * 31 + buf[start]! * 7 + buf[end - 1]!) & 63;
    const key = this.keys[slot];
    if (key !== undefined && key.length === len) {
      let i = 0;
      while (i < len && key[i] === buf[start + i]) i++;
      if (i === len) return this.values[slot]!;
    }
    const s = decodeString(buf, start, end);
    const copy = new Uint8Array(len);
    copy.set(buf.subarray(start, end));
    this.keys[slot] = copy;
    this.values[slot] = s;
    return s;
  }
}

const names = new NameCache();
