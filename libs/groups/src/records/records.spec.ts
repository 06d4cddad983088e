import {
  decodeGroupMetadataValue, decodeKey, decodeOffsetCommitValue, encodeGroupMetadataKey, encodeGroupMetadataValue,
  encodeOffsetCommitKey, encodeOffsetCommitValue, RecordFormatError,
} from './index';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('__consumer_offsets record formats', () => {
  it('writes OffsetCommitKey v1 as Kafka lays it out', () => {
    // version 1 | "g" | "t" | partition 7
    expect(encodeOffsetCommitKey('g', 't', 7)).toEqual(hex('0001 0001 67 0001 74 00000007'));
    expect(decodeKey(hex('0000 0001 67 0001 74 00000007'))).toEqual({ kind: 'offset', group: 'g', topic: 't', partition: 7 });
  });

  it('writes OffsetCommitValue v3 and reads v1 (with expire timestamp) too', () => {
    const v = encodeOffsetCommitValue({ offset: 42n, leaderEpoch: 3, metadata: 'm', commitTimestamp: 1000n });
    expect(v).toEqual(hex('0003 000000000000002a 00000003 0001 6d 00000000000003e8'));
    expect(decodeOffsetCommitValue(v)).toEqual({ offset: 42n, leaderEpoch: 3, metadata: 'm', commitTimestamp: 1000n, expireTimestamp: -1n });
    const v1 = hex('0001 0000000000000005 0000 0000000000000064 00000000000000c8');
    expect(decodeOffsetCommitValue(v1)).toEqual({ offset: 5n, leaderEpoch: -1, metadata: '', commitTimestamp: 100n, expireTimestamp: 200n });
  });

  it('writes GroupMetadataKey v2 and GroupMetadataValue v3', () => {
    expect(encodeGroupMetadataKey('g')).toEqual(hex('0002 0001 67'));
    expect(decodeKey(hex('0002 0001 67'))).toEqual({ kind: 'group', group: 'g' });
    const value = {
      protocolType: 'consumer', generation: 4, protocol: 'range', leader: 'm1', currentStateTimestamp: 9n,
      members: [{ memberId: 'm1', groupInstanceId: null, clientId: 'c', clientHost: '/h', rebalanceTimeoutMs: 300, sessionTimeoutMs: 100, subscription: hex('aa'), assignment: hex('bbcc') }],
    };
    const buf = encodeGroupMetadataValue(value);
    expect(buf).toEqual(hex(
      '0003 0008 636f6e73756d6572 00000004 0005 72616e6765 0002 6d31 0000000000000009 00000001'
      + ' 0002 6d31 ffff 0001 63 0002 2f68 0000012c 00000064 00000001 aa 00000002 bbcc',
    ));
    expect(decodeGroupMetadataValue(buf)).toEqual(value);
  });

  it('skips record types it does not own and rejects truncated input', () => {
    expect(decodeKey(hex('0005 0001 67'))).toBeUndefined();
    expect(() => decodeKey(hex('0001 0005 67'))).toThrow(RecordFormatError);
    expect(() => decodeOffsetCommitValue(hex('0009 00'))).toThrow(RecordFormatError);
  });
});
