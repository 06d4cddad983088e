// Retention and DeleteRecords across real processes (3 brokers, RF 3): a topic with
// retention.ms=5000 and segment.ms=1000 loses its old records within seconds on every replica
// while a consumer keeps reading new ones; DeleteRecords moves the low watermark on every
// replica and ListOffsets earliest follows; beyond the high watermark is OFFSET_OUT_OF_RANGE.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { buildRecordBatch, decodeRecordBatches } from '@dms/kafka-codec';
import { deleteRecords, EARLIEST_TIMESTAMP, KafkaClient } from '@dms/kafka-client';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { waitFor } from '@dms/devcluster';
import { cleanup, runCli, startTestCluster, type TestCluster } from '@dms/testing';
import { isSubsequence, startProducer, stateOf, waitState } from './replication-helpers';

jest.setTimeout(120_000);

let tc: TestCluster;
let client: KafkaClient;
let etcd: Etcd3;

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 3,
    controllers: 1,
    gateways: 1,
    config: {
      broker: { 'etcd.lease.ttl.ms': 3000, 'replica.lag.time.max.ms': 3000, 'log.retention.check.interval.ms': 300 },
      controller: { 'etcd.lease.ttl.ms': 3000 },
    },
  });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 10_000 });
  etcd = new Etcd3({ hosts: `http://${tc.etcdEndpoint}` });
});

afterAll(async () => {
  client?.close();
  etcd?.close();
  await cleanup();
});

/** Base offsets of the segment files in one broker's copy of a partition. */
function segmentBases(brokerId: number, topic: string): bigint[] {
  const dir = join(tc.dataDir, `broker-${brokerId}`, `${topic}-0`);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^\d{20}\.log$/.test(f))
    .map((f) => BigInt(f.slice(0, 20)))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const earliest = async (topic: string) => (await client.listOffsets(topic, 0, EARLIEST_TIMESTAMP)).offset;

async function produceValues(topic: string, values: string[]) {
  for (const value of values) await client.produce(topic, 0, await buildRecordBatch({ records: [{ value }] }), -1, 5_000);
}

/** A consumer following the partition from offset 0; OFFSET_OUT_OF_RANGE resets it to earliest (auto.offset.reset). */
function startConsumer(topic: string) {
  const seen: string[] = [];
  let resets = 0;
  let stopped = false;
  let offset = 0n;
  const run = (async () => {
    while (!stopped) {
      try {
        const res = await client.fetch(topic, 0, offset, 1 << 20, 200);
        for (const b of await decodeRecordBatches(res.records)) {
          for (const r of b.records) {
            if (r.offset < offset) continue;
            seen.push(r.value?.toString() ?? '');
            offset = r.offset + 1n;
          }
        }
      } catch (e) {
        if (e instanceof KafkaError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE) {
          resets++;
          offset = await earliest(topic).catch(() => offset);
        } else await new Promise((r) => setTimeout(r, 100));
      }
    }
  })();
  return { seen, resets: () => resets, stop: async () => ((stopped = true), await run) };
}

describe('retention', () => {
  it('deletes records past retention.ms on every replica while a consumer keeps reading', async () => {
    const topic = 'aging';
    const [created] = await client.createTopics([{
      name: topic, numPartitions: 1, replicationFactor: 3,
      configs: { 'retention.ms': '5000', 'segment.ms': '1000', 'file.delete.delay.ms': '1000', 'min.insync.replicas': '2' },
    }]);
    expect(created.errorCode).toBe(0);
    const state = await waitState(etcd, topic, 'a full ISR', (s) => s.isr.length === 3);
    const producer = startProducer(client, topic, 'v');
    const consumer = startConsumer(topic);
    try {
      await waitFor('first records acknowledged', () => producer.acked.length >= 20, 30_000);
      const startedAt = Date.now();
      await waitFor('the log start offset to move (ListOffsets earliest)', async () => (await earliest(topic)) > 0n, 30_000, 200);
      const movedAfterMs = Date.now() - startedAt;
      expect(movedAfterMs).toBeLessThan(20_000);
      // Every replica drops its first segments too: followers follow the leader's log start offset.
      await waitFor('every replica to drop segment 0', () => state.replicas.every((id) => {
        const bases = segmentBases(id, topic);
        return bases.length > 0 && bases[0]! > 0n;
      }), 30_000, 200);
      // Below the start is out of range for a plain fetch.
      const err = await client.fetch(topic, 0, 0n).catch((e) => e);
      expect(err).toBeInstanceOf(KafkaError);
      expect((err as KafkaError).code).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
      // The consumer keeps reading new records: it saw records acknowledged after the start moved.
      const ackedNow = producer.acked.length;
      await waitFor('more acknowledged records', () => producer.acked.length >= ackedNow + 20, 30_000);
      const last = producer.acked[producer.acked.length - 1]!;
      await waitFor('the consumer to read the newest record', () => consumer.seen.includes(last), 30_000, 100);
      expect(consumer.resets()).toBe(0);
      // A consumer that keeps up misses nothing acknowledged (retried writes may add duplicates).
      expect(isSubsequence(producer.acked.slice(0, ackedNow), consumer.seen)).toBe(true);
    } finally {
      await producer.stop();
      await consumer.stop();
    }

    // After a leader change the new leader serves the moved start: it deleted its own segments.
    const before = await earliest(topic);
    const s = await stateOf(etcd, topic);
    await tc.cluster.kill('broker', s.leader, 'SIGKILL');
    await waitState(etcd, topic, 'a new leader', (x) => x.leader >= 0 && x.leader !== s.leader);
    // It knew the start up to its last fetch and its own retention deletes the same expired segments.
    const after = await waitFor('ListOffsets earliest from the new leader', async () => {
      const e = await earliest(topic).catch(() => -1n);
      return e >= before ? e : false;
    }, 30_000, 200);
    expect(after).toBeGreaterThan(0n);
    await tc.cluster.restart('broker', s.leader);
    await waitState(etcd, topic, 'the restarted broker back in the ISR', (x) => x.isr.length === 3, 40_000);
    // The restarted broker kept its moved start across the restart (checkpoint or segment files).
    expect(segmentBases(s.leader, topic)[0]).toBeGreaterThan(0n);
  });
});

describe('DeleteRecords', () => {
  it('moves the low watermark on every replica; ListOffsets earliest and Fetch follow; refuses past the high watermark', async () => {
    const topic = 'trim';
    const [created] = await client.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 3 }]);
    expect(created.errorCode).toBe(0);
    await waitState(etcd, topic, 'a full ISR', (s) => s.isr.length === 3);
    await produceValues(topic, Array.from({ length: 10 }, (_, i) => `r${i}`));

    // The answer waits until the in-sync followers moved their start too.
    const [moved] = await deleteRecords(client, [{ topic, partition: 0, offset: 4n }], 15_000);
    expect(moved).toEqual({ topic, partition: 0, errorCode: ErrorCode.NONE, lowWatermark: 4n });
    expect(await earliest(topic)).toBe(4n);
    // A start inside a segment survives restarts through each broker's log-start-offset-checkpoint.
    const replicas = (await stateOf(etcd, topic)).replicas;
    await waitFor('every replica to checkpoint the start', () => replicas.every((id) => {
      const file = join(tc.dataDir, `broker-${id}`, 'log-start-offset-checkpoint');
      return existsSync(file) && readFileSync(file, 'utf8').split('\n').includes(`${topic} 0 4`);
    }), 10_000, 100);
    const below = await client.fetch(topic, 0, 3n).catch((e) => e);
    expect((below as KafkaError).code).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const first = await decodeRecordBatches((await client.fetch(topic, 0, 4n)).records);
    expect(first[0]!.records.find((r) => r.offset === 4n)?.value?.toString()).toBe('r4');

    const [beyond] = await deleteRecords(client, [{ topic, partition: 0, offset: 11n }]);
    expect(beyond.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const [unknown] = await deleteRecords(client, [{ topic: 'no-such-topic', partition: 0, offset: 1n }]);
    expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    // kafka-delete-records.sh's JSON through the CLI; -1 means the high watermark.
    const file = join(tc.dataDir, 'offsets.json');
    writeFileSync(file, JSON.stringify({ partitions: [{ topic, partition: 0, offset: -1 }], version: 1 }));
    const out = await runCli(['records', 'delete', '--offset-json-file', file, '--bootstrap-server', tc.bootstrap], { timeoutMs: 30_000 });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`partition: ${topic}-0\tlow_watermark: 10`);
    expect(await earliest(topic)).toBe(10n);
    expect(tc.unexpectedExits).toEqual([]);
  });

  it('restarts a follower that fell below the leader log start offset at that offset, and it rejoins the ISR', async () => {
    const topic = 'left-behind';
    const [created] = await client.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 3 }]);
    expect(created.errorCode).toBe(0);
    const s = await waitState(etcd, topic, 'a full ISR', (x) => x.isr.length === 3);
    await produceValues(topic, ['a', 'b', 'c']);
    const follower = s.replicas.find((id) => id !== s.leader)!;
    await tc.cluster.kill('broker', follower, 'SIGTERM');
    await waitState(etcd, topic, 'the stopped follower out of the ISR', (x) => !x.isr.includes(follower));
    await produceValues(topic, ['d', 'e', 'f', 'g']);
    const [moved] = await deleteRecords(client, [{ topic, partition: 0, offset: -1n }], 10_000);
    expect(moved).toMatchObject({ errorCode: ErrorCode.NONE, lowWatermark: 7n });
    // The follower comes back at offset 3, below the leader's start (7): OFFSET_OUT_OF_RANGE,
    // then it drops its log, restarts at 7 and catches up from there.
    await tc.cluster.restart('broker', follower);
    await waitState(etcd, topic, 'the follower back in the ISR', (x) => x.isr.includes(follower), 40_000);
    await waitFor('the follower log restarted at the leader start', () => segmentBases(follower, topic)[0] === 7n, 20_000, 100);
    await produceValues(topic, ['h']);
    expect(await earliest(topic)).toBe(7n);
  });
});
