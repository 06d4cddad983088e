import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { applyIncremental } from './alter';
import { clientMetricsSubscription, parseClientMatch, validateClientMetricsConfigs } from './client-metrics-configs';
import { normalizeConfigs } from './validate';

const invalid = (f: () => void) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KafkaError);
    expect((e as KafkaError).code).toBe(ErrorCode.INVALID_CONFIG);
    return (e as KafkaError).message;
  }
  throw new Error('no error');
};

describe('client-metrics configs', () => {
  it('accepts Kafka\'s three keys and refuses others, bad intervals and bad match patterns', () => {
    expect(() => validateClientMetricsConfigs({ metrics: 'a.,b', 'interval.ms': '100', match: 'client_id=x.*,client_software_name=apache-kafka-java' })).not.toThrow();
    expect(invalid(() => validateClientMetricsConfigs({ colour: 'red' }))).toMatch(/Unknown client metrics config name: colour/);
    expect(invalid(() => validateClientMetricsConfigs({ 'interval.ms': '99' }))).toMatch(/interval\.ms/);
    expect(invalid(() => validateClientMetricsConfigs({ 'interval.ms': '3600001' }))).toMatch(/interval\.ms/);
    expect(invalid(() => validateClientMetricsConfigs({ match: 'client_colour=red' }))).toMatch(/Illegal client matching pattern/);
    expect(invalid(() => validateClientMetricsConfigs({ match: 'client_id=(' }))).toMatch(/Illegal regular expression/);
    expect(invalid(() => validateClientMetricsConfigs({ match: 'client_id=a,client_id=b' }))).toMatch(/Duplicate/);
  });

  it('matches a pattern against the whole value, as Java\'s matches()', () => {
    const re = parseClientMatch('client_id=prod')!.get('client_id')!;
    expect(re.test('prod')).toBe(true);
    expect(re.test('producer')).toBe(false);
  });

  it('turns * into the every-metric prefix and defaults the interval', () => {
    expect(clientMetricsSubscription('s', { metrics: '*,x.' })).toMatchObject({ metrics: ['', 'x.'], intervalMs: 300_000 });
    expect(clientMetricsSubscription('s', { metrics: '' })).toMatchObject({ metrics: [] });
    expect(clientMetricsSubscription('s', { 'interval.ms': '5' })).toBeUndefined();
  });

  it('appends to and subtracts from the list keys, and normalizes them', () => {
    const next = applyIncremental({ metrics: 'a.' }, [{ name: 'metrics', op: 2, value: 'b., c.' }], 'client-metrics');
    expect(normalizeConfigs(next, 'client-metrics')).toEqual({ metrics: 'a.,b.,c.' });
    expect(applyIncremental(next, [{ name: 'metrics', op: 3, value: 'a.' }], 'client-metrics')).toEqual({ metrics: 'b.,c.' });
  });
});
