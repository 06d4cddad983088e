import { Command, CommanderError } from 'commander';
import { loadavg } from 'node:os';
import { buildRecordBatch } from '@dms/kafka-codec';
import { AckType, DEFAULT_BOOTSTRAP, KafkaClient, LATEST_TIMESTAMP, ShareConsumer, ShareGroupAdmin, describeError, parseIntOption } from '@dms/kafka-client';
import { readClusterFile, startCpuSampler } from './cpu';

export interface ShareBenchOptions {
  bootstrapServer: string;
  consumers: number;
  records: number;
  recordSize: number;
  batchSize: number;
  maxRecords: number;
  acquireMode: 0 | 1;
  clusterFile?: string;
  timeoutS: number;
  json?: boolean;
}

export function parseShareArgs(argv: string[]): ShareBenchOptions {
  const cmd = new Command('bench share')
    .description('share-group throughput (KIP-932): N share consumers of one group drain a one-partition topic, accepting every record')
    .option('--bootstrap-server <host:port>', 'Kafka address of the cluster', DEFAULT_BOOTSTRAP)
    .option('--consumers <n>', 'share consumers of the group, each with its own connection', parseIntOption('--consumers', 1), 1)
    .option('--records <n>', 'records produced first, then consumed', parseIntOption('--records', 1), 100_000)
    .option('--record-size <bytes>', 'value bytes per record', parseIntOption('--record-size', 0), 1024)
    .option('--batch-size <records>', 'records per produced batch', parseIntOption('--batch-size', 1), 100)
    .option('--max-records <n>', 'MaxRecords of each ShareFetch', parseIntOption('--max-records', 1), 500)
    .option('--acquire-mode <m>', '0 batch-optimized, 1 record-limit (KIP-1206)', parseIntOption('--acquire-mode', 0, 1), 0)
    .option('--cluster-file <file>', 'cluster.json of a dev cluster: CPU seconds of its processes per 10k records')
    .option('--timeout-s <s>', 'give up after this long', parseIntOption('--timeout-s', 1), 300)
    .option('--json', 'print the result as JSON')
    .exitOverride();
  cmd.parse(argv, { from: 'user' });
  return cmd.opts<ShareBenchOptions>();
}

export interface ShareBenchReport {
  consumers: number;
  records: number;
  recordSize: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** Records delivered more than once (a lock ran out before its acknowledgement). */
  redelivered: number;
  perConsumer: number[];
  cpuSecondsPer10kRecords: Record<string, number> | null;
  loadAverage: number[];
}

export async function runShareBench(o: ShareBenchOptions): Promise<ShareBenchReport> {
  const stamp = `${Date.now().toString(36)}-${o.consumers}`;
  const topic = `share-bench-${stamp}`;
  const group = `share-bench-${stamp}`;
  const admin = new KafkaClient({ bootstrapServers: o.bootstrapServer, clientId: 'share-bench' });
  const clients: KafkaClient[] = [];
  const consumers: ShareConsumer[] = [];
  try {
    const created = await admin.createTopics([{ name: topic, numPartitions: 1, replicationFactor: -1 }]);
    if (created[0]!.errorCode !== 0) throw new Error(`cannot create ${topic}: error ${created[0]!.errorCode}`);
    const value = Buffer.alloc(o.recordSize, 0x61);
    const batch = await buildRecordBatch({ records: Array.from({ length: o.batchSize }, () => ({ value })) });
    for (let sent = 0; sent < o.records; sent += o.batchSize) {
      await admin.produce(topic, 0, sent + o.batchSize <= o.records ? batch : await buildRecordBatch({ records: Array.from({ length: o.records - sent }, () => ({ value })) }));
    }
    const end = (await admin.listOffsets(topic, 0, LATEST_TIMESTAMP)).offset;
    for (let i = 0; i < o.consumers; i++) {
      const client = new KafkaClient({ bootstrapServers: o.bootstrapServer, clientId: `share-bench-${i}` });
      clients.push(client);
      consumers.push(new ShareConsumer(client, { groupId: group, topics: [topic], acknowledgementMode: 'explicit', maxRecords: o.maxRecords, maxWaitMs: 200, acquireMode: o.acquireMode }));
    }
    // A new share group starts at the log end (group.share.auto.offset.reset=latest): move it to the
    // start before anyone joins, as an operator does with kafka-share-groups.sh --reset-offsets.
    const reset = await new ShareGroupAdmin(admin).alterOffsets(group, [{ topic, partition: 0, startOffset: 0n }]);
    if (reset.errorCode !== 0 || reset.results.some((x) => x.errorCode !== 0)) throw new Error(`cannot reset ${group}: ${JSON.stringify(reset)}`);
    await Promise.all(consumers.map((c) => c.subscribe(30_000)));
    const procs = o.clusterFile ? readClusterFile(o.clusterFile) : [];
    const seen = new Set<bigint>();
    let redelivered = 0;
    const perConsumer = consumers.map(() => 0);
    const cpu = startCpuSampler(procs);
    const started = process.hrtime.bigint();
    const deadline = Date.now() + o.timeoutS * 1000;
    await Promise.all(consumers.map(async (c, i) => {
      while (seen.size < Number(end) && Date.now() < deadline) {
        for (const r of await c.poll()) {
          if (seen.has(r.offset)) redelivered++;
          else seen.add(r.offset);
          perConsumer[i]!++;
          c.acknowledge(r, AckType.ACCEPT);
        }
      }
      await c.commit();
    }));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const report = cpu.stop(seen.size * o.recordSize, seen.size);
    if (seen.size < Number(end)) throw new Error(`only ${seen.size} of ${end} records consumed within ${o.timeoutS} s`);
    const cpuPer10k = procs.length > 0
      ? Object.fromEntries([...Object.entries(report.roles).map(([role, v]) => [role, v.per10kRequests ?? 0]), ['total', report.total.per10kRequests ?? 0]])
      : null;
    const r = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
    return {
      consumers: o.consumers,
      records: seen.size,
      recordSize: o.recordSize,
      seconds: r(seconds, 2),
      recordsPerSec: r(seen.size / seconds, 0),
      mbPerSec: r((seen.size * o.recordSize) / 1e6 / seconds),
      redelivered,
      perConsumer,
      cpuSecondsPer10kRecords: cpuPer10k,
      loadAverage: loadavg().map((x) => r(x, 2)),
    };
  } finally {
    for (const c of consumers) await c.close().catch(() => undefined);
    for (const c of clients) c.close();
    await admin.deleteTopics([topic]).catch(() => undefined);
    admin.close();
  }
}

export async function mainShare(argv: string[]): Promise<number> {
  let o: ShareBenchOptions;
  try {
    o = parseShareArgs(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  const watchdog = setTimeout(() => {
    process.stderr.write('bench share: exceeded its time bound, giving up\n');
    process.exit(2);
  }, (o.timeoutS + 120) * 1000);
  try {
    const rep = await runShareBench(o);
    if (o.json) process.stdout.write(`${JSON.stringify(rep)}\n`);
    else {
      const cpu = rep.cpuSecondsPer10kRecords ? Object.entries(rep.cpuSecondsPer10kRecords).map(([k, v]) => `${k} ${v}`).join(' · ') : '-';
      process.stdout.write(`share: ${rep.consumers} consumer(s), ${rep.records} records of ${rep.recordSize} B in ${rep.seconds} s: ` +
        `${rep.recordsPerSec} records/s (${rep.mbPerSec} MB/s), redelivered ${rep.redelivered}, per consumer ${rep.perConsumer.join('/')}; ` +
        `CPU s per 10k records: ${cpu}; load average ${rep.loadAverage.join(' ')}\n`);
    }
    return 0;
  } catch (err) {
    process.stderr.write(`bench share: ${describeError(err)}\n`);
    return 1;
  } finally {
    clearTimeout(watchdog);
  }
}
