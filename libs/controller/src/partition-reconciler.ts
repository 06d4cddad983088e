import { resolveTopicKey } from '@dms/configs';
import type { Etcd3 } from 'etcd3';
import {
  controllerLeaderKey,
  errMessage,
  fencedTxn,
  NotLeaderError,
  partitionKey,
  partitionState,
  silentLog,
  type ClusterView,
  type Log,
  replicaOnline,
} from '@dms/cluster';
import { electPartition } from '@dms/replication';
import { completeReassignment, keepReassignment } from './reassignment';
import { replicaDeletionOps } from './replica-deletions';

export interface PartitionReconcilerOptions {
  client: Etcd3;
  view: ClusterView;
  clusterName: string;
  /** The fencing token while this controller leads. */
  fence: () => string | undefined;
  /** Controller-wide `unclean.leader.election.enable`; a topic config overrides it. */
  uncleanLeaderElection: boolean;
  /** Pause before retrying after etcd failed (unreachable, or a concurrent write won). */
  retryMs?: number;
  log?: Log;
}

/**
 * The leading controller's failure handling: whenever broker membership changes (a lease
 * expired, a broker restarted or came back), every partition is checked against who is alive
 * (electPartition) and changed ones are written, each as a fenced compare-and-set on its
 * modRevision so an ISR change a leader committed meanwhile is never overwritten. Runs one pass
 * at a time; changes during a pass trigger another; failures retry until etcd takes them.
 */
export class PartitionReconciler {
  private running = false;
  private again = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly log: Log;
  private readonly onChange = (c: { type: string; entry?: { value: { kind: string } }; previous?: { value: { kind: string } } }) => {
    const kind = c.entry?.value.kind ?? c.previous?.value.kind;
    if (kind === 'broker' || kind === 'partition' || kind === 'topic') this.trigger();
  };

  constructor(private readonly opts: PartitionReconcilerOptions) {
    this.log = opts.log ?? silentLog;
  }

  start(): void {
    this.opts.view.on('change', this.onChange);
  }

  stop(): void {
    this.stopped = true;
    this.opts.view.off('change', this.onChange);
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  /** Schedules a pass (coalescing bursts of changes into one). */
  trigger(): void {
    if (this.stopped || this.opts.fence() === undefined) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    setImmediate(() => void this.loop());
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        const ok = await this.pass();
        if (!ok && !this.stopped && !this.retryTimer) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.trigger();
          }, this.opts.retryMs ?? 500);
        }
      } while (this.again && !this.stopped);
    } finally {
      this.running = false;
    }
  }

  /** One pass over every partition; false when some write must be retried. */
  private async pass(): Promise<boolean> {
    const { view, client, clusterName } = this.opts;
    const fence = this.opts.fence();
    if (fence === undefined) return true;
    let ok = true;
    const facts = (topic: string, partition: number) => {
      const written = view.partitionRevision(topic, partition);
      return {
        isLive: (id: number) => replicaOnline(view.broker(id), topic, partition),
        restartedSince: (id: number) => (view.brokerEpoch(id) ?? 0n) > written,
      };
    };
    for (const { topic, partition, state } of view.allPartitions()) {
      const configs = view.topic(topic)?.configs ?? {};
      // Topic config, else the dynamic cluster default, else this controller's own setting.
      const unclean = resolveTopicKey('unclean.leader.election.enable', configs, {
        perBroker: {},
        clusterDefault: view.brokerConfigs(null),
        static: { 'unclean.leader.election.enable': String(this.opts.uncleanLeaderElection) },
      }).value?.trim().toLowerCase() === 'true';
      const f = facts(topic, partition);
      // A move whose new replicas are all in sync completes first (reassignment.ts); elections
      // keep a move's fields. A new leader must be live and not restarted since this state was written.
      const completed = completeReassignment(state, { isRegistered: (id) => view.broker(id) !== undefined, isLive: (id) => f.isLive(id) && !f.restartedSince(id) });
      const elected = completed ? undefined : electPartition(state, f, unclean);
      const outcome = completed
        ? { reason: 'reassignment-completed', state: completed }
        : elected && { reason: elected.reason, state: keepReassignment(state, elected.state) };
      if (!outcome) continue;
      const key = partitionKey(clusterName, topic, partition);
      const modRevision = view.partitionRevision(topic, partition);
      try {
        const res = await fencedTxn(client, controllerLeaderKey(clusterName), fence)
          .and(key, 'Mod', '==', modRevision.toString())
          .then(client.put(key).value(partitionState.encode(outcome.state)), ...replicaDeletionOps(client, view, clusterName, topic, partition, state, outcome.state))
          .commit();
        if (res.succeeded) {
          this.log.info({ topic, partition, reason: outcome.reason, from: state, to: outcome.state }, 'partition leadership/ISR changed');
        } else {
          ok = false; // changed meanwhile: the watch brings the new state and another pass
        }
      } catch (e) {
        if (e instanceof NotLeaderError) return true;
        this.log.warn({ topic, partition, err: errMessage(e) }, 'could not write partition state; will retry');
        return false;
      }
    }
    return ok;
  }
}
