import type { Etcd3 } from 'etcd3';
import {
  balanceStatusKey,
  balanceStatusRecord,
  controllerLeaderKey,
  errMessage,
  fencedTxn,
  NotLeaderError,
  silentLog,
  type BalanceMoveRecord,
  type BalanceStatusRecord,
  type ClusterView,
  type Log,
} from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import type { ElectionResult, ElectionTarget } from '../elect-leaders';
import type { ReassignmentRequest, ReassignmentResult } from '../reassign-partitions';
import { inProgress } from '../reassignment';
import { plannerBrokers, plannerPartitions, readBalanceInputs, trackAbsent } from './balance-inputs';
import type { Thresholds } from './load-model';
import { planBalance, type BalancePlan, type PlannedMove } from './planner';

export interface AutoBalanceSettings {
  /** auto.balance.enable */
  enable: boolean;
  /** auto.balance.interval.ms */
  intervalMs: number;
  thresholds: Thresholds;
  /** auto.balance.max.concurrent.moves */
  maxConcurrentMoves: number;
  /** auto.balance.broker.availability.timeout.ms */
  availabilityTimeoutMs: number;
  /** auto.balance.throttle.bytes.per.second (0: copies unthrottled). */
  throttleBytesPerSecond: number;
}

/** One move as the throttle sees it: the replicas before and after. */
export interface ThrottledBalanceMove {
  topic: string;
  partition: number;
  from: readonly number[];
  to: readonly number[];
}

/**
 * Where the balancer's copies are throttled (Kafka's *.replication.throttled.* configs:
 * ConfigMoveThrottle): told the moves it starts, the ones it saw finish, and when none runs.
 */
export interface MoveThrottle {
  started(moves: readonly ThrottledBalanceMove[]): Promise<void>;
  finished(moves: readonly ThrottledBalanceMove[]): Promise<void>;
  idle(): Promise<void>;
}

export interface AutoBalancerOptions {
  client: Etcd3;
  view: ClusterView;
  clusterName: string;
  controllerId: number;
  fence: () => string | undefined;
  settings: AutoBalanceSettings;
  reassign: (requests: ReassignmentRequest[]) => Promise<ReassignmentResult[]>;
  elect: (targets: ElectionTarget[]) => Promise<ElectionResult[]>;
  throttle?: MoveThrottle;
  now?: () => number;
  log?: Log;
}

const key = (p: { topic: string; partition: number }) => `${p.topic}\0${p.partition}`;
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => b[i] === x);

/**
 * The self-balancer on the leading controller: every interval (and at once on election) one round
 * reads the cluster (view, cordons, decommissions, broker loads, the previous status), plans
 * (planner.ts), starts the planned moves as reassignments (fenced writes, like an operator's), and
 * writes balance/status: state, moves in flight, counters. Everything it needs to continue after a
 * controller failover is in etcd: the moves themselves are partition state, the in-flight list,
 * counters and absence times are in the status record. One round at a time.
 */
export class AutoBalancer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly log: Log;
  private readonly now: () => number;
  /** The last status this controller wrote (for metrics); undefined on a standby. */
  last: BalanceStatusRecord | undefined;
  lastPlan: BalancePlan | undefined;

  constructor(private readonly opts: AutoBalancerOptions) {
    this.log = opts.log ?? silentLog;
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.round(), this.opts.settings.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Runs one round now (or joins the one running). */
  round(): Promise<void> {
    if (this.opts.fence() === undefined) {
      this.last = undefined;
      return Promise.resolve();
    }
    this.running ??= this.roundOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async roundOnce(): Promise<void> {
    const { client, view, clusterName, settings } = this.opts;
    const fence = this.opts.fence();
    if (fence === undefined) return;
    try {
      const now = this.now();
      const inputs = await readBalanceInputs(client, clusterName);
      const prev = inputs.previous;
      const absentSince = trackAbsent(view, prev?.absentSince, now);
      const plan = planBalance(plannerBrokers(view, inputs, absentSince, now), plannerPartitions(view, inputs), {
        enable: settings.enable,
        thresholds: settings.thresholds,
        maxConcurrentMoves: settings.maxConcurrentMoves,
        availabilityTimeoutMs: settings.availabilityTimeoutMs,
      });

      // Moves from earlier rounds: completed (counted), still running, or replaced by someone else.
      const states = new Map(view.allPartitions().map((p) => [key(p), p.state]));
      const inFlight: BalanceMoveRecord[] = [];
      const finished: BalanceMoveRecord[] = [];
      let movesCompleted = prev?.movesCompleted ?? 0;
      let bytesMoved = prev?.bytesMoved ?? 0;
      for (const m of prev?.inFlight ?? []) {
        const s = states.get(key(m));
        if (s && inProgress(s)) {
          if (same(s.replicas.slice(0, m.target.length), m.target)) inFlight.push(m);
          continue;
        }
        if (s && same(s.replicas, m.target)) {
          movesCompleted++;
          bytesMoved += m.bytes;
        }
        finished.push(m);
      }

      // Written ahead: the moves about to start are in the record before they start, so a
      // controller that dies in between leaves the next leader a list it can check (a move that
      // never started is simply dropped: its partition shows neither the move nor its target).
      const planned = plan.moves.map((m) => ({ topic: m.topic, partition: m.partition, from: m.from, target: m.to, reason: m.reason, bytes: m.bytes, startedAtMs: now }));
      const status: BalanceStatusRecord = {
        updatedAtMs: now,
        controllerId: this.opts.controllerId,
        state: plan.state,
        reason: plan.reason,
        absentSince: Object.fromEntries([...absentSince].map(([id, t]) => [String(id), t])),
        inFlight: [...inFlight, ...planned],
        pendingMoves: plan.pending.length,
        pendingBytes: plan.pending.reduce((n, m) => n + m.bytes, 0),
        movesCompleted,
        bytesMoved,
        imbalance: plan.imbalance,
        brokers: plan.brokers,
      };
      await fencedTxn(client, controllerLeaderKey(clusterName), fence).then(client.put(balanceStatusKey(clusterName)).value(balanceStatusRecord.encode(status))).commit();
      this.last = status;
      this.lastPlan = plan;

      // A finished move's throttle entries go before a new move of the same partition adds its own.
      const throttle = this.opts.throttle;
      if (throttle) await throttle.finished(finished.filter((m) => m.from !== undefined).map((m) => ({ topic: m.topic, partition: m.partition, from: m.from!, to: m.target })));
      const started = await this.start_(plan.moves, now);
      // Leadership follows the new preferred replica once a move completes or a reorder is written.
      const elect = [...finished, ...started.filter((m) => !m.copy)].map(({ topic, partition }) => ({ topic, partition }));
      if (elect.length > 0) await this.opts.elect(elect).catch((e: unknown) => this.log.warn({ err: errMessage(e) }, 'auto balance: preferred election failed; the leader rebalancer retries'));
      if (throttle && inFlight.length === 0 && !started.some((m) => m.copy)) await throttle.idle();
      if (started.length > 0 || finished.length > 0) {
        this.log.info({ state: plan.state, started: started.map((m) => `${m.topic}-${m.partition} ${m.from.join(',')}->${m.to.join(',')} (${m.reason})`), finished: finished.length, pending: status.pendingMoves }, 'auto balance round');
      }
    } catch (e) {
      if (e instanceof NotLeaderError) {
        this.last = undefined;
        return;
      }
      this.log.warn({ err: errMessage(e) }, 'auto balance round failed; retrying at the next interval');
    }
  }

  /** Starts the planned moves as reassignments; answers the ones the controller accepted. */
  private async start_(moves: readonly PlannedMove[], nowMs: number): Promise<PlannedMove[]> {
    if (moves.length === 0) return [];
    if (this.opts.throttle) await this.opts.throttle.started(moves.filter((m) => m.copy));
    const results = await this.opts.reassign(moves.map((m) => ({ topic: m.topic, partition: m.partition, replicas: [...m.to] })));
    const ok: PlannedMove[] = [];
    results.forEach((r, i) => {
      if (r.errorCode === ErrorCode.NONE) ok.push(moves[i]!);
      else this.log.warn({ topic: r.topic, partition: r.partition, errorCode: r.errorCode, err: r.errorMessage, atMs: nowMs }, 'auto balance: move refused');
    });
    return ok;
  }
}
