import { MeterProvider, MetricReader, type DataPoint } from '@opentelemetry/sdk-metrics';
import { PartitionTraffic } from './partition-traffic';

class Reader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

describe('PartitionTraffic', () => {
  it('reports cumulative per-partition totals through an observable counter, only partitions that moved', async () => {
    const reader = new Reader();
    const provider = new MeterProvider({ readers: [reader] });
    const traffic = new PartitionTraffic();
    provider.getMeter('t').createObservableCounter('bytes_in').addCallback((r) => traffic.observe((t) => t.bytesIn, (v, a) => r.observe(v, a)));
    traffic.of('a', 0).bytesIn += 100;
    traffic.of('a', 0).bytesIn += 20;
    traffic.of('a', 1).bytesOut += 5; // out only: no bytes_in series
    traffic.of('b', 3).bytesIn += 7;
    const points = async () => {
      const { resourceMetrics } = await reader.collect();
      const dp = resourceMetrics.scopeMetrics[0]!.metrics[0]!.dataPoints as DataPoint<number>[];
      return dp.map((d) => [d.attributes.topic, d.attributes.partition, d.value]);
    };
    expect(await points()).toEqual([['a', 0, 120], ['b', 3, 7]]);
    traffic.of('b', 3).bytesIn += 3;
    expect(await points()).toEqual([['a', 0, 120], ['b', 3, 10]]);
    await provider.shutdown();
  });
});
