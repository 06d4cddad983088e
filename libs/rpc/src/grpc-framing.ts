/**
 * gRPC's length-prefixed message framing (one flag byte, 0 for uncompressed, then the message
 * length as a big-endian uint32), for the streams we frame ourselves on Node's http2 (see
 * lean-stream-client.ts / lean-stream-server.ts). Bytes on the wire are what grpc-js writes, so
 * either end may be grpc-js.
 */
export const FRAME_HEADER_BYTES = 5;

/**
 * An OutputBuffer for the exact-size encoders that reserves the frame header in front of the
 * message: one allocation holds header and message, and `frameOf` turns the encoder's result
 * into the frame without a copy.
 */
export function framedOutput(size: number): Buffer {
  const frame = Buffer.allocUnsafe(size + FRAME_HEADER_BYTES);
  frame[0] = 0;
  frame.writeUInt32BE(size, 1);
  return frame.subarray(FRAME_HEADER_BYTES);
}

/** The whole frame around a message encoded into `framedOutput`. */
export function frameOf(message: Buffer): Buffer {
  return Buffer.from(message.buffer, message.byteOffset - FRAME_HEADER_BYTES, message.length + FRAME_HEADER_BYTES);
}

/** Frames a message that was encoded elsewhere (one copy). */
export function frameCopy(message: Uint8Array): Buffer {
  const out = framedOutput(message.length);
  out.set(message, 0);
  return frameOf(out);
}

export class FramingError extends Error {}

/** Where a message spread over several chunks is gathered: a buffer of exactly `length` bytes. */
export type GatherBuffer = (length: number) => Buffer;

/**
 * Splits a byte stream into messages. A message that arrives inside one chunk is handed out as
 * a view of that chunk; a message spread over several chunks is copied, as its chunks arrive,
 * into one buffer from `gather` (one copy; default a fresh buffer, or a lease from a pool whose
 * owner ends it when the message's views are done).
 */
export class FrameDecoder {
  /** The frame header being read when it is split across chunks. */
  private readonly head = Buffer.alloc(FRAME_HEADER_BYTES);
  private headHeld = 0;
  /** The message being gathered, and how much of it has arrived. */
  private target: Buffer | undefined;
  private filled = 0;

  constructor(
    private readonly maxMessageBytes: number,
    private readonly gather: GatherBuffer = Buffer.allocUnsafe,
  ) {}

  /** Calls `onMessage` for every message `chunk` completes; throws FramingError on a bad frame. */
  push(chunk: Buffer, onMessage: (message: Buffer) => void): void {
    let at = 0;
    if (this.target) {
      const target = this.target;
      const n = Math.min(target.length - this.filled, chunk.length);
      chunk.copy(target, this.filled, 0, n);
      this.filled += n;
      if (this.filled < target.length) return;
      this.target = undefined;
      this.filled = 0;
      at = n;
      onMessage(target);
    } else if (this.headHeld > 0) {
      const n = Math.min(FRAME_HEADER_BYTES - this.headHeld, chunk.length);
      chunk.copy(this.head, this.headHeld, 0, n);
      this.headHeld += n;
      if (this.headHeld < FRAME_HEADER_BYTES) return;
      this.headHeld = 0;
      at = this.begin(this.messageLength(this.head, 0), chunk, n, onMessage);
    }
    while (at < chunk.length) {
      if (chunk.length - at < FRAME_HEADER_BYTES) {
        chunk.copy(this.head, 0, at);
        this.headHeld = chunk.length - at;
        return;
      }
      const len = this.messageLength(chunk, at);
      at = this.begin(len, chunk, at + FRAME_HEADER_BYTES, onMessage);
    }
  }

  /** Bytes of an unfinished frame held. */
  get pending(): number {
    return this.headHeld + this.filled;
  }

  /** A message of `len` bytes starts at `at`: handed out if whole, else gathering starts. Returns where the chunk's next frame starts. */
  private begin(len: number, chunk: Buffer, at: number, onMessage: (message: Buffer) => void): number {
    if (chunk.length - at >= len) {
      onMessage(chunk.subarray(at, at + len));
      return at + len;
    }
    const target = this.gather(len);
    chunk.copy(target, 0, at);
    this.target = target;
    this.filled = chunk.length - at;
    return chunk.length;
  }

  private messageLength(buf: Buffer, at: number): number {
    if (buf[at] !== 0) throw new FramingError(`compressed or malformed frame (flag ${buf[at]})`);
    const len = buf.readUInt32BE(at + 1);
    if (len > this.maxMessageBytes) throw new FramingError(`message of ${len} bytes exceeds the ${this.maxMessageBytes} byte limit`);
    return len;
  }
}
