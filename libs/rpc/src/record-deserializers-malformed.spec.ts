import { BinaryWriter } from '@bufbuild/protobuf/wire';
import {
  FetchRequest,
  FetchResponse,
  ProduceBatchRequest,
  ProduceBatchResponse,
  ReplicaFetchRequest,
  ReplicaFetchResponse,
} from './generated/dms/storage/v1/storage';
import {
  decodeProduceBatchRequest,
  decodeProduceBatchResponse,
  decodeReplicaFetchRequest,
  decodeReplicaFetchResponse,
} from './record-deserializers';
import { decodeFetchRequest, decodeFetchResponse } from './fetch-deserializers';
import { WireDecodeError } from './wire-reader';

// Input the encoders never write: unknown fields of every wire type (skipped, as the generated
// decoders skip them), known field numbers with another wire type (skipped too), values wider
// than their field, every truncation of a valid message and corrupted bytes. The hand-written
// decoders must give the generated decoders' object or throw a WireDecodeError that names the
// message; never another exception, never a different object.

type Fns<T> = { encode(m: T, w?: BinaryWriter): BinaryWriter; decode(b: Uint8Array): T };

const replicaFetchResponse: ReplicaFetchResponse = {
  correlationId: 2n ** 53n + 1n,
  partitions: [
    { topic: 'orders', partition: 1, errorCode: 0, highWatermark: 1_234_567n, logStartOffset: 0n, records: Buffer.from('record batch bytes'), divergingEpoch: undefined },
    { topic: 'orders', partition: 2, errorCode: 74, highWatermark: -1n, logStartOffset: 5n, records: Buffer.alloc(0), divergingEpoch: { epoch: 3, endOffset: 99n } },
  ],
};
const replicaFetchRequest: ReplicaFetchRequest = {
  correlationId: 77n,
  replicaId: 2,
  maxWaitMs: 500,
  maxBytes: 1 << 20,
  partitions: [{ topic: 'orders', partition: 1, fetchOffset: 1_234_567n, lastFetchedEpoch: 3, currentLeaderEpoch: -1, partitionMaxBytes: 1 << 20, logStartOffset: 0n }],
};
const produceBatchRequest: ProduceBatchRequest = {
  requests: [
    { correlationId: 5n, acks: -1, timeoutMs: 30_000, partitions: [{ topic: 'orders', partition: 0, records: Buffer.from('batch') }], traceContext: { traceparent: '00-ab-cd-01' } },
  ],
};
const produceBatchResponse: ProduceBatchResponse = {
  responses: [
    {
      correlationId: 5n,
      partitions: [
        { topic: 'orders', partition: 0, errorCode: 0, errorMessage: '', baseOffset: 42n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [{ batchIndex: 1, message: 'bad' }], appended: true },
      ],
    },
  ],
};

const fetchRequest: FetchRequest = {
  correlationId: 12n,
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 50 << 20,
  isolationLevel: 1,
  partitions: [{ topic: 'orders', partition: 4, fetchOffset: 2n ** 40n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: 7 }],
  traceContext: { traceparent: '00-ab-cd-01' },
  wakeCorrelationId: 0n,
};
const fetchResponse: FetchResponse = {
  correlationId: 12n,
  partitions: [
    { topic: 'orders', partition: 4, errorCode: 0, highWatermark: 10n, lastStableOffset: 9n, logStartOffset: 0n, records: Buffer.from('fetched'), abortedTransactions: [{ producerId: 3n, firstOffset: 5n }] },
  ],
};

const CASES: [string, Fns<any>, (b: Uint8Array) => unknown, unknown][] = [
  ['FetchRequest', FetchRequest, decodeFetchRequest, fetchRequest],
  ['FetchResponse', FetchResponse, decodeFetchResponse, fetchResponse],
  ['ReplicaFetchResponse', ReplicaFetchResponse, decodeReplicaFetchResponse, replicaFetchResponse],
  ['ReplicaFetchRequest', ReplicaFetchRequest, decodeReplicaFetchRequest, replicaFetchRequest],
  ['ProduceBatchRequest', ProduceBatchRequest, decodeProduceBatchRequest, produceBatchRequest],
  ['ProduceBatchResponse', ProduceBatchResponse, decodeProduceBatchResponse, produceBatchResponse],
];

/** Unknown fields 20…24 of every wire type, including a group holding a nested group. */
function unknownFields(w: BinaryWriter): BinaryWriter {
  w.uint32((20 << 3) | 0).uint64(2n ** 64n - 1n);
  w.uint32((21 << 3) | 1).fixed64(123n);
  w.uint32((22 << 3) | 2).bytes(Buffer.from('unknown bytes'));
  w.uint32((23 << 3) | 5).fixed32(7);
  w.uint32((24 << 3) | 3).uint32((25 << 3) | 0).int32(-5).uint32((26 << 3) | 3).uint32((26 << 3) | 4).uint32((24 << 3) | 4);
  return w;
}

/** Ours and the generated decoder agree, or ours throws a WireDecodeError naming the message. */
function agreeOrRefuse(name: string, fns: Fns<unknown>, decode: (b: Uint8Array) => unknown, bytes: Uint8Array): 'same' | 'refused' {
  let ours: unknown;
  try {
    ours = decode(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(WireDecodeError);
    expect((err as Error).message).toMatch(new RegExp(`^${name}: .+ at byte \\d+ of ${bytes.length}$`));
    return 'refused';
  }
  expect(ours).toStrictEqual(fns.decode(bytes));
  return 'same';
}

function generatedThrows(fns: Fns<unknown>, bytes: Uint8Array): boolean {
  try {
    fns.decode(bytes);
    return false;
  } catch {
    return true;
  }
}

describe('hand-written decoders on input the encoders never write', () => {
  it.each(CASES)('%s: unknown fields of every wire type are skipped, before, between and after the known ones', (_name, fns, decode, m) => {
    const bytes = unknownFields(fns.encode(m, unknownFields(new BinaryWriter()))).finish();
    expect(decode(bytes)).toStrictEqual(m);
    expect(decode(bytes)).toStrictEqual(fns.decode(bytes));
  });

  it('unknown fields inside nested messages are skipped', () => {
    const p = replicaFetchResponse.partitions[1]!;
    const part = unknownFields(new BinaryWriter()).uint32(10).string(p.topic).uint32(16).int32(p.partition);
    part.uint32(24).int32(p.errorCode).uint32(32).int64(p.highWatermark).uint32(40).int64(p.logStartOffset);
    part.uint32(58).fork().uint32(8).int32(3).uint32((9 << 3) | 2).string('x').uint32(16).int64(99n).join();
    const bytes = new BinaryWriter().uint32(8).uint64(replicaFetchResponse.correlationId).uint32(18).bytes(unknownFields(part).finish()).finish();
    const want = { correlationId: replicaFetchResponse.correlationId, partitions: [p] };
    expect(decodeReplicaFetchResponse(bytes)).toStrictEqual(want);
    expect(ReplicaFetchResponse.decode(bytes)).toStrictEqual(want);
  });

  it('a known field number with another wire type is skipped, as the generated decoders do', () => {
    const w = new BinaryWriter();
    w.uint32((1 << 3) | 2).string('not a varint'); // correlationId as bytes
    w.uint32((2 << 3) | 0).uint32(5); // partitions as a varint
    w.uint32((2 << 3) | 5).fixed32(5); // partitions as fixed32
    w.uint32(18).fork().uint32((6 << 3) | 0).uint32(9).uint32((1 << 3) | 1).fixed64(1n).uint32(16).int32(4).join();
    const bytes = w.finish();
    const ours = decodeReplicaFetchResponse(bytes);
    expect(ours).toStrictEqual(ReplicaFetchResponse.decode(bytes));
    expect(ours.correlationId).toBe(0n);
    expect(ours.partitions).toHaveLength(1);
    expect(ours.partitions[0]!.partition).toBe(4);
    expect(ours.partitions[0]!.records.length).toBe(0);
  });

  it('int32 fields keep the low 32 bits of a wider varint; later values of a field replace earlier ones', () => {
    const w = new BinaryWriter().uint32(16).uint64(2n ** 40n + 7n).uint32(16).int64(-3n).uint32(24).uint64(2n ** 32n - 1n);
    w.uint32(8).uint64(1n).uint32(8).uint64(2n ** 63n);
    const bytes = w.finish();
    const ours = decodeReplicaFetchRequest(bytes);
    expect(ours).toStrictEqual(ReplicaFetchRequest.decode(bytes));
    expect(ours.replicaId).toBe(-3);
    expect(ours.maxWaitMs).toBe(-1);
    expect(ours.correlationId).toBe(2n ** 63n);
  });

  it.each(CASES)('%s: every truncation is refused exactly where the generated decoder throws, else decodes the same', (name, fns, decode, m) => {
    const full = fns.encode(m).finish();
    let refused = 0;
    for (let n = 0; n < full.length; n++) {
      const prefix = full.subarray(0, n);
      const outcome = agreeOrRefuse(name, fns, decode, prefix);
      expect(outcome === 'refused').toBe(generatedThrows(fns, prefix));
      if (outcome === 'refused') refused++;
    }
    expect(refused).toBeGreaterThan(full.length / 2);
  });

  it('a length past the nested message, field number 0, an unmatched end-group and an eleven-byte varint are refused', () => {
    const overrun = new BinaryWriter().uint32(18).fork().uint32(50).uint32(100).join().raw(Buffer.alloc(100)).finish();
    expect(() => decodeReplicaFetchResponse(overrun)).toThrow(/ReplicaFetchResponse: field runs past the end of its nested message at byte/);
    expect(() => decodeReplicaFetchResponse(Uint8Array.of(0, 0))).toThrow(/invalid tag 0/);
    expect(() => decodeReplicaFetchResponse(Uint8Array.of((3 << 3) | 4))).toThrow(/unexpected wire type 4/);
    expect(() => decodeReplicaFetchResponse(Uint8Array.of((3 << 3) | 3, (4 << 3) | 4))).toThrow(/end-group tag does not match/);
    expect(() => decodeReplicaFetchResponse(Uint8Array.of((3 << 3) | 6))).toThrow(/unexpected wire type 6/);
    const eleven = Uint8Array.of(8, ...new Array(10).fill(0xff), 1);
    expect(() => decodeReplicaFetchResponse(eleven)).toThrow(/varint longer than ten bytes/);
    expect(() => decodeReplicaFetchRequest(Uint8Array.of(16, ...new Array(10).fill(0xff), 1))).toThrow(/varint longer than ten bytes/);
  });

  it.each(CASES)('%s: corrupted bytes give the generated object or a WireDecodeError, never another exception', (name, fns, decode, m) => {
    const full = fns.encode(m).finish();
    let seed = 0x9e3779b9;
    const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const outcomes = { same: 0, refused: 0 };
    for (let i = 0; i < 3000; i++) {
      const bytes = Uint8Array.from(full);
      for (let k = 1 + Math.floor(random() * 3); k > 0; k--) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      outcomes[agreeOrRefuse(name, fns, decode, bytes)]++;
    }
    expect(outcomes.same).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
