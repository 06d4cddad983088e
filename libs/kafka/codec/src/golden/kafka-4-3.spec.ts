// Golden frames for versions Kafka added up to 4.3, written byte by byte from Kafka's published
// layouts (flexible versions: compact strings and arrays, length + 1 as an unsigned varint, a
// tagged-field section after every struct) rather than by our encoder. Our encoder must produce
// exactly these bytes and our decoder must read them back to the same values.
import { decodeRequestBody, decodeRequestHeader, decodeResponse, encodeRequest, encodeResponse } from '../index';

/** A tiny big-endian writer, independent of the codec under test. */
class Bytes {
  private readonly parts: Buffer[] = [];
  private push(size: number, write: (b: Buffer) => void): this {
    const b = Buffer.alloc(size);
    write(b);
    this.parts.push(b);
    return this;
  }
  i8(v: number) { return this.push(1, (b) => b.writeInt8(v)); }
  bool(v: boolean) { return this.i8(v ? 1 : 0); }
  i16(v: number) { return this.push(2, (b) => b.writeInt16BE(v)); }
  i32(v: number) { return this.push(4, (b) => b.writeInt32BE(v)); }
  i64(v: bigint) { return this.push(8, (b) => b.writeBigInt64BE(v)); }
  uvarint(v: number) {
    const out: number[] = [];
    while (v > 0x7f) {
      out.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.push(v);
    this.parts.push(Buffer.from(out));
    return this;
  }
  /** The request header's client id: a classic int16-length string even in flexible versions. */
  str16(s: string) { return this.i16(Buffer.byteLength(s)).raw(Buffer.from(s)); }
  compactString(s: string | null) {
    if (s === null) return this.uvarint(0);
    return this.uvarint(Buffer.byteLength(s) + 1).raw(Buffer.from(s));
  }
  compactBytes(b: Buffer) { return this.uvarint(b.length + 1).raw(b); }
  compactArray(n: number) { return this.uvarint(n + 1); }
  uuid(u: string) { return this.raw(Buffer.from(u.replace(/-/g, ''), 'hex')); }
  noTags() { return this.uvarint(0); }
  raw(b: Buffer) {
    this.parts.push(b);
    return this;
  }
  framed(): Buffer {
    const body = Buffer.concat(this.parts);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    return Buffer.concat([size, body]);
  }
}

const TOPIC_ID = '0b5e4d2c-7a19-4c3e-9f10-2d6a8e1b3c4f';
const requestHeader = (apiKey: number, version: number) => new Bytes().i16(apiKey).i16(version).i32(77).str16('golden').noTags();
const header = (apiKey: number, version: number) => ({ requestApiKey: apiKey, requestApiVersion: version, correlationId: 77, clientId: 'golden' });

function checkRequest(frame: Buffer, apiKey: number, version: number, body: object, expected: object) {
  expect(encodeRequest(header(apiKey, version), body)).toEqual(frame);
  const decodedHeader = decodeRequestHeader(frame.subarray(4));
  expect(decodedHeader.header).toEqual(header(apiKey, version));
  expect(decodeRequestBody(apiKey, version, frame.subarray(4), decodedHeader.bodyOffset)).toStrictEqual(expected);
}

describe('golden frames of Kafka 4.3 versions', () => {
  it('Produce v13 request: topics by id', () => {
    const records = Buffer.from('opaque-batch');
    const frame = requestHeader(0, 13)
      .compactString(null).i16(-1).i32(30000)
      .compactArray(1).uuid(TOPIC_ID)
      .compactArray(1).i32(2).compactBytes(records).noTags()
      .noTags()
      .noTags()
      .framed();
    const body = { transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ topicId: TOPIC_ID, partitionData: [{ index: 2, records }] }] };
    checkRequest(frame, 0, 13, body, { ...body, topicData: [{ name: '', ...body.topicData[0] }] });
  });

  it('Fetch v18 request: topic ids and the tagged follower high watermark (tag 1)', () => {
    const frame = requestHeader(1, 18)
      .i32(500).i32(1).i32(52428800).i8(1).i32(0).i32(-1)
      .compactArray(1).uuid(TOPIC_ID)
      .compactArray(1).i32(0).i32(4).i64(100n).i32(3).i64(-1n).i32(1048576)
      .uvarint(1).uvarint(1).uvarint(8).i64(123n) // tagged: highWatermark = 123
      .noTags()
      .compactArray(0)
      .compactString('rack-a')
      .noTags()
      .framed();
    const partition = { partition: 0, currentLeaderEpoch: 4, fetchOffset: 100n, lastFetchedEpoch: 3, logStartOffset: -1n, partitionMaxBytes: 1048576, highWatermark: 123n };
    const body = { maxWaitMs: 500, minBytes: 1, maxBytes: 52428800, isolationLevel: 1, sessionId: 0, sessionEpoch: -1, topics: [{ topicId: TOPIC_ID, partitions: [partition] }], forgottenTopicsData: [], rackId: 'rack-a' };
    checkRequest(frame, 1, 18, body, {
      clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1n }, ...body,
      topics: [{ topic: '', topicId: TOPIC_ID, partitions: [{ ...partition, replicaDirectoryId: '00000000-0000-0000-0000-000000000000' }] }],
    });
  });

  it('ListOffsets v11 request: earliest pending upload (-6) and timeout', () => {
    const frame = requestHeader(2, 11)
      .i32(-1).i8(0)
      .compactArray(1).compactString('orders')
      .compactArray(1).i32(0).i32(-1).i64(-6n).noTags()
      .noTags()
      .i32(15000)
      .noTags()
      .framed();
    const body = { replicaId: -1, isolationLevel: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -6n }] }], timeoutMs: 15000 };
    checkRequest(frame, 2, 11, body, { ...body, topics: [{ name: 'orders', partitions: [{ ...body.topics[0].partitions[0], maxNumOffsets: 1 }] }] });
  });

  it('OffsetCommit v10 request: topics by id', () => {
    const frame = requestHeader(8, 10)
      .compactString('group-1').i32(5).compactString('member-1').compactString(null)
      .compactArray(1).uuid(TOPIC_ID)
      .compactArray(1).i32(3).i64(999n).i32(7).compactString('meta').noTags()
      .noTags()
      .noTags()
      .framed();
    const body = {
      groupId: 'group-1', generationIdOrMemberEpoch: 5, memberId: 'member-1', groupInstanceId: null,
      topics: [{ topicId: TOPIC_ID, partitions: [{ partitionIndex: 3, committedOffset: 999n, committedLeaderEpoch: 7, committedMetadata: 'meta' }] }],
    };
    checkRequest(frame, 8, 10, body, {
      ...body, retentionTimeMs: -1n,
      topics: [{ name: '', topicId: TOPIC_ID, partitions: [{ ...body.topics[0].partitions[0], commitTimestamp: -1n }] }],
    });
  });

  it('Metadata v13 response: the top-level error code after the topics', () => {
    const frame = new Bytes().i32(77).noTags() // response header v1
      .i32(0)
      .compactArray(1).i32(1).compactString('gw').i32(9092).compactString(null).noTags()
      .compactString('cluster-1').i32(1)
      .compactArray(1).i16(0).compactString('orders').uuid(TOPIC_ID).bool(false)
      .compactArray(1).i16(0).i32(0).i32(1).i32(2)
      .compactArray(1).i32(1).compactArray(1).i32(1).compactArray(0).noTags()
      .i32(-2147483648).noTags()
      .i16(129) // REBOOTSTRAP_REQUIRED
      .noTags()
      .framed();
    const body = {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: 'gw', port: 9092, rack: null }],
      clusterId: 'cluster-1',
      controllerId: 1,
      topics: [{
        errorCode: 0, name: 'orders', topicId: TOPIC_ID, isInternal: false,
        partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 2, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }],
        topicAuthorizedOperations: -2147483648,
      }],
      errorCode: 129,
    };
    expect(encodeResponse(3, 13, 77, body)).toEqual(frame);
    expect(decodeResponse(3, 13, frame.subarray(4))).toStrictEqual({ correlationId: 77, body: { ...body, clusterAuthorizedOperations: -2147483648 } });
  });
});
