// The kafkajs runner of the compatibility suite (kafkajs 2.2.4 from npm), bundled to
// dist/tools/compat/kafkajs-runner.js: `node kafkajs-runner.js <scenario> <config-json>` runs one
// scenario of scenarios.ts and prints one JSON object; a failure exits 1 with the reason.
import { readFileSync } from 'node:fs';
import { CompressionTypes, ConfigResourceTypes, Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { runConsumerGroup, type GroupClient, type RunnerConfig, runnerMain, waitUntil } from './runner-common';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

function client(cfg: RunnerConfig): GroupClient & Record<string, unknown> {
  const sec = cfg.security;
  const kafka = new Kafka({
    brokers: [cfg.bootstrap], clientId: 'dms-compat-kafkajs', logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100 },
    ...(sec ? { ssl: { ca: [readFileSync(sec.caFile, 'utf8')] }, sasl: { mechanism: 'scram-sha-512' as const, username: sec.username, password: sec.password } } : {}),
  });
  const admin = async <T>(fn: (a: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> => {
    const a = kafka.admin();
    await a.connect();
    try {
      return await fn(a);
    } finally {
      await a.disconnect();
    }
  };
  const createTopic = (topic: string, numPartitions: number) => admin((a) => a.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true }));
  const produce = async (topic: string, messages: { partition?: number; key?: string; value: string | Buffer; timestamp?: string }[], compression = CompressionTypes.None) => {
    const p = kafka.producer();
    await p.connect();
    try {
      await p.send({ topic, acks: -1, compression, messages });
    } finally {
      await p.disconnect();
    }
  };
  /** kafkajs consumes only in a group: a fresh group reading from the beginning. */
  const readPartition = async (topic: string, n: number): Promise<KafkaMessage[]> => {
    const c = kafka.consumer({ groupId: `${cfg.group}-read-${topic}`, maxWaitTimeInMs: 200 });
    const got: KafkaMessage[] = [];
    await c.connect();
    await c.subscribe({ topics: [topic], fromBeginning: true });
    await c.run({ eachMessage: async ({ partition, message }) => { if (partition === 0) got.push(message); } });
    const ok = await waitUntil(30_000, () => got.length >= n);
    await c.disconnect();
    if (!ok) throw new Error(`${topic}: ${got.length} of ${n} records before the deadline`);
    return got;
  };
  /** Every record of a topic through a fresh group: waits for `n`, then 1 s more for any extra. */
  const readAll = async (topic: string, n: number, readUncommitted: boolean): Promise<{ partition: number; message: KafkaMessage }[]> => {
    const c = kafka.consumer({ groupId: `${cfg.group}-read-${topic}-${readUncommitted ? 'uncommitted' : 'committed'}`, maxWaitTimeInMs: 200, readUncommitted });
    const got: { partition: number; message: KafkaMessage }[] = [];
    await c.connect();
    await c.subscribe({ topics: [topic], fromBeginning: true });
    await c.run({ eachMessage: async ({ partition, message }) => { got.push({ partition, message }); } });
    await waitUntil(30_000, () => got.length >= n);
    await new Promise((r) => setTimeout(r, 1000));
    await c.disconnect();
    return got;
  };
  const outcome = async (fn: () => Promise<unknown>) => fn().then(() => 'ok', (e: Error) => `error: ${e.message}`);

  return {
    createTopic: (topic, partitions) => createTopic(topic, partitions).then(() => undefined),
    producePhase: (topic, phase, perPartition) =>
      produce(topic, [0, 1, 2].flatMap((partition) => Array.from({ length: perPartition }, (_, i) => ({ partition, value: `${phase}-${partition}-${i}` })))),
    groupMember(m) {
      const c = kafka.consumer({ groupId: cfg.group, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
      c.on(c.events.GROUP_JOIN, (e) => { m.claims = e.payload.memberAssignment[cfg.topic] ?? []; });
      const started = (async () => {
        await c.connect();
        await c.subscribe({ topics: [cfg.topic], fromBeginning: true });
        await c.run({ autoCommitInterval: 200, eachMessage: async ({ message }) => m.add(message.value!.toString()) });
      })();
      // disconnect() commits what was consumed, then leaves the group.
      return async () => { await started; await c.disconnect(); };
    },

    'create-topic': async () => {
      await createTopic(cfg.topic, 3);
      const meta = await admin((a) => a.fetchTopicMetadata({ topics: [cfg.topic] }));
      return { partitions: meta.topics[0].partitions.length, error: 0 };
    },
    metadata: async () => admin(async (a) => {
      const brokers = (await a.describeCluster()).brokers.map((b) => b.nodeId);
      const parts = (await a.fetchTopicMetadata({ topics: [cfg.topic] })).topics[0].partitions;
      return { brokers, partitions: parts.length, leadersListed: parts.every((p) => brokers.includes(p.leader)) };
    }),
    codecs: async () => {
      const out: Record<string, number | string> = {};
      for (const [name, codec] of [['none', CompressionTypes.None], ['gzip', CompressionTypes.GZIP], ['snappy', CompressionTypes.Snappy], ['lz4', CompressionTypes.LZ4], ['zstd', CompressionTypes.ZSTD]] as const) {
        const topic = `${cfg.topic}-${name}`;
        const values = Array.from({ length: 200 }, (_, i) => `${name}-${i}-${'x'.repeat(i % 50)}`);
        try {
          await produce(topic, values.map((value, i) => ({ partition: 0, key: String(i), value })), codec);
        } catch (e) {
          // kafkajs ships gzip only; the others need codec plugins the project does not install.
          if (/not implemented/i.test((e as Error).message)) { out[name] = 'unsupported by the client'; continue; }
          throw e;
        }
        const got = await readPartition(topic, values.length);
        if (got.some((m, i) => m.value!.toString() !== values[i] || m.key!.toString() !== String(i))) throw new Error(`${name}: records read back differ`);
        out[name] = got.length;
      }
      return out;
    },
    'offsets-by-time': async () => {
      await createTopic(cfg.topic, 1);
      const base = Date.now() - 60_000;
      await produce(cfg.topic, Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: String(i), timestamp: String(base + i * 1000) })));
      return admin(async (a) => {
        const at = async (ts: number) => Number((await a.fetchTopicOffsetsByTimestamp(cfg.topic, ts))[0].offset);
        const [o] = await a.fetchTopicOffsets(cfg.topic);
        return { at5s: await at(base + 5000), between: await at(base + 5500), afterLast: await at(base + 3_600_000), oldest: Number(o.low), newest: Number(o.high) };
      });
    },
    'large-message': async () => {
      const value = Buffer.from('0123456789abcdef'.repeat((900 * 1024) / 16));
      await produce(cfg.topic, [{ partition: 0, value }]);
      const [got] = await readPartition(cfg.topic, 1);
      return { bytes: got.value!.length, equal: got.value!.equals(value) };
    },
    admin: async () => admin(async (a) => {
      const group = `${cfg.group}-admin`;
      const out: Record<string, string | number> = {};
      out.createTopics = await outcome(() => a.createTopics({ topics: [{ topic: cfg.topic, numPartitions: 2 }], waitForLeaders: true }));
      out.listTopics = await outcome(async () => { if (!(await a.listTopics()).includes(cfg.topic)) throw new Error('topic not listed'); });
      out.fetchTopicMetadata = await outcome(async () => { if ((await a.fetchTopicMetadata({ topics: [cfg.topic] })).topics[0].partitions.length !== 2) throw new Error('partitions'); });
      out.describeCluster = await outcome(() => a.describeCluster());
      out.setOffsets = await outcome(() => a.setOffsets({ groupId: group, topic: cfg.topic, partitions: [{ partition: 0, offset: '1' }] }));
      out.fetchOffsets = await outcome(async () => {
        const [t] = await a.fetchOffsets({ groupId: group, topics: [cfg.topic] });
        out.committed = Number(t.partitions.find((p) => p.partition === 0)!.offset);
      });
      out.listGroups = await outcome(async () => { if (!(await a.listGroups()).groups.some((g) => g.groupId === group)) throw new Error('group not listed'); });
      out.describeGroups = await outcome(() => a.describeGroups([group]));
      out.deleteGroups = await outcome(() => a.deleteGroups([group]));
      out.deleteTopics = await outcome(() => a.deleteTopics({ topics: [cfg.topic] }));
      return out;
    }),
    'admin-configs': async () => {
      await createTopic(cfg.topic, 2);
      return admin(async (a) => ({
        describeConfigs: await outcome(() => a.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: cfg.topic }], includeSynonyms: false })),
      }));
    },
    'idempotent-producer': async () => {
      await createTopic(cfg.topic, 3);
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await p.connect();
      try {
        // Ten sends of 30, so the producer's sequence numbers run on across requests.
        for (let b = 0; b < 10; b++) {
          await p.send({ topic: cfg.topic, acks: -1, messages: Array.from({ length: 30 }, (_, j) => ({ key: `k-${b * 30 + j}`, value: String(b * 30 + j) })) });
        }
      } finally {
        await p.disconnect();
      }
      const got = await readAll(cfg.topic, 300, false);
      const values = got.map((g) => Number(g.message.value!.toString()));
      const byPartition = new Map<number, number[]>();
      for (const g of got) byPartition.set(g.partition, [...(byPartition.get(g.partition) ?? []), Number(g.message.value!.toString())]);
      const inOrder = [...byPartition.values()].every((vs) => vs.every((v, i) => i === 0 || v > vs[i - 1]));
      // kafkajs keeps the producer id it got from InitProducerId to itself.
      return { produced: 300, read: got.length, distinct: new Set(values).size, inOrder, partitionsUsed: byPartition.size, producerId: 'not exposed' };
    },
    transactions: async () => {
      const output = `${cfg.topic}-out`;
      await createTopic(cfg.topic, 1);
      await createTopic(output, 1);
      const p = kafka.producer({ transactionalId: `${cfg.group}-txn`, idempotent: true, maxInFlightRequests: 1 });
      await p.connect();
      const inTxn = async (prefix: string, n: number, end: 'commit' | 'abort') => {
        const txn = await p.transaction();
        await txn.send({ topic: cfg.topic, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ partition: 0, key: String(i), value: `${prefix}-${i}` })) });
        await txn[end]();
      };
      const out: Record<string, unknown> = {};
      try {
        await inTxn('c1', 100, 'commit');
        await inTxn('a', 100, 'abort');
        await inTxn('c2', 50, 'commit');
        const committed = await readAll(cfg.topic, 150, false);
        const uncommitted = await readAll(cfg.topic, 250, true);
        Object.assign(out, {
          readCommitted: committed.length, readUncommitted: uncommitted.length,
          abortedSeen: committed.filter((g) => g.message.value!.toString().startsWith('a-')).length,
          lastDataOffset: Math.max(...committed.map((g) => Number(g.message.offset))),
        });
        // Consume-transform-produce: a group reads the 150, a transaction writes them to the
        // output topic together with the group's offsets.
        const group = `${cfg.group}-ctp`;
        const c = kafka.consumer({ groupId: group, maxWaitTimeInMs: 200 });
        const read: KafkaMessage[] = [];
        await c.connect();
        await c.subscribe({ topics: [cfg.topic], fromBeginning: true });
        await c.run({ autoCommit: false, eachMessage: async ({ message }) => { read.push(message); } });
        await waitUntil(30_000, () => read.length >= 150);
        await c.disconnect();
        const txn = await p.transaction();
        await txn.send({ topic: output, acks: -1, messages: read.map((m) => ({ partition: 0, key: m.key, value: `out-${m.value!.toString()}` })) });
        const next = String(Number(read[read.length - 1].offset) + 1);
        await txn.sendOffsets({ consumerGroupId: group, topics: [{ topic: cfg.topic, partitions: [{ partition: 0, offset: next }] }] });
        await txn.commit();
        await admin(async (a) => {
          const [t] = await a.fetchOffsets({ groupId: group, topics: [cfg.topic] });
          out.groupCommitted = Number(t.partitions.find((x) => x.partition === 0)!.offset);
          out.inputEnd = Number((await a.fetchTopicOffsets(cfg.topic))[0].high);
        });
        out.outputCommitted = (await readAll(output, 150, false)).length;
      } finally {
        await p.disconnect();
      }
      return out;
    },
    'sasl-ssl': async () => {
      await createTopic(cfg.topic, 1);
      await produce(cfg.topic, Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: String(i) })));
      const got = await readPartition(cfg.topic, 10);
      const brokers = await admin(async (a) => (await a.describeCluster()).brokers.length);
      return { produced: 10, consumed: got.length, brokers };
    },
  };
}

runnerMain((cfg) => {
  const c = client(cfg);
  return { ...c, 'consumer-group': () => runConsumerGroup(c, cfg) };
});
