/**
 * The key and value layouts Kafka writes to __consumer_offsets (non-flexible versions):
 *   OffsetCommitKey v0/v1: group string, topic string, partition int32
 *   OffsetCommitValue v3:  offset int64, leaderEpoch int32, metadata string, commitTimestamp int64
 *   GroupMetadataKey v2:   group string
 *   GroupMetadataValue v3: protocolType string, generation int32, protocol nullable string,
 *     leader nullable string, currentStateTimestamp int64, members [memberId string,
 *     groupInstanceId nullable string, clientId string, clientHost string, rebalanceTimeout int32,
 *     sessionTimeout int32, subscription bytes, assignment bytes]
 * Every key and value starts with its int16 version. A null value is a tombstone.
 */

export interface OffsetCommitKey {
  kind: 'offset';
  group: string;
  topic: string;
  partition: number;
}

export interface GroupMetadataKey {
  kind: 'group';
  group: string;
}

export type CoordinatorKey = OffsetCommitKey | GroupMetadataKey;

export interface OffsetCommitValue {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
  /** Only value v1 carries it; -1 otherwise. */
  expireTimestamp: bigint;
}

export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: bigint;
  members: StoredMember[];
}

export class RecordFormatError extends Error {}

class Out {
  private readonly parts: Buffer[] = [];
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  int64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    this.parts.push(b);
    return this;
  }
  string(v: string | null): this {
    if (v === null) return this.int16(-1);
    const s = Buffer.from(v, 'utf8');
    if (s.length > 0x7fff) throw new RecordFormatError('string longer than 32767 bytes');
    this.int16(s.length);
    this.parts.push(s);
    return this;
  }
  bytes(v: Buffer): this {
    this.int32(v.length);
    this.parts.push(v);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class In {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RecordFormatError('record truncated');
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  nullableString(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    this.need(n);
    const v = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  string(): string {
    const v = this.nullableString();
    if (v === null) throw new RecordFormatError('null where a string is required');
    return v;
  }
  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) return Buffer.alloc(0);
    this.need(n);
    const v = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return v;
  }
}

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return new Out().int16(1).string(group).string(topic).int32(partition).done();
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return new Out().int16(2).string(group).done();
}

export function decodeKey(buf: Buffer): CoordinatorKey | undefined {
  const r = new In(buf);
  const version = r.int16();
  if (version === 0 || version === 1) return { kind: 'offset', group: r.string(), topic: r.string(), partition: r.int32() };
  if (version === 2) return { kind: 'group', group: r.string() };
  // Newer record types (share groups, KIP-848 consumer groups) are not ours to interpret.
  return undefined;
}

export function encodeOffsetCommitValue(v: Omit<OffsetCommitValue, 'expireTimestamp'>): Buffer {
  return new Out().int16(3).int64(v.offset).int32(v.leaderEpoch).string(v.metadata).int64(v.commitTimestamp).done();
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const r = new In(buf);
  const version = r.int16();
  if (version < 0 || version > 3) throw new RecordFormatError(`unsupported OffsetCommitValue version ${version}`);
  const offset = r.int64();
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = r.string();
  const commitTimestamp = r.int64();
  const expireTimestamp = version === 1 ? r.int64() : -1n;
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

export function encodeGroupMetadataValue(v: GroupMetadataValue): Buffer {
  const out = new Out()
    .int16(3)
    .string(v.protocolType)
    .int32(v.generation)
    .string(v.protocol)
    .string(v.leader)
    .int64(v.currentStateTimestamp)
    .int32(v.members.length);
  for (const m of v.members) {
    out
      .string(m.memberId)
      .string(m.groupInstanceId)
      .string(m.clientId)
      .string(m.clientHost)
      .int32(m.rebalanceTimeoutMs)
      .int32(m.sessionTimeoutMs)
      .bytes(m.subscription)
      .bytes(m.assignment);
  }
  return out.done();
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const r = new In(buf);
  const version = r.int16();
  if (version < 0 || version > 3) throw new RecordFormatError(`unsupported GroupMetadataValue version ${version}`);
  const protocolType = r.string();
  const generation = r.int32();
  const protocol = r.nullableString();
  const leader = r.nullableString();
  const currentStateTimestamp = version >= 2 ? r.int64() : -1n;
  const count = r.int32();
  const members: StoredMember[] = [];
  for (let i = 0; i < count; i++) {
    const memberId = r.string();
    const groupInstanceId = version >= 3 ? r.nullableString() : null;
    const clientId = r.string();
    const clientHost = r.string();
    const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1;
    const sessionTimeoutMs = r.int32();
    const subscription = r.bytes();
    const assignment = r.bytes();
    members.push({
      memberId, groupInstanceId, clientId, clientHost, subscription, assignment, sessionTimeoutMs,
      rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs,
    });
  }
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
}
