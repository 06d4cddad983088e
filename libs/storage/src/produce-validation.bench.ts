/**
 * Micro benchmark, not a spec: what the leader's per-record checks (CreateTime timestamp bounds,
 * keys on compacted topics) and recompression cost per MB of produced batches.
 * Run from the repository root (stdin resolves node_modules from there):
 *   npx esbuild libs/storage/src/produce-validation.bench.ts --bundle --platform=node --packages=external | node -
 */
import { randomBytes } from 'node:crypto';
import { buildRecordBatch, CompressionType, validateBatches } from '@dms/kafka-codec';
import { checkForAppend } from './produce-validation';
import { produceSettings } from './topic-settings';

async function rate(label: string, batch: Buffer, records: number, configs: Record<string, string>): Promise<void> {
  const { positions } = validateBatches(batch);
  const settings = produceSettings(configs, { messageMaxBytes: 8 << 20 });
  const now = BigInt(Date.now());
  let bytes = 0;
  let n = 0;
  const started = process.hrtime.bigint();
  while (process.hrtime.bigint() - started < 1_000_000_000n) {
    const res = await checkForAppend(batch, positions, settings, now, 'bench-0');
    if (!res.ok) throw new Error(res.errorMessage);
    bytes += batch.length;
    n += records;
  }
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${label.padEnd(48)} ${(n / s / 1e6).toFixed(2).padStart(7)} M records/s ${(bytes / s / 1e6).toFixed(0).padStart(7)} MB/s of batches\n`);
}

async function main(): Promise<void> {
  for (const [size, count] of [[100, 1000], [1000, 100]] as const) {
    // Hex text: compresses about 2:1, like typical payloads rather than a run of one byte.
    const records = Array.from({ length: count }, (_, i) => ({ key: `key-${i}`, value: randomBytes(size / 2).toString('hex') }));
    const plain = await buildRecordBatch({ records });
    const lz4 = await buildRecordBatch({ records, compression: CompressionType.Lz4 });
    const gzip = await buildRecordBatch({ records, compression: CompressionType.Gzip });
    const tag = `${count} x ${size} B`;
    await rate(`${tag} uncompressed, LogAppendTime (no scan)`, plain, count, { 'message.timestamp.type': 'LogAppendTime' });
    await rate(`${tag} uncompressed, CreateTime (scan)`, plain, count, {});
    await rate(`${tag} lz4, CreateTime (decompress + scan)`, lz4, count, {});
    await rate(`${tag} gzip -> zstd (scan + recompress)`, gzip, count, { 'compression.type': 'zstd' });
  }
}

void main();
