// The console's charts from Prometheus and its own metrics, on a real SASL cluster (etcd, a
// controller, two brokers exporting metrics, a gateway with ACLs, the console). No Prometheus is
// installed here, so the test process plays it: it scrapes the brokers' real /metrics and answers
// /api/v1/query_range from those scrapes (scrape-prometheus.ts). The charts the console returns
// must equal what the brokers export, cut to what the user's ACLs let them describe; with
// Prometheus down the console falls back to its own sampling and says so.
import { freePort } from '@dms/devcluster';
import { startTestCluster, type TestCluster } from '@dms/testing';
import { ApiClient, consoleUrl, consumeWithGroup, eventually } from './console-harness';
import { parseExposition, ScrapingPrometheus, type Scrape } from './scrape-prometheus';

jest.setTimeout(180_000);

const ADMIN_PW = 'admin-secret';
const admin = { mechanism: 'scram-sha-512' as const, username: 'admin', password: ADMIN_PW };

let tc: TestCluster;
let prom: ScrapingPrometheus;
let api: ApiClient;
let saslBootstrap: string;
let consoleMetricsPort: number;
const brokerPorts = new Map<number, number>();

interface Series { name: string; points: { t: number; v: number }[] }
interface Charts { source: string; sourceError: string | null; series: Series[] }

beforeAll(async () => {
  prom = new ScrapingPrometheus();
  const promUrl = await prom.start();
  for (const id of [1, 2]) brokerPorts.set(id, await freePort());
  consoleMetricsPort = await freePort();
  tc = await startTestCluster({
    brokers: 2,
    controllers: 1,
    gateways: 1,
    console: true,
    gatewayListeners: ['SASL_PLAINTEXT'],
    scramUsers: [{ name: 'admin', password: ADMIN_PW, mechanism: 'SCRAM-SHA-512' }],
    config: {
      gateway: { 'authorizer.class.name': 'dms', 'super.users': 'User:admin' },
      broker: (id: number) => ({ 'metrics.port': brokerPorts.get(id)!, 'metrics.consumer.lag.interval.ms': 200 }),
      console: { 'console.prometheus.url': promUrl, 'metrics.port': consoleMetricsPort, 'console.sampling.interval.ms': 1000 },
    },
  });
  prom.targets = [...brokerPorts.values()].map((p) => `127.0.0.1:${p}`);
  saslBootstrap = `127.0.0.1:${tc.cluster.service('gateway', 1).ports.saslPlaintextPort}`;
  api = new ApiClient(consoleUrl(tc));
  expect((await api.post('/auth/login', { username: 'admin', password: ADMIN_PW })).status).toBe(200);
});

afterAll(async () => {
  await tc?.cleanup();
  await prom?.stop();
});

/** Sum of a metric's samples in one scrape over the labels given. */
const total = (s: Scrape, name: string, labels: Record<string, string>) =>
  s.samples.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((n, x) => n + x.value, 0);

const seriesOf = (c: Charts, name: string) => c.series.find((s) => s.name === name);

async function produce(topic: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) expect((await api.post('/messages/produce', { topic, key: `k${i % 3}`, value: `v${i}` })).status).toBe(200);
}

it('draws throughput and lag from Prometheus, equal to what the brokers export', async () => {
  expect((await api.post('/topics', { name: 'prom-a', partitions: 2, replicationFactor: 2 })).status).toBe(200);
  expect((await api.post('/topics', { name: 'prom-b', partitions: 1, replicationFactor: 2 })).status).toBe(200);
  await produce('prom-a', 10);
  await produce('prom-b', 5);
  expect(await consumeWithGroup([saslBootstrap], 'prom-a', 'prom-g', 10, admin)).toBeGreaterThanOrEqual(10);
  expect(await consumeWithGroup([saslBootstrap], 'prom-b', 'prom-g', 5, admin)).toBeGreaterThanOrEqual(5);
  // Committed offsets reach the coordinator's lag metric within a round or two.
  await eventually('lag 0 exported', async () => {
    const s = await prom.scrape();
    return total(s, 'kafka_consumergroup_lag', { consumergroup: 'prom-g' }) === 0 && s.samples.some((x) => x.name === 'kafka_consumergroup_lag' && x.labels.topic === 'prom-b');
  });
  const first = prom.scrapes.at(-1)!;
  await produce('prom-a', 6);
  await produce('prom-b', 4);
  const last = await eventually('lag 6 and 4 exported', async () => {
    const s = await prom.scrape();
    const ok = total(s, 'kafka_consumergroup_lag', { consumergroup: 'prom-g', topic: 'prom-a' }) === 6
      && total(s, 'kafka_consumergroup_lag', { consumergroup: 'prom-g', topic: 'prom-b' }) === 4;
    return ok ? s : undefined;
  });

  const charts = (await api.get<Charts>('/charts')).body;
  expect([charts.source, charts.sourceError]).toEqual(['prometheus', null]);
  expect(prom.queries.some((q) => q.includes('kafka_server_messages_in_total'))).toBe(true);

  // Lag: the last point is the coordinator's exported figure, per topic and in total.
  expect(seriesOf(charts, 'group.lag:prom-g:prom-a')!.points.at(-1)!.v).toBe(total(last, 'kafka_consumergroup_lag', { consumergroup: 'prom-g', topic: 'prom-a' }));
  expect(seriesOf(charts, 'group.lag:prom-g:prom-b')!.points.at(-1)!.v).toBe(4);
  expect(seriesOf(charts, 'group.lag:prom-g')!.points.at(-1)).toEqual({ t: last.t, v: 10 });

  // Messages in: the rate integrated over the scrapes is the brokers' counter difference (6 and 4).
  for (const [topic, produced] of [['prom-a', 6], ['prom-b', 4]] as const) {
    const points = seriesOf(charts, `topic.messagesInPerSec:${topic}`)!.points.filter((p) => p.t > first.t);
    const times = prom.scrapes.filter((s) => s.t >= first.t).map((s) => s.t);
    const integral = points.reduce((n, p) => n + (p.v * (p.t - times[times.indexOf(p.t) - 1]!)) / 1000, 0);
    const exported = total(last, 'kafka_server_messages_in_total', { topic }) - total(first, 'kafka_server_messages_in_total', { topic });
    expect([topic, exported]).toEqual([topic, produced]);
    expect(integral).toBeCloseTo(exported, 3);
  }
  expect(seriesOf(charts, 'topic.bytesInPerSec:prom-a')!.points.some((p) => p.v > 0)).toBe(true);

  // A group page asks for its series by prefix and gets only those.
  const page = (await api.get<Charts>(`/charts?prefix=${encodeURIComponent('group.lag:prom-g')}`)).body;
  expect(page.series.map((s) => s.name).sort()).toEqual(['group.lag:prom-g', 'group.lag:prom-g:prom-a', 'group.lag:prom-g:prom-b']);
});

it("shows a user only the topics and groups their ACLs let them describe", async () => {
  expect((await api.post('/users', { user: 'viewer', password: 'viewer-secret' })).status).toBe(200);
  for (const [resourceType, resourceName] of [['TOPIC', 'prom-a'], ['GROUP', 'prom-g']]) {
    expect((await api.post('/acls', { principal: 'User:viewer', operation: 'DESCRIBE', resourceType, resourceName })).status).toBe(200);
  }
  const viewer = new ApiClient(consoleUrl(tc));
  await eventually('viewer logs in', async () => (await viewer.post('/auth/login', { username: 'viewer', password: 'viewer-secret' })).status === 200);
  await prom.scrape();
  const charts = await eventually('viewer sees prom-a and prom-g', async () => {
    const c = (await viewer.get<Charts>('/charts')).body;
    return seriesOf(c, 'group.lag:prom-g:prom-a') ? c : undefined;
  });
  expect(charts.source).toBe('prometheus');
  const names = charts.series.map((s) => s.name).sort();
  expect(names).toEqual(['group.lag:prom-g', 'group.lag:prom-g:prom-a', 'topic.bytesInPerSec:prom-a', 'topic.messagesInPerSec:prom-a']);
  // The group's total counts only the topic the viewer may describe.
  expect(seriesOf(charts, 'group.lag:prom-g')!.points.at(-1)!.v).toBe(6);
  // The admin still sees both.
  expect((await api.get<Charts>('/charts')).body.series.some((s) => s.name === 'topic.messagesInPerSec:prom-b')).toBe(true);
});

it("falls back to the console's own sampling when Prometheus does not answer, and says why", async () => {
  prom.failing = true;
  try {
    const c = (await api.get<Charts>('/charts')).body;
    expect(c.source).toBe('console');
    expect(c.sourceError).toMatch(/Prometheus at http:\/\/127\.0\.0\.1:\d+: query_range answered 503: down for the test/);
    // The sampler has been running all along with the admin's client.
    await api.post('/charts/sample');
    expect((await api.get<Charts>('/charts')).body.series.some((s) => s.name === 'group.lag:prom-g')).toBe(true);
  } finally {
    prom.failing = false;
  }
  expect((await api.get<Charts>('/charts')).body.source).toBe('prometheus');
});

it('exports its own metrics: requests by route and status, latency, sessions, login failures, searches', async () => {
  const bad = new ApiClient(consoleUrl(tc));
  expect((await bad.post('/auth/login', { username: 'admin', password: 'wrong' })).status).toBe(401);
  const found = await api.post('/messages/search', { mode: 'key', topic: 'prom-a', key: 'k1' });
  expect(found.status).toBe(200);
  expect(found.body.records.length).toBeGreaterThan(0);
  expect((await api.get('/topics/no-such-topic')).status).toBeGreaterThanOrEqual(400);

  const text = await (await fetch(`http://127.0.0.1:${consoleMetricsPort}/metrics`)).text();
  const samples = parseExposition(text);
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
  expect(value('dms_console_http_requests_total', { route: '/api/charts', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(5);
  expect(value('dms_console_http_requests_total', { route: '/api/auth/login', method: 'POST', status: '401' })).toBe(1);
  // Route patterns, never raw URLs: a topic name is not a label value.
  expect(samples.some((s) => s.name === 'dms_console_http_requests_total' && s.labels.route?.includes('no-such-topic'))).toBe(false);
  expect(value('dms_console_http_request_latency_count', { route: '/api/charts' })).toBeGreaterThanOrEqual(5);
  expect(value('dms_console_sessions')).toBe(2); // admin and viewer
  expect(value('dms_console_login_failures_total', { mechanism: 'SCRAM-SHA-512' })).toBe(1);
  const source = found.body.keyIndex ? 'key_index' : 'fetch';
  expect(value('dms_console_searches_total', { mode: 'key', source })).toBe(1);
  expect(value('dms_console_search_bytes_read_total', { mode: 'key', source })).toBe(found.body.scannedBytes);
  expect(found.body.scannedBytes).toBeGreaterThan(0);
  expect(value('kafka_network_processor_avg_idle_percent')).toBeGreaterThan(0);
});
