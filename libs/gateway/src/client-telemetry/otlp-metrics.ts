// A decoder of the few OTLP messages a KIP-714 push carries: MetricsData (opentelemetry-proto
// metrics/v1) down to its number and histogram data points. Written against the proto field
// numbers; unknown fields are skipped as protobuf requires; anything malformed throws
// OtlpDecodeError (the push then answers INVALID_RECORD).

export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

export type Attributes = Record<string, string>;

export interface MetricPoint {
  /** The metric's OTLP name (dotted, as the client names it). */
  name: string;
  /** gauge, counter (a monotonic sum), or sum (non-monotonic, rendered as a gauge); histograms give their count and sum. */
  kind: 'gauge' | 'counter' | 'histogram';
  attributes: Attributes;
  value: number;
  /** Histograms only. */
  count?: number;
  description: string;
}

export interface DecodedMetrics {
  /** Resource attributes of the first resource (a client sends one). */
  resource: Attributes;
  points: MetricPoint[];
}

const MAX_DEPTH = 8;

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer, readonly end = buf.length) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OtlpDecodeError('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new OtlpDecodeError('varint longer than 10 bytes');
  }

  /** An unsigned varint as a number (keys, lengths, flags): exact below 2^53, which is all these may be. */
  uvarint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OtlpDecodeError('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new OtlpDecodeError('varint longer than 10 bytes');
  }

  /** A field key: [field number, wire type]. */
  key(): [number, number] {
    const k = this.uvarint();
    const field = Math.floor(k / 8);
    if (field === 0) throw new OtlpDecodeError('field number 0');
    return [field, k % 8];
  }

  fixed64(): Buffer {
    if (this.pos + 8 > this.end) throw new OtlpDecodeError('truncated fixed64');
    const b = this.buf.subarray(this.pos, this.pos + 8);
    this.pos += 8;
    return b;
  }

  bytes(): Reader {
    const len = this.uvarint();
    if (len > this.end - this.pos) throw new OtlpDecodeError('length-delimited field runs past its message');
    const sub = new Reader(this.buf, this.pos + len);
    sub.pos = this.pos;
    this.pos += len;
    return sub;
  }

  string(): string {
    const r = this.bytes();
    return r.buf.toString('utf8', r.pos, r.end);
  }

  skip(wire: number): void {
    switch (wire) {
      case 0: this.uvarint(); break;
      case 1: this.fixed64(); break;
      case 2: this.bytes(); break;
      case 5:
        if (this.pos + 4 > this.end) throw new OtlpDecodeError('truncated fixed32');
        this.pos += 4;
        break;
      default: throw new OtlpDecodeError(`unsupported wire type ${wire}`);
    }
  }
}

function expect(wire: number, want: number, what: string): void {
  if (wire !== want) throw new OtlpDecodeError(`${what}: wire type ${wire}, expected ${want}`);
}

const toSigned64 = (v: bigint): bigint => BigInt.asIntN(64, v);

/** AnyValue as a label value: scalars as text, arrays and maps as compact JSON-ish text. */
function anyValue(r: Reader, depth: number): string {
  if (depth > MAX_DEPTH) throw new OtlpDecodeError('attribute values nested too deep');
  let out = '';
  while (!r.done) {
    const [field, wire] = r.key();
    switch (field) {
      case 1: expect(wire, 2, 'string_value'); out = r.string(); break;
      case 2: expect(wire, 0, 'bool_value'); out = r.uvarint() !== 0 ? 'true' : 'false'; break;
      case 3: expect(wire, 0, 'int_value'); out = toSigned64(r.varint()).toString(); break;
      case 4: expect(wire, 1, 'double_value'); out = String(r.fixed64().readDoubleLE(0)); break;
      case 5: {
        expect(wire, 2, 'array_value');
        const arr = r.bytes();
        const items: string[] = [];
        while (!arr.done) {
          const [f, w] = arr.key();
          if (f === 1 && w === 2) items.push(anyValue(arr.bytes(), depth + 1));
          else arr.skip(w);
        }
        out = `[${items.join(',')}]`;
        break;
      }
      case 6: {
        expect(wire, 2, 'kvlist_value');
        const list = r.bytes();
        const items: string[] = [];
        while (!list.done) {
          const [f, w] = list.key();
          if (f === 1 && w === 2) {
            const [k, v] = keyValue(list.bytes(), depth + 1);
            items.push(`${k}=${v}`);
          } else list.skip(w);
        }
        out = `{${items.join(',')}}`;
        break;
      }
      case 7: expect(wire, 2, 'bytes_value'); { const b = r.bytes(); out = b.buf.toString('base64', b.pos, b.end); } break;
      default: r.skip(wire);
    }
  }
  return out;
}

function keyValue(r: Reader, depth: number): [string, string] {
  let key = '';
  let value = '';
  while (!r.done) {
    const [field, wire] = r.key();
    if (field === 1) { expect(wire, 2, 'key'); key = r.string(); }
    else if (field === 2) { expect(wire, 2, 'value'); value = anyValue(r.bytes(), depth); }
    else r.skip(wire);
  }
  return [key, value];
}

function addAttribute(attrs: Attributes, r: Reader): void {
  const [k, v] = keyValue(r, 0);
  if (k) attrs[k] = v;
}

/** NumberDataPoint: attributes 7, as_double 4, as_int 6. */
function numberPoint(r: Reader): { attributes: Attributes; value: number } {
  const attributes: Attributes = {};
  let value = 0;
  while (!r.done) {
    const [field, wire] = r.key();
    if (field === 7 && wire === 2) addAttribute(attributes, r.bytes());
    else if (field === 4) { expect(wire, 1, 'as_double'); value = r.fixed64().readDoubleLE(0); }
    else if (field === 6) { expect(wire, 1, 'as_int'); value = Number(r.fixed64().readBigInt64LE(0)); }
    else r.skip(wire);
  }
  return { attributes, value };
}

/** HistogramDataPoint: attributes 9, count 4 (fixed64), sum 5 (double). */
function histogramPoint(r: Reader): { attributes: Attributes; count: number; sum: number } {
  const attributes: Attributes = {};
  let count = 0;
  let sum = 0;
  while (!r.done) {
    const [field, wire] = r.key();
    if (field === 9 && wire === 2) addAttribute(attributes, r.bytes());
    else if (field === 4) { expect(wire, 1, 'count'); count = Number(r.fixed64().readBigUInt64LE(0)); }
    else if (field === 5) { expect(wire, 1, 'sum'); sum = r.fixed64().readDoubleLE(0); }
    else r.skip(wire);
  }
  return { attributes, count, sum };
}

/** Metric: name 1, description 2, gauge 5, sum 7 (monotonic 3), histogram 9; exponential histograms and summaries are skipped. */
function metric(r: Reader, out: MetricPoint[]): void {
  let name = '';
  let description = '';
  const pending: Omit<MetricPoint, 'name' | 'description'>[] = [];
  while (!r.done) {
    const [field, wire] = r.key();
    if (field === 1) { expect(wire, 2, 'name'); name = r.string(); }
    else if (field === 2) { expect(wire, 2, 'description'); description = r.string(); }
    else if (field === 5 || field === 7 || field === 9) {
      expect(wire, 2, 'metric data');
      const data = r.bytes();
      let monotonic = false;
      const points: Omit<MetricPoint, 'name' | 'description'>[] = [];
      while (!data.done) {
        const [f, w] = data.key();
        if (f === 1 && w === 2) {
          if (field === 9) {
            const p = histogramPoint(data.bytes());
            points.push({ kind: 'histogram', attributes: p.attributes, value: p.sum, count: p.count });
          } else {
            const p = numberPoint(data.bytes());
            points.push({ kind: 'gauge', attributes: p.attributes, value: p.value });
          }
        } else if (field === 7 && f === 3) {
          expect(w, 0, 'is_monotonic');
          monotonic = data.uvarint() !== 0;
        } else data.skip(w);
      }
      for (const p of points) pending.push(field === 7 && monotonic ? { ...p, kind: 'counter' } : p);
    } else r.skip(wire);
  }
  if (!name) throw new OtlpDecodeError('a metric without a name');
  for (const p of pending) out.push({ name, description, ...p });
}

/** Decodes an OTLP MetricsData message (the payload of PushTelemetry). */
export function decodeMetricsData(buf: Buffer): DecodedMetrics {
  const top = new Reader(buf);
  const resource: Attributes = {};
  let sawResource = false;
  const points: MetricPoint[] = [];
  while (!top.done) {
    const [field, wire] = top.key();
    if (field !== 1) {
      top.skip(wire);
      continue;
    }
    expect(wire, 2, 'resource_metrics');
    const rm = top.bytes();
    while (!rm.done) {
      const [f, w] = rm.key();
      if (f === 1 && w === 2) {
        const res = rm.bytes();
        while (!res.done) {
          const [rf, rw] = res.key();
          if (rf === 1 && rw === 2 && !sawResource) addAttribute(resource, res.bytes());
          else res.skip(rw);
        }
        sawResource = true;
      } else if (f === 2 && w === 2) {
        const sm = rm.bytes();
        while (!sm.done) {
          const [sf, sw] = sm.key();
          if (sf === 2 && sw === 2) metric(sm.bytes(), points);
          else sm.skip(sw);
        }
      } else rm.skip(w);
    }
  }
  return { resource, points };
}
