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
import { effectiveAutoBalance, type AutoBalanceSettings } from './balance-settings';
import { planBalance, type BalancePlan, type PlannedCancel, type PlannedMove } from './planner';

export type { AutoBalanceSettings } from './balance-settings';

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
  /** The process's static auto.balance.* values (the fallback). */
  settings: AutoBalanceSettings;
  /** The cluster-wide dynamic broker configs (the default resource ""), read at every round. */
  dynamic?: () => Readonly<Record<string, string>>;
  reassign: (requests: ReassignmentRequest[]) => Promise<ReassignmentResult[]>;
  elect: (targets: ElectionTarget[]) => Promise<ElectionResult[]>;
  throttle?: MoveThrottle;
  now?: () => number;
  log?: Log;
}

const key = (p: { topic: string; partition: number }) => `${p.topic}\0${p.partition}`;
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => b[i] === x);

/** How soon a follow-up round runs after one that cancelled moves (so the drain plans promptly). */
const FOLLOW_UP_MS = 200;

/**
 * The self-balancer on the leading controller: every interval (and at once on election) one round
 * reads the cluster (view, cordons, decommissions, broker loads, the previous status), plans
 * (planner.ts), starts the planned moves as reassignments (fenced writes, like an operator's), and
 * writes balance/status: state, moves in flight, counters. Everything it needs to continue after a
 * controller failover is in etcd: the moves themselves are partition state, the in-flight list,
 * counters and absence times are in the status record. One round at a time. The auto.balance.*
 * keys are read again at every round (dynamic cluster default over static), the interval too.
 */
export class AutoBalancer {
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private running: Promise<void> | undefined;
  private lastIgnored = '';
  private readonly log: Log;
  private readonly now: () => number;
  /** The last status this controller wrote (for metrics); undefined on a standby. */
  last: BalanceStatusRecord | undefined;
  lastPlan: BalancePlan | undefined;

  constructor(private readonly opts: AutoBalancerOptions) {
    this.log = opts.log ?? silentLog;
    this.now = opts.now ?? Date.now;
  }

  /** The settings in force now: the dynamic cluster default over the static values. */
  settings(): AutoBalanceSettings {
    const { settings, ignored } = effectiveAutoBalance(this.opts.settings, this.opts.dynamic?.() ?? {});
    const text = ignored.join('; ');
    if (text !== this.lastIgnored && text !== '') this.log.warn({ ignored }, 'auto balance: invalid dynamic values ignored; the static values apply');
    this.lastIgnored = text;
    return settings;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule(this.settings().intervalMs);
  }

  stop(): void {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The next round after `ms` (the interval is read again after each round: it is dynamic). */
  private schedule(ms: number): void {
    if (!this.started) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.round().finally(() => {
        if (!this.timer) this.schedule(this.settings().intervalMs);
      });
    }, ms);
    this.timer.unref();
  }

  /** Runs one round now (or joins the one running). */
  round(): Promise<void> {
    if (this.opts.fence() === undefined) {
      this.last = undefined;
      return Promise.resolve();
    }
    this.running ??= this.roundOnce()
      .then((followUp) => {
        // Cancelled moves free their partitions: plan their drain soon, not an interval later.
        if (followUp) this.schedule(FOLLOW_UP_MS);
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** One round; answers whether another should follow soon. */
  private async roundOnce(): Promise<boolean> {
    const { client, view, clusterName } = this.opts;
    const fence = this.opts.fence();
    if (fence === undefined) return false;
    try {
      const settings = this.settings();
      const now = this.now();
      const inputs = await readBalanceInputs(client, clusterName);
      const prev = inputs.previous;
      const absentSince = trackAbsent(view, prev?.absentSince, now);

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

      const plan = planBalance(plannerBrokers(view, inputs, absentSince, now), plannerPartitions(view, inputs, new Set(inFlight.map(key))), {
        enable: settings.enable,
        thresholds: settings.thresholds,
        maxConcurrentMoves: settings.maxConcurrentMoves,
        availabilityTimeoutMs: settings.availabilityTimeoutMs,
      });

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
      // Cancels first: they stay in the in-flight list until a round sees them gone (reverted: not
      // counted, throttles cleared), so a controller dying in between leaves them to its successor.
      const cancelled = await this.cancel_(plan.cancels);
      const started = await this.start_(plan.moves, now);
      // Leadership follows the new preferred replica once a move completes or a reorder is written.
      const elect = [...finished, ...started.filter((m) => !m.copy)].map(({ topic, partition }) => ({ topic, partition }));
      if (elect.length > 0) await this.opts.elect(elect).catch((e: unknown) => this.log.warn({ err: errMessage(e) }, 'auto balance: preferred election failed; the leader rebalancer retries'));
      if (throttle && inFlight.length === 0 && !started.some((m) => m.copy)) await throttle.idle();
      if (started.length > 0 || finished.length > 0 || cancelled.length > 0) {
        this.log.info({
          state: plan.state,
          started: started.map((m) => `${m.topic}-${m.partition} ${m.from.join(',')}->${m.to.join(',')} (${m.reason})`),
          cancelled: cancelled.map((c) => `${c.topic}-${c.partition} back to ${c.to.join(',')} (${c.reason})`),
          finished: finished.length,
          pending: status.pendingMoves,
        }, 'auto balance round');
      }
      return cancelled.length > 0;
    } catch (e) {
      if (e instanceof NotLeaderError) {
        this.last = undefined;
        return false;
      }
      this.log.warn({ err: errMessage(e) }, 'auto balance round failed; retrying at the next interval');
      return false;
    }
  }

  /** Cancels the planned moves (reassignment cancel: back to the original replicas); answers the ones done. */
  private async cancel_(cancels: readonly PlannedCancel[]): Promise<PlannedCancel[]> {
    if (cancels.length === 0) return [];
    const results = await this.opts.reassign(cancels.map((c) => ({ topic: c.topic, partition: c.partition, replicas: null })));
    const ok: PlannedCancel[] = [];
    results.forEach((r, i) => {
      if (r.errorCode === ErrorCode.NONE) ok.push(cancels[i]!);
      else this.log.warn({ topic: r.topic, partition: r.partition, errorCode: r.errorCode, err: r.errorMessage }, 'auto balance: cancel refused');
    });
    return ok;
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
