import { FrameReader, FrameTooLargeError } from './frame-reader';

function frame(payload: string): Buffer {
  const body = Buffer.from(payload);
  const out = Buffer.alloc(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

describe('FrameReader', () => {
  it('splits frames that arrive together and reassembles frames split at every byte', () => {
    const wire = Buffer.concat([frame('hello'), frame(''), frame('kafka protocol')]);
    const whole = new FrameReader(1024).push(wire).map(String);
    expect(whole).toEqual(['hello', '', 'kafka protocol']);
    const r = new FrameReader(1024);
    const got: string[] = [];
    for (let i = 0; i < wire.length; i++) got.push(...r.push(wire.subarray(i, i + 1)).map(String));
    expect(got).toEqual(whole);
    expect(r.pendingBytes).toBe(0);
  });

  it('rejects a frame larger than the limit and a negative size before buffering it', () => {
    expect(() => new FrameReader(10).push(frame('01234567890'))).toThrow(FrameTooLargeError);
    const neg = Buffer.alloc(4);
    neg.writeInt32BE(-5, 0);
    expect(() => new FrameReader(10).push(neg)).toThrow(FrameTooLargeError);
  });

  it('allocates nothing from a size prefix: a frame announced as large holds only the bytes that came', () => {
    const r = new FrameReader(64 << 20);
    const head = Buffer.alloc(4 + 10);
    head.writeInt32BE(60 << 20, 0);
    const before = process.memoryUsage().arrayBuffers;
    expect(r.push(head)).toEqual([]);
    expect(r.pendingBytes).toBe(14);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });

  it('admits a frame over the limit only when its head passes the check, deciding on its first 8 bytes', () => {
    const admitProduce = (head: Buffer) => head.readInt16BE(0) === 0;
    const big = (apiKey: number) => {
      const out = Buffer.alloc(4 + 40);
      out.writeInt32BE(40, 0);
      out.writeInt16BE(apiKey, 4);
      return out;
    };
    const r = new FrameReader(100);
    r.setLimit(10, admitProduce);
    // The size alone decides nothing yet; the head does.
    expect(r.push(big(0).subarray(0, 6))).toEqual([]);
    expect(r.push(big(0).subarray(6))).toHaveLength(1);
    const junk = new FrameReader(100);
    junk.setLimit(10, admitProduce);
    expect(() => junk.push(big(18))).toThrow(FrameTooLargeError);
    // Never past the hard limit, and without a check the limit is the limit.
    const hard = new FrameReader(20);
    hard.setLimit(10, admitProduce);
    expect(() => hard.push(big(0))).toThrow(FrameTooLargeError);
    const plain = new FrameReader(100);
    plain.setLimit(10);
    expect(() => plain.push(big(0))).toThrow(FrameTooLargeError);
  });
});
