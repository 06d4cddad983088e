import { ErrorCode, KafkaError } from '@dms/kafka-client';

/** What the group's offsets move to (kafka-consumer-groups.sh --reset-offsets' scenarios). */
export type ResetStrategy =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'offset'; offset: bigint }
  | { kind: 'shift'; by: bigint }
  /** The first record at or after this time ("back to an hour ago"). */
  | { kind: 'time'; timestampMs: number };

/** What is known of one partition when planning. */
export interface PartitionPosition {
  topic: string;
  partition: number;
  earliest: bigint;
  latest: bigint;
  committed: bigint | null;
  /** ListOffsets(timestamp) for a time reset: the first offset at or after it, or -1 when none. */
  offsetForTime?: bigint;
}

export interface PlannedOffset {
  topic: string;
  partition: number;
  currentOffset: bigint | null;
  newOffset: bigint;
  /** newOffset minus the current offset (negative moves back); null when nothing was committed. */
  change: bigint | null;
  /** Lag after the reset: latest minus newOffset. */
  lagAfter: bigint;
}

/** The new offset of each partition, clamped to [earliest, latest] as Kafka's tool clamps it. */
export function planReset(strategy: ResetStrategy, positions: readonly PartitionPosition[]): PlannedOffset[] {
  return positions.map((p) => {
    const clamp = (o: bigint) => (o < p.earliest ? p.earliest : o > p.latest ? p.latest : o);
    let target: bigint;
    switch (strategy.kind) {
      case 'earliest':
        target = p.earliest;
        break;
      case 'latest':
        target = p.latest;
        break;
      case 'offset':
        target = clamp(strategy.offset);
        break;
      case 'shift':
        target = clamp((p.committed ?? p.latest) + strategy.by);
        break;
      case 'time':
        if (p.offsetForTime === undefined) throw new Error(`no offset for the time on ${p.topic}-${p.partition}`);
        // Nothing at or after the time: the group starts at the end, as Kafka's tool does.
        target = p.offsetForTime < 0n ? p.latest : clamp(p.offsetForTime);
        break;
    }
    return {
      topic: p.topic,
      partition: p.partition,
      currentOffset: p.committed,
      newOffset: target,
      change: p.committed === null ? null : target - p.committed,
      lagAfter: p.latest - target,
    };
  });
}

/** Kafka's rule: offsets of a group with active members cannot be reset. */
export function checkGroupInactive(groupId: string, state: string, memberCount: number): void {
  if (memberCount > 0 || !['Empty', 'Dead'].includes(state)) {
    throw new KafkaError(
      ErrorCode.NON_EMPTY_GROUP,
      `Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${state}. Stop its consumers first.`,
    );
  }
}

/** Parses the reset form: strategy name and its argument. */
export function parseStrategy(body: { strategy?: unknown; offset?: unknown; shiftBy?: unknown; timestampMs?: unknown }): ResetStrategy {
  const int = (v: unknown, name: string): bigint => {
    const s = String(v ?? '').trim();
    if (!/^-?\d+$/.test(s)) throw new RangeError(`${name} must be an integer, got '${s}'`);
    return BigInt(s);
  };
  switch (body.strategy) {
    case 'earliest':
      return { kind: 'earliest' };
    case 'latest':
      return { kind: 'latest' };
    case 'offset':
      return { kind: 'offset', offset: int(body.offset, 'offset') };
    case 'shift':
      return { kind: 'shift', by: int(body.shiftBy, 'shiftBy') };
    case 'time': {
      const t = Number(body.timestampMs);
      if (!Number.isFinite(t) || t < 0) throw new RangeError(`timestampMs must be epoch milliseconds, got '${String(body.timestampMs)}'`);
      return { kind: 'time', timestampMs: Math.floor(t) };
    }
    default:
      throw new RangeError(`strategy must be earliest, latest, offset, shift or time, got '${String(body.strategy)}'`);
  }
}
