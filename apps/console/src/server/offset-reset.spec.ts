import { ErrorCode, KafkaError } from '@dms/kafka-client';
import { checkGroupInactive, parseStrategy, planReset, type PartitionPosition } from './offset-reset';

const pos = (partition: number, committed: bigint | null, offsetForTime?: bigint): PartitionPosition =>
  ({ topic: 't', partition, earliest: 10n, latest: 100n, committed, offsetForTime });

describe('planReset', () => {
  it('moves to earliest and latest and reports the change and the lag after', () => {
    expect(planReset({ kind: 'earliest' }, [pos(0, 50n)])).toEqual([{ topic: 't', partition: 0, currentOffset: 50n, newOffset: 10n, change: -40n, lagAfter: 90n }]);
    expect(planReset({ kind: 'latest' }, [pos(0, null)])[0]).toMatchObject({ newOffset: 100n, change: null, lagAfter: 0n });
  });

  it('clamps absolute offsets and shifts to the log, as kafka-consumer-groups does', () => {
    expect(planReset({ kind: 'offset', offset: 5n }, [pos(0, 50n)])[0].newOffset).toBe(10n);
    expect(planReset({ kind: 'offset', offset: 500n }, [pos(0, 50n)])[0].newOffset).toBe(100n);
    expect(planReset({ kind: 'shift', by: -20n }, [pos(0, 50n)])[0].newOffset).toBe(30n);
    expect(planReset({ kind: 'shift', by: -200n }, [pos(0, 50n)])[0].newOffset).toBe(10n);
    // Nothing committed: a shift starts from the end.
    expect(planReset({ kind: 'shift', by: -5n }, [pos(0, null)])[0].newOffset).toBe(95n);
  });

  it('goes back to a time: the first offset at or after it, the end when there is none', () => {
    const plan = planReset({ kind: 'time', timestampMs: 1 }, [pos(0, 90n, 42n), pos(1, 90n, -1n)]);
    expect(plan.map((p) => p.newOffset)).toEqual([42n, 100n]);
    expect(() => planReset({ kind: 'time', timestampMs: 1 }, [pos(0, 90n)])).toThrow(/no offset for the time/);
  });
});

describe('checkGroupInactive', () => {
  it('allows Empty and Dead groups without members only, with NON_EMPTY_GROUP otherwise', () => {
    expect(() => checkGroupInactive('g', 'Empty', 0)).not.toThrow();
    expect(() => checkGroupInactive('g', 'Dead', 0)).not.toThrow();
    let err: unknown;
    try {
      checkGroupInactive('g', 'Stable', 2);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).code).toBe(ErrorCode.NON_EMPTY_GROUP);
    expect((err as Error).message).toContain("current state is Stable");
  });
});

describe('parseStrategy', () => {
  it('parses each strategy and refuses bad input with a clear message', () => {
    expect(parseStrategy({ strategy: 'offset', offset: '12' })).toEqual({ kind: 'offset', offset: 12n });
    expect(parseStrategy({ strategy: 'shift', shiftBy: '-3' })).toEqual({ kind: 'shift', by: -3n });
    expect(parseStrategy({ strategy: 'time', timestampMs: 1700000000000 })).toEqual({ kind: 'time', timestampMs: 1700000000000 });
    expect(() => parseStrategy({ strategy: 'offset', offset: 'x' })).toThrow(/offset must be an integer/);
    expect(() => parseStrategy({ strategy: 'time', timestampMs: 'soon' })).toThrow(/epoch milliseconds/);
    expect(() => parseStrategy({ strategy: 'sideways' })).toThrow(/strategy must be/);
  });
});
