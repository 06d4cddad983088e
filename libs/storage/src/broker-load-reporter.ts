import { brokerLoadKey, brokerLoadRecord, errMessage, type EtcdSession, type Log } from '@dms/cluster';
import { BytesInRates, type PartitionTraffic } from './partition-traffic';
import type { ReplicaManager } from './replica-manager';

export interface BrokerLoadReporterOptions {
  session: Pick<EtcdSession, 'register'>;
  replicas: Pick<ReplicaManager, 'all'>;
  /** The broker's per-partition client traffic (bytes-in rates are reported from it). */
  traffic?: PartitionTraffic;
  clusterName: string;
  brokerId: number;
  /** broker.load.report.interval.ms */
  intervalMs: number;
  logger: Log;
}

/**
 * Publishes the bytes of every replica log this broker holds and the bytes-in per second of every
 * partition it led (produced to) over the last few intervals as broker-loads/<id>, under the
 * broker's lease (it vanishes with the broker), for the controller's self-balancer (its disk and
 * inbound-rate goals and the bytes a move copies). Written at start and every interval, skipped
 * when nothing changed.
 */
export class BrokerLoadReporter {
  private timer: NodeJS.Timeout | undefined;
  private lastSizes = '';
  private readonly rates: BytesInRates | undefined;

  constructor(private readonly opts: BrokerLoadReporterOptions) {
    this.rates = opts.traffic ? new BytesInRates(opts.traffic) : undefined;
  }

  start(): void {
    if (this.timer) return;
    void this.report();
    this.timer = setInterval(() => void this.report(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The sizes now, topic -> partition -> bytes. */
  sizes(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const r of this.opts.replicas.all()) (out[r.topic] ??= {})[String(r.partition)] = r.log.size();
    return out;
  }

  async report(): Promise<void> {
    const now = Date.now();
    const sizes = this.sizes();
    const bytesIn = this.rates?.sample(now) ?? {};
    const json = JSON.stringify([sizes, bytesIn]);
    if (json === this.lastSizes) return;
    try {
      await this.opts.session.register(
        brokerLoadKey(this.opts.clusterName, this.opts.brokerId),
        brokerLoadRecord.encode({ brokerId: this.opts.brokerId, updatedAtMs: now, sizes, bytesIn }),
      );
      this.lastSizes = json;
    } catch (e) {
      this.opts.logger.debug({ err: errMessage(e) }, 'could not publish replica sizes; retrying at the next interval');
    }
  }
}
