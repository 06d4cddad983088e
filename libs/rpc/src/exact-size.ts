/**
 * Protobuf wire primitives for encoders that size a message first and then write it into one
 * buffer of exactly that size: no growing writer, no copy per nesting level. They produce the
 * bytes the generated (ts-proto) encoders produce, and reject the values those reject.
 */

const TWO_32 = 4294967296;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Bytes of an unsigned 32-bit varint. */
export function varint32Size(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

/**
 * Bytes of the varint of a non-negative integer up to 2^53 - 1, without BigInt arithmetic.
 * (`Number(v)` of a BigInt is exact when it lands in ±(2^53 - 1): a BigInt outside rounds to at
 * least 2^53 in magnitude, so the fast paths below test the Number and fall back to BigInts.)
 */
function safeVarintSize(n: number): number {
  if (n < 0x10000000) return varint32Size(n);
  if (n < 2 ** 35) return 5;
  if (n < 2 ** 42) return 6;
  if (n < 2 ** 49) return 7;
  return 8;
}

/** Bytes of an int64 field's varint (a negative one takes ten); throws as the generated encoders do when out of range. */
export function int64Size(v: bigint, field: string): number {
  const n = Number(v);
  if (n >= 0 && n <= MAX_SAFE) return safeVarintSize(n);
  if (n < 0 && n >= -MAX_SAFE) return 10;
  assertInt64(v, field);
  return varint64Size(v);
}

/** Bytes of a uint64 field's varint; throws as the generated encoders do when out of range. */
export function uint64Size(v: bigint, field: string): number {
  const n = Number(v);
  if (n >= 0 && n <= MAX_SAFE) return safeVarintSize(n);
  assertUint64(v, field);
  return varint64Size(v);
}

/** Bytes of an int32 field's varint: negative values are sign-extended to ten bytes. */
export function int32Size(v: number): number {
  assertInt32(v);
  return v < 0 ? 10 : varint32Size(v);
}

/** Bytes of a length-delimited field's value (length prefix plus body). */
export function delimitedSize(len: number): number {
  return varint32Size(len) + len;
}

export function assertInt32(v: number): void {
  // `v | 0` is v exactly when v is a number holding an integer in int32 range.
  if ((v | 0) !== v) throw new Error(`invalid int32: ${v}`);
}

export function assertInt64(v: bigint, field: string): void {
  if (v < INT64_MIN || v > INT64_MAX) throw new Error(`value provided for field ${field} of type int64 too large`);
}

export function assertUint64(v: bigint, field: string): void {
  if (v < 0n || v > UINT64_MAX) throw new Error(`value provided for field ${field} of type uint64 too large`);
}

/** Low and high 32 bits of a 64-bit value's two's complement, without BigInt arithmetic when it is safe. */
function split64(v: bigint, out: Uint32Array): void {
  const n = Number(v);
  if (n >= -MAX_SAFE && n <= MAX_SAFE) {
    out[0] = n >>> 0;
    out[1] = Math.floor(n / TWO_32) >>> 0;
  } else {
    const u = BigInt.asUintN(64, v);
    out[0] = Number(u & 0xffffffffn);
    out[1] = Number(u >> 32n);
  }
}

const halves = new Uint32Array(2);

/** Bytes of a 64-bit varint (int64 and uint64 fields alike; a negative int64 takes ten). */
export function varint64Size(v: bigint): number {
  split64(v, halves);
  let lo = halves[0]!;
  let hi = halves[1]!;
  let n = 1;
  while (hi !== 0 || lo > 0x7f) {
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi = hi >>> 7;
    n++;
  }
  return n;
}

/** A cursor over a buffer sized in advance. */
export class ExactWriter {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint32(v: number): this {
    const b = this.buf;
    while (v > 0x7f) {
      b[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[this.pos++] = v;
    return this;
  }

  int32(v: number): this {
    if (v >= 0) return this.varint32(v);
    const b = this.buf;
    for (let i = 0; i < 9; i++) {
      b[this.pos++] = (v & 0x7f) | 0x80;
      v >>= 7;
    }
    b[this.pos++] = 1;
    return this;
  }

  varint64(v: bigint): this {
    const n = Number(v);
    if (n >= 0 && n <= 0x7fffffff) return this.varint32(n);
    split64(v, halves);
    let lo = halves[0]!;
    let hi = halves[1]!;
    const b = this.buf;
    while (hi !== 0 || lo > 0x7f) {
      b[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi = hi >>> 7;
    }
    b[this.pos++] = lo;
    return this;
  }

  /** A string whose UTF-8 length the sizing pass measured. */
  string(s: string, byteLength: number): this {
    this.varint32(byteLength);
    if (byteLength === s.length && byteLength <= 64) {
      // ASCII (one UTF-8 byte per UTF-16 unit) and short, as topic names are: a loop beats the
      // call into the native encoder.
      const b = this.buf;
      let pos = this.pos;
      for (let i = 0; i < byteLength; i++) b[pos++] = s.charCodeAt(i);
      this.pos = pos;
    } else this.pos += this.buf.write(s, this.pos, byteLength, 'utf8');
    return this;
  }

  bytes(data: Uint8Array): this {
    this.varint32(data.byteLength);
    this.buf.set(data, this.pos);
    this.pos += data.byteLength;
    return this;
  }

  /** The filled buffer; throws if the sizing pass and the writes disagree (an encoder bug). */
  done(): Buffer {
    if (this.pos !== this.buf.length) throw new Error(`exact-size encoder wrote ${this.pos} of ${this.buf.length} bytes`);
    return this.buf;
  }
}
