// GROUP config resources (KIP-848 / KIP-932 group configs) through DescribeConfigs and
// IncrementalAlterConfigs, against stub ports: sources, the GROUP ACL and the checks at the gateway.
import { ConfigSource } from '@dms/configs';
import { ErrorCode } from '@dms/kafka-errors';
import { describeConfigsHandler } from './32-describe-configs';
import { incrementalAlterConfigsHandler } from './44-incremental-alter-configs';
import { Operation, Resource } from './authorize';
import type { ConfigResourceChangeInput, RequestContext, SecurityPort } from './ports';

const GROUP = 32;

function context(grants: [number, number, string][] | null) {
  const sent: ConfigResourceChangeInput[][] = [];
  const ctx = {
    clientId: 'admin',
    clientHost: '/127.0.0.1',
    session: { host: '127.0.0.1', port: 40000, principal: 'User:alice' },
    cluster: {
      groupConfigs: (id: string) => (id === 'work' ? { 'share.record.lock.duration.ms': '15000' } : {}),
      awaitRevision: () => Promise.resolve(),
    },
    controller: {
      alterConfigs: (resources: ConfigResourceChangeInput[]) => {
        sent.push(resources);
        return Promise.resolve(resources.map((r) => ({ ...r, errorCode: 0, errorMessage: null, revision: 9n })));
      },
    },
    ...(grants ? {
      security: {
        authorizerEnabled: () => true,
        authorize: (_p: string, _h: string, op: number, type: number, name: string) => grants.some(([o, t, n]) => o === op && t === type && n === name),
      } as unknown as SecurityPort,
    } : {}),
  } as unknown as RequestContext;
  return { ctx, sent };
}

describe('GROUP config resources', () => {
  it('describes every group key: the group\'s own with source GROUP_CONFIG, the others with their defaults', async () => {
    const { ctx } = context(null);
    const res = await describeConfigsHandler.handle(ctx, { resources: [
      { resourceType: GROUP, resourceName: 'work', configurationKeys: null },
      { resourceType: GROUP, resourceName: 'never-configured', configurationKeys: ['share.delivery.count.limit'] },
      { resourceType: GROUP, resourceName: '', configurationKeys: null },
    ], includeSynonyms: true }, 4);
    const work = new Map(res.results[0].configs.map((c: any) => [c.name, [c.value, c.configSource]]));
    expect(work.get('share.record.lock.duration.ms')).toEqual(['15000', ConfigSource.GROUP_CONFIG]);
    expect(work.get('consumer.session.timeout.ms')).toEqual(['45000', ConfigSource.DEFAULT_CONFIG]);
    expect(res.results[1].configs.map((c: any) => [c.name, c.value, c.configSource, c.isDefault]))
      .toEqual([['share.delivery.count.limit', '5', ConfigSource.DEFAULT_CONFIG, true]]);
    expect(res.results[2].errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('needs DESCRIBE_CONFIGS / ALTER_CONFIGS on the group itself, else GROUP_AUTHORIZATION_FAILED', async () => {
    const { ctx, sent } = context([[Operation.DESCRIBE_CONFIGS, Resource.GROUP, 'work'], [Operation.ALTER_CONFIGS, Resource.GROUP, 'work']]);
    const described = await describeConfigsHandler.handle(ctx, { resources: [
      { resourceType: GROUP, resourceName: 'work', configurationKeys: null },
      { resourceType: GROUP, resourceName: 'other', configurationKeys: null },
    ] }, 4);
    expect(described.results.map((r: any) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.GROUP_AUTHORIZATION_FAILED]);
    const set = (name: string) => ({ resourceType: GROUP, resourceName: name, configs: [{ name: 'share.delivery.count.limit', configOperation: 0, value: '3' }] });
    const altered = await incrementalAlterConfigsHandler.handle(ctx, { resources: [set('work'), set('other')], validateOnly: false }, 1);
    expect(altered.responses.map((r: any) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.GROUP_AUTHORIZATION_FAILED]);
    // Only the authorized group goes to the controller, which validates and stores it.
    expect(sent).toEqual([[{ resourceType: GROUP, resourceName: 'work', replace: false, changes: [{ name: 'share.delivery.count.limit', op: 0, value: '3' }] }]]);
  });
});
