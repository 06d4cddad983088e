import { BROKER_CONFIGS } from '@dms/configs';
import { controllerConfigDef } from '../config';
import { DEFAULT_AUTO_BALANCE } from '../controller';
import { AUTO_BALANCE_KEYS, effectiveAutoBalance } from './balance-settings';

describe('effectiveAutoBalance', () => {
  it('takes the dynamic cluster default over the static values, key by key', () => {
    const base = { ...DEFAULT_AUTO_BALANCE, enable: true };
    const { settings, ignored } = effectiveAutoBalance(base, {
      'auto.balance.enable': 'FALSE',
      'auto.balance.interval.ms': ' 2500 ',
      'auto.balance.network.inbound.threshold.percent': '30',
      'auto.balance.max.concurrent.moves': '2',
      'auto.balance.throttle.bytes.per.second': '0',
      'log.retention.ms': '5',
    });
    expect(ignored).toEqual([]);
    expect(settings).toEqual({
      ...base,
      enable: false,
      intervalMs: 2500,
      thresholds: { ...base.thresholds, networkInPercent: 30 },
      maxConcurrentMoves: 2,
      throttleBytesPerSecond: 0,
    });
    // The static settings are not touched.
    expect(base.thresholds.networkInPercent).toBe(10);
    expect(effectiveAutoBalance(base, {}).settings).toEqual(base);
  });

  it('keeps the static value where a stored dynamic value is invalid, and says which', () => {
    const { settings, ignored } = effectiveAutoBalance(DEFAULT_AUTO_BALANCE, { 'auto.balance.interval.ms': '5', 'auto.balance.enable': 'maybe' });
    expect(settings).toEqual(DEFAULT_AUTO_BALANCE);
    expect(ignored).toEqual([
      'auto.balance.enable=maybe: Expected value to be either true or false',
      'auto.balance.interval.ms=5: Value must be at least 100',
    ]);
  });

  it('covers every auto.balance.* key of the controller, with the same defaults as its config', () => {
    const keys = Object.keys(controllerConfigDef).filter((k) => k.startsWith('auto.balance.')).sort();
    expect([...AUTO_BALANCE_KEYS].sort()).toEqual(keys);
    for (const k of keys) {
      const def = BROKER_CONFIGS.get(k);
      expect(def?.mode).toBe('cluster-default');
      expect(def?.services).toEqual(['controller']);
      expect(def?.default).toBe(String((controllerConfigDef as Record<string, { default?: unknown }>)[k]!.default));
    }
    // DEFAULT_AUTO_BALANCE is what the table's defaults say.
    const fromTable = Object.fromEntries(keys.map((k) => [k, BROKER_CONFIGS.get(k)!.default!]));
    expect(effectiveAutoBalance({ ...DEFAULT_AUTO_BALANCE, enable: false, intervalMs: 1, maxConcurrentMoves: 0 }, fromTable).settings).toEqual(DEFAULT_AUTO_BALANCE);
  });
});
