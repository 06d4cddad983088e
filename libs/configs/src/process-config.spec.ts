// The services declare broker keys with typed specs where their code needs typed values; these
// must agree with the one table (names, defaults), and every table key a service is said to read
// must be in its declaration.
import type { ConfigDef } from '@dms/platform';
import { controllerConfigDef } from '@dms/controller';
import { gatewayConfigDef } from '@dms/gateway';
import { brokerConfigDef } from '@dms/storage';
import { BROKER_CONFIG_DEFS, type ServiceName } from './broker-configs';
import { staticBrokerConfigs } from './process-config';

const defs: Record<ServiceName, ConfigDef> = { controller: controllerConfigDef, broker: brokerConfigDef, gateway: gatewayConfigDef };

describe('service declarations of broker keys', () => {
  it.each(Object.keys(defs) as ServiceName[])('%s declares every table key it reads, with the table default', (service) => {
    const def = defs[service];
    for (const key of BROKER_CONFIG_DEFS.filter((d) => d.services.includes(service))) {
      const spec = def[key.name];
      expect([key.name, spec !== undefined]).toEqual([key.name, true]);
      const declared = spec.default === undefined || spec.default === '' ? null : Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default);
      if (declared !== null) expect([key.name, declared]).toEqual([key.name, key.default]);
    }
  });

  it('reports only values that differ from the default, and refuses out-of-range ones', () => {
    expect(staticBrokerConfigs({ 'log.retention.hours': '48', 'num.partitions': 1, 'message.max.bytes': 2000, 'broker.id': 3 }))
      .toEqual({ 'log.retention.hours': '48', 'message.max.bytes': '2000' });
    expect(() => staticBrokerConfigs({ 'log.cleanup.policy': 'forever' })).toThrow(/log.cleanup.policy/);
  });
});
