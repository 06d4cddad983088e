import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { placeableBrokers } from './cordon';

export interface LiveBroker {
  id: number;
  rack: string | null;
  /** Cordoned (`dms brokers cordon`): automatic placement puts no new replica here. */
  cordoned?: boolean;
}

export interface AssignmentRequest {
  brokers: readonly LiveBroker[];
  numPartitions: number;
  replicationFactor: number;
  /** Leaders each broker already has, so new leaders go to the least loaded first. */
  leaderCounts?: ReadonlyMap<number, number>;
  /** Injected for tests; defaults to Math.random. */
  random?: () => number;
}

/** partition index -> replica broker ids, the first one being the preferred leader. */
export type Assignment = number[][];

/**
 * Kafka-style replica placement. Brokers are ordered so that racks alternate; partition p's
 * first replica (its leader) walks that list round robin from a start offset, and followers are
 * placed at a shifting distance from it, skipping racks that already hold a replica while any
 * rack has none. Spreads both replicas and leaders evenly and survives the loss of one rack.
 */
export function assignReplicas(req: AssignmentRequest): Assignment {
  const { numPartitions, replicationFactor } = req;
  if (!Number.isInteger(numPartitions) || numPartitions <= 0) {
    throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be larger than 0, got ${numPartitions}.`);
  }
  if (!Number.isInteger(replicationFactor) || replicationFactor <= 0) {
    throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor must be larger than 0, got ${replicationFactor}.`);
  }
  const unique = new Map<number, LiveBroker>();
  for (const b of placeableBrokers(req.brokers, replicationFactor)) unique.set(b.id, b);
  if (replicationFactor > unique.size) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `Replication factor: ${replicationFactor} larger than available brokers: ${unique.size}.`,
    );
  }
  const ordered = rackAlternated([...unique.values()]);
  const random = req.random ?? Math.random;
  const start = startIndex(ordered, req.leaderCounts, random);
  return place(ordered, { start, shift: Math.floor(random() * ordered.length), firstPartition: 0, count: numPartitions, replicationFactor });
}

export interface AdditionalPartitionsRequest {
  brokers: readonly LiveBroker[];
  /** The topic's current assignment, indexed by partition (partition 0 sets the spread). */
  existing: Assignment;
  /** The partition count wanted; more than `existing.length`. */
  newCount: number;
  random?: () => number;
}

/**
 * Replicas for the partitions CreatePartitions adds. They continue the topic's spread rather than
 * starting a new one: the round robin resumes at partition `existing.length` from where partition
 * 0's leader sits in the rack-alternated broker list, with the follower distance partition 0 shows,
 * so a topic grown from 2 to 4 partitions is placed as if it had been created with 4 (while the
 * brokers are the same). The replication factor is the topic's.
 */
export function assignAdditionalPartitions(req: AdditionalPartitionsRequest): Assignment {
  const { existing, newCount } = req;
  const replicationFactor = existing[0]?.length ?? 0;
  if (replicationFactor <= 0) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'The topic has no partition to take the replication factor from.');
  const unique = new Map<number, LiveBroker>();
  for (const b of placeableBrokers(req.brokers, replicationFactor)) unique.set(b.id, b);
  if (replicationFactor > unique.size) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${unique.size} broker(s) are registered.`,
    );
  }
  const ordered = rackAlternated([...unique.values()]);
  const n = ordered.length;
  const random = req.random ?? Math.random;
  const leaderAt = ordered.findIndex((b) => b.id === existing[0][0]);
  // Partition 0's leader gone: start at the next id up, as Kafka does, else anywhere.
  const start = leaderAt >= 0 ? leaderAt : Math.max(0, ordered.findIndex((b) => b.id >= existing[0][0]));
  const followerAt = replicationFactor > 1 ? ordered.findIndex((b) => b.id === existing[0][1]) : -1;
  // Partition 0's first follower sits at distance 1 + shift from its leader.
  const shift = leaderAt >= 0 && followerAt >= 0 && n > 1 ? (followerAt - leaderAt + n - 1) % n : Math.floor(random() * n);
  return place(ordered, { start, shift, firstPartition: existing.length, count: newCount - existing.length, replicationFactor });
}

interface Placement {
  /** Index in `ordered` of partition 0's leader. */
  start: number;
  /** Follower distance of partition 0 (minus one); grows by one every n partitions. */
  shift: number;
  firstPartition: number;
  count: number;
  replicationFactor: number;
}

function place(ordered: LiveBroker[], p: Placement): Assignment {
  const n = ordered.length;
  const racks = new Set(ordered.map((b) => b.rack));
  const rackAware = racks.size > 1;
  const out: Assignment = [];
  for (let partition = p.firstPartition; partition < p.firstPartition + p.count; partition++) {
    const shift = p.shift + Math.floor(partition / n);
    const first = (partition + p.start) % n;
    const replicas = [ordered[first].id];
    const usedRacks = new Set([ordered[first].rack]);
    // Candidates in Kafka's follower order: distance 1 + (shift + j) mod (n - 1) from the leader.
    const candidates: LiveBroker[] = [];
    for (let j = 0; j < n - 1; j++) candidates.push(ordered[(first + 1 + ((shift + j) % (n - 1))) % n]);
    for (const pass of rackAware ? [true, false] : [false]) {
      for (const c of candidates) {
        if (replicas.length >= p.replicationFactor) break;
        if (replicas.includes(c.id)) continue;
        if (pass && usedRacks.has(c.rack) && usedRacks.size < racks.size) continue;
        replicas.push(c.id);
        usedRacks.add(c.rack);
      }
    }
    out.push(replicas);
  }
  return out;
}

/** Brokers sorted by id within each rack, then interleaved rack by rack: a1, b1, c1, a2, b2, ... */
export function rackAlternated(brokers: LiveBroker[]): LiveBroker[] {
  const byRack = new Map<string, LiveBroker[]>();
  for (const b of [...brokers].sort((x, y) => x.id - y.id)) {
    const k = b.rack ?? '';
    if (!byRack.has(k)) byRack.set(k, []);
    byRack.get(k)!.push(b);
  }
  const lists = [...byRack.keys()].sort().map((k) => byRack.get(k)!);
  const out: LiveBroker[] = [];
  for (let i = 0; out.length < brokers.length; i++) for (const l of lists) if (i < l.length) out.push(l[i]);
  return out;
}

function startIndex(ordered: LiveBroker[], counts: ReadonlyMap<number, number> | undefined, random: () => number): number {
  if (!counts || counts.size === 0) return Math.floor(random() * ordered.length);
  let min = Infinity;
  const best: number[] = [];
  ordered.forEach((b, i) => {
    const c = counts.get(b.id) ?? 0;
    if (c < min) {
      min = c;
      best.length = 0;
    }
    if (c === min) best.push(i);
  });
  return best[Math.floor(random() * best.length)];
}

/**
 * Checks an explicit assignment (CreateTopics' `assignments`): every partition 0..n-1 exactly
 * once, the same non-zero replica count everywhere, no broker twice in one list, only known
 * brokers. Returns it indexed by partition.
 */
export function validateExplicitAssignment(
  entries: ReadonlyArray<{ partition: number; brokerIds: readonly number[] }>,
  knownBrokers: ReadonlySet<number>,
): Assignment {
  const bad = (m: string): never => {
    throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, m);
  };
  if (entries.length === 0) bad('Replica assignment is empty.');
  const out: Assignment = new Array(entries.length);
  for (const e of entries) {
    if (!Number.isInteger(e.partition) || e.partition < 0 || e.partition >= entries.length) {
      bad(`Partitions must be numbered 0..${entries.length - 1}; got ${e.partition}.`);
    }
    if (out[e.partition]) bad(`Partition ${e.partition} is assigned twice.`);
    if (e.brokerIds.length === 0) bad(`Partition ${e.partition} has no replicas.`);
    if (new Set(e.brokerIds).size !== e.brokerIds.length) bad(`Partition ${e.partition} lists a broker twice.`);
    for (const id of e.brokerIds) if (!knownBrokers.has(id)) bad(`Unknown broker ${id} in the assignment of partition ${e.partition}.`);
    out[e.partition] = [...e.brokerIds];
  }
  const rf = out[0].length;
  if (out.some((r) => r.length !== rf)) bad('All partitions must have the same number of replicas.');
  return out;
}

/**
 * Checks the explicit replica lists of CreatePartitions: one list per added partition, each with
 * the topic's replication factor, no broker twice, only registered brokers (Kafka's messages).
 */
export function validateAdditionalAssignment(
  lists: ReadonlyArray<readonly number[]>,
  additional: number,
  replicationFactor: number,
  knownBrokers: ReadonlySet<number>,
): Assignment {
  const bad = (m: string): never => {
    throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, m);
  };
  if (lists.length !== additional) {
    bad(`Attempted to add ${additional} additional partition(s), but only ${lists.length} assignment(s) were specified.`);
  }
  for (const list of lists) {
    if (list.length === 0) bad('The manual partition assignment includes an empty replica list.');
    const seen = new Set<number>();
    for (const id of list) {
      if (seen.has(id)) bad(`The manual partition assignment includes the broker ${id} more than once.`);
      seen.add(id);
      if (!knownBrokers.has(id)) bad(`The manual partition assignment includes broker ${id}, but no such broker is registered.`);
    }
    if (list.length !== replicationFactor) {
      bad(`The manual partition assignment includes a partition with ${list.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`);
    }
  }
  return lists.map((l) => [...l]);
}
