import { EventEmitter } from 'node:events';
import type { ClusterChange, ClusterView, PartitionState } from '@dms/cluster';
import { MeterProvider, MetricReader, type CollectionResult } from '@opentelemetry/sdk-metrics';
import { MetricNames } from '@dms/platform';
import { controllerMetrics } from './controller-metrics';

class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** The parts of the cluster view the metrics read, over plain maps. */
class ViewStub extends EventEmitter {
  partitions = new Map<string, PartitionState>();
  live = new Set<number>();
  allPartitions() {
    return [...this.partitions].map(([k, state]) => ({ topic: k.split('/')[0]!, partition: Number(k.split('/')[1]), state }));
  }
  broker(id: number) {
    return this.live.has(id) ? { id } : undefined;
  }
  brokers() {
    return [...this.live].map((id) => ({ id }));
  }
  topics() {
    return new Map([...this.partitions.keys()].map((k) => [k.split('/')[0]!, {}]));
  }
  put(key: string, value: PartitionState): void {
    const previous = this.partitions.get(key);
    this.partitions.set(key, value);
    const [topic, partition] = key.split('/');
    const entry = (v: PartitionState) => ({ value: { kind: 'partition' as const, topic: topic!, partition: Number(partition), value: v }, createRevision: 1n, modRevision: 2n });
    const change: ClusterChange = { type: 'put', key, entry: entry(value), previous: previous && entry(previous) };
    this.emit('change', change);
  }
}

async function read(reader: TestReader): Promise<Map<string, number>> {
  const { resourceMetrics }: CollectionResult = await reader.collect();
  const out = new Map<string, number>();
  for (const sm of resourceMetrics.scopeMetrics) for (const m of sm.metrics) for (const p of m.dataPoints) out.set(m.descriptor.name, p.value as number);
  return out;
}

const state = (leader: number, isr: number[], leaderEpoch: number): PartitionState => ({ replicas: [1, 2], leader, leaderEpoch, isr, partitionEpoch: leaderEpoch });

it('counts offline and under-replicated partitions and elections on the leader only', async () => {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  const view = new ViewStub();
  let leader = true;
  controllerMetrics(provider.getMeter('t'), view as unknown as ClusterView, () => leader);
  view.live = new Set([1, 2]);
  view.put('t/0', state(1, [1, 2], 0));
  view.put('t/1', state(2, [1, 2], 0));
  let m = await read(reader);
  expect(m.get(MetricNames.offlinePartitions)).toBe(0);
  expect(m.get(MetricNames.globalPartitionCount)).toBe(2);
  expect(m.get(MetricNames.activeControllerCount)).toBe(1);

  // Broker 2 dies: t/1 is offline until the controller moves it; then a clean election.
  view.live.delete(2);
  m = await read(reader);
  expect(m.get(MetricNames.offlinePartitions)).toBe(1);
  view.put('t/1', state(1, [1], 1));
  view.put('t/0', state(1, [1], 0)); // an ISR shrink is no election
  m = await read(reader);
  expect(m.get(MetricNames.offlinePartitions)).toBe(0);
  expect(m.get(MetricNames.globalUnderReplicatedPartitions)).toBe(2);
  expect(m.get(MetricNames.leaderElections)).toBe(1);
  expect(m.get(MetricNames.uncleanLeaderElections)).toBe(0);
  // A leader from outside the ISR is unclean.
  view.live.add(2);
  view.put('t/1', state(2, [2], 2));
  expect((await read(reader)).get(MetricNames.uncleanLeaderElections)).toBe(1);

  // A standby reports zeros and counts nothing.
  leader = false;
  view.put('t/1', state(1, [1], 3));
  m = await read(reader);
  expect(m.get(MetricNames.offlinePartitions)).toBe(0);
  expect(m.get(MetricNames.globalPartitionCount)).toBe(0);
  expect(m.get(MetricNames.activeControllerCount)).toBe(0);
  expect(m.get(MetricNames.leaderElections)).toBe(2);
  await provider.shutdown();
});
