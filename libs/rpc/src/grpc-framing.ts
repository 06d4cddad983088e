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

/**
 * Splits a byte stream into messages. A message that arrives inside one chunk is handed out as
 * a view of that chunk; only messages spread over several chunks are joined (one copy).
 */
export class FrameDecoder {
  private parts: Buffer[] = [];
  private held = 0;
  /** Length of the frame being gathered, once its header is in (else -1). */
  private need = -1;

  constructor(private readonly maxMessageBytes: number) {}

  /** Calls `onMessage` for every message `chunk` completes; throws FramingError on a bad frame. */
  push(chunk: Buffer, onMessage: (message: Buffer) => void): void {
    let buf = chunk;
    if (this.held > 0) {
      this.parts.push(chunk);
      this.held += chunk.length;
      if (this.need < 0) {
        if (this.held < FRAME_HEADER_BYTES) return;
        const head = this.parts[0]!.length >= FRAME_HEADER_BYTES ? this.parts[0]! : Buffer.concat(this.parts, this.held);
        this.need = FRAME_HEADER_BYTES + this.messageLength(head, 0);
      }
      if (this.held < this.need) return;
      buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.held);
      this.parts = [];
      this.held = 0;
      this.need = -1;
    }
    let at = 0;
    while (buf.length - at >= FRAME_HEADER_BYTES) {
      const len = this.messageLength(buf, at);
      if (buf.length - at < FRAME_HEADER_BYTES + len) {
        this.need = FRAME_HEADER_BYTES + len;
        break;
      }
      onMessage(buf.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + len));
      at += FRAME_HEADER_BYTES + len;
    }
    if (at < buf.length) {
      const rest = buf.subarray(at);
      this.parts.push(rest);
      this.held = rest.length;
    }
  }

  /** Bytes of an unfinished message held. */
  get pending(): number {
    return this.held;
  }

  private messageLength(buf: Buffer, at: number): number {
    if (buf[at] !== 0) throw new FramingError(`compressed or malformed frame (flag ${buf[at]})`);
    const len = buf.readUInt32BE(at + 1);
    if (len > this.maxMessageBytes) throw new FramingError(`message of ${len} bytes exceeds the ${this.maxMessageBytes} byte limit`);
    return len;
  }
}
