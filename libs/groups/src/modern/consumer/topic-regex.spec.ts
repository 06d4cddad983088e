import { compileTopicRegex, InvalidRegexError, matchingTopics } from './topic-regex';

describe('RE2/J topic regexes', () => {
  it('matches whole names and leaves internal topics out', () => {
    const re = compileTopicRegex('orders.*');
    expect(matchingTopics(re, ['orders', 'orders-eu', 'my-orders', '__consumer_offsets'])).toEqual(['orders', 'orders-eu']);
    expect(matchingTopics(compileTopicRegex('.*'), ['a', '__transaction_state'])).toEqual(['a']);
    expect(matchingTopics(compileTopicRegex('a|b'), ['a', 'b', 'ab'])).toEqual(['a', 'b']);
  });

  it('translates RE2 spellings: named groups, \\A \\z, a leading flag group', () => {
    expect(compileTopicRegex('(?P<region>eu|us)-.+').test('eu-orders')).toBe(true);
    expect(compileTopicRegex('\\Atopic\\z').test('topic')).toBe(true);
    expect(compileTopicRegex('(?i)ORDERS').test('orders')).toBe(true);
    expect(compileTopicRegex('[\\d(]+').test('1(2')).toBe(true);
  });

  it('rejects what RE2 does not have and what does not parse', () => {
    for (const bad of ['(a)\\1', 'a(?=b)', '(?<!x)y', '(?i:a)b', '', 'a(', '[a-', 'x\\']) {
      expect(() => compileTopicRegex(bad)).toThrow(InvalidRegexError);
    }
  });
});
