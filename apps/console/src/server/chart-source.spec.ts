import { KafkaClient } from '@dms/kafka-client';
import { sampledCharts } from './chart-source';
import type { ConsoleResources } from './console-session';
import { Sampler, series } from './sampler';

describe('sampledCharts', () => {
  // The sampler is never started: its store is filled by hand, no connection is made.
  const client = new KafkaClient({ bootstrapServers: ['127.0.0.1:1'] });
  afterAll(() => client.close());
  const sampler = new Sampler(client, 1000, 10);
  sampler.store.push(series.messagesIn('a'), { t: 1, v: 5 });
  sampler.store.push(series.groupLag('g'), { t: 1, v: 7 });
  sampler.store.push(series.groupTopicLag('g', 'a'), { t: 1, v: 7 });
  const r = { sampler } as unknown as ConsoleResources;

  it('answers by prefix and says the points are the console\'s own', () => {
    const c = sampledCharts(r, { prefix: 'group.lag:g' });
    expect(c.source).toBe('console');
    expect(c.sourceError).toBeNull();
    expect(c.series.map((s) => s.name).sort()).toEqual(['group.lag:g', 'group.lag:g:a']);
  });

  it('answers by name, empty for a series not sampled, and carries the reason for a fallback', () => {
    const c = sampledCharts(r, { prefix: '', names: [series.messagesIn('a'), series.messagesIn('b')] }, 'Prometheus down');
    expect(c.series).toEqual([{ name: 'topic.messagesInPerSec:a', points: [{ t: 1, v: 5 }] }, { name: 'topic.messagesInPerSec:b', points: [] }]);
    expect(c.sourceError).toBe('Prometheus down');
  });
});
