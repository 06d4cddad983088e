// KIP-848 consumer groups end to end: our client's ConsumerGroupMember (group.protocol=consumer)
// against a 3-broker cluster. Members join, grow and shrink while records are produced and
// consumed: no partition is owned by two members at once and no record is delivered again after
// its offset was committed. The broker coordinating the group is SIGKILLed in the middle of a
// reconciliation: the new coordinator replays the group's records and the group settles again.
// An empty classic group (kafkajs) becomes a consumer group and back, its committed offsets kept;
// a classic group with a kafkajs member is upgraded online, both consume, and it is downgraded
// when the KIP-848 member leaves.
import { Etcd3 } from 'etcd3';
import { Kafka, logLevel } from 'kafkajs';
import { partitionKey, partitionState } from '@dms/cluster';
import { waitFor } from '@dms/devcluster';
import { groupPartition, OFFSETS_TOPIC } from '@dms/groups';
import { ApiKey, buildRecordBatch } from '@dms/kafka-codec';
import { ConsumerGroupMember, KafkaClient, KafkaConnection } from '@dms/kafka-client';
import { ErrorCode } from '@dms/kafka-errors';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(300_000);

const OFFSETS_PARTITIONS = 3;
const PARTITIONS = 6;

let tc: TestCluster;
let etcd: Etcd3;
let client: KafkaClient;

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 3,
    controllers: 1,
    gateways: 1,
    settings: {
      'offsets.topic.num.partitions': String(OFFSETS_PARTITIONS),
      'offsets.topic.replication.factor': '3',
      'default.replication.factor': '3',
      'min.insync.replicas': '2',
      'group.consumer.heartbeat.interval.ms': '300',
      'group.consumer.session.timeout.ms': '8000',
    },
  });
  etcd = new Etcd3({ hosts: `http://${tc.etcdEndpoint}` });
  client = new KafkaClient({ bootstrapServers: tc.bootstrap, clientId: 'kip848-spec', retries: 30, retryBackoffMs: 200 });
});

afterAll(async () => {
  client?.close();
  etcd?.close();
  await cleanup();
});

/** Who owns what, as the members report it, and every breach of the group's guarantees. */
class Ledger {
  readonly owner = new Map<string, string>();
  readonly committed = new Map<string, bigint>();
  readonly delivered = new Set<string>();
  readonly violations: string[] = [];

  member(client: KafkaClient, groupId: string, topic: string, name: string): { member: ConsumerGroupMember; done: Promise<number> } {
    const member = new ConsumerGroupMember(client, {
      groupId, topics: [topic], autoOffsetReset: 'earliest', maxWaitMs: 200,
      listener: {
        onAssigned: (tps) => {
          for (const tp of tps) {
            const k = `${tp.topic}-${tp.partition}`;
            const held = this.owner.get(k);
            if (held !== undefined && held !== name) this.violations.push(`${k} assigned to ${name} while ${held} owns it`);
            this.owner.set(k, name);
          }
        },
        onRevoked: (tps) => {
          for (const tp of tps) {
            const k = `${tp.topic}-${tp.partition}`;
            if (this.owner.get(k) === name) this.owner.delete(k);
          }
        },
        onCommitted: (tp, offset) => {
          const k = `${tp.topic}-${tp.partition}`;
          if (offset > (this.committed.get(k) ?? -1n)) this.committed.set(k, offset);
        },
      },
    });
    const done = member.run((r) => {
      const k = `${r.topic}-${r.partition}`;
      if (this.owner.get(k) !== name) this.violations.push(`${name} read ${k}@${r.offset} without owning it`);
      if (r.offset < (this.committed.get(k) ?? -1n)) this.violations.push(`${k}@${r.offset} delivered again to ${name} after offset ${this.committed.get(k)} was committed`);
      this.delivered.add(r.value!.toString());
    });
    return { member, done };
  }

  /** Every partition owned, by exactly the given members, each with at least one. */
  settledOn(names: string[]): boolean {
    if (this.owner.size !== PARTITIONS) return false;
    const owners = new Set(this.owner.values());
    return owners.size === names.length && names.every((n) => owners.has(n));
  }
}

/** Produces numbered records round-robin over the partitions until stopped. */
function produceUntilStopped(topic: string, prefix: string): { stop: () => Promise<string[]> } {
  const sent: string[] = [];
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const value = `${prefix}-${i}`;
      await client.produce(topic, i % PARTITIONS, await buildRecordBatch({ records: [{ value }] }));
      sent.push(value);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return { stop: async () => { stopped = true; await loop; return sent; } };
}

async function describeGroup(groupId: string): Promise<any> {
  const [host, port] = tc.bootstrap.split(':');
  const conn = await KafkaConnection.open(host, Number(port), {});
  try {
    const find = await conn.request<any>(ApiKey.FindCoordinator, { key: groupId, keyType: 0, coordinatorKeys: [groupId] });
    const c = find.coordinators[0];
    const coord = await KafkaConnection.open(c.host, c.port, {});
    try {
      return (await coord.request<any>(ApiKey.ConsumerGroupDescribe, { groupIds: [groupId], includeAuthorizedOperations: false })).groups[0];
    } finally {
      coord.close();
    }
  } finally {
    conn.close();
  }
}

it('ApiVersions lists ConsumerGroupHeartbeat and ConsumerGroupDescribe v0-1 and finalizes group.version at 1', async () => {
  const [host, port] = tc.bootstrap.split(':');
  const conn = await KafkaConnection.open(host, Number(port), {});
  try {
    const res = await conn.request<any>(ApiKey.ApiVersions, { clientSoftwareName: 'kip848-spec', clientSoftwareVersion: '1' }, { version: 4 });
    const keys = new Map((res.apiKeys as any[]).map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(keys.get(68)).toEqual([0, 1]);
    expect(keys.get(69)).toEqual([0, 1]);
    expect(res.supportedFeatures).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'group.version', maxVersion: 1 })]));
    expect(res.finalizedFeatures).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'group.version', maxVersionLevel: 1 })]));
  } finally {
    conn.close();
  }
});

it('3 members join, a 4th joins, two leave: partitions move incrementally, never owned twice, nothing committed read again', async () => {
  const topic = 'kip848-grow';
  expect((await client.createTopics([{ name: topic, numPartitions: PARTITIONS, replicationFactor: 3 }]))[0].errorCode).toBe(ErrorCode.NONE);
  const ledger = new Ledger();
  const producer = produceUntilStopped(topic, 'g');
  const members = new Map<string, { member: ConsumerGroupMember; done: Promise<number> }>();
  for (const name of ['a', 'b', 'c']) members.set(name, ledger.member(client, 'g-grow', topic, name));
  await waitFor('a, b and c own every partition', () => ledger.settledOn(['a', 'b', 'c']), 60_000, 50);

  members.set('d', ledger.member(client, 'g-grow', topic, 'd'));
  await waitFor('a, b, c and d own every partition', () => ledger.settledOn(['a', 'b', 'c', 'd']), 60_000, 50);

  for (const name of ['a', 'b']) {
    members.get(name)!.member.stop();
    await members.get(name)!.done;
  }
  await waitFor('c and d own every partition', () => ledger.settledOn(['c', 'd']), 60_000, 50);

  const sent = await producer.stop();
  await waitFor('every produced record consumed', () => sent.every((v) => ledger.delivered.has(v)), 60_000, 100);
  const described = await waitFor('the group described as Stable with c and d', async () => {
    const g = await describeGroup('g-grow');
    return g.errorCode === ErrorCode.NONE && g.groupState === 'Stable' && g.members.length === 2 ? g : undefined;
  }, 30_000, 200);
  const assigned = described.members.flatMap((m: any) => m.assignment.topicPartitions.flatMap((tp: any) => tp.partitions.map((p: number) => `${tp.topicName}-${p}`)));
  expect(assigned.sort()).toEqual([...Array(PARTITIONS).keys()].map((p) => `${topic}-${p}`).sort());
  expect(described.members.every((m: any) => m.memberType === 1 && m.memberEpoch === described.groupEpoch)).toBe(true);

  for (const name of ['c', 'd']) members.get(name)!.member.stop();
  await Promise.all([...members.values()].map((m) => m.done));
  expect(ledger.violations).toEqual([]);
});

it('the coordinator broker is SIGKILLed in the middle of a reconciliation: the group settles on the new coordinator', async () => {
  const topic = 'kip848-failover';
  const groupId = 'g-failover';
  expect((await client.createTopics([{ name: topic, numPartitions: PARTITIONS, replicationFactor: 3 }]))[0].errorCode).toBe(ErrorCode.NONE);
  const leaderOf = async () => partitionState.decode(await etcd.get(partitionKey(tc.cluster.clusterName, OFFSETS_TOPIC, groupPartition(groupId, OFFSETS_PARTITIONS))).buffer())?.leader ?? -1;
  const ledger = new Ledger();
  const producer = produceUntilStopped(topic, 'f');
  const members = [ledger.member(client, groupId, topic, 'a'), ledger.member(client, groupId, topic, 'b')];
  await waitFor('a and b own every partition', () => ledger.settledOn(['a', 'b']), 60_000, 50);
  const coordinator = await leaderOf();
  expect(coordinator).toBeGreaterThan(0);

  // c joins: a and b must revoke partitions for it. The coordinator dies while that is under way.
  members.push(ledger.member(client, groupId, topic, 'c'));
  await waitFor('a revocation under way', async () => (await describeGroup(groupId)).members.some((m: any) => {
    const owned = m.assignment.topicPartitions.reduce((n: number, tp: any) => n + tp.partitions.length, 0);
    const target = m.targetAssignment.topicPartitions.reduce((n: number, tp: any) => n + tp.partitions.length, 0);
    return owned !== target;
  }), 30_000, 20);
  await tc.cluster.kill('broker', coordinator, 'SIGKILL');
  await waitFor('a new coordinator', async () => {
    const l = await leaderOf();
    return l > 0 && l !== coordinator;
  }, 60_000, 200);

  await waitFor('a, b and c own every partition', () => ledger.settledOn(['a', 'b', 'c']), 90_000, 50);
  const sent = await producer.stop();
  await waitFor('every produced record consumed', () => sent.every((v) => ledger.delivered.has(v)), 90_000, 100);
  for (const m of members) m.member.stop();
  await Promise.all(members.map((m) => m.done));
  expect(ledger.violations).toEqual([]);
  await tc.cluster.restart('broker', coordinator);
});

it('an empty classic group becomes a consumer group and back, each protocol resuming at the other\'s commits', async () => {
  const topic = 'kip848-migrate';
  const groupId = 'g-migrate';
  expect((await client.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 3 }]))[0].errorCode).toBe(ErrorCode.NONE);
  const produce = async (values: string[]) => { await client.produce(topic, 0, await buildRecordBatch({ records: values.map((value) => ({ value })) })); };
  const kafka = new Kafka({ brokers: [tc.bootstrap], clientId: 'kip848-classic', logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });

  /** A classic member (kafkajs) that reads `n` records, committing each, then leaves. */
  const classicRead = async (n: number): Promise<string[]> => {
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    const got: string[] = [];
    let enough!: () => void;
    const done = new Promise<void>((r) => { enough = r; });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        got.push(message.value!.toString());
        await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
        if (got.length >= n) enough();
      },
    });
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error('classic member timed out')), 60_000))]);
    await consumer.disconnect();
    return got;
  };

  await produce(['m1', 'm2', 'm3']);
  expect(await classicRead(3)).toEqual(['m1', 'm2', 'm3']);

  // Upgrade: the empty classic group takes a consumer-protocol member, which resumes after m3.
  await produce(['m4', 'm5']);
  const ledger = new Ledger();
  const modern = ledger.member(client, groupId, topic, 'modern');
  await waitFor('the consumer-protocol member read m4 and m5', () => ledger.delivered.has('m4') && ledger.delivered.has('m5'), 60_000, 50);
  expect((await describeGroup(groupId))).toMatchObject({ errorCode: ErrorCode.NONE, groupState: 'Stable' });
  modern.member.stop();
  await modern.done;
  expect([...ledger.delivered].sort()).toEqual(['m4', 'm5']);
  expect(ledger.violations).toEqual([]);

  // Downgrade: the consumer group is empty again; a classic member converts it and resumes after m5.
  await produce(['m6']);
  expect(await classicRead(1)).toEqual(['m6']);
});

it('online migration: a kafkajs (classic) member and a KIP-848 member share a group, then the KIP-848 member leaves and the classic one gets everything', async () => {
  const topic = 'kip848-online';
  const groupId = 'g-online';
  expect((await client.createTopics([{ name: topic, numPartitions: PARTITIONS, replicationFactor: 3 }]))[0].errorCode).toBe(ErrorCode.NONE);
  const ledger = new Ledger();
  const kafka = new Kafka({ brokers: [tc.bootstrap], clientId: 'kip848-classic', logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
  const classic = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 200, rebalanceTimeout: 20_000 });
  // The classic member's ownership: from its assignment (GROUP_JOIN) to the start of its next rejoin (eager).
  const classicOwned = new Set<string>();
  const release = () => {
    for (const k of classicOwned) if (ledger.owner.get(k) === 'classic') ledger.owner.delete(k);
    classicOwned.clear();
  };
  classic.on(classic.events.REBALANCING, release);
  classic.on(classic.events.GROUP_JOIN, (e) => {
    release();
    for (const [t, partitions] of Object.entries(e.payload.memberAssignment)) {
      for (const p of partitions as number[]) {
        const k = `${t}-${p}`;
        const held = ledger.owner.get(k);
        if (held !== undefined && held !== 'classic') ledger.violations.push(`${k} assigned to classic while ${held} owns it`);
        ledger.owner.set(k, 'classic');
        classicOwned.add(k);
      }
    }
  });
  await classic.connect();
  await classic.subscribe({ topics: [topic], fromBeginning: true });
  await classic.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const k = `${topic}-${partition}`;
      const offset = BigInt(message.offset);
      if (offset < (ledger.committed.get(k) ?? -1n)) ledger.violations.push(`${k}@${offset} delivered again to classic after offset ${ledger.committed.get(k)} was committed`);
      ledger.delivered.add(message.value!.toString());
      await classic.commitOffsets([{ topic, partition, offset: (offset + 1n).toString() }]);
      if (offset + 1n > (ledger.committed.get(k) ?? -1n)) ledger.committed.set(k, offset + 1n);
    },
  });
  const producer = produceUntilStopped(topic, 'online');
  try {
    await waitFor('the classic member owns every partition', () => ledger.settledOn(['classic']), 60_000, 50);

    // Upgrade: the KIP-848 member joins the classic group with its member; both consume.
    const modern = ledger.member(client, groupId, topic, 'modern');
    await waitFor('classic and KIP-848 members share the partitions', () => ledger.settledOn(['classic', 'modern']), 90_000, 50);
    const described = await describeGroup(groupId);
    expect(described).toMatchObject({ errorCode: ErrorCode.NONE });
    expect((described.members as any[]).map((m) => m.memberType).sort()).toEqual([0, 1]); // one classic, one consumer member

    // Downgrade: the KIP-848 member leaves; the group is classic again, all partitions to kafkajs.
    modern.member.stop();
    expect(await modern.done).toBeGreaterThan(0); // it read records while sharing the group
    await waitFor('the classic member owns every partition again', () => ledger.settledOn(['classic']), 90_000, 50);
    expect((await describeGroup(groupId)).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  } finally {
    const sent = await producer.stop();
    await waitFor('every record is delivered', () => sent.every((v) => ledger.delivered.has(v)), 60_000, 50).catch(() => undefined);
    await classic.disconnect();
    expect(sent.length).toBeGreaterThan(0);
    const lost = sent.filter((v) => !ledger.delivered.has(v));
    expect(lost).toEqual([]);
    expect(ledger.violations).toEqual([]);
  }
});
