import type { BenchReport } from './main';
import { parseBenchArgs } from './options';
import { caseArgs, checkCaseArgs, formatTable, parseTableArgs, runTable, TABLE_CASES } from './table';

const report = (phase: 'produce' | 'consume', extra: object = {}): BenchReport => ({
  conditions: {} as BenchReport['conditions'],
  results: [{
    phase, seconds: 10, requests: 10_000, records: 10_000, bytes: 10_940_000, mbPerSec: 1.094, recordsPerSec: 1000,
    latencyMs: { p50: 1.234, p99: 12.34, p999: 123.4, max: 200 }, errors: {}, ...extra,
  }],
});

describe('bench table', () => {
  it('parses its options and refuses unknown cases', () => {
    const o = parseTableArgs(['--bootstrap-server', 'h:1', '--cluster-file', 'c.json', '--baseline-bootstrap', 'h:2', '--duration-s', '5', '--only', 'rf3-1k, consume']);
    expect(o).toMatchObject({ bootstrapServer: 'h:1', clusterFile: 'c.json', baselineBootstrap: 'h:2', durationS: 5, only: ['rf3-1k', 'consume'], consumers: 0, json: false });
    expect(parseTableArgs(['--bootstrap-server', 'h:1']).durationS).toBe(10);
    expect(() => parseTableArgs(['--bootstrap-server', 'h:1', '--only', 'nope'])).toThrow(/unknown case/);
    expect(() => parseTableArgs(['--bootstrap-server', 'h:1', '--duration-s', '0'])).toThrow(/duration-s/);
    expect(parseTableArgs(['--bootstrap-server', 'h:1', '--baseline-relay']).baselineRelay).toBe(true);
    expect(() => parseTableArgs(['--bootstrap-server', 'h:1', '--baseline-relay', '--baseline-bootstrap', 'h:2'])).toThrow(/not both/);
  });

  it('gives every case a valid bench command: 6 partitions, 1 KiB records, min.insync.replicas=2 with RF 3', () => {
    const o = parseTableArgs(['--bootstrap-server', 'h:1', '--cluster-file', 'c.json', '--consumers', '2']);
    expect(() => checkCaseArgs(o)).not.toThrow();
    for (const c of TABLE_CASES) {
      const b = parseBenchArgs(caseArgs(c, o, { bootstrap: 'h:1', clusterFile: 'c.json' }, 't', c.consumes ? 'consume' : 'produce'));
      expect(b).toMatchObject({ partitions: 6, recordSize: 1024, replicationFactor: c.rf, acks: c.acks, durationS: 10, clusterFile: 'c.json' });
      expect(b.topicConfig).toEqual(c.rf === 3 ? { 'min.insync.replicas': '2' } : {});
      expect(b.consumers).toBe(b.rate !== undefined ? 2 : 0);
    }
    const byId = new Map(TABLE_CASES.map((c) => [c.id, parseBenchArgs(caseArgs(c, o, { bootstrap: 'h:1' }, 't', c.consumes ? 'consume' : 'produce'))]));
    expect(byId.get('rf3-1k')).toMatchObject({ rate: 1000, batchSize: 1, lingerMs: 0 });
    expect(byId.get('rf3-linger5-10k')).toMatchObject({ rate: 10_000, lingerMs: 5, batchSize: 100 });
    expect(byId.get('acks1-rf1-30k-req')).toMatchObject({ requestRate: 30_000, batchSize: 1, acks: 1, replicationFactor: 1 });
    expect(byId.get('rf3-15k-req')).toMatchObject({ requestRate: 15_000, acks: -1, replicationFactor: 3 });
  });

  it('--warmup-s warms every case that only produces, not the consume case nor cases with tailing consumers', async () => {
    const o = parseTableArgs(['--bootstrap-server', 'h:1', '--warmup-s', '3', '--consumers', '1']);
    expect(o.warmupS).toBe(3);
    expect(parseTableArgs(['--bootstrap-server', 'h:1']).warmupS).toBe(0);
    expect(() => parseTableArgs(['--bootstrap-server', 'h:1', '--warmup-s', '-1'])).toThrow(/warmup-s/);
    expect(() => checkCaseArgs(o)).not.toThrow();
    for (const c of TABLE_CASES) {
      const b = parseBenchArgs(caseArgs(c, o, { bootstrap: 'h:1' }, 't', c.consumes ? 'consume' : 'produce'));
      expect(b.warmupS).toBe(c.consumes || b.consumers > 0 ? 0 : 3);
    }
    const calls: string[][] = [];
    await runTable(parseTableArgs(['--bootstrap-server', 'dms:1', '--only', 'consume', '--warmup-s', '3']), async (args) => { calls.push(args); return report('consume'); });
    expect(parseBenchArgs(calls[0])).toMatchObject({ mode: 'both', warmupS: 0 });
  });

  it('runs the cases in order on fresh topics, each against the cluster then the relay, consume reading an earlier topic', async () => {
    const o = parseTableArgs(['--bootstrap-server', 'dms:1', '--baseline-bootstrap', 'relay:2', '--only', 'acks1-rf1-unbounded,consume,rf3-1k']);
    const calls: string[][] = [];
    const rows = await runTable(o, async (args) => {
      calls.push(args);
      if (args.includes('rf3-1k') || args.some((a) => a.includes('rf3-1k'))) throw new Error('cluster down');
      return report(args[0] === 'consume' ? 'consume' : 'produce');
    });
    expect(rows.map((r) => `${r.caseId}/${r.system}`)).toEqual([
      'rf3-1k/dms', 'rf3-1k/relay', 'acks1-rf1-unbounded/dms', 'acks1-rf1-unbounded/relay', 'consume/dms', 'consume/relay',
    ]);
    expect(calls.map((a) => a[a.indexOf('--bootstrap-server') + 1])).toEqual(['dms:1', 'relay:2', 'dms:1', 'relay:2', 'dms:1', 'relay:2']);
    const topics = calls.map((a) => a[a.indexOf('--topic') + 1]);
    expect(new Set(topics.slice(0, 4)).size).toBe(2);
    expect(topics[4]).toBe(topics[2]);
    expect(calls[4][0]).toBe('consume');
    expect(rows[0].error).toBe('cluster down');
    expect(rows[4].command).toBe(`node dist/tools/bench/main.js ${calls[4].join(' ')}`);
  });

  it("deletes each case's topic from the cluster once no later case reads it, unless --keep-topics", async () => {
    const o = parseTableArgs(['--bootstrap-server', 'dms:1', '--baseline-bootstrap', 'relay:2', '--only', 'rf3-1k,acks1-rf1-unbounded,consume,rf3-15k-req']);
    const events: string[] = [];
    const logged: string[] = [];
    await runTable(
      o,
      async (args) => {
        events.push(`run ${args[0]} ${args[args.indexOf('--topic') + 1]} at ${args[args.indexOf('--bootstrap-server') + 1]}`);
        return report(args[0] === 'consume' ? 'consume' : 'produce');
      },
      (line) => logged.push(line),
      async (topic) => {
        events.push(`drop ${topic}`);
        if (topic.includes('rf3-15k-req')) throw new Error('broker gone');
      },
    );
    const names = (id: string) => expect.stringMatching(new RegExp(`^bench-table-${id}-[a-z0-9]+$`));
    const topic = (e: string) => e.split(' ')[e.startsWith('run') ? 2 : 1];
    expect(events.map((e) => e.replace(/ bench-table-\S+/, ''))).toEqual([
      'run produce at dms:1', 'run produce at relay:2', 'drop',
      'run produce at dms:1', 'run produce at relay:2', // read by the consume case: kept until it ran
      'run consume at dms:1', 'run consume at relay:2', 'drop',
      'run produce at dms:1', 'run produce at relay:2', 'drop',
    ]);
    expect([topic(events[2]!), topic(events[7]!), topic(events[10]!)]).toEqual([names('rf3-1k'), names('acks1-rf1-unbounded'), names('rf3-15k-req')]);
    expect(topic(events[5]!)).toBe(topic(events[7]!));
    expect(logged.filter((l) => l.startsWith('could not delete'))).toEqual([expect.stringContaining('broker gone')]);

    const kept: string[] = [];
    await runTable(parseTableArgs(['--bootstrap-server', 'dms:1', '--only', 'rf3-1k', '--keep-topics']), async () => report('produce'), undefined, async (t) => void kept.push(t));
    expect(kept).toEqual([]);
  });

  it('without the topic it reads, the consume case produces first', async () => {
    const o = parseTableArgs(['--bootstrap-server', 'dms:1', '--only', 'consume']);
    const calls: string[][] = [];
    await runTable(o, async (args) => { calls.push(args); return report('consume'); });
    expect(calls).toHaveLength(1);
    expect(calls[0][0]).toBe('both');
    expect(parseBenchArgs(calls[0])).toMatchObject({ batchSize: 100, acks: 1, replicationFactor: 1 });
  });

  it('prints one markdown row per case and system, with CPU per 100 MB by role and failures', () => {
    const cpu = { processes: [], roles: { broker: { cpuSeconds: 3, per100MB: 27.4, per10kRequests: 3, processes: 3 } }, total: { cpuSeconds: 3, per100MB: 27.4, per10kRequests: 3 } };
    const openLoop = { unit: 'records', targetPerSec: 1000, achievedPerSec: 999.6, scheduled: 10_000, producers: 1, lingerMs: 0, sent: 10_000, lateSends: 7, lateThresholdMs: 2, unanswered: 3, sendLagMs: { p50: 0.5, p99: 1, max: 3 }, latencyPer: 'record' };
    const text = formatTable([
      { caseId: 'rf3-1k', system: 'dms', command: 'x', report: report('produce', { cpu, openLoop }) },
      { caseId: 'rf3-1k', system: 'relay', command: 'y', error: 'refused' },
      { caseId: 'consume', system: 'dms', command: 'z', report: report('consume') },
    ]);
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[2]).toBe('| acks=all, RF 3, linger 0, batch 1 | dms | 1,000 rec/s | 1,000 rec/s | 1.23 / 12.3 / 123.4 | 1.1 | 7 of 10000 (3 unanswered) | broker 27.40 · total 27.40 |');
    expect(lines[3]).toContain('| relay | 1,000 rec/s | failed: refused |');
    expect(lines[4]).toContain('| consume (the acks=1 RF 1 unbounded topic) | dms | unbounded | 1,000 rec/s | 1.23 / 12.3 / 123.4 | 1.1 | - | - |');
  });
});
