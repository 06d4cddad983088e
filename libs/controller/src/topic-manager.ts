import { randomUUID } from 'node:crypto';
import type { Etcd3 } from 'etcd3';
import {
  brokerRegistration,
  brokersPrefix,
  controllerLeaderKey,
  fencedTxn,
  NotLeaderError,
  parsePartitionKey,
  partitionKey,
  partitionState,
  silentLog,
  topicKey,
  topicDeletionKey,
  topicDeletionRecord,
  topicPartitionsPrefix,
  topicRecord,
  type Log,
  type PartitionState,
  type TopicRecord,
} from '@dms/cluster';
import { normalizeConfigs } from '@dms/configs';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { FIXED_PARTITION_TOPICS, internalTopicDefaults, type OffsetsTopicSettings, type TransactionStateTopicSettings } from './internal-topics';
import {
  assignAdditionalPartitions,
  assignReplicas,
  validateAdditionalAssignment,
  validateExplicitAssignment,
  type Assignment,
  type LiveBroker,
} from './assignment';
import { readCordoned } from './cordon';
import { validateTopicConfigs, validateTopicName } from './topic-validation';
import { checkPartitionCount, DEFAULT_PARTITION_LIMITS, type PartitionLimits } from './partition-limits';

/** Structurally the gRPC TopicSpec, so the service passes requests through unchanged. */
export interface TopicSpec {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: ReadonlyArray<{ partition: number; brokerIds: readonly number[] }>;
  configs: Readonly<Record<string, string>>;
}

/** Structurally the gRPC TopicResult. */
export interface TopicResult {
  name: string;
  errorCode: number;
  errorMessage: string;
  topicId: string;
  numPartitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

/** Structurally the gRPC PartitionsSpec: grow `name` to `count` partitions. */
export interface NewPartitionsSpec {
  name: string;
  count: number;
  /** False: the controller places the new replicas; true: `assignments` lists them. */
  explicitAssignment: boolean;
  assignments: ReadonlyArray<{ brokerIds: readonly number[] }>;
}

/** Structurally the gRPC PartitionsResult. */
export interface NewPartitionsResult {
  name: string;
  errorCode: number;
  errorMessage: string;
}

export interface TopicManagerOptions {
  client: Etcd3;
  clusterName: string;
  /** The current fencing token, or undefined when this controller is not the leader. */
  fence: () => string | undefined;
  /** Current leaders per broker (from the metadata cache) to spread new leaders. */
  leaderCounts?: () => ReadonlyMap<number, number>;
  numPartitions: number;
  defaultReplicationFactor: number;
  /** max.partitions.per.topic and max.partitions; default 10,000 and 200,000. */
  partitionLimits?: PartitionLimits;
  /** Partitions of every topic now (from the metadata cache), for max.partitions. */
  clusterPartitionCount?: () => number;
  offsetsTopic?: OffsetsTopicSettings;
  transactionStateTopic?: TransactionStateTopicSettings;
  log?: Log;
}

const emptyResult = (name: string): TopicResult => ({
  name,
  errorCode: ErrorCode.NONE,
  errorMessage: '',
  topicId: '',
  numPartitions: -1,
  replicationFactor: -1,
  configs: {},
});

/**
 * Creates and deletes topics in etcd. Every write is one fenced transaction: topic key and all
 * its partition keys together, guarded by the election key's createRevision, so a deposed
 * leader can never write and a reader never sees a topic without its partitions.
 */
export class TopicManager {
  private readonly log: Log;

  constructor(private readonly opts: TopicManagerOptions) {
    this.log = opts.log ?? silentLog;
  }

  async createTopics(specs: readonly TopicSpec[], validateOnly = false): Promise<TopicResult[]> {
    const counts = new Map<string, number>();
    for (const s of specs) counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
    let brokers: LiveBroker[] | undefined;
    const results: TopicResult[] = [];
    for (const spec of specs) {
      const result = emptyResult(spec.name);
      try {
        if ((counts.get(spec.name) ?? 0) > 1) {
          throw new KafkaError(ErrorCode.INVALID_REQUEST, `Create topics request from client contains duplicate topic name: ${spec.name}`);
        }
        brokers ??= await this.liveBrokers();
        Object.assign(result, await this.createOne(spec, brokers, validateOnly));
      } catch (e) {
        this.fail(result, e, 'create');
      }
      results.push(result);
    }
    return results;
  }

  async deleteTopics(names: readonly string[]): Promise<TopicResult[]> {
    const results: TopicResult[] = [];
    for (const name of names) {
      const result = emptyResult(name);
      try {
        result.topicId = await this.deleteOne(name);
      } catch (e) {
        this.fail(result, e, 'delete');
      }
      results.push(result);
    }
    return results;
  }

  /** Kafka's CreatePartitions: each topic grows in one fenced transaction, or not at all. */
  async createPartitions(specs: readonly NewPartitionsSpec[], validateOnly = false): Promise<NewPartitionsResult[]> {
    const counts = new Map<string, number>();
    for (const s of specs) counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
    let brokers: LiveBroker[] | undefined;
    const results: NewPartitionsResult[] = [];
    for (const spec of specs) {
      const result = { ...emptyResult(spec.name) };
      try {
        if ((counts.get(spec.name) ?? 0) > 1) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
        brokers ??= await this.liveBrokers();
        await this.addPartitions(spec, brokers, validateOnly);
      } catch (e) {
        this.fail(result, e, 'create partitions');
      }
      results.push({ name: result.name, errorCode: result.errorCode, errorMessage: result.errorMessage });
    }
    return results;
  }

  private fail(result: TopicResult, e: unknown, what: string): void {
    if (e instanceof KafkaError) {
      result.errorCode = e.code;
      result.errorMessage = e.message;
    } else if (e instanceof NotLeaderError) {
      result.errorCode = ErrorCode.NOT_CONTROLLER;
      result.errorMessage = 'This controller is no longer the leader.';
    } else {
      // etcd unreachable or overloaded: a retriable error, the client tries again.
      this.log.warn({ topic: result.name, err: e instanceof Error ? e.message : String(e) }, `topic ${what} failed`);
      result.errorCode = ErrorCode.REQUEST_TIMED_OUT;
      result.errorMessage = `metadata store error: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  private requireFence(): string {
    const rev = this.opts.fence();
    if (rev === undefined) throw new KafkaError(ErrorCode.NOT_CONTROLLER, 'This controller is not the leader.');
    return rev;
  }

  private async liveBrokers(): Promise<LiveBroker[]> {
    const res = await this.opts.client.getAll().prefix(brokersPrefix(this.opts.clusterName)).exec();
    const cordoned = await readCordoned(this.opts.client, this.opts.clusterName);
    const out: LiveBroker[] = [];
    for (const kv of res.kvs) {
      const b = brokerRegistration.decode(kv.value);
      if (b) out.push({ id: b.id, rack: b.rack, ...(cordoned.has(b.id) ? { cordoned: true } : {}) });
    }
    return out;
  }

  private checkPartitions(topic: string, newTotal: number, added: number): void {
    checkPartitionCount(topic, newTotal, added, () => this.opts.clusterPartitionCount?.() ?? 0, this.opts.partitionLimits ?? DEFAULT_PARTITION_LIMITS);
  }

  private async createOne(spec: TopicSpec, brokers: LiveBroker[], validateOnly: boolean): Promise<Partial<TopicResult>> {
    const fence = this.requireFence();
    validateTopicName(spec.name);
    // Internal topics size their replication to the brokers that may take new replicas.
    const internal = internalTopicDefaults(spec.name, this.opts.offsetsTopic, brokers.filter((b) => !b.cordoned).length, this.opts.transactionStateTopic);
    const given = { ...(internal?.configs ?? {}), ...(spec.configs ?? {}) };
    validateTopicConfigs(given);
    const configs = normalizeConfigs(given, 'topic');

    let assignment: Assignment;
    const explicit = spec.assignments ?? [];
    if (explicit.length > 0) {
      if (spec.numPartitions !== -1 || spec.replicationFactor !== -1) {
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
        );
      }
      this.checkPartitions(spec.name, explicit.length, explicit.length);
      assignment = validateExplicitAssignment(explicit, new Set(brokers.map((b) => b.id)));
    } else {
      const numPartitions = spec.numPartitions === -1 ? internal?.numPartitions ?? this.opts.numPartitions : spec.numPartitions;
      const replicationFactor = spec.replicationFactor === -1 ? internal?.replicationFactor ?? this.opts.defaultReplicationFactor : spec.replicationFactor;
      if (numPartitions > 0) this.checkPartitions(spec.name, numPartitions, numPartitions);
      assignment = assignReplicas({
        brokers,
        numPartitions,
        replicationFactor,
        leaderCounts: this.opts.leaderCounts?.(),
      });
    }

    const { client, clusterName } = this.opts;
    const tKey = topicKey(clusterName, spec.name);
    const record: TopicRecord = {
      topicId: randomUUID(),
      partitions: assignment.length,
      replicationFactor: assignment[0].length,
      configs,
      createdAtMs: Date.now(),
    };
    const summary = {
      topicId: record.topicId,
      numPartitions: record.partitions,
      replicationFactor: record.replicationFactor,
      configs,
    };
    if (validateOnly) {
      if (await client.get(tKey).exists()) throw alreadyExists(spec.name);
      return { ...summary, topicId: '' };
    }
    const txn = fencedTxn(client, controllerLeaderKey(clusterName), fence)
      .and(tKey, 'Create', '==', 0)
      .then(client.put(tKey).value(topicRecord.encode(record)));
    assignment.forEach((replicas, p) => {
      // Every replica starts in sync (all logs are empty); the first is the preferred leader.
      const state: PartitionState = { replicas, leader: replicas[0], leaderEpoch: 0, isr: [...replicas], partitionEpoch: 0 };
      txn.then(client.put(partitionKey(clusterName, spec.name, p)).value(partitionState.encode(state)));
    });
    let res;
    try {
      res = await txn.commit();
    } catch (e) {
      // etcd caps operations per transaction (--max-txn-ops, 128 by default) and the contract wants
      // one transaction per topic, so the cap bounds the partition count.
      if (e instanceof Error && /too many operations in txn/.test(e.message)) {
        throw new KafkaError(
          ErrorCode.INVALID_PARTITIONS,
          `${assignment.length} partitions exceed what one etcd transaction may write (etcd --max-txn-ops).`,
        );
      }
      throw e;
    }
    if (!res.succeeded) throw alreadyExists(spec.name);
    this.log.info({ topic: spec.name, topicId: record.topicId, assignment }, 'created topic');
    return summary;
  }

  private async addPartitions(spec: NewPartitionsSpec, brokers: LiveBroker[], validateOnly: boolean): Promise<void> {
    const { client, clusterName } = this.opts;
    const fence = this.requireFence();
    const unknown = () => new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    try {
      validateTopicName(spec.name);
    } catch {
      throw unknown();
    }
    if (FIXED_PARTITION_TOPICS.has(spec.name)) {
      // Coordinator placement hashes over the partition count: growing it would move groups and
      // transactional ids away from their state.
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `The partition count of ${spec.name} is fixed: coordinators are placed by it.`);
    }
    const tKey = topicKey(clusterName, spec.name);
    // Retries only when the topic changed between our read and the txn (an ISR change does not touch it).
    for (let attempt = 0; attempt < 3; attempt++) {
      const kv = (await client.get(tKey).exec()).kvs[0];
      const record = kv ? topicRecord.decode(kv.value) : undefined;
      if (!kv || !record) throw unknown();
      const current = record.partitions;
      if (spec.count === current) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`);
      if (spec.count < current) {
        throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `The topic ${spec.name} currently has ${current} partition(s); ${spec.count} would not be an increase.`);
      }
      const additional = spec.count - current;
      this.checkPartitions(spec.name, spec.count, additional);
      let added: Assignment;
      if (spec.explicitAssignment) {
        added = validateAdditionalAssignment(spec.assignments.map((a) => a.brokerIds), additional, record.replicationFactor, new Set(brokers.map((b) => b.id)));
      } else {
        added = assignAdditionalPartitions({ brokers, existing: await this.currentAssignment(spec.name, current), newCount: spec.count });
      }
      if (validateOnly) return;
      const txn = fencedTxn(client, controllerLeaderKey(clusterName), fence)
        .and(tKey, 'Mod', '==', kv.mod_revision)
        .then(client.put(tKey).value(topicRecord.encode({ ...record, partitions: spec.count })));
      added.forEach((replicas, i) => {
        const state: PartitionState = { replicas, leader: replicas[0], leaderEpoch: 0, isr: [...replicas], partitionEpoch: 0 };
        txn.then(client.put(partitionKey(clusterName, spec.name, current + i)).value(partitionState.encode(state)));
      });
      let res;
      try {
        res = await txn.commit();
      } catch (e) {
        if (e instanceof Error && /too many operations in txn/.test(e.message)) {
          throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `${additional} new partitions exceed what one etcd transaction may write (etcd --max-txn-ops).`);
        }
        throw e;
      }
      if (res.succeeded) {
        this.log.info({ topic: spec.name, from: current, to: spec.count, added }, 'added partitions');
        return;
      }
    }
    throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `Topic ${spec.name} kept changing while partitions were added.`);
  }

  /** The replicas of partitions 0..count-1 as etcd holds them (partition 0 sets the spread). */
  private async currentAssignment(topic: string, count: number): Promise<Assignment> {
    const { client, clusterName } = this.opts;
    const res = await client.getAll().prefix(topicPartitionsPrefix(clusterName, topic)).exec();
    const out: Assignment = Array.from({ length: count }, () => []);
    for (const kv of res.kvs) {
      const parsed = parsePartitionKey(clusterName, kv.key.toString());
      const state = partitionState.decode(kv.value);
      if (parsed && state && parsed.partition < count) out[parsed.partition] = state.replicas;
    }
    if (out[0].length === 0) {
      throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `Invalid state: topic ${topic} appears to have no partition 0.`);
    }
    return out;
  }

  /** Every broker holding a replica of some partition of `topic`, as etcd has them now. */
  private async replicaBrokers(topic: string): Promise<number[]> {
    const { client, clusterName } = this.opts;
    const res = await client.getAll().prefix(topicPartitionsPrefix(clusterName, topic)).exec();
    const ids = new Set<number>();
    for (const kv of res.kvs) for (const id of partitionState.decode(kv.value)?.replicas ?? []) ids.add(id);
    return [...ids].sort((a, b) => a - b);
  }

  private async deleteOne(name: string): Promise<string> {
    const { client, clusterName } = this.opts;
    const unknown = () => new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    const fence = this.requireFence();
    try {
      validateTopicName(name);
    } catch {
      throw unknown();
    }
    const tKey = topicKey(clusterName, name);
    // Retries only when the topic changed between our read and the txn (re-created meanwhile).
    for (let attempt = 0; attempt < 3; attempt++) {
      const got = await client.get(tKey).exec();
      const kv = got.kvs[0];
      if (!kv) throw unknown();
      const record = topicRecord.decode(kv.value);
      const txn = fencedTxn(client, controllerLeaderKey(clusterName), fence)
        .and(tKey, 'Mod', '==', kv.mod_revision)
        .then(client.delete().key(tKey), client.delete().prefix(topicPartitionsPrefix(clusterName, name)));
      // The deletion record: brokers delete a partition directory only when one names its topic
      // id, so a topic merely absent from etcd (a wiped or restored etcd) never loses its data.
      const brokers = record ? await this.replicaBrokers(name) : [];
      if (record && brokers.length > 0) {
        const deletion = { topicId: record.topicId, name, partitions: record.partitions, brokers, deletedAtMs: Date.now() };
        txn.then(client.put(topicDeletionKey(clusterName, record.topicId)).value(topicDeletionRecord.encode(deletion)));
      }
      const res = await txn.commit();
      if (res.succeeded) {
        const topicId = record?.topicId ?? '';
        this.log.info({ topic: name, topicId, replicaBrokers: brokers }, 'deleted topic');
        return topicId;
      }
    }
    throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `Topic ${name} kept changing while being deleted.`);
  }
}

function alreadyExists(name: string): KafkaError {
  return new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
}
