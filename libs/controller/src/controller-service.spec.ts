import { ErrorCode } from '@dms/kafka-errors';
import { createControllerHandlers, type ControllerServiceState } from './controller-service';
import type { TopicResult } from './topic-manager';

function state(leader: boolean): ControllerServiceState & { calls: string[] } {
  const calls: string[] = [];
  const ok = (name: string): TopicResult => ({
    name, errorCode: 0, errorMessage: '', topicId: 'id', numPartitions: 1, replicationFactor: 1, configs: {},
  });
  return {
    calls,
    isLeader: () => leader,
    clusterId: () => 'AAAAAAAAAAAAAAAAAAAAAA',
    leaderId: () => (leader ? 1 : 2),
    topicManager: {
      createTopics: async (specs) => (calls.push('create'), specs.map((s) => ok(s.name))),
      deleteTopics: async (names) => (calls.push('delete'), names.map(ok)),
      createPartitions: async (specs, validateOnly) => (calls.push(`partitions${validateOnly ? ' (validate)' : ''}`), specs.map((p) => ({ name: p.name, errorCode: 0, errorMessage: '' }))),
    },
  };
}

const spec = (name: string) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: {} });

describe('controller service handlers', () => {
  it('a standby answers NOT_CONTROLLER for every topic and touches nothing', async () => {
    const s = state(false);
    const h = createControllerHandlers(s);
    const created = await h.createTopics({ topics: [spec('a'), spec('b')], validateOnly: false, timeoutMs: 0, traceContext: {} });
    expect(created.topics.map((t) => [t.name, t.errorCode])).toEqual([['a', ErrorCode.NOT_CONTROLLER], ['b', ErrorCode.NOT_CONTROLLER]]);
    const deleted = await h.deleteTopics({ names: ['a'], timeoutMs: 0, traceContext: {} });
    expect(deleted.topics[0].errorCode).toBe(ErrorCode.NOT_CONTROLLER);
    expect(s.calls).toEqual([]);
  });

  it('the leader delegates to the topic manager', async () => {
    const s = state(true);
    const h = createControllerHandlers(s);
    const created = await h.createTopics({ topics: [spec('a')], validateOnly: false, timeoutMs: 0, traceContext: {} });
    expect(created.topics[0]).toMatchObject({ name: 'a', errorCode: 0 });
    await h.deleteTopics({ names: ['a'], timeoutMs: 0, traceContext: {} });
    expect(s.calls).toEqual(['create', 'delete']);
  });

  it('CreatePartitions: a standby answers NOT_CONTROLLER per topic, the leader delegates', async () => {
    const req = { topics: [{ name: 'a', count: 3, explicitAssignment: false, assignments: [] }], validateOnly: true, timeoutMs: 0, traceContext: {} };
    const standby = state(false);
    expect((await createControllerHandlers(standby).createPartitions(req)).topics).toEqual([{ name: 'a', errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'This is not the active controller.' }]);
    expect(standby.calls).toEqual([]);
    const leader = state(true);
    expect((await createControllerHandlers(leader).createPartitions(req)).topics).toEqual([{ name: 'a', errorCode: 0, errorMessage: '' }]);
    expect(leader.calls).toEqual(['partitions (validate)']);
  });

  it('DescribeCluster returns the cluster id and the leader id', async () => {
    expect(await createControllerHandlers(state(false)).describeCluster({})).toEqual({
      clusterId: 'AAAAAAAAAAAAAAAAAAAAAA',
      controllerId: 2,
    });
  });

  it('DecommissionBroker: a standby answers NOT_CONTROLLER, the leader delegates with the cancel flag', async () => {
    const standby = state(false);
    expect(await createControllerHandlers(standby).decommissionBroker({ brokerId: 3, cancel: false })).toMatchObject({ errorCode: ErrorCode.NOT_CONTROLLER, replicas: -1 });
    const leader = { ...state(true), decommissionBroker: async (id: number, cancel: boolean) => ({ errorCode: 0, errorMessage: `${id}/${cancel}`, replicas: 4, leaders: 1 }) };
    expect(await createControllerHandlers(leader).decommissionBroker({ brokerId: 3, cancel: true })).toEqual({ errorCode: 0, errorMessage: '3/true', replicas: 4, leaders: 1 });
  });
});
