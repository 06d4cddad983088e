import {
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
  TransactionRecordError,
  TxnState,
  type TransactionLogValue,
} from './records';

const value: TransactionLogValue = {
  producerId: 4001n,
  previousProducerId: -1n,
  nextProducerId: -1n,
  producerEpoch: 3,
  transactionTimeoutMs: 60_000,
  state: TxnState.Ongoing,
  partitions: [{ topic: 'orders', partitionIds: [0, 2] }, { topic: '__consumer_offsets', partitionIds: [17] }],
  lastUpdateTimestampMs: 1_700_000_000_500,
  startTimestampMs: 1_700_000_000_000,
  clientTransactionVersion: 0,
};

describe('__transaction_state records', () => {
  it('round-trips the key, with Kafka\'s layout (int16 version 0, int16-length string)', () => {
    const key = encodeTransactionLogKey('tx-1');
    expect(key.toString('hex')).toBe('00000004' + Buffer.from('tx-1').toString('hex'));
    expect(decodeTransactionLogKey(key)).toBe('tx-1');
    expect(decodeTransactionLogKey(Buffer.from('0001000161', 'hex'))).toBeUndefined();
  });

  it('round-trips value v0 byte for byte as Kafka lays it out', () => {
    const bytes = encodeTransactionLogValue(value, 0);
    const expected = Buffer.concat([
      Buffer.from('0000', 'hex'), // version
      Buffer.from('0000000000000fa1', 'hex'), // producer id 4001
      Buffer.from('0003', 'hex'), // epoch
      Buffer.from('0000ea60', 'hex'), // timeout 60000
      Buffer.from('01', 'hex'), // Ongoing
      Buffer.from('00000002', 'hex'),
      Buffer.from('0006', 'hex'), Buffer.from('orders'), Buffer.from('00000002' + '00000000' + '00000002', 'hex'),
      Buffer.from('0012', 'hex'), Buffer.from('__consumer_offsets'), Buffer.from('00000001' + '00000011', 'hex'),
      Buffer.from('0000018bcfe569f4', 'hex'),
      Buffer.from('0000018bcfe56800', 'hex'),
    ]);
    expect(bytes.toString('hex')).toBe(expected.toString('hex'));
    expect(decodeTransactionLogValue(bytes)).toEqual(value);
  });

  it('round-trips value v1 (flexible, tagged fields) and writes a null partition list when empty', () => {
    const v1 = { ...value, previousProducerId: 12n, nextProducerId: 13n, clientTransactionVersion: 2 };
    expect(decodeTransactionLogValue(encodeTransactionLogValue(v1, 1))).toEqual(v1);
    const empty = { ...value, state: TxnState.Empty, partitions: [] };
    const bytes = encodeTransactionLogValue(empty, 0);
    expect(bytes.readInt32BE(2 + 8 + 2 + 4 + 1)).toBe(-1);
    expect(decodeTransactionLogValue(bytes)).toEqual(empty);
    expect(decodeTransactionLogValue(encodeTransactionLogValue(empty, 1))).toEqual(empty);
  });

  it('refuses truncated values, unknown versions and unknown states with a TransactionRecordError', () => {
    const bytes = encodeTransactionLogValue(value, 0);
    expect(() => decodeTransactionLogValue(bytes.subarray(0, 20))).toThrow(TransactionRecordError);
    expect(() => decodeTransactionLogValue(Buffer.from('0007', 'hex'))).toThrow(TransactionRecordError);
    const badState = Buffer.from(bytes);
    badState.writeInt8(42, 16);
    expect(() => decodeTransactionLogValue(badState)).toThrow(TransactionRecordError);
  });
});
