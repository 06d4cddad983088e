import { decodeMessage, encodeMessage } from '@dms/kafka-codec';
import { consumerProtocolAssignmentDescriptor, consumerProtocolSubscriptionDescriptor } from '@dms/kafka-schema';
import { toWire, type Assignment } from '../assignment';
import type { TopicsImage } from './types';

/**
 * The embedded protocol of classic consumers (protocol type `consumer`): a member's subscription
 * (ConsumerProtocolSubscription) and assignment (ConsumerProtocolAssignment), each an int16
 * version followed by the message, translated to and from KIP-848 assignments by topic id.
 */

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export interface ClassicSubscription {
  topics: string[];
  /** The partitions the member says it owns (subscription v1+; empty for older, eager clients). */
  owned: Assignment;
  rackId: string | null;
}

const version = (buf: Buffer, max: number): number => {
  if (buf.length < 2) throw new Error('consumer protocol message shorter than its version');
  return Math.min(buf.readInt16BE(0), max);
};

const byName = (names: { topic: string; partitions: number[] }[], topics: TopicsImage): Assignment => {
  const out = new Map<string, Set<number>>();
  for (const tp of names) {
    const t = topics.get(tp.topic);
    if (!t || tp.partitions.length === 0) continue;
    const s = out.get(t.topicId) ?? new Set<number>();
    for (const p of tp.partitions) s.add(p);
    out.set(t.topicId, s);
  }
  return out;
};

/** Decodes a classic member's subscription; throws when it is not a ConsumerProtocolSubscription. */
export function decodeSubscription(metadata: Buffer, topics: TopicsImage): ClassicSubscription {
  const v = decodeMessage(consumerProtocolSubscriptionDescriptor, version(metadata, 3), metadata, 2);
  return { topics: [...(v.topics as string[])].sort(), owned: byName(v.ownedPartitions ?? [], topics), rackId: v.rackId ?? null };
}

/** Decodes a classic member's assignment (topics this cluster does not know are dropped). */
export function decodeAssignment(buf: Buffer, topics: TopicsImage): Assignment {
  if (buf.length === 0) return new Map();
  const v = decodeMessage(consumerProtocolAssignmentDescriptor, version(buf, 3), buf, 2);
  return byName(v.assignedPartitions, topics);
}

/** A KIP-848 assignment as a classic member reads it in SyncGroup (ConsumerProtocolAssignment v0). */
export function encodeAssignment(a: Assignment, topics: TopicsImage): Buffer {
  const names = new Map([...topics].map(([name, t]) => [t.topicId, name]));
  const assignedPartitions = toWire(a).filter((tp) => names.has(tp.topicId)).map((tp) => ({ topic: names.get(tp.topicId)!, partitions: tp.partitions }));
  const head = Buffer.alloc(2);
  head.writeInt16BE(0, 0);
  return Buffer.concat([head, encodeMessage(consumerProtocolAssignmentDescriptor, 0, { assignedPartitions, userData: null })]);
}
