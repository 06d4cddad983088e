/**
 * Reassembles size-prefixed Kafka frames from socket chunks without copying a frame that
 * arrived in one piece. A size above the limit (or negative) is a broken connection invariant.
 */
export class FrameTooLargeError extends Error {
  constructor(readonly size: number, readonly limit: number) {
    super(`frame of ${size} bytes exceeds the limit of ${limit}`);
  }
}

/** Looks at a frame's first 4 bytes after its size (api key, api version): may it exceed the limit? */
export type AdmitLarge = (head: Buffer) => boolean;

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private maxFrameBytes: number;
  private admitLarge: AdmitLarge | undefined;

  /** `hardLimit` bounds every frame, whatever setLimit says. */
  constructor(private readonly hardLimit: number) {
    this.maxFrameBytes = hardLimit;
  }

  /**
   * Frames above `maxFrameBytes` are refused, except, with `admitLarge`, those (up to the hard
   * limit) whose api key and version it accepts: decided on the frame's first bytes, before any of
   * its body is held.
   */
  setLimit(maxFrameBytes: number, admitLarge?: AdmitLarge): void {
    this.maxFrameBytes = Math.min(maxFrameBytes, this.hardLimit);
    this.admitLarge = admitLarge;
  }

  /** Feeds a chunk; returns complete frames (without their size prefix). Throws FrameTooLargeError. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const size = this.peek(4).readInt32BE(0);
      if (size < 0) throw new FrameTooLargeError(size, this.maxFrameBytes);
      if (size > this.maxFrameBytes) {
        if (!this.admitLarge || size > this.hardLimit) throw new FrameTooLargeError(size, this.maxFrameBytes);
        if (this.buffered < 8) break;
        if (!this.admitLarge(this.peek(8).subarray(4, 8))) throw new FrameTooLargeError(size, this.maxFrameBytes);
      }
      if (this.buffered < 4 + size) break;
      frames.push(this.take(4 + size).subarray(4));
    }
    return frames;
  }

  get pendingBytes(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length >= n) return first;
    return Buffer.concat(this.chunks, Math.min(this.buffered, n)).subarray(0, n);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const need = n - filled;
      if (c.length <= need) {
        c.copy(out, filled);
        filled += c.length;
        this.chunks.shift();
      } else {
        c.copy(out, filled, 0, need);
        this.chunks[0] = c.subarray(need);
        filled += need;
      }
    }
    this.buffered -= n;
    return out;
  }
}
