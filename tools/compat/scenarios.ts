// The one list of scenarios every client runner of the compatibility suite runs (the runners in
// this folder implement each name; docs/compatibility.md reports the outcome per client).
// A runner prints one JSON object per scenario; `check` asserts what Apache Kafka would give.

export type ClientName = 'kafkajs' | 'kcat' | 'sarama' | 'kafka-python' | 'confluent-kafka';

/**
 * Kafka APIs the gateway does not serve yet. A scenario that needs one asserts that the client
 * gets an error today; remove the name once the API lands (DescribeConfigs: the configs branch),
 * and the same scenario then asserts that the calls succeed.
 */
export const pendingApis: ReadonlySet<string> = new Set<string>([]);

export interface Scenario {
  /** The runner's argument. */
  name: string;
  what: string;
  topic: string;
  /** Runs over the SASL_SSL listener with SCRAM-SHA-512, as `dms dev up --secure` serves it. */
  secure?: boolean;
  /** Partitions of `topic`, created with the dms CLI for a client without admin calls (kcat). */
  partitions?: number;
  /** Clients that lack what the scenario exercises, and why (docs/compatibility.md lists them). */
  unsupported?: Partial<Record<ClientName, string>>;
  /** Kafka APIs the scenario needs beyond the basics (see pendingApis). */
  needs?: string[];
  timeoutMs?: number;
  /**
   * Partitions of `topic` whose leader must hold the state of one producer, with no open
   * transaction, after the run (checked by the suite with `dms producers describe`, DescribeProducers).
   */
  activeProducer?: number[];
  check(out: Record<string, unknown>, client: ClientName): void;
}

/** Admin calls answer "ok" or "error: …"; numbers are details beside them. */
const outcomes = (out: Record<string, unknown>) => Object.fromEntries(Object.entries(out).filter(([, v]) => typeof v === 'string'));

export const scenarios: Scenario[] = [
  {
    name: 'create-topic',
    what: 'create a 3-partition topic with the client\'s admin API',
    topic: 'compat-topic',
    unsupported: { kcat: 'kcat has no admin calls' },
    check: (out) => expect(out).toEqual({ partitions: 3, error: 0 }),
  },
  {
    name: 'metadata',
    what: 'metadata lists the gateway as the only broker and as the leader of every partition',
    topic: 'compat-topic',
    partitions: 3,
    check: (out) => expect(out).toEqual({ brokers: [1], partitions: 3, leadersListed: true }),
  },
  {
    name: 'codecs',
    what: 'produce and read back 200 keyed records with each codec (none, gzip, snappy, lz4, zstd)',
    topic: 'compat-codec',
    check: (out, client) => {
      // kafkajs ships gzip only; snappy, lz4 and zstd need codec plugins the project does not install.
      const plugin = client === 'kafkajs' ? 'unsupported by the client' : 200;
      expect(out).toEqual({ none: 200, gzip: 200, snappy: plugin, lz4: plugin, zstd: plugin });
    },
  },
  {
    name: 'consumer-group',
    what: 'two members split 300 records of 3 partitions; one leaves, the other takes over; both leave; a new member resumes at the committed offsets',
    topic: 'compat-group',
    partitions: 3,
    timeoutMs: 170_000,
    check: (out) => expect(out).toMatchObject({
      pairReceived: 300, pairInTime: true, split: true, takeover: true, afterLeave: 30, restartNew: 30, restartReread: 0,
    }),
  },
  {
    name: 'offsets-by-time',
    what: 'ListOffsets by timestamp over ten records one second apart, earliest and latest',
    topic: 'compat-time',
    partitions: 1,
    // kafkajs's fetchTopicOffsetsByTimestamp turns the broker's -1 (no record that late) into
    // the high watermark itself.
    check: (out, client) => expect(out).toEqual({ at5s: 5, between: 6, afterLast: client === 'kafkajs' ? 10 : -1, oldest: 0, newest: 10 }),
  },
  {
    name: 'large-message',
    what: 'produce and read back one 900 KiB record',
    topic: 'compat-large',
    check: (out) => expect(out).toEqual({ bytes: 900 * 1024, equal: true }),
  },
  {
    name: 'admin',
    what: 'the client\'s admin calls over APIs the gateway serves (topics, cluster, groups, offsets)',
    topic: 'compat-admin',
    unsupported: { kcat: 'kcat has no admin calls' },
    check: (out) => {
      const calls = outcomes(out);
      expect(Object.keys(calls).length).toBeGreaterThanOrEqual(4);
      for (const [call, result] of Object.entries(calls)) expect(`${call}: ${result}`).toBe(`${call}: ok`);
      if ('committed' in out) expect(out.committed).toBe(1);
    },
  },
  {
    name: 'admin-configs',
    what: 'the admin calls that describe configs (sarama\'s ListTopics and DescribeConfig, describe_configs)',
    topic: 'compat-configs',
    unsupported: { kcat: 'kcat has no admin calls' },
    needs: ['DescribeConfigs'],
    check: (out, client) => {
      const calls = outcomes(out);
      expect(Object.keys(calls).length).toBeGreaterThan(0);
      if (pendingApis.has('DescribeConfigs')) {
        for (const [call, result] of Object.entries(calls)) expect(`${call}: ${result}`).toMatch(new RegExp(`^${call}: error`));
        return;
      }
      for (const [call, result] of Object.entries(calls)) expect(`${call}: ${result}`).toBe(`${call}: ok`);
      if (client === 'sarama') expect(out).toMatchObject({ partitions: 2, entries: expect.any(Number) });
    },
  },
  {
    name: 'sasl-ssl',
    what: 'over SASL_SSL with SCRAM-SHA-512 and the dev CA: metadata, produce and consume',
    topic: 'compat-secure',
    partitions: 1,
    secure: true,
    check: (out) => expect(out).toEqual({ produced: 10, consumed: 10, brokers: 1 }),
  },
  {
    name: 'idempotent-producer',
    what: 'the client\'s idempotent producer writes 300 keyed records to 3 partitions; each is read back once, in order per partition',
    topic: 'compat-idempotent',
    partitions: 3,
    activeProducer: [0, 1, 2],
    unsupported: { 'kafka-python': 'kafka-python 2.0.2 has no idempotent producer' },
    check: (out) => expect(out).toMatchObject({ produced: 300, read: 300, distinct: 300, inOrder: true, partitionsUsed: 3 }),
  },
  {
    name: 'transactions',
    what: 'committed 100, aborted 100, committed 50: read_committed reads 150, read_uncommitted 250; consume-transform-produce with the offsets in the transaction',
    topic: 'compat-txn',
    partitions: 1,
    activeProducer: [0],
    timeoutMs: 120_000,
    unsupported: {
      'kafka-python': 'kafka-python 2.0.2 has no transactional producer',
      sarama: 'sarama 1.22 has no transactional producer',
    },
    check: (out, client) => {
      expect(out).toMatchObject({ readCommitted: 150, readUncommitted: 250, abortedSeen: 0 });
      // kcat produces in transactions (-X transactional.id) but cannot put a group's offsets in one.
      if (client === 'kcat') {
        // kcat aborted the transaction itself on SIGINT: 100 + marker + 100 + abort marker.
        expect(out.afterAbort).toBe(202);
        expect(out.consumeTransformProduce).toBe('unsupported by the client');
        return;
      }
      expect(out.outputCommitted).toBe(150);
      // The group's offset committed in the transaction is the end of the input's data: the last
      // record read + 1, which is the offset of the last transaction's commit marker (the log's
      // end is one past it). A client's position stays at the marker until it fetches again.
      expect(out.groupCommitted).toBe((out.lastDataOffset as number) + 1);
      expect(out.inputEnd).toBe((out.lastDataOffset as number) + 2);
    },
  },
];
