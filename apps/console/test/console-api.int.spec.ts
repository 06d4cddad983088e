// The console's HTTP API against a real dev cluster (etcd, controller, 3 brokers, gateway and the
// console as processes), without SASL: no login, one shared session.
import { startTestCluster, type TestCluster } from '@dms/testing';
import { ApiClient, consoleUrl, consumeWithGroup, eventually, joinAndStay } from './console-harness';

jest.setTimeout(180_000);

let tc: TestCluster;
let api: ApiClient;

beforeAll(async () => {
  tc = await startTestCluster({ brokers: 3, controllers: 1, gateways: 1, console: true });
  api = new ApiClient(consoleUrl(tc));
});

afterAll(async () => {
  await tc?.cleanup();
});

it('needs no login on a cluster without SASL and shows the overview', async () => {
  expect((await api.get('/auth/status')).body).toEqual({ loginRequired: false, user: null, mechanism: null });
  const o = (await api.get('/overview')).body;
  expect(o.brokers).toHaveLength(1);
  expect(o.brokers[0].port).toBe(Number(tc.bootstrap.split(':')[1]));
  expect(o.controllerId).toBe(o.brokers[0].nodeId);
  // Three storage brokers behind the one gateway, each with its log dir.
  expect(o.logDirs).toHaveLength(3);
  expect(o.logDirs.every((d: { errorCode: number; totalBytes: number }) => d.errorCode === 0 && d.totalBytes > 0)).toBe(true);
  const ready = tc.cluster.status();
  expect(ready.consoleUrl).toBe(consoleUrl(tc));
  expect(ready.processes.find((p) => p.role === 'console')?.ports.httpPort).toBeGreaterThan(0);
});

it('refuses changes without the CSRF header, from another origin, or as a form post', async () => {
  expect((await api.call('POST', '/topics', { name: 'x' }, { 'x-dms-console': '' })).status).toBe(403);
  expect((await api.call('POST', '/topics', { name: 'x' }, { origin: 'http://evil.example' })).status).toBe(403);
  expect((await api.call('POST', '/topics', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
  expect((await api.get('/topics')).body.find((t: { name: string }) => t.name === 'x')).toBeUndefined();
});

it('creates, configures, grows and deletes a topic, with Kafka errors for bad requests', async () => {
  const created = await api.post('/topics', { name: 'api-orders', partitions: 2, replicationFactor: 3, configs: { 'retention.ms': '86400000' } });
  expect(created).toEqual({ status: 200, body: { name: 'api-orders', created: true } });
  const again = await api.post('/topics', { name: 'api-orders', partitions: 2 });
  expect(again.status).toBe(409);
  expect(again.body.errorName).toBe('TOPIC_ALREADY_EXISTS');
  expect((await api.post('/topics', { name: 'bad', replicationFactor: 9 })).body.errorName).toBe('INVALID_REPLICATION_FACTOR');
  expect((await api.post('/topics', { name: 'bad', partitions: 'many' })).status).toBe(400);

  const list = (await api.get('/topics')).body;
  expect(list.find((t: { name: string }) => t.name === 'api-orders')).toMatchObject({ partitions: 2, replicationFactor: 3, offline: 0 });
  const detail = (await api.get('/topics/api-orders')).body;
  expect(detail.configs.find((c: { name: string }) => c.name === 'retention.ms')).toMatchObject({ value: '86400000', source: 'DYNAMIC_TOPIC_CONFIG' });

  expect((await api.call('PUT', '/topics/api-orders/configs', { set: { 'cleanup.policy': 'compact' }, remove: ['retention.ms'] })).status).toBe(200);
  const after = (await api.get('/topics/api-orders')).body.configs;
  expect(after.find((c: { name: string }) => c.name === 'cleanup.policy')).toMatchObject({ value: 'compact', source: 'DYNAMIC_TOPIC_CONFIG' });
  expect(after.find((c: { name: string }) => c.name === 'retention.ms').source).not.toBe('DYNAMIC_TOPIC_CONFIG');
  expect((await api.call('PUT', '/topics/api-orders/configs', { set: { 'no.such.config': '1' } })).body.errorName).toBe('INVALID_CONFIG');

  expect((await api.post('/topics/api-orders/partitions', { count: 4 })).status).toBe(200);
  expect((await api.get('/topics/api-orders')).body.partitions).toHaveLength(4);
  expect((await api.post('/topics/api-orders/partitions', { count: 2 })).body.errorName).toBe('INVALID_PARTITIONS');

  expect((await api.call('DELETE', '/topics/api-orders')).status).toBe(200);
  expect((await api.get('/topics/api-orders')).status).toBe(404);
});

it('produces through the form and finds messages by offset, time and key', async () => {
  await api.post('/topics', { name: 'api-msgs', partitions: 3, replicationFactor: 1 });
  const before = Date.now();
  const produced = [];
  for (let i = 0; i < 12; i++) {
    const r = await api.post('/messages/produce', { topic: 'api-msgs', key: `k${i % 4}`, value: JSON.stringify({ i }), headers: [{ key: 'n', value: String(i) }] });
    expect(r.status).toBe(200);
    produced.push(r.body);
  }
  const fixed = await api.post('/messages/produce', { topic: 'api-msgs', partition: 2, key: 'k1', value: 'de ad', valueFormat: 'hex' });
  expect(fixed.body.partition).toBe(2);
  expect((await api.post('/messages/produce', { topic: 'api-msgs', partition: 7, value: 'x' })).status).toBe(400);
  expect((await api.post('/messages/produce', { topic: 'api-msgs', value: '{', valueFormat: 'json' })).status).toBe(400);

  const first = produced[0];
  const byOffset = (await api.post('/messages/search', { mode: 'offset', topic: 'api-msgs', partition: first.partition, offset: first.offset, limit: 1 })).body;
  expect(byOffset.records).toHaveLength(1);
  expect(byOffset.records[0]).toMatchObject({ partition: first.partition, offset: first.offset, key: { text: 'k0' }, headers: [{ key: 'n', value: { text: '0' } }] });
  expect(byOffset.records[0].value.json).toBe('{\n  "i": 0\n}');

  const byTime = (await api.post('/messages/search', { mode: 'time', topic: 'api-msgs', from: before, to: Date.now() })).body;
  expect(byTime.records).toHaveLength(13);
  expect(byTime.complete).toBe(true);
  const none = (await api.post('/messages/search', { mode: 'time', topic: 'api-msgs', from: Date.now() + 60_000, to: Date.now() + 120_000 })).body;
  expect(none.records).toHaveLength(0);
  const backwards = await api.post('/messages/search', { mode: 'time', topic: 'api-msgs', from: Date.now() + 60_000, to: before });
  expect(backwards.status).toBe(400);

  const byKey = (await api.post('/messages/search', { mode: 'key', topic: 'api-msgs', key: 'k1' })).body;
  // k1 went to its murmur2 partition three times, and once to partition 2 by hand (a hex value).
  expect(byKey.records).toHaveLength(4);
  expect(byKey.records.every((r: { key: { text: string } }) => r.key.text === 'k1')).toBe(true);
  expect(byKey.records.some((r: { value: { hex: string } }) => r.value.hex === 'de ad')).toBe(true);
  // Served by the brokers' key index (the dev cluster gives the console etcd and its certificate).
  expect(byKey.keyIndex).toBe(true);
  expect(byKey.complete).toBe(true);
  expect(byKey.scannedBytes).toBeGreaterThan(0);

  expect((await api.post('/messages/search', { mode: 'offset', topic: 'api-msgs', partition: 9, offset: 0 })).status).toBe(404);
  expect((await api.post('/messages/search', { mode: 'key', topic: 'nope', key: 'a' })).status).toBe(404);
  expect((await api.post('/messages/search', { mode: 'sideways', topic: 'api-msgs' })).status).toBe(400);
});

it('shows a group\'s members and lag, refuses a reset while it is active, and resets it to a time', async () => {
  await api.post('/topics', { name: 'api-lag', partitions: 2, replicationFactor: 1 });
  for (let i = 0; i < 10; i++) await api.post('/messages/produce', { topic: 'api-lag', partition: i % 2, value: `v${i}` });
  const middle = Date.now();
  await eventually('a clock tick past the first records', async () => Date.now() > middle + 5);
  for (let i = 10; i < 20; i++) await api.post('/messages/produce', { topic: 'api-lag', partition: i % 2, value: `v${i}` });

  await consumeWithGroup([tc.bootstrap], 'api-lag', 'api-group', 20);
  const g = await eventually('the group\'s committed offsets', async () => {
    const d = (await api.get('/groups/api-group')).body;
    return d.totalLag === '0' && d.offsets.length === 2 && d.state === 'Empty' ? d : undefined;
  });
  expect(g.offsets.map((o: { committedOffset: string }) => o.committedOffset)).toEqual(['10', '10']);
  expect((await api.get('/groups')).body.find((x: { groupId: string }) => x.groupId === 'api-group')).toMatchObject({ state: 'Empty' });

  const member = await joinAndStay([tc.bootstrap], 'api-lag', 'api-group');
  try {
    const d = await eventually('a member', async () => {
      const x = (await api.get('/groups/api-group')).body;
      return x.members.length === 1 && x.members[0].assignment.length > 0 ? x : undefined;
    });
    expect(d.members[0].assignment).toEqual([{ topic: 'api-lag', partitions: [0, 1] }]);
    const refused = await api.post('/groups/api-group/reset', { topic: 'api-lag', strategy: 'earliest', dryRun: true });
    expect(refused.status).toBe(409);
    expect(refused.body.errorName).toBe('NON_EMPTY_GROUP');
  } finally {
    await member.stop();
  }

  const preview = await eventually('the group empty again', async () => {
    const r = await api.post('/groups/api-group/reset', { topic: 'api-lag', strategy: 'time', timestampMs: middle, dryRun: true });
    return r.status === 200 ? r.body : undefined;
  });
  expect(preview.dryRun).toBe(true);
  expect(preview.plan.map((p: { newOffset: string }) => p.newOffset)).toEqual(['5', '5']);
  expect(preview.plan.map((p: { lagAfter: string }) => p.lagAfter)).toEqual(['5', '5']);
  // A dry run commits nothing.
  expect((await api.get('/groups/api-group')).body.totalLag).toBe('0');

  const applied = await api.post('/groups/api-group/reset', { topic: 'api-lag', strategy: 'time', timestampMs: middle, dryRun: false });
  expect(applied.body.dryRun).toBe(false);
  const d = (await api.get('/groups/api-group')).body;
  expect(d.totalLag).toBe('10');
  expect(d.offsets.map((o: { committedOffset: string }) => o.committedOffset)).toEqual(['5', '5']);

  const charts = await eventually('lag samples', async () => {
    await api.post('/charts/sample');
    const c = (await api.get('/charts?prefix=group.lag:api-group')).body;
    return c.series.find((s: { name: string; points: { v: number }[] }) => s.name === 'group.lag:api-group' && s.points.at(-1)?.v === 10) ? c : undefined;
  });
  expect(charts.series.map((s: { name: string }) => s.name)).toContain('group.lag:api-group:api-lag');
});
