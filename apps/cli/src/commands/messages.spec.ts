import { formatRecord, getQuery, recordJson, searchQuery } from './messages';

const common = { dataDir: '.', topic: 't', format: 'text', timeout: '1000', isolation: 'read_uncommitted' };

describe('dms messages options', () => {
  it('builds an offset window query', () => {
    expect(getQuery({ ...common, partition: '2', offset: '40', before: '1', after: '3' })).toMatchObject({ kind: 'offset', partition: 2, offset: 40n, before: 1, after: 3, limit: 5 });
    expect(() => getQuery({ ...common, partition: 'x', offset: '40', before: '0', after: '0' })).toThrow(/--partition must be an integer/);
  });

  it('builds key, hex key and time range searches', () => {
    const now = Date.parse('2026-12-07T03:00:00Z');
    expect(searchQuery({ ...common, key: 'user-1', limit: '10' }, now)).toMatchObject({ kind: 'key', key: Buffer.from('user-1'), limit: 10 });
    expect(searchQuery({ ...common, keyHex: '00ff', limit: '10', from: '-1h' }, now)).toMatchObject({ kind: 'key', key: Buffer.from([0, 255]), fromMs: BigInt(now - 3_600_000) });
    expect(searchQuery({ ...common, from: '-1h', to: 'now', limit: '10', partition: '1' }, now)).toMatchObject({ kind: 'time', partition: 1, fromMs: BigInt(now - 3_600_000), toMs: BigInt(now) });
    expect(() => searchQuery({ ...common, limit: '10' }, now)).toThrow(/needs --key, --key-hex, or a time range/);
    expect(() => searchQuery({ ...common, key: 'a', keyHex: '00', limit: '10' }, now)).toThrow(/not both/);
    expect(() => searchQuery({ ...common, keyHex: '0', limit: '10' }, now)).toThrow(/pairs/);
    expect(() => searchQuery({ ...common, from: 'now', to: '-1h', limit: '10' }, now)).toThrow(/--to is before --from/);
    expect(() => searchQuery({ ...common, key: 'a', limit: '10', isolation: 'dirty' }, now)).toThrow(/--isolation/);
  });

  it('prints a record as text and as JSON', () => {
    const r = {
      topic: 't', partition: 0, offset: 7n, timestamp: 1_700_000_000_000n, timestampType: 'CreateTime' as const,
      key: Buffer.from('k'), value: Buffer.from('{"a":1}'), headers: [{ key: 'h', value: null }], compression: 'zstd',
      leaderEpoch: 2, batchBaseOffset: 5n, producerId: -1n, transactional: false,
    };
    expect(formatRecord(r, 'json')).toBe('t-0 offset 7  2023-11-14T22:13:20.000Z (CreateTime)  zstd  epoch 2\n  key:   k\n  header h: null\n  value: {\n           "a": 1\n         }');
    expect(recordJson(r, 'json')).toMatchObject({ offset: '7', key: 'k', value: { a: 1 }, headers: [{ key: 'h', value: null }] });
    expect(recordJson(r, 'hex')).toMatchObject({ key: '6b', value: Buffer.from('{"a":1}').toString('hex') });
  });
});
