import {
  ATTR_COMPRESSION_MASK,
  BATCH,
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  CompressionType,
  compressionOf,
  rewriteBatchCrc,
} from './batch-header';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, compress, decompress } from './compression';
import { RecordsError } from './records-error';

/**
 * The batch at the start of `batch` with its records compressed by `target` instead of the codec
 * it carries (Kafka's broker-side recompression for a topic whose compression.type differs from
 * the producer's). The records themselves are the same bytes under any codec, so every record
 * field (offset and timestamp deltas, keys, values, headers) and every header field (producer id,
 * epoch, base sequence, timestamps, record count) stay exactly as they were; only the compression
 * bits of the attributes, the length and the CRC change. Returns `batch` itself when it already
 * uses `target`. The caller validates the records (decodeRecordBatch) before trusting them.
 */
export async function recompressBatch(
  batch: Buffer,
  target: CompressionType,
  maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Promise<Buffer> {
  if (batch.length < BATCH_HEADER_SIZE) throw new RecordsError('truncated', 'record batch header is truncated');
  const size = batch.readInt32BE(BATCH.batchLength) + BATCH_LOG_OVERHEAD;
  if (size < BATCH_HEADER_SIZE || size > batch.length) throw new RecordsError('truncated', 'record batch is truncated');
  if (target < CompressionType.None || target > CompressionType.Zstd) {
    throw new RecordsError('unsupported-compression', `unsupported compression type ${target}`);
  }
  const attributes = batch.readInt16BE(BATCH.attributes);
  const source = compressionOf(attributes);
  if (source === target) return batch.subarray(0, size);
  const plain = await decompress(source, batch.subarray(BATCH_HEADER_SIZE, size), maxDecompressedBytes);
  const body = await compress(target, plain);
  const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + body.length);
  batch.copy(out, 0, 0, BATCH_HEADER_SIZE);
  body.copy(out, BATCH_HEADER_SIZE);
  out.writeInt32BE(out.length - BATCH_LOG_OVERHEAD, BATCH.batchLength);
  out.writeInt16BE((attributes & ~ATTR_COMPRESSION_MASK) | target, BATCH.attributes);
  rewriteBatchCrc(out, 0);
  return out;
}
