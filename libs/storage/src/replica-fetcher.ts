import type { ClusterView } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import type { Logger } from '@dms/platform';
import { followerHighWatermark, truncationPoint } from '@dms/replication';
import {
  LeanSession,
  StorageServiceClient,
  StreamMux,
  createClient,
  openReplicaFetch,
  type InternalStreamTransport,
  type ReplicaFetchPartition,
  type ReplicaFetchPartitionResult,
  type ReplicaFetchRequest,
  type ReplicaFetchResponse,
} from '@dms/rpc';
import type { PartitionReplica } from './partition-replica';
import type { ReplicaManager } from './replica-manager';
import type { BrokerReplicationQuotas } from './replication-quotas';

export interface ReplicaFetcherOptions {
  brokerId: number;
  view: ClusterView;
  replicas: ReplicaManager;
  /** Kafka's replica.fetch.wait.max.ms: how long the leader holds an empty fetch. */
  maxWaitMs: number;
  /** Kafka's replica.fetch.max.bytes (per partition). */
  partitionMaxBytes: number;
  /** Kafka's replica.fetch.response.max.bytes. */
  maxBytes: number;
  /** internal.stream.transport: our framing on http2 (decision 0033), or grpc-js. Unset: grpc-js (the broker passes its config's value, default framed). */
  transport?: InternalStreamTransport;
  logger: Logger;
  /** The follower replication quota: throttled partitions out of the ISR sit out fetches while it is exceeded. */
  quotas?: Pick<BrokerReplicationQuotas, 'shouldFollowerThrottle' | 'followerThrottled' | 'follower'>;
}

const BACKOFF_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Follower replication: one fetch loop per leader this broker follows, each over one long-lived
 * ReplicaFetch stream carrying every partition followed from that leader. A request is a long
 * poll; answers are appended with the leader's own offsets and bytes, and a diverging epoch
 * makes the follower truncate (Kafka's leader-epoch rules) before it fetches again.
 */
export class ReplicaFetcherManager {
  private readonly loops = new Map<number, LeaderFetcher>();
  private stopped = false;
  private readonly onRoles = () => this.sync();

  constructor(private readonly opts: ReplicaFetcherOptions) {}

  start(): void {
    this.opts.replicas.on('roles', this.onRoles);
    this.sync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.opts.replicas.off('roles', this.onRoles);
    await Promise.all([...this.loops.values()].map((l) => l.stop()));
    this.loops.clear();
  }

  private sync(): void {
    if (this.stopped) return;
    const leaders = new Set<number>();
    for (const r of this.opts.replicas.all()) if (r.role === 'follower') leaders.add(r.leaderId);
    for (const id of leaders) {
      if (!this.loops.has(id)) {
        const l = new LeaderFetcher(id, this.opts);
        this.loops.set(id, l);
        l.start();
      } else {
        this.loops.get(id)!.rolesChanged();
      }
    }
    for (const [id, l] of this.loops) {
      if (!leaders.has(id)) {
        this.loops.delete(id);
        void l.stop();
      }
    }
  }
}

/**
 * Whether applying this answer would change nothing: no records, no error, no divergence, and
 * neither the high watermark nor the log start offset would move. Every partition followed from
 * a leader is in each of its answers; the idle ones are skipped rather than queued on the replica.
 */
export function unchanged(r: Pick<PartitionReplica, 'log'>, p: ReplicaFetchPartitionResult): boolean {
  if (p.errorCode !== ErrorCode.NONE || p.divergingEpoch || p.records.length > 0) return false;
  const log = r.log;
  if (followerHighWatermark(p.highWatermark, log.logEndOffset) > log.highWatermark) return false;
  const start = p.logStartOffset < log.highWatermark ? p.logStartOffset : log.highWatermark;
  return start <= log.logStartOffset;
}

class LeaderFetcher {
  private stopped = false;
  private running: Promise<void> | undefined;
  private mux: StreamMux<ReplicaFetchRequest, ReplicaFetchResponse> | undefined;
  private client: Pick<StorageServiceClient, 'close'> | undefined;
  private address = '';
  private wakeUp: (() => void) | undefined;
  /** The replicas following this leader, as of the last role change (re-read at least every second). */
  private followed: PartitionReplica[] | undefined;
  private followedAt = 0;
  /** The replicas of the request in flight (a long poll), if any. */
  private inFlight: PartitionReplica[] | undefined;
  /** The request in flight was abandoned for a new partition set: ask again at once. */
  private superseded = false;
  /** The last request's partitions, reused while the same replicas are fetched. */
  private asked: { replicas: PartitionReplica[]; partitions: ReplicaFetchPartition[] } | undefined;

  constructor(
    readonly leaderId: number,
    private readonly opts: ReplicaFetcherOptions,
  ) {}

  start(): void {
    this.running = this.loop().catch((err) => this.opts.logger.error({ err, leader: this.leaderId }, 'replica fetcher failed'));
  }

  wake(): void {
    this.wakeUp?.();
  }

  /**
   * Partitions may have changed roles: re-read which ones follow this leader, and go. A partition
   * that starts following this leader during a long poll does not wait for it to end (up to
   * replica.fetch.wait.max.ms, while a fresh topic's produces wait for this follower): the poll
   * is abandoned (its answer dropped) and a request with the new set goes at once.
   */
  rolesChanged(): void {
    this.followed = undefined;
    this.wake();
    const asked = this.inFlight;
    if (!asked || this.superseded) return;
    const now = this.partitions();
    if (now.length === 0) return;
    const before = new Set(asked);
    if (now.every((r) => before.has(r))) return;
    if ((this.mux?.abandonPending('new partitions to fetch') ?? 0) > 0) this.superseded = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    this.mux?.close();
    this.client?.close();
    await this.running;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  /** The partitions to fetch now: the list of the last turn when none sits out. */
  private partitions(): PartitionReplica[] {
    const now = Date.now();
    if (!this.followed || now - this.followedAt >= 1_000) {
      this.followed = [];
      this.followedAt = now;
      for (const r of this.opts.replicas.all()) if (r.role === 'follower' && r.leaderId === this.leaderId) this.followed.push(r);
    }
    const followed = this.followed;
    const quotas = this.opts.quotas;
    let out: PartitionReplica[] | undefined;
    for (let i = 0; i < followed.length; i++) {
      const r = followed[i]!;
      // As Kafka's follower: a throttled partition out of the ISR is left out while the quota is exceeded.
      const skip = r.role !== 'follower' || r.leaderId !== this.leaderId || r.retryFetchAt > now || quotas?.shouldFollowerThrottle(r) === true;
      if (skip && !out) out = followed.slice(0, i);
      else if (!skip && out) out.push(r);
    }
    return out ?? followed;
  }

  /** The request's partitions for `parts`, each at its replica's current position. */
  private request(parts: PartitionReplica[]): ReplicaFetchPartition[] {
    const { partitionMaxBytes } = this.opts;
    if (this.asked?.replicas !== parts) {
      this.asked = {
        replicas: parts,
        partitions: parts.map((r) => ({ topic: r.topic, partition: r.partition, fetchOffset: 0n, lastFetchedEpoch: -1, currentLeaderEpoch: -1, partitionMaxBytes, logStartOffset: 0n })),
      };
    }
    const out = this.asked.partitions;
    for (let i = 0; i < parts.length; i++) {
      const r = parts[i]!;
      const log = r.log;
      const epochs = log.leaderEpochs;
      const p = out[i]!;
      p.fetchOffset = log.logEndOffset;
      p.lastFetchedEpoch = epochs.length > 0 ? epochs[epochs.length - 1]!.epoch : -1;
      p.currentLeaderEpoch = r.leaderEpoch;
      p.logStartOffset = log.logStartOffset;
    }
    return out;
  }

  private connection(): StreamMux<ReplicaFetchRequest, ReplicaFetchResponse> | undefined {
    const b = this.opts.view.broker(this.leaderId);
    if (!b) return undefined;
    const address = `${b.host}:${b.port}`;
    if (this.mux && this.address === address) return this.mux;
    this.mux?.close();
    this.client?.close();
    const name = `replica fetch from broker ${this.leaderId}`;
    this.address = address;
    if (this.opts.transport === 'framed') {
      const session = new LeanSession(address);
      this.client = session;
      this.mux = new StreamMux<ReplicaFetchRequest, ReplicaFetchResponse>(() => openReplicaFetch(session), { name });
      return this.mux;
    }
    const client = createClient(StorageServiceClient, address, { tracing: false });
    this.client = client;
    this.mux = new StreamMux<ReplicaFetchRequest, ReplicaFetchResponse>(() => client.replicaFetch(), { name });
    return this.mux;
  }

  private async loop(): Promise<void> {
    const { maxWaitMs, maxBytes, brokerId, logger } = this.opts;
    while (!this.stopped) {
      const parts = this.partitions();
      const mux = parts.length > 0 ? this.connection() : undefined;
      if (!mux) {
        await this.pause(BACKOFF_MS);
        continue;
      }
      const sent = this.request(parts);
      let res: ReplicaFetchResponse;
      this.inFlight = parts;
      try {
        res = await mux.request({ replicaId: brokerId, maxWaitMs, maxBytes, partitions: sent }, { timeoutMs: maxWaitMs + 10_000 });
      } catch (err) {
        if (this.superseded) {
          this.superseded = false;
          this.inFlight = undefined;
          continue;
        }
        this.inFlight = undefined;
        if (!this.stopped) logger.debug({ err: (err as Error).message, leader: this.leaderId }, 'replica fetch failed; retrying');
        await this.pause(BACKOFF_MS);
        continue;
      }
      this.inFlight = undefined;
      this.superseded = false;
      let applying: Promise<void>[] | undefined;
      for (let i = 0; i < res.partitions.length; i++) {
        const p = res.partitions[i]!;
        // The leader answers in the order asked; look further only if it did not.
        let at = i < parts.length && sent[i]!.topic === p.topic && sent[i]!.partition === p.partition ? i : -1;
        if (at < 0) at = sent.findIndex((x) => x.topic === p.topic && x.partition === p.partition);
        if (at < 0 || unchanged(parts[at]!, p)) continue;
        (applying ??= []).push(this.apply(parts[at]!, sent[at]!.currentLeaderEpoch, sent[at]!.fetchOffset, p));
      }
      if (applying) await (applying.length === 1 ? applying[0] : Promise.all(applying));
    }
  }

  /** Applies one partition's answer, unless the replica changed role or epoch meanwhile. */
  private apply(r: PartitionReplica, epoch: number, fetchOffset: bigint, p: ReplicaFetchPartitionResult): Promise<void> {
    const current = () => r.role === 'follower' && r.leaderEpoch === epoch && r.leaderId === this.leaderId && this.opts.replicas.getNow(r.topic, r.partition) === r;
    return r
      .serial(async () => {
        if (!current() || r.log.logEndOffset !== fetchOffset) return;
        if (p.divergingEpoch) {
          const cut = truncationPoint(p.divergingEpoch, {
            logEndOffset: r.log.logEndOffset,
            highWatermark: r.log.highWatermark,
            endOffsetForEpoch: (e) => r.log.endOffsetForEpoch(e),
          });
          this.opts.logger.info({ topic: r.topic, partition: r.partition, leader: this.leaderId, diverging: { epoch: p.divergingEpoch.epoch, endOffset: String(p.divergingEpoch.endOffset) }, truncateTo: String(cut.offset) }, 'truncating diverged follower log');
          await r.log.truncateTo(cut.offset);
          return;
        }
        switch (p.errorCode) {
          case ErrorCode.NONE:
            break;
          case ErrorCode.OFFSET_OUT_OF_RANGE:
            if (p.logStartOffset > r.log.logEndOffset) {
              // The leader deleted what we would fetch next (retention, DeleteRecords): as Kafka's
              // follower, drop our log and restart empty at the leader's log start offset.
              this.opts.logger.warn({ topic: r.topic, partition: r.partition, logEndOffset: String(r.log.logEndOffset), leaderLogStartOffset: String(p.logStartOffset) }, 'follower below the leader log start offset; restarting the log there');
              await r.log.resetTo(p.logStartOffset);
              r.onLogStartMoved();
              this.opts.replicas.logStartMoved();
              return;
            }
            // We are ahead of a leader that knows no common epoch: keep what it committed.
            if (p.highWatermark >= 0n && p.highWatermark < r.log.logEndOffset) {
              this.opts.logger.warn({ topic: r.topic, partition: r.partition, truncateTo: String(p.highWatermark) }, 'follower ahead of its leader; truncating to the leader high watermark');
              await r.log.truncateTo(p.highWatermark);
            } else {
              r.retryFetchAt = Date.now() + BACKOFF_MS;
            }
            return;
          default:
            // Not (yet) the leader at our epoch, or a newer epoch we have not seen: wait for etcd.
            r.retryFetchAt = Date.now() + BACKOFF_MS;
            return;
        }
        if (p.records.length > 0) {
          await r.log.appendWithOffsets(p.records);
          r.emit('append');
          if (this.opts.quotas?.followerThrottled(r)) this.opts.quotas.follower.record(p.records.length);
        }
        const hw = followerHighWatermark(p.highWatermark, r.log.logEndOffset);
        if (hw > r.log.highWatermark) r.log.highWatermark = hw;
        // Kafka's follower takes the leader's log start offset, as far as its own high watermark.
        const start = p.logStartOffset < r.log.highWatermark ? p.logStartOffset : r.log.highWatermark;
        if (start > r.log.logStartOffset) {
          await r.log.deleteRecordsBefore(start);
          r.onLogStartMoved();
          this.opts.replicas.logStartMoved();
        }
      })
      .catch((err) => {
        r.retryFetchAt = Date.now() + BACKOFF_MS;
        this.opts.logger.warn({ err, topic: r.topic, partition: r.partition }, 'follower append failed');
      });
  }
}
