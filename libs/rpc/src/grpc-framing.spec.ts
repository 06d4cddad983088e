import { FrameDecoder, FramingError, frameCopy, frameOf, framedOutput } from './grpc-framing';

function frames(...messages: Buffer[]): Buffer {
  return Buffer.concat(messages.map((m) => frameCopy(m)));
}

describe('gRPC message framing', () => {
  it('writes the 5-byte header grpc-js writes, in front of the encoder output', () => {
    const out = framedOutput(3);
    out.set([7, 8, 9]);
    expect([...frameOf(out)]).toEqual([0, 0, 0, 0, 3, 7, 8, 9]);
  });

  it('hands out every message of a chunk, and messages split anywhere across chunks', () => {
    const msgs = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(70_000, 5), Buffer.from('last')];
    const wire = frames(...msgs);
    for (const step of [1, 2, 3, 4, 5, 6, 7, 4096, wire.length]) {
      const d = new FrameDecoder(1 << 20);
      const got: Buffer[] = [];
      for (let at = 0; at < wire.length; at += step) d.push(wire.subarray(at, at + step), (m) => got.push(Buffer.from(m)));
      expect(got).toEqual(msgs);
      expect(d.pending).toBe(0);
    }
  });

  it('does not copy a message that arrives inside one chunk', () => {
    const wire = frames(Buffer.from('hello'));
    let got: Buffer | undefined;
    new FrameDecoder(100).push(wire, (m) => (got = m));
    expect(got!.buffer).toBe(wire.buffer);
  });

  it('refuses compressed frames and messages over the limit', () => {
    expect(() => new FrameDecoder(100).push(Buffer.from([1, 0, 0, 0, 1, 0]), () => undefined)).toThrow(FramingError);
    const big = Buffer.from([0, 0, 0, 0, 101]);
    expect(() => new FrameDecoder(100).push(big, () => undefined)).toThrow('exceeds the 100 byte limit');
    const d = new FrameDecoder(100);
    d.push(big.subarray(0, 2), () => undefined);
    expect(() => d.push(big.subarray(2), () => undefined)).toThrow('exceeds the 100 byte limit');
  });

  it('gathers a message spread over chunks into one buffer from `gather`, of its exact length', () => {
    const msgs = [Buffer.from('small'), Buffer.alloc(50_000, 3), Buffer.alloc(20_000, 4)];
    const wire = frames(...msgs);
    const asked: number[] = [];
    const gathered = new Set<ArrayBufferLike>();
    const d = new FrameDecoder(1 << 20, (n) => {
      asked.push(n);
      const b = Buffer.allocUnsafeSlow(n);
      gathered.add(b.buffer);
      return b;
    });
    const got: Buffer[] = [];
    // The first message and the second's start in one chunk, the rest in 16 KiB chunks.
    const first = 5 + 5 + 5 + 1000;
    const chunks = [wire.subarray(0, first)];
    for (let at = first; at < wire.length; at += 16384) chunks.push(Buffer.from(wire.subarray(at, at + 16384)));
    for (const c of chunks) d.push(c, (m) => got.push(m));
    expect(got).toEqual(msgs);
    expect(asked).toEqual([50_000, 20_000]);
    expect(gathered.has(got[0]!.buffer)).toBe(false);
    expect(gathered.has(got[1]!.buffer) && gathered.has(got[2]!.buffer)).toBe(true);
    expect(d.pending).toBe(0);
  });
});
