// The JSON files and text of `dms partitions reassign`, shaped like kafka-reassign-partitions.sh:
// the same file formats (topics-to-move and reassignment JSON, version 1) and the same messages.

export interface PartitionMove {
  topic: string;
  partition: number;
  replicas: number[];
  /** Kafka's per-replica log dirs; only "any" is supported. */
  log_dirs?: string[];
}

export interface ReassignmentFile {
  version: 1;
  partitions: PartitionMove[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff;

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** `{"version":1,"topics":[{"topic":"foo"}]}`: the topics --generate moves. */
export function parseTopicsToMove(text: string): string[] {
  const o = parseJson(text, 'the topics-to-move file');
  if (!isObj(o) || !Array.isArray(o.topics)) throw new Error('the topics-to-move file must be {"version":1,"topics":[{"topic":"name"},...]}');
  if (o.version !== undefined && o.version !== 1) throw new Error(`unsupported topics-to-move version ${String(o.version)}: only 1`);
  const names = o.topics.map((t) => {
    if (!isObj(t) || typeof t.topic !== 'string' || t.topic.length === 0) throw new Error('each entry of "topics" needs a "topic" name');
    return t.topic;
  });
  if (names.length === 0) throw new Error('the topics-to-move file names no topic');
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new Error(`duplicate topic ${dup} in the topics-to-move file`);
  return names;
}

/** Kafka's reassignment JSON; duplicates, bad ids and log dirs other than "any" are refused. */
export function parseReassignment(text: string): PartitionMove[] {
  const o = parseJson(text, 'the reassignment file');
  if (!isObj(o) || !Array.isArray(o.partitions)) throw new Error('the reassignment file must be {"version":1,"partitions":[{"topic":..,"partition":..,"replicas":[..]},...]}');
  if (o.version !== undefined && o.version !== 1) throw new Error(`unsupported reassignment version ${String(o.version)}: only 1`);
  const seen = new Set<string>();
  const moves = o.partitions.map((p): PartitionMove => {
    if (!isObj(p) || typeof p.topic !== 'string' || p.topic.length === 0 || !isId(p.partition)) {
      throw new Error('each partition needs "topic" (a name) and "partition" (an index >= 0)');
    }
    const name = `${p.topic}-${p.partition}`;
    if (!Array.isArray(p.replicas) || p.replicas.length === 0 || !p.replicas.every(isId)) throw new Error(`partition ${name}: "replicas" must be a non-empty list of broker ids`);
    if (new Set(p.replicas).size !== p.replicas.length) throw new Error(`partition ${name} has duplicate replicas: ${p.replicas.join(',')}`);
    if (p.log_dirs !== undefined) {
      if (!Array.isArray(p.log_dirs) || p.log_dirs.length !== p.replicas.length) throw new Error(`partition ${name}: "log_dirs" must have one entry per replica`);
      if (p.log_dirs.some((d) => d !== 'any')) throw new Error(`partition ${name}: only "any" log dirs are supported (moves between log dirs are not)`);
    }
    if (seen.has(name)) throw new Error(`partition ${name} appears more than once in the reassignment file`);
    seen.add(name);
    return { topic: p.topic, partition: p.partition, replicas: [...(p.replicas as number[])] };
  });
  if (moves.length === 0) throw new Error('the reassignment file names no partition');
  return moves;
}

/** The JSON Kafka's tool prints and reads. */
export function formatReassignment(moves: readonly PartitionMove[]): string {
  const partitions = [...moves]
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    .map((m) => ({ topic: m.topic, partition: m.partition, replicas: [...m.replicas], log_dirs: m.replicas.map(() => 'any') }));
  return JSON.stringify({ version: 1, partitions });
}

/** Brokers ordered so that racks alternate (rack a, b, c, a, b, c...), each rack's brokers by id. */
export function rackAlternated(brokers: readonly { id: number; rack: string | null }[]): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of [...brokers].sort((x, y) => x.id - y.id)) {
    const r = b.rack ?? '';
    byRack.set(r, [...(byRack.get(r) ?? []), b.id]);
  }
  const racks = [...byRack.keys()].sort();
  const out: number[] = [];
  for (let i = 0; out.length < brokers.length; i++) for (const r of racks) if (i < byRack.get(r)!.length) out.push(byRack.get(r)![i]!);
  return out;
}

/**
 * --generate's proposal: every partition of the topics keeps its replication factor, placed
 * round-robin over the rack-alternated broker list (partition p's replicas start at broker p, so
 * leaders spread evenly and consecutive replicas sit on different racks while racks remain).
 */
export function proposeAssignment(
  current: readonly PartitionMove[],
  brokers: readonly { id: number; rack: string | null }[],
): PartitionMove[] {
  const ordered = rackAlternated(brokers);
  if (ordered.length === 0) throw new Error('--broker-list names no broker');
  const byTopic = new Map<string, PartitionMove[]>();
  for (const m of current) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
  const out: PartitionMove[] = [];
  let offset = 0;
  for (const [topic, parts] of [...byTopic].sort(([a], [b]) => a.localeCompare(b))) {
    for (const m of [...parts].sort((a, b) => a.partition - b.partition)) {
      const rf = m.replicas.length;
      if (rf > ordered.length) throw new Error(`Replication factor: ${rf} larger than available brokers: ${ordered.length} (topic ${topic}).`);
      const replicas = Array.from({ length: rf }, (_, j) => ordered[(offset + m.partition + j) % ordered.length]!);
      out.push({ topic, partition: m.partition, replicas });
    }
    offset++;
  }
  return out;
}

export interface VerifyInput {
  move: PartitionMove;
  /** Current replicas from Metadata; undefined when the partition is unknown. */
  current: number[] | undefined;
  ongoing: boolean;
}

/** kafka-reassign-partitions.sh --verify's lines; `done` when every move is complete. */
export function verifyText(inputs: readonly VerifyInput[]): { text: string; done: boolean; failed: boolean } {
  let text = 'Status of partition reassignment:\n';
  let done = true;
  let failed = false;
  for (const { move, current, ongoing } of inputs) {
    const name = `${move.topic}-${move.partition}`;
    if (ongoing) {
      text += `Reassignment of partition ${name} is still in progress.\n`;
      done = false;
    } else if (current === undefined) {
      text += `Reassignment of partition ${name} failed: the partition does not exist.\n`;
      failed = true;
    } else if (current.length === move.replicas.length && current.every((id, i) => move.replicas[i] === id)) {
      text += `Reassignment of partition ${name} is completed.\n`;
    } else {
      text += `There is no active reassignment of partition ${name}, but replica set is ${current.join(',')} rather than ${move.replicas.join(',')}.\n`;
      failed = true;
    }
  }
  return { text, done, failed };
}
