import { ErrorCode } from '@dms/kafka-errors';
import type { ReplicaFetchPartitionResult } from '@dms/rpc';
import { unchanged } from './replica-fetcher';

/** A follower log at end 10, high watermark 8, log start 2 (only what `unchanged` reads). */
const follower = { log: { logEndOffset: 10n, highWatermark: 8n, logStartOffset: 2n } } as Parameters<typeof unchanged>[0];
const idle: ReplicaFetchPartitionResult = { topic: 't', partition: 0, errorCode: ErrorCode.NONE, highWatermark: 8n, logStartOffset: 2n, records: Buffer.alloc(0), divergingEpoch: undefined };

describe('follower: which answers change nothing', () => {
  it('an empty answer with the same marks is skipped', () => {
    expect(unchanged(follower, idle)).toBe(true);
    // A leader high watermark below ours (we learned a newer one already) changes nothing.
    expect(unchanged(follower, { ...idle, highWatermark: 7n })).toBe(true);
  });

  it('records, an error, a divergence, a higher high watermark or a later log start are applied', () => {
    expect(unchanged(follower, { ...idle, records: Buffer.alloc(1) })).toBe(false);
    expect(unchanged(follower, { ...idle, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER })).toBe(false);
    expect(unchanged(follower, { ...idle, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE })).toBe(false);
    expect(unchanged(follower, { ...idle, divergingEpoch: { epoch: 1, endOffset: 5n } })).toBe(false);
    expect(unchanged(follower, { ...idle, highWatermark: 9n })).toBe(false);
    expect(unchanged(follower, { ...idle, highWatermark: 12n })).toBe(false);
    expect(unchanged(follower, { ...idle, logStartOffset: 4n })).toBe(false);
  });

  it('a leader log start beyond our high watermark moves ours only as far as the high watermark', () => {
    const atStart = { log: { logEndOffset: 10n, highWatermark: 2n, logStartOffset: 2n } } as Parameters<typeof unchanged>[0];
    expect(unchanged(atStart, { ...idle, highWatermark: 2n, logStartOffset: 6n })).toBe(true);
  });
});
