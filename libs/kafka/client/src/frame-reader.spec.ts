import { FrameReader, FrameTooLargeError } from './frame-reader';

function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

describe('FrameReader', () => {
  const payloads = [Buffer.from('a'), Buffer.alloc(0), Buffer.from('hello world'), Buffer.alloc(70_000, 7)];
  const stream = Buffer.concat(payloads.map(frame));

  it('reassembles frames fed one byte at a time', () => {
    const reader = new FrameReader(1 << 20);
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...reader.push(stream.subarray(i, i + 1)));
    expect(out.map((b) => b.toString('hex'))).toEqual(payloads.map((b) => b.toString('hex')));
    expect(reader.pendingBytes).toBe(0);
  });

  it('splits many frames out of one chunk and keeps a partial tail', () => {
    const reader = new FrameReader(1 << 20);
    const out = reader.push(stream.subarray(0, stream.length - 5));
    expect(out).toHaveLength(3);
    expect(reader.push(stream.subarray(stream.length - 5))[0].equals(payloads[3])).toBe(true);
  });

  it('rejects a size above the limit and a negative size', () => {
    expect(() => new FrameReader(10).push(frame(Buffer.alloc(11)))).toThrow(FrameTooLargeError);
    expect(() => new FrameReader(10).push(Buffer.from([0xff, 0xff, 0xff, 0xfe]))).toThrow(FrameTooLargeError);
  });
});
