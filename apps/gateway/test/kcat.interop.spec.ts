// Real librdkafka (kcat from Debian) against a real cluster: 1 controller, 3 brokers, 1 gateway.
import { cleanup, runCli, startTestCluster, type TestCluster } from '@dms/testing';
import { runProcess } from './run-process';

jest.setTimeout(180_000);

let tc: TestCluster;

beforeAll(async () => {
  tc = await startTestCluster({ brokers: 3, controllers: 1, gateways: 1 });
});

afterAll(async () => {
  await cleanup();
});

const kcat = (args: string[], input?: string, timeoutMs = 90_000) => runProcess('kcat', ['-b', tc.bootstrap, ...args], { input, timeoutMs });

describe('kcat', () => {
  it('lists the gateway as the broker, and topics with their partitions', async () => {
    const created = await kcat(['-P', '-t', 'kcat-list', '-K:'], 'a:1\n');
    expect(created.code).toBe(0);
    const res = await kcat(['-L', '-t', 'kcat-list']);
    expect(res.code).toBe(0);
    const port = tc.bootstrap.split(':')[1];
    expect(res.stdout).toMatch(new RegExp(`broker 1 at 127\\.0\\.0\\.1:${port}`));
    expect(res.stdout).toContain('topic "kcat-list" with 1 partitions');
    expect(res.stdout).toMatch(/partition 0, leader 1, replicas: \d, isrs: \d/);
  });

  it('produces 100,000 keyed messages into 3 partitions and consumes every one, in order per partition', async () => {
    const topic = 'kcat-100k';
    const admin = await runCli(['topics', 'create', topic, '--partitions', '3', '--bootstrap-server', tc.bootstrap]);
    expect(admin.stderr).toBe('');
    expect(admin.code).toBe(0);
    const n = 100_000;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(`key-${i % 97}:value-${i}`);
    const produced = await kcat(['-P', '-t', topic, '-K:', '-X', 'linger.ms=5'], lines.join('\n') + '\n', 120_000);
    expect(produced.code).toBe(0);
    expect(produced.stderr).not.toMatch(/ERROR|failed/i);
    const consumed = await kcat(['-C', '-t', topic, '-e', '-o', 'beginning', '-f', '%p\t%o\t%k\t%s\n'], undefined, 120_000);
    expect(consumed.code).toBe(0);
    const rows = consumed.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
    expect(rows).toHaveLength(n);
    // Every message exactly once, with its key.
    const seen = new Set<number>();
    const lastOffset = new Map<string, number>();
    const lastSeqPerKey = new Map<string, number>();
    for (const [p, o, k, v] of rows) {
      const i = Number(v.slice('value-'.length));
      expect(k).toBe(`key-${i % 97}`);
      seen.add(i);
      // Offsets rise by one per partition, and a key's messages keep their produce order.
      expect(Number(o)).toBe((lastOffset.get(p) ?? -1) + 1);
      lastOffset.set(p, Number(o));
      expect(i).toBeGreaterThan(lastSeqPerKey.get(k) ?? -1);
      lastSeqPerKey.set(k, i);
    }
    expect(seen.size).toBe(n);
    expect([...lastOffset.keys()].sort()).toEqual(['0', '1', '2']);
  });

  it.each(['gzip', 'snappy', 'lz4', 'zstd'])('round-trips %s-compressed batches', async (codec) => {
    const topic = `kcat-${codec}`;
    const input = Array.from({ length: 500 }, (_, i) => `k${i}:${codec}-${i}-${'x'.repeat(i % 50)}`).join('\n') + '\n';
    const p2 = await kcat(['-P', '-t', topic, '-K:', '-z', codec], input);
    expect(p2.code).toBe(0);
    const consumed = await kcat(['-C', '-t', topic, '-e', '-f', '%k:%s\n']);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout).toBe(input);
  });
});
