import { formatReassignment, parseReassignment, parseTopicsToMove, proposeAssignment, rackAlternated, verifyText } from './reassign-plan';
import { parseThrottle, throttlePlan } from './reassign-throttle';

describe('reassignment files (kafka-reassign-partitions.sh format)', () => {
  it('reads the JSON Kafka writes, log_dirs "any" included', () => {
    const text = '{"version":1,"partitions":[{"topic":"foo","partition":0,"replicas":[2,3,4],"log_dirs":["any","any","any"]},{"topic":"foo","partition":1,"replicas":[3,4,1]}]}';
    expect(parseReassignment(text)).toEqual([
      { topic: 'foo', partition: 0, replicas: [2, 3, 4] },
      { topic: 'foo', partition: 1, replicas: [3, 4, 1] },
    ]);
  });

  it('refuses what Kafka refuses, with a message naming the partition', () => {
    expect(() => parseReassignment('not json')).toThrow(/not valid JSON/);
    expect(() => parseReassignment('{"version":2,"partitions":[]}')).toThrow(/version 2/);
    expect(() => parseReassignment('{"version":1,"partitions":[]}')).toThrow(/names no partition/);
    expect(() => parseReassignment('{"partitions":[{"topic":"a","partition":0,"replicas":[1,1]}]}')).toThrow(/a-0 has duplicate replicas/);
    expect(() => parseReassignment('{"partitions":[{"topic":"a","partition":0,"replicas":[]}]}')).toThrow(/a-0.*non-empty/);
    expect(() => parseReassignment('{"partitions":[{"topic":"a","partition":0,"replicas":[1]},{"topic":"a","partition":0,"replicas":[2]}]}')).toThrow(/more than once/);
    expect(() => parseReassignment('{"partitions":[{"topic":"a","partition":0,"replicas":[1],"log_dirs":["/data"]}]}')).toThrow(/only "any"/);
    expect(() => parseReassignment('{"partitions":[{"topic":"a","partition":-1,"replicas":[1]}]}')).toThrow(/index >= 0/);
  });

  it('reads topics-to-move files', () => {
    expect(parseTopicsToMove('{"topics":[{"topic":"a"},{"topic":"b"}],"version":1}')).toEqual(['a', 'b']);
    expect(() => parseTopicsToMove('{"topics":[]}')).toThrow(/names no topic/);
    expect(() => parseTopicsToMove('{"topics":[{"name":"a"}]}')).toThrow(/"topic"/);
  });

  it('writes sorted JSON with one "any" log dir per replica', () => {
    expect(formatReassignment([{ topic: 'b', partition: 0, replicas: [1] }, { topic: 'a', partition: 1, replicas: [2, 3] }, { topic: 'a', partition: 0, replicas: [3, 2] }])).toBe(
      '{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[3,2],"log_dirs":["any","any"]},' +
        '{"topic":"a","partition":1,"replicas":[2,3],"log_dirs":["any","any"]},{"topic":"b","partition":0,"replicas":[1],"log_dirs":["any"]}]}',
    );
  });
});

describe('--generate', () => {
  it('alternates racks', () => {
    expect(rackAlternated([{ id: 1, rack: 'a' }, { id: 2, rack: 'a' }, { id: 3, rack: 'b' }, { id: 4, rack: 'b' }])).toEqual([1, 3, 2, 4]);
    expect(rackAlternated([{ id: 3, rack: null }, { id: 1, rack: null }])).toEqual([1, 3]);
  });

  it('keeps each partition\'s replication factor, spreads leaders, and puts replicas on distinct racks', () => {
    const current = [0, 1, 2, 3].map((p) => ({ topic: 't', partition: p, replicas: [1, 2, 3] }));
    const brokers = [{ id: 1, rack: 'a' }, { id: 2, rack: 'a' }, { id: 3, rack: 'b' }, { id: 4, rack: 'b' }];
    const proposed = proposeAssignment(current, brokers);
    expect(proposed.map((m) => m.replicas.length)).toEqual([3, 3, 3, 3]);
    expect(new Set(proposed.map((m) => m.replicas[0])).size).toBe(4);
    const rackOf = (id: number) => brokers.find((b) => b.id === id)!.rack;
    for (const m of proposed) {
      expect(new Set(m.replicas).size).toBe(3);
      expect(rackOf(m.replicas[0]!)).not.toBe(rackOf(m.replicas[1]!));
    }
  });

  it('refuses a replication factor above the broker count', () => {
    expect(() => proposeAssignment([{ topic: 't', partition: 0, replicas: [1, 2, 3] }], [{ id: 1, rack: null }, { id: 2, rack: null }])).toThrow(/larger than available brokers: 2/);
  });
});

describe('--verify', () => {
  const move = { topic: 't', partition: 0, replicas: [2, 3, 4] };
  it('says completed, in progress, or where the replicas differ', () => {
    expect(verifyText([{ move, current: [2, 3, 4], ongoing: false }])).toEqual({ text: 'Status of partition reassignment:\nReassignment of partition t-0 is completed.\n', done: true, failed: false });
    expect(verifyText([{ move, current: [2, 3, 4, 1], ongoing: true }])).toMatchObject({ done: false, failed: false, text: expect.stringContaining('t-0 is still in progress.') });
    expect(verifyText([{ move, current: [1, 2, 3], ongoing: false }])).toMatchObject({
      failed: true, text: expect.stringContaining('There is no active reassignment of partition t-0, but replica set is 1,2,3 rather than 2,3,4.'),
    });
  });
});

describe('reassignment throttles (kafka-reassign-partitions.sh --throttle)', () => {
  it('throttles every current replica as leader, the added ones as followers, on every broker involved', () => {
    const current = new Map([
      ['foo-0', { topic: 'foo', partition: 0, replicas: [1, 2, 3] }],
      ['foo-1', { topic: 'foo', partition: 1, replicas: [2, 3, 1] }],
      ['bar-0', { topic: 'bar', partition: 0, replicas: [1] }],
    ]);
    const plan = throttlePlan([
      { topic: 'foo', partition: 0, replicas: [4, 2, 3] },
      { topic: 'foo', partition: 1, replicas: [2, 3, 1] },
      { topic: 'bar', partition: 0, replicas: [5] },
    ], current);
    expect(plan.brokers).toEqual([1, 2, 3, 4, 5]);
    expect([...plan.topics]).toEqual([
      ['bar', { leader: '0:1', follower: '0:5' }],
      ['foo', { leader: '0:1,0:2,0:3', follower: '0:4' }],
    ]);
  });

  it('reads --throttle as Kafka does: whole bytes per second', () => {
    expect(parseThrottle('1048576')).toBe(1048576);
    expect(() => parseThrottle('1MB')).toThrow(/bytes per second/);
    expect(() => parseThrottle('-5')).toThrow(/bytes per second/);
  });
});
