import type { Etcd3 } from 'etcd3';
import { clusterIdKey, clusterIdRecord } from '@dms/cluster';

export interface ClusterIdGuardOptions {
  etcd: Etcd3;
  clusterName: string;
  /** The cluster id of this broker's log dir (meta.properties). */
  expected: string;
  intervalMs: number;
  /** etcd answered and holds no cluster id, or another one: its data was wiped or replaced. */
  onMismatch: (found: string | undefined) => void;
}

/**
 * Reads etcd's cluster id straight from etcd (not through the watch: a watch resumed on a wiped
 * etcd waits for a revision the new store has not reached, so it would show the old state) on a
 * timer and whenever asked (after the etcd session was re-created). The id never disappears from
 * a live cluster, so a read that succeeds without it, or with another one, means the metadata was
 * lost: the broker stops serving rather than take part in a new cluster with old data. A failed
 * read (etcd unreachable) concludes nothing.
 */
export class ClusterIdGuard {
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private fired = false;

  constructor(private readonly opts: ClusterIdGuardOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async check(): Promise<void> {
    if (this.checking || this.fired) return;
    this.checking = true;
    try {
      const raw = await this.opts.etcd.get(clusterIdKey(this.opts.clusterName)).buffer();
      const found = clusterIdRecord.decode(raw)?.clusterId;
      if (found !== this.opts.expected) {
        this.fired = true;
        this.stop();
        this.opts.onMismatch(found);
      }
    } catch {
      // etcd unreachable: nothing learned.
    } finally {
      this.checking = false;
    }
  }
}
