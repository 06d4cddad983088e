import { groupPartition, javaStringHashCode } from './placement';

describe('placement', () => {
  it('matches Java String.hashCode, overflow included', () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('a')).toBe(97);
    expect(javaStringHashCode('hello')).toBe(99162322);
    // A well-known Java string whose hashCode is Integer.MIN_VALUE.
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
  });

  it('places groups as Kafka does, MIN_VALUE included', () => {
    expect(groupPartition('polygenelubricants', 50)).toBe(0);
    expect(groupPartition('hello', 50)).toBe(99162322 % 50);
    expect(groupPartition('my-group', 50)).toBe(1906497762 % 50);
    expect(() => groupPartition('g', 0)).toThrow(RangeError);
  });
});
