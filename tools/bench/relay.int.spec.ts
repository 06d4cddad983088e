// The bundled relay (dist/tools/bench/relay.js) as the bench meets it: a real process on a free
// port of 127.0.0.1, an open-loop produce with consumers reading while it runs, CPU sampled from
// the relay's cluster file, and the table command against it. Needs `node tools/build/build.mjs`.
import { join } from 'node:path';
import { KafkaClient, LATEST_TIMESTAMP } from '@dms/kafka-client';
import { repoRoot, runProcess } from '@dms/testing';
import { runBench } from './main';
import { parseBenchArgs } from './options';
import { startRelayProcess, type RelayProcess } from './relay-process';

jest.setTimeout(90_000);

describe('relay baseline', () => {
  let relay: RelayProcess;
  let bootstrap: string;
  const dist = join(repoRoot(), 'dist', 'tools', 'bench');

  beforeAll(async () => {
    relay = await startRelayProcess(join(dist, 'relay.js'));
    bootstrap = relay.bootstrap;
  });

  afterAll(async () => {
    await relay?.stop();
  });

  it('takes an open-loop produce while two consumers read everything back, and reports its CPU', async () => {
    const o = parseBenchArgs(['produce', '--bootstrap-server', bootstrap, '--topic', 'open', '--partitions', '6', '--replication-factor', '3',
      '--topic-config', 'min.insync.replicas=2', '--record-size', '1024', '--batch-size', '1', '--rate', '500', '--consumers', '2',
      '--duration-s', '1', '--cluster-file', relay.clusterFile]);
    const report = await runBench(o);
    const [produce, consume] = report.results;
    expect(produce.errors).toEqual({});
    expect(produce.records).toBe(500);
    expect(produce.openLoop!.achievedPerSec).toBeGreaterThan(400);
    expect(consume.phase).toBe('concurrent-consume');
    expect(consume.records).toBe(500);
    expect(consume.endToEndMs!.p50).not.toBeNull();
    expect(Object.keys(produce.cpu!.roles).sort()).toEqual(['bench', 'relay']);
    expect(produce.cpu!.processes.find((p) => p.role === 'relay')!.pid).toBe(relay.pid);
    expect(produce.cpu!.total.cpuSeconds).toBeGreaterThan(0);
    // What the relay holds is what was acknowledged.
    const client = new KafkaClient({ bootstrapServers: bootstrap, clientId: 'check', retries: 0 });
    try {
      let stored = 0n;
      for (let p = 0; p < 6; p++) stored += (await client.listOffsets('open', p, LATEST_TIMESTAMP)).offset;
      expect(stored).toBe(500n);
    } finally {
      client.close();
    }
  });

  it('runs produce then consume closed loop, and the table command prints its rows', async () => {
    const report = await runBench(parseBenchArgs(['both', '--bootstrap-server', bootstrap, '--topic', 'closed', '--partitions', '3',
      '--record-size', '1024', '--batch-size', '10', '--in-flight', '4', '--duration-s', '0.5']));
    const [produce, consume] = report.results;
    expect(produce.records).toBeGreaterThan(0);
    expect(consume.records).toBe(produce.records);

    // The table against this relay as "the cluster", with a second relay it starts itself as the baseline.
    const res = await runProcess(process.execPath, [join(dist, 'main.js'), 'table', '--bootstrap-server', bootstrap, '--cluster-file', relay.clusterFile,
      '--baseline-relay', '--duration-s', '0.5', '--only', 'rf1-1k,acks1-rf1-unbounded,consume'], { timeoutMs: 60_000 });
    expect(res.stderr).not.toMatch(/failed/);
    expect(res.code).toBe(0);
    const rows = res.stdout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| case'));
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatch(/^\| acks=all, RF 1, linger 0, batch 1 \| dms \| 1,000 rec\/s \| \d[\d,]* rec\/s \| .* relay \d/);
    expect(rows[1]).toMatch(/^\| acks=all, RF 1, linger 0, batch 1 \| relay \| 1,000 rec\/s \| \d[\d,]* rec\/s \| .* relay \d/);
    // The relay the table started is gone once it has printed.
    const started = /started a relay at \S+ \(pid (\d+)\)/.exec(res.stderr);
    expect(started).not.toBeNull();
    expect(() => process.kill(Number(started![1]), 0)).toThrow();
    expect(res.stdout).toContain(`node dist/tools/bench/main.js consume --bootstrap-server ${bootstrap}`);
  });
});
