import { open, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsyncDir } from '../fsync-dir';
import type { LogLogger } from '../log-config';
import type { Segment } from '../segment';
import { keyHash } from './key-hash';
import { type ActiveIndexTrailer, sharedActiveIndexTrailer, type TrailStep } from './active-trailer';
import { type KeyIndexCache, sharedKeyIndexCache } from './key-index-cache';
import { type IndexedBatch, SegmentKeyIndex } from './segment-key-index';
import { batchSizeAt, coverageHolds, indexSegmentRange } from './segment-reader';

export interface KeyLookupOptions {
  /** Batches wholly below this offset are skipped (the log start offset, or a cursor). */
  fromOffset: bigint;
  /** Exclusive: batches starting at or after this offset are not returned. */
  upperBound: bigint;
  /** Batches whose max timestamp is known to be below this are skipped. */
  minTimestamp?: bigint;
  /** Stop once this many batch bytes were read (at least one batch is returned). */
  maxBytes: number;
}

export interface KeyLookupResult {
  /** Whole batches that may hold the key (hash matches), in offset order. */
  batches: Buffer[];
  /** Where a continuation starts; undefined when every candidate was returned. */
  nextOffset: bigint | undefined;
  bytesRead: number;
  /** Segments whose index was consulted. */
  segmentsSearched: number;
}

interface IndexerHost {
  /** The log's segments, oldest first; the last one is active. */
  segments(): readonly Segment[];
  /** Whether index files are fsynced (the log's fsync policy). */
  fsync: boolean;
  logger: LogLogger;
}

/**
 * The key indexes of one partition log. Sealed segments get theirs built and persisted in the
 * background when they roll (one build at a time per process, off the produce path); the active
 * segment's grows in memory, kept close to the written end by the process's trailer (see
 * active-trailer.ts) and caught up the rest of the way by a lookup. A missing, corrupt or stale
 * file is rebuilt from its segment on first need. Files go with their segments (Segment.delete,
 * the cleaner's swap, truncation).
 */
export class KeyIndexer {
  /** The topic's `dms.message.key.index.enable`: off, lookups answer undefined (callers scan). */
  enabled = true;
  private readonly active = new WeakMap<Segment, SegmentKeyIndex>();
  private readonly building = new Map<Segment, Promise<SegmentKeyIndex>>();
  /** A bounded background step on the active segment; a lookup's catch-up waits for it. */
  private trailing: Promise<TrailStep> | undefined;
  private closed = false;

  constructor(
    private readonly host: IndexerHost,
    private readonly cache: KeyIndexCache = sharedKeyIndexCache,
    private readonly trailer: ActiveIndexTrailer = sharedActiveIndexTrailer,
  ) {}

  /**
   * Hands the active segment to the process's trailer, which indexes it in the background from
   * then on (after open: from its start, so the first lookup after a restart finds it done).
   */
  startTrailing(): void {
    if (!this.closed) this.trailer.add(this);
  }

  /**
   * Takes the log off the trailer (a follower's: only a partition's leader answers lookups, and a
   * follower that trailed re-read from the file most of what it appended at high rates). What
   * was indexed stays; `startTrailing` on leadership goes on from there, and a lookup catches up
   * the rest itself.
   */
  stopTrailing(): void {
    this.trailer.remove(this);
  }

  /** Bytes of the active segment not yet indexed (0 when the index is off or the log closed). */
  activeBacklog(): number {
    if (!this.enabled || this.closed) return 0;
    const segments = this.host.segments();
    const seg = segments[segments.length - 1];
    if (!seg) return 0;
    return Math.max(0, seg.writtenSize - (this.active.get(seg)?.coverage.size ?? 0));
  }

  /**
   * Indexes about `maxBytes` more of the active segment (whole batches; one whole batch when a
   * single batch is larger); returns the bytes covered and the time spent indexing them (reads
   * left out). Does nothing while a lookup or a
   * sealing build holds that segment's index.
   */
  async trailActive(maxBytes: number): Promise<TrailStep> {
    if (!this.enabled || this.closed || this.trailing) return NO_STEP;
    const segments = this.host.segments();
    const seg = segments[segments.length - 1];
    if (!seg || this.building.has(seg)) return NO_STEP;
    const run = this.trailStep(seg, maxBytes);
    this.trailing = run;
    try {
      return await run;
    } finally {
      this.trailing = undefined;
    }
  }

  private async trailStep(segment: Segment, maxBytes: number): Promise<TrailStep> {
    let idx = this.active.get(segment);
    if (idx && !(await coverageHolds(segment, idx.coverage))) idx = undefined;
    if (!idx) {
      idx = new SegmentKeyIndex(segment.baseOffset);
      this.active.set(segment, idx);
    }
    const from = idx.coverage.size;
    const written = segment.writtenSize;
    if (from >= written) return NO_STEP;
    let upTo = Math.min(written, from + maxBytes);
    let busyMs = await indexSegmentRange(segment, idx, upTo);
    if (idx.coverage.size === from && upTo < written) {
      // The next batch alone is larger than a step: take it whole.
      const size = await batchSizeAt(segment, from);
      if (size !== undefined && from + size <= written) {
        upTo = from + size;
        busyMs += await indexSegmentRange(segment, idx, upTo);
      }
    }
    return { bytes: idx.coverage.size - from, busyMs };
  }

  /** A segment rolled: its index is completed and persisted in the background. */
  segmentSealed(segment: Segment): void {
    if (!this.enabled || this.closed) return;
    background = background.then(async () => {
      if (this.closed || !this.host.segments().includes(segment)) return;
      try {
        // A lookup may have been catching the segment up while it was still active: that run
        // keeps it in memory only, so ask again once it is done (then it is persisted).
        await this.indexOf(segment);
        await this.indexOf(segment);
      } catch (err) {
        this.host.logger('warn', 'key index build failed', { path: segment.paths.log, err: (err as Error).message });
      }
    });
  }

  /**
   * Builds the missing or stale indexes of every sealed segment in the background (after open),
   * and removes temp files a crash left mid-write.
   */
  buildMissing(): void {
    const segments = this.host.segments();
    const dir = dirname(segments[0]!.paths.log);
    background = background.then(async () => {
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const n of names) if (n.endsWith(KEY_INDEX_TMP)) await unlink(join(dir, n)).catch(() => {});
    });
    for (const s of segments.slice(0, -1)) this.segmentSealed(s);
  }

  /**
   * The batches that may hold records with `key` (their hash matches), read from disk; undefined
   * when the index is turned off for this log.
   */
  async lookup(key: Buffer, opts: KeyLookupOptions): Promise<KeyLookupResult | undefined> {
    if (!this.enabled) return undefined;
    const hash = keyHash(key);
    const segments = this.host.segments();
    const out: KeyLookupResult = { batches: [], nextOffset: undefined, bytesRead: 0, segmentsSearched: 0 };
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      const next = segments[i + 1];
      if (next && next.baseOffset <= opts.fromOffset) continue;
      if (seg.baseOffset >= opts.upperBound) break;
      if (opts.minTimestamp !== undefined && seg.untrustedTimestamps === false && seg.maxTimestampSoFar >= 0n && seg.maxTimestampSoFar < opts.minTimestamp) continue;
      const idx = await this.indexOf(seg);
      out.segmentsSearched++;
      for (const b of idx.lookup(hash)) {
        if (b.lastOffset < opts.fromOffset || !wanted(b, opts)) continue;
        if (b.baseOffset >= opts.upperBound) return out;
        if (out.batches.length > 0 && out.bytesRead + b.size > opts.maxBytes) {
          out.nextOffset = b.baseOffset;
          return out;
        }
        out.batches.push(await seg.read(b.position, b.size));
        out.bytesRead += b.size;
      }
    }
    return out;
  }

  /** The index of `segment`, complete up to its written end (built, loaded or caught up). */
  indexOf(segment: Segment): Promise<SegmentKeyIndex> {
    const inFlight = this.building.get(segment);
    if (inFlight) return inFlight;
    // A background step on the same index finishes first (they would both extend it).
    const step = this.trailing;
    const run = (step ? step.then(noop, noop) : Promise.resolve()).then(() => this.ensure(segment)).finally(() => this.building.delete(segment));
    this.building.set(segment, run);
    return run;
  }

  private async ensure(segment: Segment): Promise<SegmentKeyIndex> {
    const segments = this.host.segments();
    const isActive = segments[segments.length - 1] === segment;
    let idx = this.active.get(segment) ?? this.cache.get(segment);
    // Truncation may have cut and rewritten the bytes (one short read of the last covered header).
    if (idx && !(await coverageHolds(segment, idx.coverage))) idx = undefined;
    if (!idx && !isActive) idx = await this.load(segment);
    idx ??= new SegmentKeyIndex(segment.baseOffset);
    const end = segment.writtenSize;
    const grew = idx.coverage.size < end;
    if (grew) await indexSegmentRange(segment, idx, end);
    if (isActive) {
      this.active.set(segment, idx);
      this.cache.drop(segment);
      return idx;
    }
    this.active.delete(segment);
    if (grew || !persisted.has(idx)) await this.persist(segment, idx);
    this.cache.put(segment, idx);
    return idx;
  }

  private async load(segment: Segment): Promise<SegmentKeyIndex | undefined> {
    let buf: Buffer;
    try {
      buf = await readFile(segment.paths.keyIndex);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const idx = SegmentKeyIndex.decode(buf, segment.baseOffset);
    if (typeof idx === 'string' || !(await coverageHolds(segment, idx.coverage))) {
      this.host.logger('warn', 'key index unusable, rebuilding it', { path: segment.paths.keyIndex, reason: typeof idx === 'string' ? idx : 'stale' });
      return undefined;
    }
    persisted.add(idx);
    return idx;
  }

  /** Temp file + rename; fsynced (file and directory) when the log fsyncs. */
  private async persist(segment: Segment, idx: SegmentKeyIndex): Promise<void> {
    if (!this.host.segments().includes(segment)) return;
    const path = segment.paths.keyIndex;
    const tmp = path + KEY_INDEX_TMP;
    const data = idx.encode();
    if (this.host.fsync) {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(data);
        await fh.datasync();
      } finally {
        await fh.close();
      }
    } else {
      await writeFile(tmp, data);
    }
    await rename(tmp, path);
    persisted.add(idx);
    if (this.host.fsync) await fsyncDir(dirname(path));
    // Deleted while we wrote: the file must not outlive its segment.
    if (!this.host.segments().includes(segment)) await unlink(path).catch(() => {});
  }

  /** Resolves once every sealed segment's index is built and persisted (tests, benchmarks). */
  async settled(): Promise<void> {
    await background;
    if (!this.enabled) return;
    for (const s of this.host.segments().slice(0, -1)) await this.indexOf(s);
  }

  /** Stops background work for this log; waits for builds in flight. */
  async close(): Promise<void> {
    this.closed = true;
    this.trailer.remove(this);
    await Promise.allSettled([...this.building.values(), this.trailing]);
  }
}

const KEY_INDEX_TMP = '.keyidx.tmp';

const noop = (): void => undefined;

const NO_STEP: TrailStep = { bytes: 0, busyMs: 0 };

/** Indexes whose file on disk is up to date. */
const persisted = new WeakSet<SegmentKeyIndex>();

/** Background builds of every log in the process run one at a time. */
let background: Promise<void> = Promise.resolve();

function wanted(b: IndexedBatch, opts: KeyLookupOptions): boolean {
  return opts.minTimestamp === undefined || b.maxTimestamp < 0n || b.maxTimestamp >= opts.minTimestamp;
}
