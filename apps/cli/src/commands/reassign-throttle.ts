// The replication throttles of `dms partitions reassign`, as kafka-reassign-partitions.sh sets
// and clears them: --execute --throttle puts the rate on every broker a move reads from or writes
// to and lists the moving replicas in each topic's throttled-replica configs; --verify removes
// both once every reassignment of the file is done.
import { alterConfigs, RESOURCE_BROKER, RESOURCE_TOPIC, type KafkaClient } from '@dms/kafka-client';
import { reassignmentThrottles, type ReassignmentThrottles } from '@dms/replication';
import type { PartitionMove } from './reassign-plan';

export const LEADER_RATE = 'leader.replication.throttled.rate';
export const FOLLOWER_RATE = 'follower.replication.throttled.rate';
export const LEADER_REPLICAS = 'leader.replication.throttled.replicas';
export const FOLLOWER_REPLICAS = 'follower.replication.throttled.replicas';

export type ThrottlePlan = ReassignmentThrottles;

/** What Kafka's tool throttles for these moves, given each partition's current replicas. */
export function throttlePlan(moves: readonly PartitionMove[], current: ReadonlyMap<string, PartitionMove>): ThrottlePlan {
  return reassignmentThrottles(moves.map((m) => ({ topic: m.topic, partition: m.partition, current: current.get(`${m.topic}-${m.partition}`)?.replicas ?? [], target: m.replicas })));
}

/** Sets the rates on the plan's brokers and the replica lists on its topics. */
export async function applyThrottles(client: KafkaClient, plan: ThrottlePlan, bytesPerSecond: number): Promise<void> {
  const rate = String(bytesPerSecond);
  for (const [topic, lists] of plan.topics) {
    const set: Record<string, string> = { [LEADER_REPLICAS]: lists.leader };
    if (lists.follower !== '') set[FOLLOWER_REPLICAS] = lists.follower;
    await alterConfigs(client, { type: RESOURCE_TOPIC, name: topic }, set, lists.follower === '' ? [FOLLOWER_REPLICAS] : []);
  }
  for (const b of plan.brokers) await alterConfigs(client, { type: RESOURCE_BROKER, name: String(b) }, { [LEADER_RATE]: rate, [FOLLOWER_RATE]: rate }, []);
}

/** Removes the rates from `brokers` and the replica lists from `topics`. */
export async function clearThrottles(client: KafkaClient, brokers: readonly number[], topics: readonly string[]): Promise<void> {
  for (const b of brokers) await alterConfigs(client, { type: RESOURCE_BROKER, name: String(b) }, {}, [LEADER_RATE, FOLLOWER_RATE]);
  for (const t of topics) await alterConfigs(client, { type: RESOURCE_TOPIC, name: t }, {}, [LEADER_REPLICAS, FOLLOWER_REPLICAS]);
}

/** --throttle's value: a whole number of bytes per second, as Kafka's tool takes it. */
export function parseThrottle(v: string): number {
  if (!/^\d+$/.test(v.trim())) throw new Error(`invalid --throttle '${v}': give bytes per second, e.g. 50000000`);
  const n = Number(v.trim());
  if (!Number.isSafeInteger(n)) throw new Error(`invalid --throttle '${v}': too large`);
  return n;
}
