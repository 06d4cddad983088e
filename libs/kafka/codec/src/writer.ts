import { CodecError } from './codec-error';

/** Bytes of an unsigned varint. */
export function sizeOfUvarint(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

export function sizeOfVarint(value: number): number {
  return sizeOfUvarint(((value << 1) ^ (value >> 31)) >>> 0);
}

export function sizeOfVarlong(value: bigint): number {
  let u = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  let n = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    n++;
  }
  return n;
}

/** A large byte value kept by reference: it belongs between the written bytes at `at`. */
export interface Splice {
  at: number;
  data: Buffer;
}

/**
 * Cursor over a buffer sized exactly beforehand. With `splices` set, large byte values are not
 * copied: their length prefix is written and the value itself is recorded for writev.
 */
export class Writer {
  pos: number;

  constructor(readonly buf: Buffer, offset = 0, readonly splices: Splice[] | null = null) {
    this.pos = offset;
  }

  int8(v: number): void { this.pos = this.buf.writeInt8(v, this.pos); }
  bool(v: boolean): void { this.buf[this.pos++] = v ? 1 : 0; }
  // Hand-rolled: Buffer#writeInt*BE is slower; the range check keeps bad values loud.
  int16(v: number): void {
    if (v !== ((v << 16) >> 16)) throw new CodecError(`int16 out of range: ${v}`);
    this.buf[this.pos++] = v >> 8;
    this.buf[this.pos++] = v;
  }
  uint16(v: number): void { this.pos = this.buf.writeUInt16BE(v, this.pos); }
  int32(v: number): void {
    if (v !== (v | 0)) throw new CodecError(`int32 out of range: ${v}`);
    const b = this.buf;
    b[this.pos++] = v >>> 24;
    b[this.pos++] = v >>> 16;
    b[this.pos++] = v >>> 8;
    b[this.pos++] = v;
  }
  uint32(v: number): void { this.pos = this.buf.writeUInt32BE(v, this.pos); }
  int64(v: bigint): void { this.pos = this.buf.writeBigInt64BE(typeof v === 'bigint' ? v : BigInt(v), this.pos); }
  float64(v: number): void { this.pos = this.buf.writeDoubleBE(v, this.pos); }

  uvarint(v: number): void {
    if (v >= 0 && v < 0x80) {
      this.buf[this.pos++] = v;
      return;
    }
    if (!(v >= 0 && v <= 0xffffffff)) throw new CodecError(`unsigned varint out of range: ${v}`);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  varint(v: number): void {
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  varlong(v: bigint): void {
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  uuid(v: string): void {
    const hex = v.length === 36 ? v.replace(/-/g, '') : '';
    if (hex.length !== 32 || this.buf.write(hex, this.pos, 16, 'hex') !== 16) {
      throw new CodecError(`not a uuid: ${String(v)}`);
    }
    this.pos += 16;
  }

  /** UTF-8 text whose byte length the caller already knows. */
  utf8(v: string, byteLength: number): void {
    this.pos += this.buf.write(v, this.pos, byteLength, 'utf8');
  }

  /** Raw bytes: copied, or referenced when splicing is on and the caller asks for it. */
  raw(v: Buffer, splice = false): void {
    if (splice && this.splices) {
      this.splices.push({ at: this.pos, data: v });
    } else {
      this.pos += v.copy(this.buf, this.pos);
    }
  }
}
