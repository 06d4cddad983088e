import { CompressionType, type KafkaRecord } from '@dms/kafka-codec';
import { errorName, KafkaError } from '@dms/kafka-errors';
import { InvalidArgumentError } from 'commander';
import * as readline from 'node:readline';

/**
 * Option parsers and I/O shared by the `dms` Kafka commands, kept beside the client so the
 * command files stay wiring only and the parsers are testable without a process.
 */
export interface CliIo {
  /** Lines of standard input. */
  lines: () => AsyncIterable<string>;
  out: (text: string) => void;
  err: (text: string) => void;
}

export const processIo: CliIo = {
  lines: () => readline.createInterface({ input: process.stdin, crlfDelay: Infinity }),
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export const DEFAULT_BOOTSTRAP = '127.0.0.1:9092';

export function parseIntOption(name: string, min = -Infinity, max = Infinity): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer${min > -Infinity ? ` >= ${min}` : ''}, got '${v}'`);
    return n;
  };
}

export function parseAcks(v: string): number {
  if (v === 'all') return -1;
  if (v === '-1' || v === '0' || v === '1') return Number(v);
  throw new InvalidArgumentError(`acks must be -1 (all), 0 or 1, got '${v}'`);
}

const CODECS: Record<string, CompressionType> = {
  none: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

export function parseCompression(v: string): CompressionType {
  const c = CODECS[v.toLowerCase()];
  if (c === undefined) throw new InvalidArgumentError(`compression must be one of ${Object.keys(CODECS).join(', ')}, got '${v}'`);
  return c;
}

/** `k=v`, collected over repeated flags into a map (Kafka's --config). */
export function collectConfig(v: string, acc: Record<string, string> = {}): Record<string, string> {
  const at = v.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`config must be key=value, got '${v}'`);
  return { ...acc, [v.slice(0, at)]: v.slice(at + 1) };
}

/** Epoch milliseconds, or an ISO-8601 date/time. */
export function parseTimestamp(v: string): bigint {
  if (/^\d+$/.test(v.trim())) return BigInt(v.trim());
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`timestamp must be epoch milliseconds or ISO-8601, got '${v}'`);
  return BigInt(ms);
}

/** One consumed record as a JSON line; int64s become numbers when exact, else strings. */
export function recordToJson(partition: number, r: KafkaRecord): string {
  const num = (b: bigint) => (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b.toString());
  return JSON.stringify({
    partition,
    offset: num(r.offset),
    timestamp: num(r.timestamp),
    key: r.key === null ? null : r.key.toString('utf8'),
    value: r.value === null ? null : r.value.toString('utf8'),
    headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.toString('utf8') })),
  });
}

export function describeError(err: unknown): string {
  if (err instanceof KafkaError) {
    const name = errorName(err.code);
    return err.message === name ? `${name} (${err.code})` : `${name} (${err.code}): ${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}
