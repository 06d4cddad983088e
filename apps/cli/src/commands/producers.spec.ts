import { producersTable } from './producers';

describe('producers describe output', () => {
  it('prints the columns of kafka-transactions.sh describe-producers, padded to the widest cell', () => {
    const out = producersTable([
      { producerId: 1000n, producerEpoch: 0, coordinatorEpoch: -1, lastSequence: 2, lastTimestamp: 1700000000000n, currentTxnStartOffset: -1n },
      { producerId: 7n, producerEpoch: 3, coordinatorEpoch: 12, lastSequence: 40, lastTimestamp: 5n, currentTxnStartOffset: 120n },
    ]);
    const lines = out.trimEnd().split('\n').map((l) => l.split('\t').map((c) => c.trim()));
    expect(lines).toEqual([
      ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset'],
      ['1000', '0', '-1', '2', '1700000000000', '-1'],
      ['7', '3', '12', '40', '5', '120'],
    ]);
    // Columns line up.
    const rows = out.trimEnd().split('\n');
    expect(rows[1]!.indexOf('\t')).toBe(rows[0]!.indexOf('\t'));
  });
});
