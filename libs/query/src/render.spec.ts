import { parseTime, renderBytes } from './render';

describe('renderBytes', () => {
  it('renders text, pretty JSON and hex; non-UTF-8 bytes as 0x hex; null as null', () => {
    expect(renderBytes(Buffer.from('héllo'), 'text')).toBe('héllo');
    expect(renderBytes(Buffer.from('{"a":1,"b":[2]}'), 'json')).toBe('{\n  "a": 1,\n  "b": [\n    2\n  ]\n}');
    expect(renderBytes(Buffer.from('not json'), 'json')).toBe('not json');
    expect(renderBytes(Buffer.from([0xde, 0xad]), 'hex')).toBe('dead');
    expect(renderBytes(Buffer.from([0xff, 0xfe, 0x00]), 'text')).toBe('0xfffe00');
    expect(renderBytes(null, 'json')).toBe('null');
  });
});

describe('parseTime', () => {
  const now = Date.parse('2026-12-07T03:00:00Z');
  it('reads ISO-8601, epoch ms and relative times', () => {
    expect(parseTime('2026-12-07T02:00:00Z', now)).toBe(BigInt(now - 3_600_000));
    expect(parseTime('1700000000000', now)).toBe(1_700_000_000_000n);
    expect(parseTime('-1h', now)).toBe(BigInt(now - 3_600_000));
    expect(parseTime('-30m', now)).toBe(BigInt(now - 1_800_000));
    expect(parseTime('-2d', now)).toBe(BigInt(now - 172_800_000));
    expect(parseTime('-1.5s', now)).toBe(BigInt(now - 1500));
    expect(parseTime('now', now)).toBe(BigInt(now));
  });
  it('refuses anything else with the accepted forms', () => {
    for (const bad of ['yesterday', '+1h', '-1y', '', '2026-13-45']) expect(() => parseTime(bad, now)).toThrow(/ISO-8601/);
  });
});
