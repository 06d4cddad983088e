import { murmur2, partitionForKey, toPositive } from './murmur2';

// kafkajs ships the Java client's murmur2 (a real peer); the expected values below were computed
// from the algorithm's definition and agree with it, which the last test checks directly.
const kafkajsMurmur2: (key: Buffer | string) => number = require('kafkajs/src/producer/partitioners/default/murmur2');

describe('murmur2', () => {
  it('matches known Java values', () => {
    expect(murmur2(Buffer.from(''))).toBe(275646681);
    expect(murmur2(Buffer.from('a'))).toBe(-1563381124);
    expect(murmur2(Buffer.from('abc'))).toBe(479470107);
  });

  it('agrees with kafkajs on every tail length and on high bytes', () => {
    const keys = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'hello-world-key', '21', 'ünïcødé-€'].map((k) => Buffer.from(k));
    const bytes = Buffer.from(Array.from({ length: 257 }, (_, i) => (i * 37 + 200) & 0xff));
    for (let n = 0; n <= bytes.length; n += 13) keys.push(bytes.subarray(0, n));
    for (const k of keys) expect(murmur2(k)).toBe(kafkajsMurmur2(k));
  });

  it('partitions like the Java default partitioner', () => {
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-1563381124)).toBe(-1563381124 & 0x7fffffff);
    for (const k of ['a', 'abc', 'user-42', '']) {
      const p = partitionForKey(Buffer.from(k), 7);
      expect(p).toBe(toPositive(kafkajsMurmur2(Buffer.from(k))) % 7);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(7);
    }
  });
});
