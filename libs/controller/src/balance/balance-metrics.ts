import type { Meter } from '@opentelemetry/api';
import { MetricNames } from '@dms/platform';
import type { AutoBalancer } from './auto-balancer';

/**
 * The self-balancer's metrics, read from the last status the leading controller wrote (standbys
 * report zeros). The two counters carry the totals kept in etcd, so they continue across a
 * controller failover rather than restarting at zero on the new leader.
 */
export function autoBalanceMetrics(meter: Meter, balancer: Pick<AutoBalancer, 'last'>, isLeader: () => boolean): void {
  const status = () => (isLeader() ? balancer.last : undefined);
  meter.createObservableGauge(MetricNames.balanceImbalance, { description: 'Largest deviation of a broker from the mean, percent' }).addCallback((r) => {
    const s = status();
    for (const resource of ['replicas', 'leaders', 'disk'] as const) r.observe(s?.imbalance[resource] ?? 0, { resource });
    r.observe(s?.imbalance.networkIn ?? 0, { resource: 'network_inbound' });
  });
  meter.createObservableGauge(MetricNames.balanceMovesInFlight, { description: 'Partition moves started and not completed' })
    .addCallback((r) => r.observe(status()?.inFlight.length ?? 0));
  meter.createObservableGauge(MetricNames.balanceMovesPending, { description: 'Moves waiting for room under auto.balance.max.concurrent.moves' })
    .addCallback((r) => r.observe(status()?.pendingMoves ?? 0));
  meter.createObservableCounter(MetricNames.balanceMovesCompleted, { description: 'Partition moves completed' })
    .addCallback((r) => r.observe(status()?.movesCompleted ?? 0));
  meter.createObservableCounter(MetricNames.balanceBytesMoved, { description: 'Bytes copied by completed moves' })
    .addCallback((r) => r.observe(status()?.bytesMoved ?? 0));
  meter.createObservableGauge(MetricNames.balanceBytesLeft, { description: 'Bytes the moves in flight and planned still have to copy' }).addCallback((r) => {
    const s = status();
    r.observe(s ? s.inFlight.reduce((n, m) => n + m.bytes, 0) + s.pendingBytes : 0);
  });
}
