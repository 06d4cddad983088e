import {
  ACK_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ACK_OK,
  ACK_REQUEST_TIMED_OUT,
  AckPurgatory,
  FollowerProgress,
  LeaderState,
  divergingEpoch,
  electPartition,
  followerHighWatermark,
  nextHighWatermark,
  truncationPoint,
  type EpochEndOffset,
} from './index';

describe('high watermark', () => {
  const leos = new Map<number, bigint>([[2, 5n], [3, 9n]]);
  it('is the minimum log end offset over the ISR, leader included', () => {
    expect(nextHighWatermark(0n, 1, 10n, [1, 2, 3], (id) => leos.get(id)!)).toBe(5n);
    expect(nextHighWatermark(0n, 1, 4n, [1, 2, 3], (id) => leos.get(id)!)).toBe(4n);
    expect(nextHighWatermark(0n, 1, 10n, [1], () => -1n)).toBe(10n);
  });
  it('never moves backwards and waits for members it knows nothing about', () => {
    expect(nextHighWatermark(7n, 1, 10n, [1, 2], (id) => leos.get(id)!)).toBe(7n);
    expect(nextHighWatermark(3n, 1, 10n, [1, 4], () => -1n)).toBe(3n);
  });
  it('a follower exposes at most its own log end', () => {
    expect(followerHighWatermark(10n, 4n)).toBe(4n);
    expect(followerHighWatermark(3n, 4n)).toBe(3n);
  });
});

describe('ISR shrink and expand', () => {
  const make = () =>
    new LeaderState({ leaderId: 1, leaderEpoch: 2, epochStartOffset: 0n, replicas: [1, 2, 3], isr: [1, 2, 3], partitionEpoch: 4, highWatermark: 0n, nowMs: 0 });

  it('a follower that keeps fetching at the end stays; one that stops is dropped after the lag time', () => {
    const s = make();
    s.onFollowerFetch(2, 10n, 10n, 900);
    s.onFollowerFetch(3, 0n, 10n, 900);
    expect(s.wantedIsr(1000, 1000)).toBeUndefined();
    s.onFollowerFetch(2, 10n, 10n, 1500);
    expect(s.wantedIsr(1500, 1000)).toEqual([1, 2]);
  });

  it('counts a follower as caught up when it reached the leader end of its previous fetch', () => {
    const f = new FollowerProgress(2, 0);
    f.onFetch(5n, 10n, 100);
    f.onFetch(10n, 20n, 200); // reached the end as of the previous fetch (at 100)
    expect(f.lastCaughtUpTimeMs).toBe(100);
    f.onFetch(20n, 20n, 300);
    expect(f.lastCaughtUpTimeMs).toBe(300);
  });

  it('the high watermark waits for every ISR member, and a removed member stops counting once committed', () => {
    const s = make();
    s.onFollowerFetch(2, 10n, 10n, 10);
    expect(s.highWatermark).toBe(0n); // 3 has not fetched yet
    s.pendingIsr = [1, 2];
    expect(s.updateHighWatermark(10n)).toBe(false); // a shrink in flight does not count yet
    s.applyCommitted([1, 2], 5);
    expect(s.updateHighWatermark(10n)).toBe(true);
    expect(s.highWatermark).toBe(10n);
  });

  it('expands when an out-of-sync follower reaches the high watermark and the epoch start', () => {
    const s = new LeaderState({ leaderId: 1, leaderEpoch: 2, epochStartOffset: 8n, replicas: [1, 2, 3], isr: [1, 2], partitionEpoch: 4, highWatermark: 5n, nowMs: 0 });
    s.onFollowerFetch(2, 10n, 10n, 10);
    s.onFollowerFetch(3, 6n, 10n, 10);
    expect(s.wantedIsr(20, 1000)).toBeUndefined(); // 3 is past the HW (10 now) ... not yet
    s.onFollowerFetch(3, 10n, 10n, 30);
    expect(s.wantedIsr(40, 1000)).toEqual([1, 2, 3]);
    s.pendingIsr = [1, 2, 3];
    expect(s.wantedIsr(40, 1000)).toBeUndefined(); // one change at a time
  });

  it('adds one caught-up replica per change, taking turns, so one the controller refuses keeps no other out', () => {
    const s = new LeaderState({ leaderId: 3, leaderEpoch: 1, epochStartOffset: 0n, replicas: [3, 2, 1], isr: [3], partitionEpoch: 1, highWatermark: 10n, nowMs: 0 });
    s.onFollowerFetch(2, 10n, 10n, 10);
    s.onFollowerFetch(1, 10n, 10n, 10);
    expect(s.wantedIsr(20, 1000)).toEqual([3, 2]);
    // The controller refused (say 2 is not alive in its view): the next attempt proposes 1.
    expect(s.wantedIsr(20, 1000)).toEqual([3, 1]);
    s.applyCommitted([3, 1], 2);
    expect(s.wantedIsr(20, 1000)).toEqual([3, 1, 2]);
    s.applyCommitted([3, 1, 2], 3);
    expect(s.wantedIsr(20, 1000)).toBeUndefined();
  });
});

describe('truncation', () => {
  // Follower epochs: 0 from 0, 2 from 10; log end 15; HW 8.
  const epochs = [{ epoch: 0, start: 0n }, { epoch: 2, start: 10n }];
  const follower = {
    logEndOffset: 15n,
    highWatermark: 8n,
    endOffsetForEpoch(e: number): EpochEndOffset {
      const idx = epochs.map((x) => x.epoch <= e).lastIndexOf(true);
      if (idx < 0) return { epoch: -1, endOffset: -1n };
      const next = epochs[idx + 1];
      return { epoch: epochs[idx].epoch, endOffset: next ? next.start : 15n };
    },
  };
  it('cuts at the smaller end of a shared epoch', () => {
    expect(truncationPoint({ epoch: 2, endOffset: 12n }, follower)).toEqual({ offset: 12n, complete: true });
    expect(truncationPoint({ epoch: 2, endOffset: 20n }, follower)).toEqual({ offset: 15n, complete: true });
  });
  it('cuts back to its own smaller epoch when it does not know the leader\'s, and asks again', () => {
    expect(truncationPoint({ epoch: 1, endOffset: 12n }, follower)).toEqual({ offset: 10n, complete: false });
  });
  it('keeps only the high watermark when there is no common epoch', () => {
    expect(truncationPoint({ epoch: -1, endOffset: -1n }, follower)).toEqual({ offset: 8n, complete: true });
  });
  it('the leader reports divergence only when its epoch ends before the fetch offset', () => {
    const leader = (e: number): EpochEndOffset => (e >= 3 ? { epoch: 3, endOffset: 30n } : e >= 2 ? { epoch: 2, endOffset: 12n } : { epoch: 0, endOffset: 10n });
    expect(divergingEpoch(15n, 2, leader)).toEqual({ epoch: 2, endOffset: 12n });
    expect(divergingEpoch(12n, 2, leader)).toBeUndefined();
    expect(divergingEpoch(11n, 1, leader)).toEqual({ epoch: 0, endOffset: 10n });
    expect(divergingEpoch(0n, -1, leader)).toBeUndefined();
  });
});

describe('ack purgatory', () => {
  it('completes in offset order when the high watermark passes, checking min.insync.replicas', async () => {
    const p = new AckPurgatory();
    const a = p.wait(5n, 10_000);
    const b = p.wait(10n, 10_000);
    const c = p.wait(12n, 10_000, false);
    p.onProgress(5n, 2, 2);
    expect(await a).toBe(ACK_OK);
    expect(p.size).toBe(2);
    p.onProgress(12n, 1, 2);
    expect(await b).toBe(ACK_NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    expect(await c).toBe(ACK_OK); // acks=1 upgraded while fenced-off needs only the HW
  });
  it('times out and fails on ISR shrink', async () => {
    const p = new AckPurgatory();
    const t = p.wait(5n, 10);
    expect(await t).toBe(ACK_REQUEST_TIMED_OUT);
    const s = p.wait(5n, 10_000);
    p.onIsrBelowMin();
    expect(await s).toBe(ACK_NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    expect(p.size).toBe(0);
  });
});

describe('leader election', () => {
  const base = { replicas: [1, 2, 3], leader: 1, leaderEpoch: 4, isr: [1, 2, 3], partitionEpoch: 7 };
  const facts = (live: number[], restarted: number[] = []) => ({ isLive: (id: number) => live.includes(id), restartedSince: (id: number) => restarted.includes(id) });

  it('elects the first live ISR member in replica order, bumping both epochs', () => {
    expect(electPartition(base, facts([2, 3]), false)).toEqual({
      reason: 'leader-elected',
      state: { replicas: [1, 2, 3], leader: 2, leaderEpoch: 5, isr: [2, 3], partitionEpoch: 8 },
    });
  });
  it('removes dead followers without touching the leader epoch', () => {
    expect(electPartition(base, facts([1, 3]), false)?.state).toEqual({ ...base, isr: [1, 3], partitionEpoch: 8 });
    expect(electPartition(base, facts([1, 2, 3]), false)).toBeUndefined();
  });
  it('moves leadership off a leader that restarted since the state was written', () => {
    expect(electPartition(base, facts([1, 2, 3], [1]), false)?.state).toMatchObject({ leader: 2, leaderEpoch: 5, isr: [2, 3] });
    // Alone in the ISR it leads again, at a new epoch.
    expect(electPartition({ ...base, isr: [1] }, facts([1, 2, 3], [1]), false)?.state).toMatchObject({ leader: 1, leaderEpoch: 5, isr: [1] });
  });
  it('goes offline without unclean election and keeps the last ISR; a returning member leads', () => {
    const off = electPartition({ ...base, isr: [1] }, facts([2, 3]), false)!;
    expect(off.state).toMatchObject({ leader: -1, leaderEpoch: 5, isr: [1] });
    expect(electPartition(off.state, facts([2, 3]), false)).toBeUndefined();
    expect(electPartition(off.state, facts([1, 2], [1]), false)?.state).toMatchObject({ leader: 1, leaderEpoch: 6, isr: [1] });
  });
  it('elects any live replica when unclean election is enabled', () => {
    expect(electPartition({ ...base, isr: [1] }, facts([3]), true)).toEqual({
      reason: 'unclean-leader-elected',
      state: { replicas: [1, 2, 3], leader: 3, leaderEpoch: 5, isr: [3], partitionEpoch: 8 },
    });
  });
});
