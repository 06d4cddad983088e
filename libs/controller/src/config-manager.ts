import type { Etcd3 } from 'etcd3';
import {
  brokerConfigKey,
  brokerConfigRecord,
  clientMetricsConfigKey,
  groupConfigKey,
  controllerLeaderKey,
  fencedTxn,
  NotLeaderError,
  silentLog,
  topicKey,
  topicRecord,
  type Log,
} from '@dms/cluster';
import {
  applyIncremental,
  ConfigResourceType,
  DEFAULT_GROUP_CONFIG_BOUNDS,
  normalizeConfigs,
  replaceAll,
  validateClientMetricsConfigs,
  validateDynamicBrokerConfigs,
  validateGroupConfigs,
  validateTopicConfigs,
  type ConfigChange,
  type GroupConfigBounds,
} from '@dms/configs';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';

/** Structurally the gRPC ConfigResourceChange. */
export interface ConfigResourceChange {
  resourceType: number;
  resourceName: string;
  replace: boolean;
  changes: ReadonlyArray<{ name: string; op: number; value: string; valueNull: boolean }>;
}

/** Structurally the gRPC ConfigResourceResult. */
export interface ConfigResourceResult {
  resourceType: number;
  resourceName: string;
  errorCode: number;
  errorMessage: string;
  revision: bigint;
}

export interface ConfigManagerOptions {
  client: Etcd3;
  clusterName: string;
  fence: () => string | undefined;
  log?: Log;
  /** The broker-level bounds GROUP configs must lie within (Kafka's defaults when absent). */
  groupBounds?: Readonly<GroupConfigBounds>;
}

const ATTEMPTS = 5;

/**
 * Alters topic configs (inside the topic record) and dynamic broker configs
 * (configs/brokers/<id> and <default>). Each resource is read, changed and written back as one
 * fenced transaction guarded by the key's mod revision, retried when someone wrote in between.
 */
export class ConfigManager {
  private readonly log: Log;

  constructor(private readonly opts: ConfigManagerOptions) {
    this.log = opts.log ?? silentLog;
  }

  async alterConfigs(resources: readonly ConfigResourceChange[], validateOnly: boolean): Promise<ConfigResourceResult[]> {
    const results: ConfigResourceResult[] = [];
    for (const r of resources) {
      const result: ConfigResourceResult = { resourceType: r.resourceType, resourceName: r.resourceName, errorCode: ErrorCode.NONE, errorMessage: '', revision: 0n };
      try {
        if (r.resourceType === ConfigResourceType.TOPIC) result.revision = await this.alterTopic(r, validateOnly);
        else if (r.resourceType === ConfigResourceType.BROKER) result.revision = await this.alterBroker(r, validateOnly);
        else if (r.resourceType === ConfigResourceType.CLIENT_METRICS) result.revision = await this.alterClientMetrics(r, validateOnly);
        else if (r.resourceType === ConfigResourceType.GROUP) result.revision = await this.alterGroup(r, validateOnly);
        else throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${r.resourceType}`);
      } catch (e) {
        if (e instanceof KafkaError) {
          result.errorCode = e.code;
          result.errorMessage = e.message;
        } else if (e instanceof NotLeaderError) {
          result.errorCode = ErrorCode.NOT_CONTROLLER;
          result.errorMessage = 'This controller is no longer the leader.';
        } else {
          this.log.warn({ resource: r.resourceName, err: e instanceof Error ? e.message : String(e) }, 'alter configs failed');
          result.errorCode = ErrorCode.REQUEST_TIMED_OUT;
          result.errorMessage = `metadata store error: ${e instanceof Error ? e.message : String(e)}`;
        }
      }
      results.push(result);
    }
    return results;
  }

  private requireFence(): string {
    const rev = this.opts.fence();
    if (rev === undefined) throw new KafkaError(ErrorCode.NOT_CONTROLLER, 'This controller is not the leader.');
    return rev;
  }

  private next(current: Record<string, string>, r: ConfigResourceChange, kind: 'topic' | 'broker' | 'client-metrics' | 'group'): Record<string, string> {
    const changes: ConfigChange[] = r.changes.map((c) => ({ name: c.name, op: c.op, value: c.valueNull ? null : c.value }));
    return r.replace ? replaceAll(changes) : applyIncremental(current, changes, kind);
  }

  private async alterTopic(r: ConfigResourceChange, validateOnly: boolean): Promise<bigint> {
    const { client, clusterName } = this.opts;
    const fence = this.requireFence();
    let key: string;
    try {
      key = topicKey(clusterName, r.resourceName);
    } catch {
      throw unknownTopic();
    }
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const got = await client.get(key).exec();
      const kv = got.kvs[0];
      const record = kv && topicRecord.decode(kv.value);
      if (!kv || !record) throw unknownTopic();
      const configs = this.next(record.configs, r, 'topic');
      validateTopicConfigs(configs);
      if (validateOnly) return 0n;
      const updated = { ...record, configs: normalizeConfigs(configs, 'topic') };
      const res = await fencedTxn(client, controllerLeaderKey(clusterName), fence)
        .and(key, 'Mod', '==', kv.mod_revision)
        .then(client.put(key).value(topicRecord.encode(updated)))
        .commit();
      if (res.succeeded) {
        this.log.info({ topic: r.resourceName, configs: updated.configs }, 'altered topic configs');
        return BigInt(res.header.revision);
      }
    }
    throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `Topic ${r.resourceName} kept changing while its configs were altered.`);
  }

  private async alterBroker(r: ConfigResourceChange, validateOnly: boolean): Promise<bigint> {
    const { client, clusterName } = this.opts;
    const fence = this.requireFence();
    const id = brokerEntity(r.resourceName);
    const key = brokerConfigKey(clusterName, id);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const got = await client.get(key).exec();
      const kv = got.kvs[0];
      const current = (kv && brokerConfigRecord.decode(kv.value)?.configs) ?? {};
      const configs = this.next(current, r, 'broker');
      validateDynamicBrokerConfigs(configs, id !== null);
      if (validateOnly) return 0n;
      const normalized = normalizeConfigs(configs, 'broker');
      const write = Object.keys(normalized).length === 0
        ? client.delete().key(key)
        : client.put(key).value(brokerConfigRecord.encode({ configs: normalized }));
      const res = await fencedTxn(client, controllerLeaderKey(clusterName), fence)
        .and(key, 'Mod', '==', kv ? kv.mod_revision : 0)
        .then(write)
        .commit();
      if (res.succeeded) {
        this.log.info({ broker: id ?? '<default>', configs: normalized }, 'altered broker configs');
        return BigInt(res.header.revision);
      }
    }
    throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `Configs of broker ${r.resourceName || '<default>'} kept changing while being altered.`);
  }

  /** A client-metrics subscription (configs/client-metrics/<name>); removing every key deletes it, as Kafka. */
  private async alterClientMetrics(r: ConfigResourceChange, validateOnly: boolean): Promise<bigint> {
    if (r.resourceName === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Client metrics subscription name must not be empty');
    return this.alterNamedSet(r, validateOnly, {
      kind: 'client-metrics',
      key: (name) => clientMetricsConfigKey(this.opts.clusterName, name),
      validate: validateClientMetricsConfigs,
      what: `Client metrics subscription ${r.resourceName}`,
    });
  }

  /** A group's configs (configs/groups/<id>), checked against the broker bounds; they outlive the group, as in Kafka. */
  private async alterGroup(r: ConfigResourceChange, validateOnly: boolean): Promise<bigint> {
    if (r.resourceName === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Group name must not be empty');
    const bounds = this.opts.groupBounds ?? DEFAULT_GROUP_CONFIG_BOUNDS;
    return this.alterNamedSet(r, validateOnly, {
      kind: 'group',
      key: (name) => groupConfigKey(this.opts.clusterName, name),
      validate: (configs) => validateGroupConfigs(configs, bounds),
      what: `Configs of group ${r.resourceName}`,
    });
  }

  /** A config set stored under its own key; an empty set deletes the key. */
  private async alterNamedSet(
    r: ConfigResourceChange,
    validateOnly: boolean,
    how: { kind: 'client-metrics' | 'group'; key: (name: string) => string; validate: (configs: Record<string, string>) => void; what: string },
  ): Promise<bigint> {
    const { client, clusterName } = this.opts;
    const fence = this.requireFence();
    let key: string;
    try {
      key = how.key(r.resourceName);
    } catch (e) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, (e as Error).message);
    }
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const got = await client.get(key).exec();
      const kv = got.kvs[0];
      const current = (kv && brokerConfigRecord.decode(kv.value)?.configs) ?? {};
      const configs = this.next(current, r, how.kind);
      how.validate(configs);
      if (validateOnly) return 0n;
      const normalized = normalizeConfigs(configs, how.kind);
      const write = Object.keys(normalized).length === 0
        ? client.delete().key(key)
        : client.put(key).value(brokerConfigRecord.encode({ configs: normalized }));
      const res = await fencedTxn(client, controllerLeaderKey(clusterName), fence)
        .and(key, 'Mod', '==', kv ? kv.mod_revision : 0)
        .then(write)
        .commit();
      if (res.succeeded) {
        this.log.info({ resourceType: r.resourceType, resource: r.resourceName, configs: normalized }, 'altered configs');
        return BigInt(res.header.revision);
      }
    }
    throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `${how.what} kept changing while being altered.`);
  }
}

/** "" is the cluster default; otherwise a broker id (Kafka: INVALID_REQUEST for anything else). */
export function brokerEntity(name: string): number | null {
  if (name === '') return null;
  if (!/^(0|[1-9]\d{0,9})$/.test(name) || Number(name) > 0x7fffffff) {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `Invalid broker name ${name}: expected a broker id or "" for the cluster default`);
  }
  return Number(name);
}

function unknownTopic(): KafkaError {
  return new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
}
