import { AlterConfigOp, ConfigResourceType } from '@dms/configs';
import { errMessage, silentLog, type ClusterView, type Log } from '@dms/cluster';
import { reassignmentThrottles } from '@dms/replication';
import type { ConfigResourceChange, ConfigResourceResult } from '../config-manager';
import type { MoveThrottle } from './auto-balancer';

export const LEADER_RATE = 'leader.replication.throttled.rate';
export const FOLLOWER_RATE = 'follower.replication.throttled.rate';
export const LEADER_REPLICAS = 'leader.replication.throttled.replicas';
export const FOLLOWER_REPLICAS = 'follower.replication.throttled.replicas';

export interface ConfigMoveThrottleOptions {
  /** auto.balance.throttle.bytes.per.second now (dynamic); 0 leaves moves unthrottled. */
  bytesPerSecond: number | (() => number);
  view: Pick<ClusterView, 'brokerConfigs'>;
  /** Ids of every broker with dynamic configs of its own (where a rate may have been left). */
  configuredBrokers: () => Promise<number[]>;
  alterConfigs: (resources: ConfigResourceChange[]) => Promise<ConfigResourceResult[]>;
  log?: Log;
}

interface Move {
  topic: string;
  partition: number;
  from: readonly number[];
  to: readonly number[];
}

/**
 * Throttles the self-balancer's copies with Kafka's replication quota configs, as
 * kafka-reassign-partitions.sh --throttle does: the moving replicas are appended to each topic's
 * leader/follower throttled-replica lists (APPEND, so an operator's entries stay) and the rate is
 * set on every broker a move reads from or writes to that has no rate of its own. A finished move's
 * entries are subtracted again; once no balancer move runs, the rates it set (those equal to its
 * own value) are removed. Failures are logged: a move then runs unthrottled, never blocked.
 */
export class ConfigMoveThrottle implements MoveThrottle {
  private readonly log: Log;
  /** Every rate this instance set (the key is dynamic: an earlier value may still be on brokers). */
  private readonly ratesSet = new Set<string>();

  constructor(private readonly opts: ConfigMoveThrottleOptions) {
    this.log = opts.log ?? silentLog;
  }

  private get bytesPerSecond(): number {
    const v = this.opts.bytesPerSecond;
    return typeof v === 'function' ? v() : v;
  }

  private get rate(): string {
    return String(this.bytesPerSecond);
  }

  async started(moves: readonly Move[]): Promise<void> {
    if (this.bytesPerSecond <= 0 || moves.length === 0) return;
    const t = reassignmentThrottles(moves.map((m) => ({ topic: m.topic, partition: m.partition, current: m.from, target: m.to })));
    const changes: ConfigResourceChange[] = [];
    for (const [topic, lists] of t.topics) {
      const c = [{ name: LEADER_REPLICAS, op: AlterConfigOp.APPEND, value: lists.leader, valueNull: false }];
      if (lists.follower !== '') c.push({ name: FOLLOWER_REPLICAS, op: AlterConfigOp.APPEND, value: lists.follower, valueNull: false });
      changes.push({ resourceType: ConfigResourceType.TOPIC, resourceName: topic, replace: false, changes: c });
    }
    for (const b of t.brokers) {
      const own = this.opts.view.brokerConfigs(b);
      if (own[LEADER_RATE] !== undefined || own[FOLLOWER_RATE] !== undefined) continue;
      changes.push({ resourceType: ConfigResourceType.BROKER, resourceName: String(b), replace: false, changes: [
        { name: LEADER_RATE, op: AlterConfigOp.SET, value: this.rate, valueNull: false },
        { name: FOLLOWER_RATE, op: AlterConfigOp.SET, value: this.rate, valueNull: false },
      ] });
    }
    if (t.brokers.length > 0) this.ratesSet.add(this.rate);
    await this.apply(changes, 'set');
  }

  async finished(moves: readonly Move[]): Promise<void> {
    if (moves.length === 0) return;
    const t = reassignmentThrottles(moves.map((m) => ({ topic: m.topic, partition: m.partition, current: m.from, target: m.to })));
    const changes: ConfigResourceChange[] = [];
    for (const [topic, lists] of t.topics) {
      const c = [{ name: LEADER_REPLICAS, op: AlterConfigOp.SUBTRACT, value: lists.leader, valueNull: false }];
      if (lists.follower !== '') c.push({ name: FOLLOWER_REPLICAS, op: AlterConfigOp.SUBTRACT, value: lists.follower, valueNull: false });
      changes.push({ resourceType: ConfigResourceType.TOPIC, resourceName: topic, replace: false, changes: c });
    }
    await this.apply(changes, 'clear');
  }

  /**
   * No balancer move runs: the rates it set go (a broker whose rates are another value had them
   * set by someone else), on every broker with configs, including ones gone since. A rate this
   * controller set under an earlier value of the key counts as its own too.
   */
  async idle(): Promise<void> {
    const own = new Set([...this.ratesSet, ...(this.bytesPerSecond > 0 ? [this.rate] : [])]);
    if (own.size === 0) return;
    const changes: ConfigResourceChange[] = [];
    let brokers: number[];
    try {
      brokers = await this.opts.configuredBrokers();
    } catch (e) {
      this.log.warn({ err: errMessage(e) }, 'auto balance: could not list broker configs; throttle rates stay until the next idle round');
      return;
    }
    for (const b of brokers) {
      const set = this.opts.view.brokerConfigs(b);
      if (set[LEADER_RATE] === undefined || set[LEADER_RATE] !== set[FOLLOWER_RATE] || !own.has(set[LEADER_RATE])) continue;
      changes.push({ resourceType: ConfigResourceType.BROKER, resourceName: String(b), replace: false, changes: [
        { name: LEADER_RATE, op: AlterConfigOp.DELETE, value: '', valueNull: true },
        { name: FOLLOWER_RATE, op: AlterConfigOp.DELETE, value: '', valueNull: true },
      ] });
    }
    await this.apply(changes, 'clear');
  }

  private async apply(changes: ConfigResourceChange[], what: 'set' | 'clear'): Promise<void> {
    if (changes.length === 0) return;
    try {
      const results = await this.opts.alterConfigs(changes);
      const failed = results.filter((r) => r.errorCode !== 0);
      if (failed.length > 0) this.log.warn({ failed: failed.map((r) => `${r.resourceName}: ${r.errorMessage}`) }, `auto balance: could not ${what} replication throttles`);
    } catch (e) {
      this.log.warn({ err: errMessage(e) }, `auto balance: could not ${what} replication throttles`);
    }
  }
}
