// The dms CLI against a real cluster: topics, produce from stdin, consume from a timestamp.
import { buildRecordBatch, rewriteBatchCrc } from '@dms/kafka-codec';
import { KafkaClient } from '@dms/kafka-client';
import { cleanup, runCli, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(90_000);

let tc: TestCluster;
let client: KafkaClient;

beforeAll(async () => {
  tc = await startTestCluster({ brokers: 2, controllers: 1, gateways: 1 });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap] });
});

afterAll(async () => {
  client?.close();
  await cleanup();
});

const cli = (args: string[], input?: string) => runCli([...args, '--bootstrap-server', tc.bootstrap], { input, timeoutMs: 30_000 });

describe('dms CLI', () => {
  it('creates, lists, describes and deletes topics', async () => {
    expect((await cli(['topics', 'create', 'cli-topic', '--partitions', '3'])).code).toBe(0);
    const list = await cli(['topics', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.stringify(JSON.parse(list.stdout))).toContain('cli-topic');
    const describe = await cli(['topics', 'describe', 'cli-topic', '--json']);
    expect(describe.code).toBe(0);
    const parsed = JSON.parse(describe.stdout);
    const topic = Array.isArray(parsed) ? parsed[0] : parsed.topics ? parsed.topics[0] : parsed;
    expect(topic.partitions).toHaveLength(3);
    expect((await cli(['topics', 'delete', 'cli-topic'])).code).toBe(0);
    expect((await cli(['topics', 'list', '--json'])).stdout).not.toContain('cli-topic');
  });

  it('produces lines with keys and consumes them back', async () => {
    await cli(['topics', 'create', 'cli-lines', '--partitions', '1']);
    const input = Array.from({ length: 50 }, (_, i) => `key${i}\tvalue ${i}`).join('\n') + '\n';
    const produced = await cli(['produce', 'cli-lines', '--key-separator', '\t'], input);
    expect(produced.code).toBe(0);
    const consumed = await cli(['consume', 'cli-lines', '--from-beginning', '--print-key', '--key-separator', '\t', '--max-messages', '50', '--timeout-ms', '5000']);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout).toBe(input);
  });

  it('produce --transactional-id commits in transactions; consume --isolation-level read_committed reads them', async () => {
    await cli(['topics', 'create', 'cli-txn', '--partitions', '2', '--replication-factor', '1']);
    const input = Array.from({ length: 25 }, (_, i) => `tx ${i}`).join('\n') + '\n';
    const produced = await cli(['produce', 'cli-txn', '--transactional-id', 'cli-txn-1', '--records-per-transaction', '10', '--batch-size', '4', '--json'], input);
    expect(produced).toMatchObject({ code: 0 });
    expect(JSON.parse(produced.stdout)).toEqual({ topic: 'cli-txn', produced: 25 });
    const consumed = await cli(['consume', 'cli-txn', '--from-beginning', '--isolation-level', 'read_committed', '--max-messages', '25', '--timeout-ms', '5000']);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout.trimEnd().split('\n').sort()).toEqual(input.trimEnd().split('\n').sort());
  });

  it('consume --from-timestamp starts at the first record at or after that time', async () => {
    await cli(['topics', 'create', 'cli-time', '--partitions', '1']);
    const base = Date.UTC(2026, 0, 1, 12, 0, 0);
    // Ten batches of ten records one second apart; batch max timestamps left unset in half of
    // them, as some clients do, so the lookup must use the records themselves.
    for (let b = 0; b < 10; b++) {
      const batch = await buildRecordBatch({ records: Array.from({ length: 10 }, (_, i) => ({ value: `t${b * 10 + i}`, timestamp: BigInt(base + (b * 10 + i) * 1000) })) });
      if (b % 2 === 1) batch.writeBigInt64BE(-1n, 35);
      rewriteBatchCrc(batch); // maxTimestamp is inside the CRC-covered range

      await client.produce('cli-time', 0, batch);
    }
    const from = new Date(base + 37_500).toISOString(); // between record 37 and 38
    const consumed = await cli(['consume', 'cli-time', '--from-timestamp', from, '--timeout-ms', '3000', '--json']);
    expect(consumed.code).toBe(0);
    const rows = consumed.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(rows[0].offset).toBe(38);
    expect(rows[0].value).toBe('t38');
    expect(rows).toHaveLength(62);
  });

  it('producers describe prints the partition leader\'s producer state like kafka-transactions.sh', async () => {
    await cli(['topics', 'create', 'cli-producers', '--partitions', '1']);
    for (let seq = 0; seq < 3; seq++) {
      await client.produce('cli-producers', 0, await buildRecordBatch({ producerId: 321n, producerEpoch: 4, baseSequence: seq * 2, records: [{ value: 'a' }, { value: 'b' }] }));
    }
    const out = await cli(['producers', 'describe', '--topic', 'cli-producers', '--partition', '0']);
    expect(out.code).toBe(0);
    const rows = out.stdout.trimEnd().split('\n').map((l) => l.split('\t').map((c) => c.trim()));
    expect(rows[0]).toEqual(['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset']);
    expect(rows).toHaveLength(2);
    expect([rows[1]![0], rows[1]![1], rows[1]![2], rows[1]![3], rows[1]![5]]).toEqual(['321', '4', '-1', '5', '-1']);
    const missing = await cli(['producers', 'describe', '--topic', 'cli-nope', '--partition', '0']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('UNKNOWN_TOPIC_OR_PARTITION');
  });
});

