/**
 * One reusable output buffer for serialisers whose caller copies the bytes out before it asks
 * again. grpc-js's server (1.14) does exactly that with a response: `serializeMessage` calls the
 * method's `responseSerialize`, copies the result behind the 5-byte gRPC frame header and drops
 * it, all in one synchronous call. A fetch answer of a few MiB is then written into memory that
 * is already mapped and warm, instead of into a fresh allocation per message (page faults, and
 * external memory that drives V8 into full garbage collections).
 *
 * Never use it where the serialised bytes outlive the call (client-side request serialisers:
 * grpc-js may hold them across an await before framing).
 */
export class ScratchBuffer {
  private buf: Buffer = Buffer.alloc(0);

  /** @param maxBytes messages larger than this get a fresh buffer, so one huge answer is not kept. */
  constructor(private readonly maxBytes: number) {}

  /** A buffer of exactly `size` bytes, valid until the next call. */
  take(size: number): Buffer {
    if (size > this.maxBytes) return Buffer.allocUnsafe(size);
    if (size > this.buf.length) {
      let grown = Math.max(this.buf.length, 64 << 10);
      while (grown < size) grown *= 2;
      this.buf = Buffer.allocUnsafeSlow(Math.min(grown, this.maxBytes));
    }
    return this.buf.subarray(0, size);
  }

  /** Bytes held (tests). */
  get capacity(): number {
    return this.buf.length;
  }
}
