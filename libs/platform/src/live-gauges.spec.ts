import { LiveGauges } from './live-gauges';

describe('LiveGauges', () => {
  it('renders the series that exist at each scrape, and only those', () => {
    const g = new LiveGauges();
    let groups = ['a', 'b'];
    g.register('kafka.consumergroup.lag', 'Lag', () => groups.map((consumergroup, i) => ({ labels: { consumergroup, partition: i }, value: i + 1 })));
    expect(g.render()).toBe([
      '# HELP kafka_consumergroup_lag Lag',
      '# TYPE kafka_consumergroup_lag gauge',
      'kafka_consumergroup_lag{consumergroup="a",partition="0",otel_scope_name="dms"} 1',
      'kafka_consumergroup_lag{consumergroup="b",partition="1",otel_scope_name="dms"} 2',
      '',
    ].join('\n'));
    groups = ['a'];
    expect(g.render()).not.toContain('consumergroup="b"');
  });

  it('escapes label values and survives a failing collector', () => {
    const g = new LiveGauges();
    g.register('x.broken', 'Broken', () => {
      throw new Error('no');
    });
    g.register('x.ok', 'Ok', () => [{ labels: { consumergroup: 'we"ird\\name\n' }, value: NaN }]);
    const text = g.render();
    expect(text).toContain('# x_broken: collection failed: no');
    expect(text).toContain('x_ok{consumergroup="we\\"ird\\\\name\\n",otel_scope_name="dms"} NaN');
    expect(() => g.register('x.ok', 'again', () => [])).toThrow(/twice/);
  });
});
