import { CodecError } from './codec-error';

/**
 * Bounded cursor over a frame. Every length is checked against the bytes that remain before
 * anything is allocated, so a hostile length costs nothing. Byte fields are returned as
 * subarrays of the frame (zero copy): they live as long as the frame does.
 */
export class Reader {
  pos: number;
  readonly end: number;

  constructor(readonly buf: Buffer, offset = 0, end = buf.length) {
    if (offset < 0 || end > buf.length || offset > end) throw new CodecError('reader bounds outside the buffer');
    this.pos = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Advances past n bytes and returns where they start. */
  take(n: number): number {
    if (n > this.end - this.pos || n < 0) {
      throw new CodecError(`truncated: need ${n} bytes at offset ${this.pos}, have ${this.end - this.pos}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(): number { return this.buf.readInt8(this.take(1)); }
  uint8(): number { return this.buf[this.take(1)]; }
  bool(): boolean { return this.buf[this.take(1)] !== 0; }
  // Hand-rolled: Buffer#readInt*BE re-validates bounds that take() already checked.
  int16(): number {
    const at = this.take(2);
    return ((this.buf[at] << 24) | (this.buf[at + 1] << 16)) >> 16;
  }
  uint16(): number { return this.buf.readUInt16BE(this.take(2)); }
  int32(): number {
    const b = this.buf;
    const at = this.take(4);
    return (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
  }
  uint32(): number { return this.buf.readUInt32BE(this.take(4)); }
  int64(): bigint { return this.buf.readBigInt64BE(this.take(8)); }
  float64(): number { return this.buf.readDoubleBE(this.take(8)); }

  /** Protobuf base-128 varint of at most 32 bits (Kafka's unsigned varint). */
  uvarint(): number {
    if (this.pos < this.end && this.buf[this.pos] < 0x80) return this.buf[this.pos++];
    let value = 0;
    for (let shift = 0; shift <= 28; shift += 7) {
      const b = this.buf[this.take(1)];
      if (shift === 28 && b > 0x0f) throw new CodecError('unsigned varint exceeds 32 bits');
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
    throw new CodecError('unsigned varint exceeds 32 bits');
  }

  /** Zig-zag varint (record format). */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zig-zag varlong (record format), up to 10 bytes. */
  varlong(): bigint {
    let value = 0n;
    for (let shift = 0n; shift <= 63n; shift += 7n) {
      const b = this.buf[this.take(1)];
      value |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asIntN(64, (value >> 1n) ^ -(value & 1n));
    }
    throw new CodecError('varlong exceeds 64 bits');
  }

  uuid(): string {
    const at = this.take(16);
    const h = this.buf.toString('hex', at, at + 16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** int16 length, -1 = null. */
  string(): string | null {
    const n = this.int16();
    if (n < 0) return this.nullLength(n);
    const at = this.take(n);
    return this.buf.toString('utf8', at, at + n);
  }

  /** unsigned varint length + 1, 0 = null. */
  compactString(): string | null {
    const n = this.uvarint() - 1;
    if (n < 0) return null;
    const at = this.take(n);
    return this.buf.toString('utf8', at, at + n);
  }

  /** int32 length, -1 = null. */
  bytes(): Buffer | null {
    const n = this.int32();
    if (n < 0) return this.nullLength(n);
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }

  compactBytes(): Buffer | null {
    const n = this.uvarint() - 1;
    if (n < 0) return null;
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }

  /** Element count of an array, -1 for null; a count larger than the remaining bytes is refused. */
  arrayLength(compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n < 0) {
      this.nullLength(n);
      return -1;
    }
    if (n > this.end - this.pos) throw new CodecError(`array length ${n} exceeds the ${this.end - this.pos} bytes left`);
    return n;
  }

  /** Skips a whole tagged-field section. */
  skipTaggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      this.take(this.uvarint());
    }
  }

  private nullLength(n: number): null {
    if (n !== -1) throw new CodecError(`negative length ${n}`);
    return null;
  }
}
