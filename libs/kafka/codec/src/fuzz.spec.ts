// Hostile input: seeded random and mutated frames through the request decoders and record-batch
// decoding. The only acceptable failures are CodecError / RecordsError, and no length field may
// make a decoder allocate beyond the frame (heap growth stays bounded).
import { CodecError } from './codec-error';
import { decodeRequestBody, decodeRequestHeader, encodeRequest } from './frames';
import { buildRecordBatch, CompressionType, decodeRecordBatches, RecordsError, validateBatches } from './records';

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.DMS_FUZZ_SEED ?? 20240611);
const ITERATIONS = Number(process.env.DMS_FUZZ_ITERATIONS ?? 4000);

/** Mutations that target what decoders trust: lengths, counts, varints, tags, truncation. */
function mutate(src: Buffer, rnd: () => number): Buffer {
  const b = Buffer.from(src);
  const at = () => Math.floor(rnd() * Math.max(1, b.length));
  switch (Math.floor(rnd() * 7)) {
    case 0: // flip bytes
      for (let i = 0, n = 1 + Math.floor(rnd() * 4); i < n; i++) b[at()] ^= 1 << Math.floor(rnd() * 8);
      return b;
    case 1: { // a huge or negative int32 length/count
      const p = at();
      if (p + 4 <= b.length) b.writeInt32BE([0x7fffffff, -2, 0x10000000, -0x80000000][Math.floor(rnd() * 4)], p);
      return b;
    }
    case 2: { // an int16 string length
      const p = at();
      if (p + 2 <= b.length) b.writeInt16BE([0x7fff, -2, 0x4000][Math.floor(rnd() * 3)], p);
      return b;
    }
    case 3: // a run of varint continuation bytes (compact lengths, tagged fields)
      return Buffer.concat([b.subarray(0, at()), Buffer.alloc(1 + Math.floor(rnd() * 12), 0xff), b.subarray(at())]);
    case 4: // truncate
      return b.subarray(0, at());
    case 5: // trailing garbage
      return Buffer.concat([b, Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 32) }, () => Math.floor(rnd() * 256)))]);
    default: // random bytes overwrite a window
      for (let i = at(), end = Math.min(b.length, i + 8); i < end; i++) b[i] = Math.floor(rnd() * 256);
      return b;
  }
}

function decodeFrame(frame: Buffer): void {
  const { header, bodyOffset } = decodeRequestHeader(frame);
  decodeRequestBody(header.requestApiKey, header.requestApiVersion, frame, bodyOffset);
}

function expectOnly(errorTypes: Function[], fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!errorTypes.some((t) => e instanceof t)) throw new Error(`unexpected ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
  }
}

describe('fuzzing the request decoders', () => {
  let seeds: Buffer[];

  beforeAll(async () => {
    const records = await buildRecordBatch({ records: [{ key: 'k', value: 'v' }, { value: 'w', headers: [{ key: 'h', value: 'x' }] }] });
    const h = (requestApiKey: number, requestApiVersion: number) => ({ requestApiKey, requestApiVersion, correlationId: 1, clientId: 'fuzz' });
    // Whole frames minus the 4-byte size prefix: what the gateway's frame reader hands over.
    seeds = [
      encodeRequest(h(0, 9), { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] }),
      encodeRequest(h(0, 3), { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] }),
      encodeRequest(h(3, 12), { topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'a' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false }),
      encodeRequest(h(18, 3), { clientSoftwareName: 'x', clientSoftwareVersion: '1' }),
      encodeRequest(h(19, 7), { topics: [{ name: 'n', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [{ name: 'a', value: 'b' }] }], timeoutMs: 1, validateOnly: false }),
      encodeRequest(h(36, 2), { authBytes: Buffer.from('n,,n=user,r=abc') }),
      encodeRequest(h(30, 3), { creations: [{ resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'User:a', host: '*', operation: 3, permissionType: 3 }] }),
      encodeRequest(h(51, 0), { deletions: [], upsertions: [{ name: 'u', mechanism: 2, iterations: 4096, salt: Buffer.alloc(8), saltedPassword: Buffer.alloc(64) }] }),
    ].map((f) => f.subarray(4));
    for (const s of seeds) expect(() => decodeFrame(s)).not.toThrow();
  });

  it(`survives ${ITERATIONS} mutated frames and random frames with only CodecError (seed ${SEED})`, () => {
    const rnd = prng(SEED);
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    let failures = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      let frame: Buffer;
      if (i % 5 === 0) {
        frame = Buffer.from(Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256)));
        if (frame.length >= 4 && rnd() < 0.7) frame.writeInt16BE(Math.floor(rnd() * 70), 0); // a real api key
      } else {
        frame = seeds[i % seeds.length];
        for (let m = 0, n = 1 + Math.floor(rnd() * 3); m < n; m++) frame = mutate(frame, rnd);
      }
      try {
        decodeFrame(frame);
      } catch (e) {
        failures++;
        if (!(e instanceof CodecError)) throw new Error(`iteration ${i}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      }
    }
    expect(failures).toBeGreaterThan(ITERATIONS / 10);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(256 * 1024 * 1024);
  });

  it('a count field claiming 2^31 elements fails fast without allocating them', () => {
    const frame = Buffer.from(seeds[2]);
    const before = process.memoryUsage().heapUsed;
    // Metadata v12 (flexible): after the header, topics is a compact array; claim a huge count.
    const { bodyOffset } = decodeRequestHeader(frame);
    const evil = Buffer.concat([frame.subarray(0, bodyOffset), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x07])]);
    expect(() => decodeFrame(evil)).toThrow(CodecError);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('fuzzing record batches', () => {
  it(`mutated batches fail only with RecordsError, and validation never throws (seed ${SEED})`, async () => {
    const rnd = prng(SEED + 1);
    const batches = await Promise.all(
      [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd].map((compression) =>
        buildRecordBatch({ compression, records: Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `value-${i}`.repeat(i + 1) })) }),
      ),
    );
    const iterations = Math.max(200, ITERATIONS / 4);
    for (let i = 0; i < iterations; i++) {
      let b = batches[i % batches.length];
      for (let m = 0, n = 1 + Math.floor(rnd() * 3); m < n; m++) b = mutate(b, rnd);
      expectOnly([], () => void validateBatches(b, true));
      try {
        await decodeRecordBatches(b, { verifyCrc: false, maxDecompressedBytes: 1 << 20 });
      } catch (e) {
        if (!(e instanceof RecordsError || e instanceof CodecError)) throw new Error(`iteration ${i}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      }
    }
  });
});
