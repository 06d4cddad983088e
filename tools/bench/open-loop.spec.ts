import { ApiKey } from '@dms/kafka-schema';
import { FakeBroker, KafkaClient } from '@dms/kafka-client';
import { formatReport, runBench } from './main';
import { parseBenchArgs } from './options';
import { drainMs, runOpenLoopProduce } from './open-loop';
import { itemsInRun } from './schedule';
import { RawProducer } from './raw-producer';

describe('bench options of the open loop', () => {
  it('parses rates, producers, linger, consumers and the cluster file', () => {
    const o = parseBenchArgs(['produce', '--rate', '1500', '--producers', '3', '--linger-ms', '2.5', '--batch-size', '50',
      '--consumers', '2', '--cluster-file', 'c.json', '--max-outstanding', '10']);
    expect(o).toMatchObject({ rate: 1500, producers: 3, lingerMs: 2.5, batchSize: 50, consumers: 2, clusterFile: 'c.json', maxOutstanding: 10 });
    const q = parseBenchArgs(['produce', '--request-rate', '30000']);
    expect(q).toMatchObject({ requestRate: 30_000, producers: 1, lingerMs: 0, consumers: 0 });
    expect(q.rate).toBeUndefined();
    const d = parseBenchArgs(['produce']);
    expect([d.rate, d.requestRate, d.clusterFile, d.maxOutstanding]).toEqual([undefined, undefined, undefined, 100_000]);
  });

  it('rejects combinations that mean nothing', () => {
    expect(() => parseBenchArgs(['produce', '--rate', '10', '--request-rate', '10'])).toThrow(/not both/);
    expect(() => parseBenchArgs(['produce', '--rate', '0'])).toThrow(/--rate/);
    expect(() => parseBenchArgs(['produce', '--rate', 'fast'])).toThrow(/--rate/);
    expect(() => parseBenchArgs(['produce', '--linger-ms', '5'])).toThrow(/needs --rate/);
    expect(() => parseBenchArgs(['produce', '--rate', '10', '--linger-ms', '-1'])).toThrow(/linger-ms/);
    expect(() => parseBenchArgs(['produce', '--producers', '2'])).toThrow(/--producers needs/);
    expect(() => parseBenchArgs(['produce', '--timeline-ms', '100'])).toThrow(/--timeline-ms needs/);
    expect(() => parseBenchArgs(['produce', '--rate', '10', '--timeline-ms', '5'])).toThrow(/--timeline-ms/);
    expect(parseBenchArgs(['produce', '--rate', '10', '--timeline-ms', '250'])).toMatchObject({ timelineMs: 250 });
    expect(() => parseBenchArgs(['consume', '--rate', '10'])).toThrow(/produce phase/);
    expect(() => parseBenchArgs(['consume', '--consumers', '1'])).toThrow(/--consumers/);
    expect(() => parseBenchArgs(['produce', '--rate', '10', '--idempotent'])).toThrow(/open loop/);
    expect(parseBenchArgs(['produce', '--rate', '10', '--warmup-s', '2'])).toMatchObject({ warmupS: 2 });
    expect(parseBenchArgs(['produce']).warmupS).toBe(0);
    expect(() => parseBenchArgs(['produce', '--warmup-s', '-1'])).toThrow(/--warmup-s/);
    expect(() => parseBenchArgs(['both', '--warmup-s', '1'])).toThrow(/--warmup-s applies/);
    expect(() => parseBenchArgs(['consume', '--warmup-s', '1'])).toThrow(/--warmup-s applies/);
    expect(() => parseBenchArgs(['produce', '--rate', '10', '--consumers', '1', '--warmup-s', '1'])).toThrow(/--warmup-s applies/);
    expect(() => parseBenchArgs(['produce', '--transactional-id', 't', '--warmup-s', '1'])).toThrow(/--warmup-s applies/);
  });
});

describe('open-loop produce against the fake broker', () => {
  let broker: FakeBroker;
  beforeEach(async () => { broker = await FakeBroker.start(); });
  afterEach(() => broker.stop());
  jest.setTimeout(20_000);

  const stored = (topic: string) => broker.topics.get(topic)!.partitions.map((p) => Number(p.nextOffset));

  it('sends every scheduled record round-robin and reports target against achieved', async () => {
    const o = parseBenchArgs(['produce', '--bootstrap-server', broker.address, '--topic', 'r', '--partitions', '4', '--record-size', '16',
      '--batch-size', '1', '--rate', '400', '--duration-s', '0.5']);
    const report = await runBench(o);
    const [p] = report.results;
    expect(p.records).toBe(itemsInRun(500, 400));
    expect(stored('r')).toEqual([50, 50, 50, 50]);
    expect(p.requests).toBe(200);
    expect(p.openLoop).toMatchObject({ unit: 'records', targetPerSec: 400, scheduled: 200, producers: 1, latencyPer: 'record' });
    expect(p.openLoop!.achievedPerSec).toBeGreaterThan(200);
    expect(p.openLoop!.achievedPerSec).toBeLessThanOrEqual(400);
    expect(p.latencyMs.p90).not.toBeNull();
    expect(report.conditions).toMatchObject({ rate: 400, requestRate: null, producers: 1, lingerMs: 0 });
  });

  it('--warmup-s first runs the same rate on the same connections and leaves it out of the results', async () => {
    const o = parseBenchArgs(['produce', '--bootstrap-server', broker.address, '--topic', 'w', '--partitions', '2', '--record-size', '16',
      '--batch-size', '1', '--rate', '400', '--duration-s', '0.5', '--warmup-s', '0.25']);
    const report = await runBench(o);
    const [p] = report.results;
    // Both ran against the broker; the report counts the measured half second only.
    expect(stored('w').reduce((a, b) => a + b, 0)).toBe(itemsInRun(250, 400) + itemsInRun(500, 400));
    expect(p.records).toBe(itemsInRun(500, 400));
    expect(p.openLoop).toMatchObject({ scheduled: itemsInRun(500, 400), sent: itemsInRun(500, 400) });
    expect(report.conditions.warmupS).toBe(0.25);
    expect(formatReport(report)).toMatch(/after a 0.25 s warm-up \(not measured\)/);
    // The warm-up and the run share the producer's connections: one more than the bench's own client.
    expect(broker.connectionsAccepted).toBe(2);
  });

  it('measures from the due time: a stall shows as latency of everything due during it (no coordinated omission)', async () => {
    // Every produce that reaches the broker between 300 and 500 ms is held until 500 ms.
    const start = Date.now();
    broker.intercept = async (key) => {
      const at = Date.now() - start;
      if (key === ApiKey.Produce && at >= 300 && at < 500) await new Promise((r) => setTimeout(r, 500 - at));
      return undefined;
    };
    const client = new KafkaClient({ bootstrapServers: broker.address, clientId: 'ol', retries: 0 });
    try {
      await client.createTopics([{ name: 's', numPartitions: 2, replicationFactor: 1 }]);
      await client.listOffsets('s', 0, -1n);
      const o = parseBenchArgs(['produce', '--topic', 's', '--partitions', '2', '--record-size', '16', '--batch-size', '1', '--rate', '200', '--duration-s', '1']);
      const p = await runOpenLoopProduce([(part, b) => client.produce('s', part, b, -1, 30_000)], o, { stampTimestamps: false });
      // Nothing waited for the stall to end before sending: all 200 went out, and the ones due
      // at the start of the stall waited for most of it.
      expect(p.requests).toBe(200);
      expect(p.latencyMs.max!).toBeGreaterThan(120);
      expect(p.latencyMs.p50!).toBeLessThan(100);
      // About 40 records were due in the stall: more than 1 % of the run, so p99 sees it.
      expect(p.latencyMs.p99!).toBeGreaterThan(50);
    } finally {
      client.close();
    }
  });

  it('stops waiting a bounded time after the schedule ends and counts what is unanswered with the latency it reached', async () => {
    broker.intercept = (key) => (key === ApiKey.Produce ? 'drop' : undefined);
    const client = new KafkaClient({ bootstrapServers: broker.address, clientId: 'ol', retries: 0 });
    try {
      await client.createTopics([{ name: 'd', numPartitions: 1, replicationFactor: 1 }]);
      await client.listOffsets('d', 0, -1n);
      const o = parseBenchArgs(['produce', '--topic', 'd', '--partitions', '1', '--record-size', '16', '--batch-size', '1', '--rate', '100', '--duration-s', '0.3']);
      const raw = await RawProducer.open(client, 'd', 1, -1);
      const started = performance.now();
      const p = await runOpenLoopProduce([(part, b, reused) => raw.produce(part, b, reused)], o, { stampTimestamps: false }).finally(() => raw.close());
      expect(performance.now() - started).toBeLessThan(300 + drainMs(0.3) + 2000);
      expect(p.requests).toBe(0);
      expect(p.openLoop).toMatchObject({ sent: 30, unanswered: 30 });
      // Each counts from its due time to the cut-off: at least the drain time.
      expect(p.latencyMs.p50!).toBeGreaterThanOrEqual(drainMs(0.3) - 10);
    } finally {
      client.close();
    }
  });

  it('groups a partition\'s records within the linger into one batch and counts latency per record', async () => {
    const o = parseBenchArgs(['produce', '--bootstrap-server', broker.address, '--topic', 'l', '--partitions', '2', '--record-size', '16',
      '--batch-size', '100', '--rate', '1000', '--linger-ms', '20', '--duration-s', '0.5']);
    const [p] = (await runBench(o)).results;
    expect(p.records).toBe(500);
    expect(stored('l').reduce((a, b) => a + b, 0)).toBe(500);
    // 25 linger windows per partition (plus a partial one at most): far fewer requests than records.
    expect(p.requests).toBeGreaterThanOrEqual(50);
    expect(p.requests).toBeLessThanOrEqual(54);
    // A record waits up to the linger for its batch to leave.
    expect(p.latencyMs.max!).toBeGreaterThanOrEqual(15);
  });

  it.each(['lean', 'full'])('sends --request-rate requests of one --batch-size batch each, over several producers (%s client)', async (kind) => {
    const o = parseBenchArgs(['produce', '--bootstrap-server', broker.address, '--topic', 'q', '--partitions', '3', '--record-size', '16',
      '--batch-size', '10', '--request-rate', '100', '--producers', '3', '--duration-s', '0.3', '--client', kind]);
    const report = await runBench(o);
    const [p] = report.results;
    expect(p.errors).toEqual({});
    expect(p.requests).toBe(30);
    expect(p.records).toBe(300);
    expect(p.openLoop).toMatchObject({ unit: 'requests', producers: 3, latencyPer: 'request', scheduled: 30 });
    expect(stored('q')).toEqual([100, 100, 100]);
    expect(report.conditions.client).toBe(kind);
  });

  it('the lean client reports a partition\'s error code as an error', async () => {
    const o = parseBenchArgs(['produce', '--bootstrap-server', broker.address, '--topic', 'e', '--partitions', '2', '--record-size', '16',
      '--batch-size', '1', '--request-rate', '100', '--duration-s', '0.2']);
    broker.intercept = (key, _v, body: any) => (key === ApiKey.Produce && body.topicData[0].partitionData[0].index === 1
      ? { throttleTimeMs: 0, responses: [{ name: 'e', partitionResponses: [{ index: 1, errorCode: 6, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: null }] }] }
      : undefined);
    const [p] = (await runBench(o)).results;
    expect(p.requests).toBe(10);
    expect(p.errors).toEqual({ NOT_LEADER_OR_FOLLOWER: 10 });
  });

  it('runs consumers while producing that read back everything, with end-to-end latency from the stamped due time', async () => {
    const o = parseBenchArgs(['produce', '--bootstrap-server', broker.address, '--topic', 'c', '--partitions', '3', '--record-size', '16',
      '--batch-size', '1', '--rate', '300', '--consumers', '2', '--duration-s', '0.5']);
    const report = await runBench(o);
    const [produce, consume] = report.results;
    expect(consume.phase).toBe('concurrent-consume');
    expect(consume.records).toBe(produce.records);
    expect(consume.endToEndMs!.p50).not.toBeNull();
    expect(consume.endToEndMs!.p50!).toBeGreaterThanOrEqual(0);
    expect(consume.endToEndMs!.max!).toBeLessThan(5000);
  });
});
