// GROUP config resources through the ConfigManager against a real etcd: stored under
// configs/groups/<id>, validated against the broker bounds the controller is given (unknown keys
// and out-of-bound values INVALID_CONFIG with Kafka's message), seen by a ClusterView, and the
// key removed only when the group's last config goes.
import { Etcd3 } from 'etcd3';
import { brokerConfigRecord, ClusterView, controllerLeaderKey, groupConfigKey } from '@dms/cluster';
import { DEFAULT_GROUP_CONFIG_BOUNDS } from '@dms/configs';
import { ErrorCode } from '@dms/kafka-errors';
import { startTestEtcd, type TestEtcd } from '@dms/testing';
import { ConfigManager, type ConfigResourceChange } from './config-manager';

jest.setTimeout(60_000);

const CLUSTER = 'grpcfg';
const GROUP = 32;
let te: TestEtcd;
let client: Etcd3;
let manager: ConfigManager;

const groupChange = (name: string, changes: ConfigResourceChange['changes']): ConfigResourceChange => ({ resourceType: GROUP, resourceName: name, replace: false, changes });
const set = (name: string, value: string) => ({ name, op: 0, value, valueNull: false });
const del = (name: string) => ({ name, op: 1, value: '', valueNull: true });
const stored = async (id: string) => {
  const kv = (await client.get(groupConfigKey(CLUSTER, id)).exec()).kvs[0];
  return kv ? brokerConfigRecord.decode(kv.value)!.configs : undefined;
};

/** Waits (bounded) until the view's revision reaches `rev`. */
function caughtUp(view: ClusterView, rev: bigint): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (view.revision < rev) return;
      clearTimeout(timer);
      view.off('change', check);
      resolve();
    };
    const timer = setTimeout(() => {
      view.off('change', check);
      reject(new Error(`view stuck at ${view.revision}, wanted ${rev}`));
    }, 10_000);
    view.on('change', check);
    check();
  });
}

beforeAll(async () => {
  te = await startTestEtcd();
  client = new Etcd3({ hosts: `http://${te.endpoint}` });
  await client.put(controllerLeaderKey(CLUSTER)).value('{}');
  const fence = String((await client.get(controllerLeaderKey(CLUSTER)).exec()).kvs[0].create_revision);
  // A controller whose brokers allow share locks down to 2 s.
  manager = new ConfigManager({ client, clusterName: CLUSTER, fence: () => fence, groupBounds: { ...DEFAULT_GROUP_CONFIG_BOUNDS, 'group.share.min.record.lock.duration.ms': 2000 } });
});

afterAll(async () => {
  client?.close();
  await te?.cleanup();
});

it('stores a group\'s configs under configs/groups/<id>, seen by a ClusterView, deleted with its last key', async () => {
  const view = new ClusterView(client, CLUSTER).start();
  await view.ready;
  try {
    const [ok] = await manager.alterConfigs([groupChange('orders/work', [set('share.record.lock.duration.ms', ' 2000 '), set('share.auto.offset.reset', 'earliest')])], false);
    expect(ok).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(await stored('orders/work')).toEqual({ 'share.record.lock.duration.ms': '2000', 'share.auto.offset.reset': 'earliest' });
    await caughtUp(view, ok!.revision);
    expect(view.groupConfigs('orders/work')).toEqual({ 'share.record.lock.duration.ms': '2000', 'share.auto.offset.reset': 'earliest' });
    expect(view.groupConfigIds()).toEqual(['orders/work']);

    const [gone] = await manager.alterConfigs([groupChange('orders/work', [del('share.record.lock.duration.ms'), del('share.auto.offset.reset')])], false);
    expect(gone!.errorCode).toBe(ErrorCode.NONE);
    expect(await stored('orders/work')).toBeUndefined();
    await caughtUp(view, gone!.revision);
    expect(view.groupConfigs('orders/work')).toEqual({});
  } finally {
    await view.close();
  }
});

it('refuses unknown keys and values outside the broker bounds with INVALID_CONFIG, writing nothing', async () => {
  const cases: [ConfigResourceChange['changes'], string][] = [
    [[set('session.timeout.ms', '50000')], 'Unknown group config name: session.timeout.ms'],
    [[set('share.record.lock.duration.ms', '1999')], 'share.record.lock.duration.ms must be greater than or equal to group.share.min.record.lock.duration.ms'],
    [[set('consumer.session.timeout.ms', '60001')], 'consumer.session.timeout.ms must be less than or equal to group.consumer.max.session.timeout.ms'],
    [[set('share.delivery.count.limit', '11')], 'share.delivery.count.limit must be less than or equal to group.share.max.delivery.count.limit'],
    [[set('share.auto.offset.reset', 'none')], 'Invalid value none for configuration share.auto.offset.reset: String must be one of: earliest, latest'],
  ];
  for (const [changes, message] of cases) {
    const [r] = await manager.alterConfigs([groupChange('g', changes)], false);
    expect(r).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: message });
  }
  const [validated] = await manager.alterConfigs([groupChange('g', [set('share.delivery.count.limit', '3')])], true);
  expect(validated!.errorCode).toBe(ErrorCode.NONE);
  expect(await stored('g')).toBeUndefined();
  const [empty] = await manager.alterConfigs([groupChange('', [set('share.delivery.count.limit', '3')])], false);
  expect(empty!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
});
