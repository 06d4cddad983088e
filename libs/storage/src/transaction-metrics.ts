import type { Meter } from '@opentelemetry/api';
import { MetricNames } from '@dms/platform';
import type { TransactionCoordinator } from '@dms/transactions';

/** The transaction coordinator's metrics: ongoing transactions, completions by result, partitions held. */
export function transactionMetrics(meter: Meter, coordinator: () => TransactionCoordinator | undefined): void {
  meter.createObservableGauge(MetricNames.transactionsOngoing, { description: 'Ongoing transactions this broker coordinates' })
    .addCallback((result) => result.observe(coordinator()?.stats().ongoing ?? 0));
  meter.createObservableCounter(MetricNames.transactionsCompleted, { description: 'Transactions committed or aborted by this broker\'s coordinator' })
    .addCallback((result) => {
      const s = coordinator()?.stats();
      if (!s) return;
      result.observe(s.committed, { result: 'committed' });
      result.observe(s.aborted, { result: 'aborted' });
    });
  meter.createObservableGauge(MetricNames.transactionPartitions, { description: '__transaction_state partitions this broker coordinates' })
    .addCallback((result) => result.observe(coordinator()?.runtime.loadedPartitions().length ?? 0));
}
