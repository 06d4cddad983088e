import { AlterConfigOp, ConfigResourceType } from '@dms/configs';
import type { ConfigResourceChange } from '../config-manager';
import { ConfigMoveThrottle, FOLLOWER_RATE, FOLLOWER_REPLICAS, LEADER_RATE, LEADER_REPLICAS } from './move-throttle';

function throttle(bytesPerSecond: number, brokerConfigs: Record<number, Record<string, string>> = {}) {
  const calls: ConfigResourceChange[][] = [];
  const t = new ConfigMoveThrottle({
    bytesPerSecond,
    view: { brokerConfigs: (id) => (id === null ? {} : brokerConfigs[id] ?? {}) },
    configuredBrokers: async () => Object.keys(brokerConfigs).map(Number),
    alterConfigs: async (rs) => {
      calls.push(rs);
      return rs.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode: 0, errorMessage: '', revision: 1n }));
    },
  });
  return { t, calls };
}

const move = { topic: 't', partition: 3, from: [1, 2, 3], to: [4, 2, 3] };

describe('ConfigMoveThrottle', () => {
  it('appends the moving replicas to the topic lists and sets the rate on brokers without one', async () => {
    const { t, calls } = throttle(1_000_000, { 2: { [LEADER_RATE]: '5' } });
    await t.started([move]);
    expect(calls).toHaveLength(1);
    const [topic, ...brokers] = calls[0]!;
    expect(topic).toEqual({ resourceType: ConfigResourceType.TOPIC, resourceName: 't', replace: false, changes: [
      { name: LEADER_REPLICAS, op: AlterConfigOp.APPEND, value: '3:1,3:2,3:3', valueNull: false },
      { name: FOLLOWER_REPLICAS, op: AlterConfigOp.APPEND, value: '3:4', valueNull: false },
    ] });
    // Broker 2 has an operator's rate: left alone.
    expect(brokers.map((b) => b.resourceName)).toEqual(['1', '3', '4']);
    expect(brokers[0]!.changes.map((c) => [c.name, c.value])).toEqual([[LEADER_RATE, '1000000'], [FOLLOWER_RATE, '1000000']]);
  });

  it('subtracts a finished move\'s entries, and on idle removes only its own rates', async () => {
    const { t, calls } = throttle(1_000_000, { 1: { [LEADER_RATE]: '1000000', [FOLLOWER_RATE]: '1000000' }, 2: { [LEADER_RATE]: '5', [FOLLOWER_RATE]: '5' } });
    await t.finished([move]);
    expect(calls[0]![0]!.changes.map((c) => [c.name, c.op, c.value])).toEqual([
      [LEADER_REPLICAS, AlterConfigOp.SUBTRACT, '3:1,3:2,3:3'],
      [FOLLOWER_REPLICAS, AlterConfigOp.SUBTRACT, '3:4'],
    ]);
    await t.idle();
    expect(calls[1]!.map((r) => [r.resourceName, r.changes.map((c) => [c.name, c.op])])).toEqual([['1', [[LEADER_RATE, AlterConfigOp.DELETE], [FOLLOWER_RATE, AlterConfigOp.DELETE]]]]);
  });

  it('does nothing with a zero rate (moves unthrottled)', async () => {
    const { t, calls } = throttle(0, { 1: { [LEADER_RATE]: '0', [FOLLOWER_RATE]: '0' } });
    await t.started([move]);
    await t.idle();
    expect(calls).toEqual([]);
  });
});
