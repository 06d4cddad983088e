import { parseBytes, renderBytes } from './render-value';

describe('renderBytes', () => {
  it('shows text, pretty JSON and hex', () => {
    const r = renderBytes(Buffer.from('{"a":[1,2]}'))!;
    expect(r.text).toBe('{"a":[1,2]}');
    expect(r.json).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    expect(r.hex).toBe('7b 22 61 22 3a 5b 31 2c 32 5d 7d');
    expect(r.size).toBe(11);
  });

  it('gives no text for bytes that are not UTF-8, and no JSON for plain text', () => {
    const bin = renderBytes(Buffer.from([0xff, 0xfe, 0x00]))!;
    expect(bin.text).toBeNull();
    expect(bin.hex).toBe('ff fe 00');
    expect(renderBytes(Buffer.from('hello'))!.json).toBeNull();
    expect(renderBytes(Buffer.from('{not json'))!.json).toBeNull();
    expect(renderBytes(null)).toBeNull();
  });

  it('cuts very long hex', () => {
    expect(renderBytes(Buffer.alloc(70_000))!.hex.endsWith('…')).toBe(true);
  });
});

describe('parseBytes', () => {
  it('reads the producer form per format', () => {
    expect(parseBytes('héllo')!.toString()).toBe('héllo');
    expect(parseBytes('{ "a" : 1 }', 'json')!.toString()).toBe('{"a":1}');
    expect([...parseBytes('de ad be ef', 'hex')!]).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect(parseBytes(null)).toBeNull();
    expect(() => parseBytes('{', 'json')).toThrow(/not valid JSON/);
    expect(() => parseBytes('abc', 'hex')).toThrow(/even number of hex digits/);
  });
});
