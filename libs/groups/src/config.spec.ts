import { ConfigError, loadConfig } from '@dms/platform';
import { defaultGroupConfig, groupConfigDef, groupConfigFrom } from './config';

describe('group coordinator config', () => {
  it('defaults to Kafka\'s values, the consumer-group ones included', () => {
    expect(groupConfigFrom(loadConfig(groupConfigDef, [], {}))).toEqual(defaultGroupConfig);
  });

  it('takes group.consumer.* keys, assignors by name or by Kafka class name', () => {
    const c = groupConfigFrom(loadConfig(groupConfigDef, [], {
      DMS_GROUP_CONSUMER_SESSION_TIMEOUT_MS: '10000',
      DMS_GROUP_CONSUMER_ASSIGNORS: 'org.apache.kafka.coordinator.group.assignor.RangeAssignor,uniform',
    }));
    expect(c.consumerSessionTimeoutMs).toBe(10_000);
    expect(c.consumerAssignors).toEqual(['range', 'uniform']);
    expect(() => groupConfigFrom(loadConfig(groupConfigDef, [], { DMS_GROUP_CONSUMER_ASSIGNORS: 'sticky' }))).toThrow(ConfigError);
  });

  it('takes group.consumer.migration.policy, refusing an unknown one', () => {
    expect(groupConfigFrom(loadConfig(groupConfigDef, [], {})).consumerMigrationPolicy).toBe('bidirectional');
    expect(groupConfigFrom(loadConfig(groupConfigDef, [], { DMS_GROUP_CONSUMER_MIGRATION_POLICY: 'Upgrade' })).consumerMigrationPolicy).toBe('upgrade');
    expect(() => groupConfigFrom(loadConfig(groupConfigDef, [], { DMS_GROUP_CONSUMER_MIGRATION_POLICY: 'sideways' }))).toThrow(ConfigError);
  });
});
