import { RecordsError } from './records-error';

/**
 * Zig-zag varints as used inside magic-2 records. Varints are the one place where per-byte
 * JS is unavoidable; everything else in the record codec goes through Buffer methods.
 */

export function sizeOfVarint(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let size = 1;
  while (v >= 0x80) {
    v >>>= 7;
    size++;
  }
  return size;
}

/** Writes a zig-zag int32 varint at `pos`, returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

const MASK_64 = (1n << 64n) - 1n;

function zigzag64(value: bigint): bigint {
  return ((value << 1n) ^ (value >> 63n)) & MASK_64;
}

export function sizeOfVarlong(value: bigint): number {
  if (value >= -0x40000000n && value < 0x40000000n) return sizeOfVarint(Number(value));
  let v = zigzag64(value);
  let size = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    size++;
  }
  return size;
}

export function writeVarlong(buf: Buffer, pos: number, value: bigint): number {
  // Timestamp deltas are almost always small: stay on the int32 path when we can.
  if (value >= -0x40000000n && value < 0x40000000n) return writeVarint(buf, pos, Number(value));
  let v = zigzag64(value);
  while (v >= 0x80n) {
    buf[pos++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[pos++] = Number(v);
  return pos;
}

/**
 * Cursor over a bounded region of a buffer. Every read checks against `end`, so hostile
 * lengths surface as RecordsError('truncated') instead of reading past the region.
 */
export class Cursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    public end: number,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  readInt8(): number {
    if (this.pos >= this.end) throw truncated();
    return this.buf.readInt8(this.pos++);
  }

  readVarint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let raw = 0;
    let shift = 0;
    let b: number;
    do {
      if (pos >= this.end) throw truncated();
      if (shift > 28) throw new RecordsError('corrupt', 'varint longer than 5 bytes');
      b = buf[pos++];
      raw |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    this.pos = pos;
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** Reads a zig-zag varlong as bigint; decodes in doubles while the value fits 49 bits. */
  readVarlong(): bigint {
    const buf = this.buf;
    let pos = this.pos;
    let raw = 0;
    let mul = 1;
    let b: number;
    let n = 0;
    do {
      if (pos >= this.end) throw truncated();
      b = buf[pos++];
      raw += (b & 0x7f) * mul;
      mul *= 128;
      n++;
    } while (b & 0x80 && n < 7);
    if (!(b & 0x80)) {
      this.pos = pos;
      return BigInt(raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2);
    }
    let big = BigInt(raw);
    let shift = 49n;
    do {
      if (pos >= this.end) throw truncated();
      if (shift > 63n) throw new RecordsError('corrupt', 'varlong longer than 10 bytes');
      b = buf[pos++];
      big |= BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b & 0x80);
    big &= MASK_64;
    this.pos = pos;
    return (big >> 1n) ^ -(big & 1n);
  }

  /** Advances over `n` bytes and returns their start. */
  take(n: number): number {
    if (n > this.end - this.pos) throw truncated();
    const start = this.pos;
    this.pos += n;
    return start;
  }
}

function truncated(): RecordsError {
  return new RecordsError('truncated', 'record data ends early');
}
