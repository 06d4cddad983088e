import {
  apiSchemas,
  consumerProtocolAssignmentDescriptor,
  consumerProtocolSubscriptionDescriptor,
  FieldDescriptor,
  inRange,
  MessageDescriptor,
  requestHeaderDescriptor,
  responseHeaderDescriptor,
  ZERO_UUID,
} from '@dms/kafka-schema';
import {
  decodeMessage,
  decodeRequestBody,
  decodeRequestHeader,
  decodeResponse,
  encodeMessage,
  encodeRequest,
  encodeResponse,
  encodeResponseChunks,
} from './index';

/**
 * Builds a value for one version of a message: every field on the wire in that version gets a
 * non-default value (or null, in 'nulls' mode, where the version allows it). `input` also puts
 * junk into fields that are not on the wire, which the encoder must ignore; `expected` holds the
 * defaults the decoder must fill in for them instead.
 */
class SampleBuilder {
  private n = 0;

  constructor(private readonly version: number, private readonly flexible: boolean, private readonly nulls: boolean) {}

  build(fields: readonly FieldDescriptor[]): { input: any; expected: any } {
    const input: any = {};
    const expected: any = {};
    for (const f of fields) {
      const onWire =
        f.tag !== undefined ? this.flexible && inRange(this.version, f.taggedVersions) : inRange(this.version, f.versions);
      if (onWire) {
        const { input: i, expected: e } = this.value(f);
        input[f.name] = i;
        expected[f.name] = e;
      } else {
        input[f.name] = f.type === 'struct' || f.array ? this.value(f).input : this.scalar(f);
        expected[f.name] = defaultOf(f);
      }
    }
    return { input, expected };
  }

  private value(f: FieldDescriptor): { input: any; expected: any } {
    if (this.nulls && inRange(this.version, f.nullableVersions)) return { input: null, expected: null };
    if (f.array) {
      const items = [0, 1].map(() => (f.type === 'struct' ? this.build(f.fields!) : { input: this.scalar(f), expected: null }));
      return {
        input: items.map((x) => x.input),
        expected: items.map((x) => (f.type === 'struct' ? x.expected : x.input)),
      };
    }
    if (f.type === 'struct') return this.build(f.fields!);
    const v = this.scalar(f);
    return { input: v, expected: v };
  }

  private scalar(f: FieldDescriptor): unknown {
    const n = ++this.n;
    const differ = <T>(v: T, alt: T): T => (v === f.default ? alt : v);
    switch (f.type) {
      case 'bool': return f.default !== true;
      case 'int8': return differ((n % 100) + 1, 120);
      case 'int16': return differ(300 + n, -300);
      case 'uint16': return differ(40000 + n, 1);
      case 'int32': return differ(1000 * n + 7, -5);
      case 'uint32': return 3_000_000_000 + n;
      case 'int64': return differ(BigInt(n) * 1_000_000_007n + 5n, -7n);
      case 'float64': return n + 0.25;
      case 'string': return `s${n}-é`;
      case 'uuid': return `${n.toString(16).padStart(8, '0')}-0000-4000-8000-00000000abcd`;
      case 'bytes': return Buffer.from([n & 0xff, 1, 2, 3]);
      case 'records': return Buffer.from(`records-${n}`);
      default: throw new Error(`no sample for ${f.type}`);
    }
  }
}

function defaultOf(f: FieldDescriptor): unknown {
  if (f.default === null) return null;
  if (f.array) return [];
  if (f.type === 'struct') return Object.fromEntries(f.fields!.map((c) => [c.name, defaultOf(c)]));
  if (f.default !== undefined) return f.default;
  const zeros: Record<string, unknown> = { bool: false, int64: 0n, string: '', uuid: ZERO_UUID, bytes: Buffer.alloc(0), records: null };
  return f.type in zeros ? zeros[f.type] : 0;
}

function versionsOf(d: MessageDescriptor): number[] {
  const out: number[] = [];
  for (let v = d.validVersions.min; v <= d.validVersions.max; v++) out.push(v);
  return out;
}

function checkMessage(d: MessageDescriptor): void {
  for (const version of versionsOf(d)) {
    for (const nulls of [false, true]) {
      const { input, expected } = new SampleBuilder(version, inRange(version, d.flexibleVersions), nulls).build(d.fields);
      const bytes = encodeMessage(d, version, input);
      const decoded = decodeMessage(d, version, bytes);
      try {
        expect(decoded).toStrictEqual(expected);
        expect(encodeMessage(d, version, decoded)).toEqual(bytes);
      } catch (err) {
        throw new Error(`${d.name} v${version}${nulls ? ' (nulls)' : ''}: ${(err as Error).message}`);
      }
    }
  }
}

describe('round trip of every message, every version', () => {
  it('covers all 93 API keys of Kafka 4.3', () => {
    expect(apiSchemas.map((s) => s.apiKey)).toEqual([...Array(93).keys()]);
  });

  it.each(apiSchemas.map((s) => [s.apiKey, s.name, s] as const))('%i %s request and response', (_key, _name, schema) => {
    checkMessage(schema.request);
    checkMessage(schema.response);
  });

  it.each([requestHeaderDescriptor, responseHeaderDescriptor, consumerProtocolSubscriptionDescriptor, consumerProtocolAssignmentDescriptor])(
    '$name',
    (d) => checkMessage(d),
  );
});

describe('framed round trip of every API version', () => {
  it.each(apiSchemas.map((s) => [s.apiKey, s.name, s] as const))('%i %s', (apiKey, _name, schema) => {
    for (const version of versionsOf(schema.request)) {
      const flexible = inRange(version, schema.flexibleVersions);
      const req = new SampleBuilder(version, flexible, false).build(schema.request.fields);
      const header = { requestApiKey: apiKey, requestApiVersion: version, correlationId: 1000 + version, clientId: 'client-é' };
      const frame = encodeRequest(header, req.input);
      expect(frame.readInt32BE(0)).toBe(frame.length - 4);
      const decodedHeader = decodeRequestHeader(frame.subarray(4));
      if (!(apiKey === 7 && version === 0)) expect(decodedHeader.header).toStrictEqual(header);
      expect(decodeRequestBody(apiKey, version, frame.subarray(4), decodedHeader.bodyOffset)).toStrictEqual(req.expected);

      const res = new SampleBuilder(version, flexible, false).build(schema.response.fields);
      const out = encodeResponse(apiKey, version, 77, res.input);
      expect(out.readInt32BE(0)).toBe(out.length - 4);
      expect(decodeResponse(apiKey, version, out.subarray(4))).toStrictEqual({ correlationId: 77, body: res.expected });
      expect(Buffer.concat(encodeResponseChunks(apiKey, version, 77, res.input))).toEqual(out);
    }
  });
});
