import { seriesFilter } from './chart-source';
import { chartQueries, visibleSeries } from './prometheus-charts';

const queries = chartQueries(15);
const at = (v: number, t = 100): [number, string] => [t, String(v)];

// Answers in the order of chartQueries: messages in, bytes in, lag by group and topic.
const answers = [
  [
    { metric: { topic: 'orders' }, values: [at(2), at(3, 115)] },
    { metric: { topic: 'secret' }, values: [at(9)] },
  ],
  [{ metric: { topic: 'orders' }, values: [at(200)] }],
  [
    { metric: { consumergroup: 'billing', topic: 'orders' }, values: [at(4), at(1, 115)] },
    { metric: { consumergroup: 'billing', topic: 'secret' }, values: [at(50), at(60, 115)] },
    { metric: { consumergroup: 'billing', topic: 'refunds' }, values: [at(1), at(NaN, 115)] },
    { metric: { consumergroup: 'audit', topic: 'orders' }, values: [at(8)] },
  ],
];
const visible = { topics: new Set(['orders', 'refunds']), groups: new Set(['billing']) };

describe('visibleSeries', () => {
  it('keeps only visible topics and groups, in ms, and sums a group total over the visible topics only', () => {
    const out = visibleSeries(queries, answers, visible, seriesFilter({ prefix: '' }));
    expect(out).toEqual([
      { name: 'group.lag:billing', points: [{ t: 100_000, v: 5 }, { t: 115_000, v: 1 }] },
      { name: 'group.lag:billing:orders', points: [{ t: 100_000, v: 4 }, { t: 115_000, v: 1 }] },
      { name: 'group.lag:billing:refunds', points: [{ t: 100_000, v: 1 }] },
      { name: 'topic.bytesInPerSec:orders', points: [{ t: 100_000, v: 200 }] },
      { name: 'topic.messagesInPerSec:orders', points: [{ t: 100_000, v: 2 }, { t: 115_000, v: 3 }] },
    ]);
  });

  it('answers a prefix or a list of names', () => {
    expect(visibleSeries(queries, answers, visible, seriesFilter({ prefix: 'group.lag:billing' })).map((s) => s.name))
      .toEqual(['group.lag:billing', 'group.lag:billing:orders', 'group.lag:billing:refunds']);
    expect(visibleSeries(queries, answers, visible, seriesFilter({ prefix: '', names: ['group.lag:billing'] })).map((s) => s.name)).toEqual(['group.lag:billing']);
  });

  it('sends the PromQL of the brokers\' series with a rate window of four steps, a minute at least', () => {
    expect(chartQueries(15).map((c) => c.query)).toEqual([
      'sum by (topic) (rate(kafka_server_messages_in_total[60s]))',
      'sum by (topic) (rate(kafka_server_bytes_in_total[60s]))',
      'sum by (consumergroup, topic) (kafka_consumergroup_lag)',
    ]);
    expect(chartQueries(60)[0]!.query).toContain('[240s]');
  });
});
