import { parseQuery } from './message-query';

describe('parseQuery', () => {
  it('reads the three modes', () => {
    expect(parseQuery({ mode: 'offset', topic: 't', partition: '2', offset: '10', limit: '5' })).toEqual({ mode: 'offset', topic: 't', partition: 2, offset: 10n, limit: 5 });
    expect(parseQuery({ mode: 'time', topic: 't', from: '2026-01-01T00:00:00Z', to: 1767225600001, partitions: '0,1' }))
      .toEqual({ mode: 'time', topic: 't', fromMs: 1767225600000, toMs: 1767225600001, partitions: [0, 1], limit: 50 });
    expect(parseQuery({ mode: 'key', topic: 't', key: 'k' })).toEqual({ mode: 'key', topic: 't', key: 'k', partitions: undefined, fromMs: undefined, limit: 50 });
  });

  it('refuses what it cannot read with a clear message', () => {
    expect(() => parseQuery({ mode: 'offset', topic: '' })).toThrow('topic is required');
    expect(() => parseQuery({ mode: 'offset', topic: 't', partition: '-1' })).toThrow(/partition must be/);
    expect(() => parseQuery({ mode: 'offset', topic: 't', partition: '0', offset: '1e3' })).toThrow(/offset must be/);
    expect(() => parseQuery({ mode: 'time', topic: 't', from: 'yesterday' })).toThrow(/epoch milliseconds or an ISO-8601/);
    expect(() => parseQuery({ mode: 'key', topic: 't' })).toThrow('key is required');
    expect(() => parseQuery({ mode: 'key', topic: 't', key: 'k', partitions: 'a' })).toThrow(/bad partition/);
    expect(() => parseQuery({ mode: 'key', topic: 't', key: 'k', limit: 0 })).toThrow(/limit/);
  });
});
