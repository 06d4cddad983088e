/**
 * Reassembles size-prefixed Kafka frames from arbitrary TCP chunks. A frame is an int32 size
 * followed by that many bytes; what comes out is the frame without its size prefix.
 */
export class FrameTooLargeError extends Error {
  override readonly name = 'FrameTooLargeError';
  constructor(readonly size: number, readonly max: number) {
    super(`frame of ${size} bytes exceeds the limit of ${max}`);
  }
}

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being assembled, or -1 while its prefix is incomplete. */
  private need = -1;

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds one chunk; returns every frame it completed. Throws FrameTooLargeError on a bad size. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    if (chunk.length === 0) return frames;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < 4) break;
        const size = this.peekInt32();
        if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
        this.consume(4);
        this.need = size;
      }
      if (this.buffered < this.need) break;
      frames.push(this.consume(this.need));
      this.need = -1;
    }
    return frames;
  }

  /** Bytes held waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  private peekInt32(): number {
    const head = this.chunks[0];
    if (head.length >= 4) return head.readInt32BE(0);
    return this.gather(4).readInt32BE(0);
  }

  /** Merges leading chunks until the first holds at least n bytes. */
  private gather(n: number): Buffer {
    let head = this.chunks[0];
    if (head.length >= n) return head;
    let count = 0;
    let len = 0;
    while (len < n) len += this.chunks[count++].length;
    head = Buffer.concat(this.chunks.slice(0, count), len);
    this.chunks.splice(0, count, head);
    return head;
  }

  /** Removes n bytes from the front; zero-copy when they sit in one chunk. */
  private consume(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const head = this.gather(n);
    const out = head.subarray(0, n);
    if (head.length === n) this.chunks.shift();
    else this.chunks[0] = head.subarray(n);
    this.buffered -= n;
    return out;
  }
}
