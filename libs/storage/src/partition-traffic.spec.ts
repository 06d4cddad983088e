import { MeterProvider, MetricReader, type DataPoint } from '@opentelemetry/sdk-metrics';
import { BytesInRates, PartitionTraffic } from './partition-traffic';

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

describe('BytesInRates', () => {
  it('measures bytes-in per second over a sliding window of snapshots, non-zero partitions only', () => {
    const traffic = new PartitionTraffic();
    const rates = new BytesInRates(traffic);
    expect(rates.sample(0)).toEqual({});
    traffic.of('a', 0).bytesIn += 10_000;
    traffic.of('b', 2).bytesOut += 99;
    expect(rates.sample(1000)).toEqual({ a: { '0': 10_000 } });
    traffic.of('a', 0).bytesIn += 30_000;
    traffic.of('b', 1).bytesIn += 4_000;
    // Over both seconds: (40,000 - 0) / 2 and (4,000 - 0) / 2.
    expect(rates.sample(2000)).toEqual({ a: { '0': 20_000 }, b: { '1': 2_000 } });
    // Five snapshots at most: after the burst ages out, the rate falls to nothing.
    for (let t = 3000; t <= 6000; t += 1000) rates.sample(t);
    expect(rates.sample(7000)).toEqual({});
  });
});
