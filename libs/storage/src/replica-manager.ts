import { EventEmitter } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ClusterView, PartitionState, ReplicaDeletionRecord, TopicDeletionRecord } from '@dms/cluster';
import { effectiveTopicConfigs, resolveBrokerKey, type BrokerConfigLayers } from '@dms/configs';
import { ErrorCode } from '@dms/kafka-errors';
import { LogError, PartitionLog, type LogConfig } from '@dms/log';
import type { Logger } from '@dms/platform';
import { LeaderState } from '@dms/replication';
import { isDiskError } from './log-dir-failure';
import { LogDirSet } from './log-dir-set';
import { hwKey, LOG_START_OFFSET_CHECKPOINT_FILE, readHwCheckpoint, readOffsetCheckpoint, writeHwCheckpoint, writeOffsetCheckpoint } from './hw-checkpoint';
import { PartitionReplica } from './partition-replica';
import { LogDirJanitor } from './topic-deletions';
import { ReplicaDeletions } from './replica-deletions';
import { RecoveryPoints } from './recovery-checkpoint';
import { logLifecycleSettings } from './retention-settings';
import { keyIndexEnabled } from './topic-settings';

export interface ReplicaManagerOptions {
  brokerId: number;
  logDir: string;
  logConfig: Omit<LogConfig, 'topicId'>;
  /** Broker default of min.insync.replicas (a topic config overrides it). */
  minInsyncReplicas?: number;
  /** This broker's static values of broker config keys (the STATIC_BROKER_CONFIG layer). */
  staticConfigs?: Record<string, string>;
  /** replica.high.watermark.checkpoint.interval.ms; 0 never checkpoints on a timer. */
  hwCheckpointIntervalMs?: number;
  /** Log dirs taken offline after an I/O error (see log-dir-failure.ts): nothing opens there. */
  logDirFailures?: { isOffline(dir: string): boolean; fail(logDir: string, err: Error): void; logFailed(err: Error, partitionDir: string): void };
  /** Every log dir (log.dirs), `logDir` among them; default: `logDir` alone. */
  logDirSet?: LogDirSet;
  /** The cluster id of this log dir (meta.properties); another one in etcd stops all serving. */
  clusterId?: string;
  /** Removes this broker from a topic deletion record once its directories are gone. */
  acknowledgeDeletion?: (record: TopicDeletionRecord, modRevision: bigint) => Promise<unknown>;
  /** Removes a replica deletion record (a reassignment took this broker off) once its directory is gone. */
  acknowledgeReplicaDeletion?: (record: ReplicaDeletionRecord, modRevision: bigint) => Promise<unknown>;
  logger: Logger;
}

interface Wanted {
  topic: string;
  partition: number;
  topicId: string;
  configs: Record<string, string>;
  state: PartitionState;
  /** etcd says we lead, and said so after our current registration. */
  leads: boolean;
}

const partitionDir = (root: string, topic: string, partition: number) => join(root, `${topic}-${partition}`);
const keyOf = (topic: string, partition: number) => `${topic}\0${partition}`;

/**
 * Keeps one open log per partition this broker is a replica of, and each replica's role equal to
 * what etcd says: leader, follower of the named leader, or neither (no leader yet). A broker
 * leads only on a partition state written after its current registration (its broker epoch), so
 * after a restart it waits for the controller to confirm it rather than trusting an old record.
 * Changes are applied one at a time, in the order etcd reported them.
 *
 * Events: 'roles' after every reconcile (the fetchers re-read who follows whom); 'isr-change'
 * (shrunk: boolean) when the committed ISR of a partition led here changed size through etcd.
 */
export class ReplicaManager extends EventEmitter {
  private readonly replicas = new Map<string, PartitionReplica>();
  private readonly opening = new Map<string, Promise<PartitionReplica | undefined>>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private sweptOrphans = false;
  private clusterIdMismatch = false;
  private readonly janitor: LogDirJanitor;
  private readonly replicaDeletions: ReplicaDeletions;
  /** Kafka's recovery-point-offset-checkpoint, one per log dir. */
  private readonly recoveryPoints: Map<string, RecoveryPoints>;
  /** High watermarks read at start-up from replication-offset-checkpoint. */
  private checkpointed = new Map<string, bigint>();
  private checkpointTimer: NodeJS.Timeout | undefined;
  private checkpointing: Promise<void> = Promise.resolve();
  /** Log start offsets read at start-up from log-start-offset-checkpoint. */
  private checkpointedStarts = new Map<string, bigint>();
  private startCheckpointing: Promise<void> = Promise.resolve();
  private startCheckpointQueued: Promise<void> | undefined;
  private startCheckpointTimer: NodeJS.Timeout | undefined;
  /**
   * Set while the etcd session is lost: this broker may have been declared dead, so every append
   * is acknowledged only once the ISR has it (see docs/decisions/0006-replication-and-etcd-outage.md).
   */
  fencedOff = false;
  /** Where each partition's log is (log.dirs); checkpoints are kept per dir. */
  private readonly dirs: LogDirSet;

  constructor(
    private readonly view: ClusterView,
    private readonly opts: ReplicaManagerOptions,
  ) {
    super();
    this.setMaxListeners(0);
    this.dirs = opts.logDirSet ?? new LogDirSet([opts.logDir]);
    this.recoveryPoints = new Map(this.dirs.dirs.map((d) => [d, new RecoveryPoints(d)]));
    this.janitor = new LogDirJanitor({
      logDirs: () => this.onlineDirs(), brokerId: opts.brokerId, view, acknowledge: opts.acknowledgeDeletion, logger: opts.logger,
      inUse: (topic, partition) => this.replicas.has(keyOf(topic, partition)) || this.opening.has(keyOf(topic, partition)),
    });
    this.replicaDeletions = new ReplicaDeletions({
      brokerId: opts.brokerId, view, logDirs: () => this.onlineDirs(), acknowledge: opts.acknowledgeReplicaDeletion, logger: opts.logger,
      inUse: (topic, partition) => this.replicas.has(keyOf(topic, partition)) || this.opening.has(keyOf(topic, partition)),
      forget: (topic, partition) => {
        this.checkpointedStarts.delete(keyOf(topic, partition));
        this.checkpointed.delete(keyOf(topic, partition));
        for (const points of this.recoveryPoints.values()) points.forget(topic, partition);
      },
    });
  }

  get brokerId(): number {
    return this.opts.brokerId;
  }

  /** Reads the high watermark checkpoint, then follows etcd's view of our partitions. */
  async start(): Promise<void> {
    this.checkpointed = await this.dirs.readCheckpoints((dir) => readHwCheckpoint(dir));
    this.checkpointedStarts = await this.dirs.readCheckpoints((dir) => readOffsetCheckpoint(dir, LOG_START_OFFSET_CHECKPOINT_FILE));
    for (const [dir, points] of this.recoveryPoints) {
      await points.load().catch((err) => this.opts.logger.warn({ err, logDir: dir }, 'could not read the recovery point checkpoint; its logs are verified from offset 0'));
    }
    this.view.on('change', () => this.schedule());
    this.schedule();
    const every = this.opts.hwCheckpointIntervalMs ?? 5_000;
    if (every > 0) {
      this.checkpointTimer = setInterval(() => void this.checkpointHighWatermarks(), every);
      this.checkpointTimer.unref();
    }
  }

  /**
   * Writes every open replica's high watermark (Kafka's replication-offset-checkpoint). Partitions
   * still opening keep the value read at start-up, so a crash right after start loses nothing.
   */
  checkpointHighWatermarks(): Promise<void> {
    const run = this.checkpointing.then(async () => {
      const entries = new Map<string, { topic: string; partition: number; offset: bigint }>();
      for (const key of this.opening.keys()) {
        const [topic, partition] = key.split('\0');
        const offset = this.checkpointed.get(key);
        if (offset !== undefined) entries.set(key, { topic, partition: Number(partition), offset });
      }
      for (const [key, r] of this.replicas) entries.set(key, { topic: r.topic, partition: r.partition, offset: r.log.highWatermark });
      // An offline dir keeps its last checkpoint: its replicas are closed, their marks unknown here.
      await this.dirs.writeCheckpoints([...entries.values()], (dir, es) => writeHwCheckpoint(dir, es), (dir, err) => {
        this.opts.logger.warn({ err, logDir: dir }, 'could not write the high watermark checkpoint');
        if (isDiskError(err)) this.opts.logDirFailures?.fail(dir, err as Error);
      });
      await this.writeRecoveryPoints();
    }).catch((err) => this.opts.logger.warn({ err }, 'could not write the high watermark checkpoint'));
    this.checkpointing = run;
    return run;
  }

  /**
   * Writes Kafka's log-start-offset-checkpoint: the log start offsets that differ from the first
   * segment's base (DeleteRecords inside a segment), which a restart could not know otherwise.
   * Calls made while one is waiting to run share it.
   */
  checkpointLogStartOffsets(): Promise<void> {
    if (this.startCheckpointQueued) return this.startCheckpointQueued;
    const run = this.startCheckpointing.then(async () => {
      this.startCheckpointQueued = undefined;
      // Live logs give their start; logs opening or closed (no longer a replica here, their
      // directory kept) keep the last one known, until their topic is gone.
      for (const [key, r] of this.replicas) {
        const first = r.log.segmentList()[0]?.baseOffset ?? 0n;
        if (r.log.logStartOffset > first) this.checkpointedStarts.set(key, r.log.logStartOffset);
        else this.checkpointedStarts.delete(key);
      }
      const topics = this.view.topics();
      const entries: { topic: string; partition: number; offset: bigint }[] = [];
      for (const [key, offset] of this.checkpointedStarts) {
        const [topic, partition] = key.split('\0');
        if (topics.has(topic) || topics.size === 0) entries.push({ topic, partition: Number(partition), offset });
        else this.checkpointedStarts.delete(key);
      }
      await this.dirs.writeCheckpoints(entries, (dir, es) => writeOffsetCheckpoint(dir, LOG_START_OFFSET_CHECKPOINT_FILE, es), (dir, err) => {
        this.opts.logger.warn({ err, logDir: dir }, 'could not write the log start offset checkpoint');
        if (isDiskError(err)) this.opts.logDirFailures?.fail(dir, err as Error);
      });
    }).catch((err) => this.opts.logger.warn({ err }, 'could not write the log start offset checkpoint'));
    this.startCheckpointQueued = run;
    this.startCheckpointing = run;
    return run;
  }

  /** A log start offset moved where nobody waits for it (a follower): checkpoint it soon. */
  logStartMoved(): void {
    if (this.startCheckpointTimer || this.closed) return;
    this.startCheckpointTimer = setTimeout(() => {
      this.startCheckpointTimer = undefined;
      void this.checkpointLogStartOffsets();
    }, 1_000);
    this.startCheckpointTimer.unref();
  }

  /** Applies a replica's topic configs to its log (segment.*, file.delete.delay.ms, flush.*). */
  private applyLogSettings(r: PartitionReplica): void {
    try {
      r.log.updateSettings(logLifecycleSettings(r.configs, { segmentBytes: this.opts.logConfig.segmentBytes ?? 1 << 30 }).log);
      r.log.keyIndex.enabled = keyIndexEnabled(r.configs);
    } catch (err) {
      this.opts.logger.warn({ err, topic: r.topic, partition: r.partition }, 'topic log settings not applied');
    }
  }

  /** The replica (any role); waits for a log that is still opening. */
  async get(topic: string, partition: number): Promise<PartitionReplica | undefined> {
    const key = keyOf(topic, partition);
    return this.replicas.get(key) ?? (await this.opening.get(key));
  }

  getNow(topic: string, partition: number): PartitionReplica | undefined {
    return this.replicas.get(keyOf(topic, partition));
  }

  /** Whether etcd's view has this topic (any broker's). */
  hasTopic(topic: string): boolean {
    return this.view.topics().has(topic);
  }

  /** The replica if this broker leads it now. */
  leaderNow(topic: string, partition: number): PartitionReplica | undefined {
    const r = this.replicas.get(keyOf(topic, partition));
    return r?.role === 'leader' ? r : undefined;
  }

  all(): IterableIterator<PartitionReplica> {
    return this.replicas.values();
  }

  get size(): number {
    return this.replicas.size;
  }

  /** Settles once every change seen so far has been applied. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Re-applies etcd's view (after the session came back). */
  refresh(): void {
    this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    if (this.startCheckpointTimer) clearTimeout(this.startCheckpointTimer);
    await this.chain;
    // Clean shutdown: the last high watermarks, so the restart serves what was committed at once.
    await this.checkpointHighWatermarks();
    await this.checkpointLogStartOffsets();
    for (const r of this.replicas.values()) r.purgatory.failAll(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    await Promise.all([...this.replicas.values()].map((r) => r.serial(() => r.log.close()).catch(() => undefined)));
    // Closed logs are synced to their end: the next start verifies nothing of them.
    await this.writeRecoveryPoints();
    this.replicas.clear();
  }

  /**
   * Log dir failure: every replica whose log is in `logDir` stops here (waiting produces answer
   * KAFKA_STORAGE_ERROR) and its log is closed; reconcile does not reopen it while the dir is offline.
   */
  dropReplicasIn(logDir: string): Promise<number> {
    const run = this.chain.then(async () => {
      const dropped: PartitionReplica[] = [];
      for (const [key, r] of this.replicas) {
        if (resolve(dirname(r.log.dir)) !== resolve(logDir)) continue;
        this.replicas.delete(key);
        r.purgatory.failAll(ErrorCode.KAFKA_STORAGE_ERROR);
        r.role = 'none';
        r.leader = undefined;
        dropped.push(r);
      }
      this.emit('roles');
      await Promise.all(dropped.map((r) => r.serial(() => r.log.close()).catch(() => undefined)));
      return dropped.length;
    });
    this.chain = run.then(() => undefined, () => undefined);
    return run;
  }

  private schedule(): void {
    this.chain = this.chain.then(() => this.reconcile()).catch((err) => this.opts.logger.error({ err }, 'partition reconcile failed'));
  }

  /** The broker-level layers this broker applies now (dynamic ones from etcd, static from its config). */
  configLayers(): BrokerConfigLayers {
    return {
      perBroker: this.view.brokerConfigs(this.opts.brokerId),
      clusterDefault: this.view.brokerConfigs(null),
      static: this.opts.staticConfigs ?? {},
    };
  }

  /**
   * A broker-level key's current value on this broker (dynamic per-broker > dynamic default >
   * static > Kafka's default), e.g. `log.retention.check.interval.ms`; null when unset with no default.
   */
  brokerConfig(name: string): string | null {
    return resolveBrokerKey(name, this.configLayers()).value;
  }

  private wanted(): Map<string, Wanted> {
    const { brokerId } = this.opts;
    const layers = this.configLayers();
    // One effective map per topic, shared by its partitions.
    const effective = new Map<string, Record<string, string>>();
    const myEpoch = this.view.brokerEpoch(brokerId);
    const topics = this.view.topics();
    const out = new Map<string, Wanted>();
    for (const { topic, partition, state } of this.view.allPartitions()) {
      const rec = topics.get(topic);
      if (!rec || !state.replicas.includes(brokerId)) continue;
      const leads = state.leader === brokerId && myEpoch !== undefined && this.view.partitionRevision(topic, partition) > myEpoch;
      let configs = effective.get(topic);
      if (!configs) effective.set(topic, (configs = effectiveTopicConfigs(rec.configs, layers)));
      out.set(keyOf(topic, partition), { topic, partition, topicId: rec.topicId, configs, state, leads });
    }
    return out;
  }

  private async reconcile(): Promise<void> {
    if (this.closed) return;
    const { logger } = this.opts;
    const topics = this.view.topics();
    // etcd holds another cluster's id: serve nothing, touch nothing (the broker stops on 'cluster-id-mismatch').
    const etcdClusterId = this.view.clusterId();
    const mismatch = this.opts.clusterId !== undefined && etcdClusterId !== undefined && etcdClusterId !== this.opts.clusterId;
    if (mismatch && !this.clusterIdMismatch) {
      this.clusterIdMismatch = true;
      this.emit('cluster-id-mismatch', etcdClusterId);
    }
    const wanted = mismatch ? new Map<string, Wanted>() : this.wanted();
    for (const [key, r] of this.replicas) {
      const w = wanted.get(key);
      if (w && w.topicId === r.topicId) continue;
      this.replicas.delete(key);
      r.purgatory.failAll(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      r.role = 'none';
      r.leader = undefined;
      await r.serial(() => r.log.close()).catch(() => undefined);
      this.pointsOf(r.log.dir).closed(r);
      // Its directory stays: only a deletion record (applyDeletions below) removes it.
      const topicGone = !topics.has(r.topic) || topics.get(r.topic)!.topicId !== r.topicId;
      logger.info({ topic: r.topic, partition: r.partition, topicGone }, 'no longer a replica; closed partition log');
    }
    // New replicas open in parallel; get() callers wait on their opening (role included).
    const fresh: Array<Promise<void>> = [];
    for (const [key, w] of wanted) {
      if (this.replicas.has(key) || this.opening.has(key)) continue;
      const opening = this.open(w)
        .then(async (r) => {
          if (r) await this.applyRole(r, w);
          return r;
        })
        .finally(() => this.opening.delete(key));
      this.opening.set(key, opening);
      fresh.push(opening.then((r) => void (r && this.replicas.set(key, r))));
    }
    await Promise.all(fresh);
    for (const [key, w] of wanted) {
      const replica = this.replicas.get(key);
      if (!replica) continue;
      // The effective topic config (topic > per-broker > cluster default > static > Kafka default),
      // refreshed on every topic or broker config change; the same content keeps the same object.
      if (!sameConfigs(replica.configs, w.configs)) {
        replica.configs = w.configs;
        this.applyLogSettings(replica);
      }
      await this.applyRole(replica, w);
    }
    if (!mismatch) {
      await this.janitor.applyDeletions();
      await this.replicaDeletions.apply();
    }
    if (!this.sweptOrphans && !mismatch && etcdClusterId) {
      // Once, at start-up, against a view that has loaded real cluster state.
      this.sweptOrphans = true;
      await this.janitor.sweepStrays();
    }
    this.emit('roles');
  }

  private async applyRole(r: PartitionReplica, w: Wanted): Promise<void> {
    const { state } = w;
    const { brokerId, logger } = this.opts;
    if (w.leads) {
      if (r.role === 'leader' && r.leaderEpoch === state.leaderEpoch) {
        // Same reign: take the committed ISR (our own change, or the controller dropping dead followers).
        const leader = r.leader!;
        if (state.partitionEpoch > leader.partitionEpoch) {
          const before = leader.isr.length;
          leader.applyCommitted(state.isr, state.partitionEpoch, state.replicas);
          if (leader.isr.length !== before) this.emit('isr-change', leader.isr.length < before);
          r.refreshHighWatermark();
          if (leader.isr.length < r.minInsyncReplicas) r.purgatory.onIsrBelowMin();
        }
        return;
      }
      await r.serial(async () => {
        r.purgatory.failAll(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        // A new epoch starts at our log end: followers truncate anything after it that differs.
        await r.log.assignLeaderEpoch(state.leaderEpoch, r.log.logEndOffset);
        r.leader = new LeaderState({
          leaderId: brokerId,
          leaderEpoch: state.leaderEpoch,
          epochStartOffset: r.log.logEndOffset,
          replicas: state.replicas,
          isr: state.isr,
          partitionEpoch: state.partitionEpoch,
          highWatermark: r.log.highWatermark,
          nowMs: Date.now(),
        });
        r.role = 'leader';
        r.leaderEpoch = state.leaderEpoch;
        r.leaderId = brokerId;
        r.refreshHighWatermark();
        r.log.keyIndex.startTrailing();
      });
      logger.info({ topic: r.topic, partition: r.partition, leaderEpoch: state.leaderEpoch, isr: state.isr, logEndOffset: String(r.log.logEndOffset) }, 'leading partition');
      return;
    }
    if (state.leader >= 0 && state.leader !== brokerId) {
      if (r.role === 'follower' && r.leaderEpoch === state.leaderEpoch && r.leaderId === state.leader) return;
      await r.serial(async () => {
        r.purgatory.failAll(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        r.leader = undefined;
        r.role = 'follower';
        r.leaderId = state.leader;
        r.leaderEpoch = state.leaderEpoch;
        r.retryFetchAt = 0;
        // Only leaders answer key lookups (query-service.ts): a follower's active index waits.
        r.log.keyIndex.stopTrailing();
      });
      logger.info({ topic: r.topic, partition: r.partition, leader: state.leader, leaderEpoch: state.leaderEpoch }, 'following partition');
      return;
    }
    if (r.role !== 'none') {
      await r.serial(async () => {
        r.purgatory.failAll(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        r.leader = undefined;
        r.role = 'none';
        r.leaderId = -1;
        r.leaderEpoch = state.leaderEpoch;
        r.log.keyIndex.stopTrailing();
      });
      logger.info({ topic: r.topic, partition: r.partition, leader: state.leader }, 'neither leading nor following partition');
    }
  }

  /** Online log dirs: an offline one is left alone until it is brought back. */
  private onlineDirs(): string[] {
    return this.dirs.dirs.filter((d) => !this.opts.logDirFailures?.isOffline(d));
  }

  /** The recovery points of the log dir holding `partitionDir`. */
  private pointsOf(partitionDir: string): RecoveryPoints {
    const logDir = dirname(partitionDir);
    let points = this.recoveryPoints.get(logDir);
    if (!points) this.recoveryPoints.set(logDir, (points = new RecoveryPoints(logDir)));
    return points;
  }

  /** Each online log dir's recovery-point-offset-checkpoint, from the logs it holds. */
  private async writeRecoveryPoints(): Promise<void> {
    for (const dir of this.onlineDirs()) {
      const live = [...this.replicas.values()].filter((r) => dirname(r.log.dir) === dir);
      await this.pointsOf(join(dir, '_')).write(live).catch((err) => {
        this.opts.logger.warn({ err, logDir: dir }, 'could not write the recovery point checkpoint');
        if (isDiskError(err)) this.opts.logDirFailures?.fail(dir, err as Error);
      });
    }
  }

  private async open(w: Wanted): Promise<PartitionReplica | undefined> {
    const dir = this.dirs.pathOf(w.topic, w.partition);
    const settings = logLifecycleSettings(w.configs, { segmentBytes: this.opts.logConfig.segmentBytes ?? 1 << 30 }).log;
    const config = { ...this.opts.logConfig, ...settings, topicId: w.topicId, keyIndex: keyIndexEnabled(w.configs) };
    if (this.opts.logDirFailures?.isOffline(dirname(dir))) return undefined;
    try {
      let log: PartitionLog;
      try {
        const recoveryPoint = this.pointsOf(dir).forOpen(w.topic, w.partition, dir);
        log = await PartitionLog.open(dir, { ...config, recoveryPoint, logStartOffset: this.checkpointedStarts.get(hwKey(w.topic, w.partition)) });
      } catch (err) {
        if (!(err instanceof LogError && err.kind === 'inconsistent-topic-id')) throw err;
        // Same name, new topic: deleted if its old topic's deletion is on record, else set aside.
        await this.janitor.clearForNewTopic(dir);
        this.pointsOf(dir).forget(w.topic, w.partition);
        log = await PartitionLog.open(dir, config);
      }
      // Committed is what the checkpoint says (clamped to the log); beyond it, nothing is known
      // until the ISR says so (a sole leader's ISR makes it the log end).
      log.highWatermark = this.checkpointed.get(hwKey(w.topic, w.partition)) ?? 0n;
      return new PartitionReplica(w.topic, w.partition, w.topicId, log, w.configs, this.opts.minInsyncReplicas ?? 1);
    } catch (err) {
      this.opts.logger.error({ err, topic: w.topic, partition: w.partition }, 'could not open partition log');
      if (isDiskError(err)) this.opts.logDirFailures?.logFailed(err as Error, dir);
      return undefined;
    }
  }
}

/** Same keys and values (a refreshed effective config that changed nothing keeps its object). */
function sameConfigs(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => b[k] === a[k]);
}
