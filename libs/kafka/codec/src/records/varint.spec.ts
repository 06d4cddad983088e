import { RecordsError } from './records-error';
import { Cursor, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint';

describe('varint', () => {
  it.each([0, 1, -1, 63, -64, 64, -65, 300, -300, 2 ** 31 - 1, -(2 ** 31)])('round-trips int32 %d', (v) => {
    const buf = Buffer.alloc(5);
    const end = writeVarint(buf, 0, v);
    expect(end).toBe(sizeOfVarint(v));
    const c = new Cursor(buf, 0, end);
    expect(c.readVarint()).toBe(v);
    expect(c.remaining).toBe(0);
  });

  it('encodes zig-zag as Kafka does', () => {
    const buf = Buffer.alloc(5);
    expect(buf.subarray(0, writeVarint(buf, 0, -1)).toString('hex')).toBe('01');
    expect(buf.subarray(0, writeVarint(buf, 0, 1)).toString('hex')).toBe('02');
    expect(buf.subarray(0, writeVarint(buf, 0, 150)).toString('hex')).toBe('ac02');
  });

  it.each([
    0n,
    -1n,
    1n,
    2n ** 30n,
    -(2n ** 30n) - 1n,
    2n ** 48n,
    -(2n ** 48n),
    2n ** 53n + 7n,
    1700000000000n,
    -1700000000000n,
    2n ** 63n - 1n,
    -(2n ** 63n),
  ])('round-trips int64 %s', (v) => {
    const buf = Buffer.alloc(10);
    const end = writeVarlong(buf, 0, v);
    expect(end).toBe(sizeOfVarlong(v));
    const c = new Cursor(buf, 0, end);
    expect(c.readVarlong()).toBe(v);
    expect(c.remaining).toBe(0);
  });

  it('rejects over-long and truncated varints with RecordsError', () => {
    const long = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(() => new Cursor(long, 0, long.length).readVarint()).toThrow(RecordsError);
    const longer = Buffer.alloc(11, 0xff);
    expect(() => new Cursor(longer, 0, longer.length).readVarlong()).toThrow(RecordsError);
    const cut = Buffer.from([0x80, 0x80]);
    expect(() => new Cursor(cut, 0, cut.length).readVarint()).toThrow(expect.objectContaining({ reason: 'truncated' }));
    expect(() => new Cursor(cut, 0, cut.length).readVarlong()).toThrow(expect.objectContaining({ reason: 'truncated' }));
  });

  it('never reads past the cursor end even when the buffer continues', () => {
    const buf = Buffer.from([0x80, 0x01]);
    expect(() => new Cursor(buf, 0, 1).readVarint()).toThrow(RecordsError);
    expect(() => new Cursor(buf, 0, 1).take(2)).toThrow(RecordsError);
  });
});
