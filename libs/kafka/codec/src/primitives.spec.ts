import { apiVersionsRequestDescriptor, fetchResponseDescriptor, metadataRequestDescriptor } from '@dms/kafka-schema';
import {
  ApiKey,
  CodecError,
  decodeMessage,
  decodeRequestHeader,
  decodeResponse,
  encodeMessage,
  encodeResponse,
  encodeResponseChunks,
  Reader,
  requestHeaderVersion,
  responseHeaderVersion,
  sizeOfUvarint,
  sizeOfVarint,
  sizeOfVarlong,
  SPLICE_THRESHOLD,
  Writer,
} from './index';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function written(size: number, fn: (w: Writer) => void): Buffer {
  const w = new Writer(Buffer.alloc(size));
  fn(w);
  expect(w.pos).toBe(size);
  return w.buf;
}

describe('varints', () => {
  it.each([
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [0xffffffff, 'ffffffff0f'],
  ])('unsigned %i <-> %s', (value, bytes) => {
    expect(written(sizeOfUvarint(value), (w) => w.uvarint(value)).toString('hex')).toBe(bytes);
    expect(new Reader(hex(bytes)).uvarint()).toBe(value);
  });

  it.each([
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-64, '7f'],
    [64, '8001'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ])('zig-zag varint %i <-> %s', (value, bytes) => {
    expect(written(sizeOfVarint(value), (w) => w.varint(value)).toString('hex')).toBe(bytes);
    expect(new Reader(hex(bytes)).varint()).toBe(value);
  });

  it.each([
    [0n, '00'],
    [-1n, '01'],
    [1234567890123n, '9693d89fee47'],
    [9223372036854775807n, 'feffffffffffffffff01'],
    [-9223372036854775808n, 'ffffffffffffffffff01'],
  ])('zig-zag varlong %s <-> %s', (value, bytes) => {
    expect(written(sizeOfVarlong(value), (w) => w.varlong(value)).toString('hex')).toBe(bytes);
    expect(new Reader(hex(bytes)).varlong()).toBe(value);
  });

  it('refuses varints longer than their width', () => {
    expect(() => new Reader(hex('ffffffff1f')).uvarint()).toThrow(CodecError);
    expect(() => new Reader(hex('ffffffffff01')).uvarint()).toThrow(CodecError);
    expect(() => new Reader(hex('ffffffffffffffffffff01')).varlong()).toThrow(CodecError);
    expect(() => new Reader(hex('8080')).uvarint()).toThrow(/truncated/);
  });
});

describe('strings, bytes, arrays', () => {
  it('reads compact and classic nullable strings', () => {
    expect(new Reader(hex('00')).compactString()).toBeNull();
    expect(new Reader(hex('01')).compactString()).toBe('');
    expect(new Reader(hex('04 c3a978')).compactString()).toBe('éx');
    expect(new Reader(hex('ffff')).string()).toBeNull();
    expect(new Reader(hex('0000')).string()).toBe('');
    expect(new Reader(hex('0002 6869')).string()).toBe('hi');
    expect(() => new Reader(hex('fffe')).string()).toThrow(CodecError);
  });

  it('returns bytes as views of the frame, not copies', () => {
    const frame = hex('00000003 010203 ff');
    const b = new Reader(frame).bytes()!;
    expect([...b]).toEqual([1, 2, 3]);
    expect(b.buffer).toBe(frame.buffer);
    expect(new Reader(hex('ffffffff')).bytes()).toBeNull();
    expect(new Reader(hex('00')).compactBytes()).toBeNull();
  });

  it('encodes uuids canonically and refuses malformed ones', () => {
    const id = '0123abcd-ef01-4234-8567-89abcdef0123';
    const b = written(16, (w) => w.uuid(id));
    expect(b.toString('hex')).toBe(id.replace(/-/g, ''));
    expect(new Reader(b).uuid()).toBe(id);
    expect(new Reader(Buffer.alloc(16)).uuid()).toBe('00000000-0000-0000-0000-000000000000');
    expect(() => written(16, (w) => w.uuid('not-a-uuid'))).toThrow(CodecError);
    expect(() => written(16, (w) => w.uuid('0123abcd-ef01-4234-8567-89abcdef012z'))).toThrow(CodecError);
  });

  it('throws CodecError on truncation at every cut of a message', () => {
    const body = encodeMessage(metadataRequestDescriptor, 12, {
      topics: [{ topicId: '00000000-0000-0000-0000-000000000001', name: 'orders' }],
      allowAutoTopicCreation: true,
      includeTopicAuthorizedOperations: false,
    });
    for (let cut = 0; cut < body.length; cut++) {
      expect(() => decodeMessage(metadataRequestDescriptor, 12, body.subarray(0, cut))).toThrow(CodecError);
    }
    expect(decodeMessage(metadataRequestDescriptor, 12, body).topics[0].name).toBe('orders');
  });

  it('refuses huge lengths before allocating anything', () => {
    // Metadata v4: topics array claims 2^31-1 elements, string claims 32767 bytes, bytes 2 GiB.
    expect(() => decodeMessage(metadataRequestDescriptor, 4, hex('7fffffff 01'))).toThrow(/array length/);
    expect(() => new Reader(hex('7fff 00')).string()).toThrow(CodecError);
    expect(() => new Reader(hex('7fffffff')).bytes()).toThrow(CodecError);
    expect(() => new Reader(hex('ffffffff0f')).compactBytes()).toThrow(CodecError);
    expect(() => decodeMessage(metadataRequestDescriptor, 12, hex('ffffffff0f 00'))).toThrow(CodecError);
  });

  it('refuses null where the version does not allow it', () => {
    expect(() => decodeMessage(metadataRequestDescriptor, 0, hex('ffffffff'))).toThrow(/not nullable/);
    expect(decodeMessage(metadataRequestDescriptor, 1, hex('ffffffff')).topics).toBeNull();
    expect(() => encodeMessage(metadataRequestDescriptor, 0, { topics: null })).toThrow(CodecError);
  });

  it('wraps encoder range errors in CodecError', () => {
    expect(() => encodeResponse(ApiKey.Heartbeat, 0, 1, { errorCode: 70000 })).toThrow(CodecError);
  });
});

describe('tagged fields', () => {
  it('skips unknown tags and keeps known ones', () => {
    // ApiVersionsRequest v3: name "a", version "b", then tags 9 (unknown, 3 bytes) and nothing else.
    const body = hex('02 61 02 62 01 09 03 aabbcc');
    expect(decodeMessage(apiVersionsRequestDescriptor, 3, body)).toEqual({ clientSoftwareName: 'a', clientSoftwareVersion: 'b' });
  });

  it('writes tagged fields in tag order only when they differ from the default', () => {
    const partition = {
      partitionIndex: 0, errorCode: 0, highWatermark: 0n, lastStableOffset: -1n, logStartOffset: -1n,
      abortedTransactions: null, preferredReadReplica: -1, records: null,
      currentLeader: { leaderId: 5, leaderEpoch: 9 },
    };
    const body = { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [{ topicId: '00000000-0000-0000-0000-000000000000', partitions: [partition] }] };
    const bytes = encodeMessage(fetchResponseDescriptor, 16, body);
    // partition tags: one field, tag 1 (CurrentLeader), 9 bytes: int32 5, int32 9, empty tags.
    expect(bytes.toString('hex')).toContain('010109000000050000000900');
    const decoded = decodeMessage(fetchResponseDescriptor, 16, bytes);
    expect(decoded.responses[0].partitions[0].currentLeader).toEqual({ leaderId: 5, leaderEpoch: 9 });
    expect(decoded.responses[0].partitions[0].divergingEpoch).toEqual({ epoch: -1, endOffset: -1n });
    const plain = encodeMessage(fetchResponseDescriptor, 16, { ...body, responses: [{ ...body.responses[0], partitions: [{ ...partition, currentLeader: undefined }] }] });
    expect(plain.length).toBe(bytes.length - 11);
  });
});

describe('headers', () => {
  it('chooses header versions like Kafka', () => {
    expect(requestHeaderVersion(ApiKey.Produce, 8)).toBe(1);
    expect(requestHeaderVersion(ApiKey.Produce, 9)).toBe(2);
    expect(requestHeaderVersion(ApiKey.ApiVersions, 3)).toBe(2);
    expect(requestHeaderVersion(ApiKey.ApiVersions, 99)).toBe(2);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 0)).toBe(0);
    expect(requestHeaderVersion(999, 0)).toBe(1);
    expect(responseHeaderVersion(ApiKey.ApiVersions, 3)).toBe(0);
    expect(responseHeaderVersion(ApiKey.Metadata, 9)).toBe(1);
    expect(responseHeaderVersion(ApiKey.Metadata, 8)).toBe(0);
  });

  it('reads the header of an unknown api key so the caller can answer', () => {
    const frame = hex('03e7 0005 0000002a 0003 616263 ffff');
    expect(decodeRequestHeader(frame)).toEqual({
      header: { requestApiKey: 999, requestApiVersion: 5, correlationId: 42, clientId: 'abc' },
      bodyOffset: 13,
    });
    expect(() => decodeRequestHeader(hex('0012 0003 0000'))).toThrow(CodecError);
  });

  it('writes ApiVersions responses with header v0 and others flexible with v1', () => {
    expect(encodeResponse(ApiKey.ApiVersions, 3, 1, { errorCode: 0, apiKeys: [] }).subarray(0, 8).toString('hex')).toBe('0000000c00000001');
    const hb = encodeResponse(ApiKey.Heartbeat, 4, 1, { errorCode: 0 });
    expect(hb.toString('hex')).toBe('0000000c' + '00000001' + '00' + '00000000' + '0000' + '00');
    expect(decodeResponse(ApiKey.Heartbeat, 4, hb.subarray(4))).toEqual({ correlationId: 1, body: { throttleTimeMs: 0, errorCode: 0 } });
  });
});

describe('encodeResponseChunks', () => {
  it('references large records instead of copying them', () => {
    const big = Buffer.alloc(SPLICE_THRESHOLD * 2, 7);
    const small = Buffer.from('tiny');
    const partition = (index: number, records: Buffer) => ({ partitionIndex: index, records });
    const body = { responses: [{ topicId: '00000000-0000-0000-0000-000000000001', partitions: [partition(0, big), partition(1, small), partition(2, big)] }] };
    const chunks = encodeResponseChunks(ApiKey.Fetch, 13, 5, body);
    expect(chunks.filter((c) => c === big)).toHaveLength(2);
    expect(chunks.some((c) => c === small)).toBe(false);
    const whole = encodeResponse(ApiKey.Fetch, 13, 5, body);
    expect(Buffer.concat(chunks)).toEqual(whole);
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(whole.length);
  });
});
