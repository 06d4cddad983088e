// ACL coverage: every API in the registry declares the ACL checks it makes (Kafka's
// authorization per API), the declaration matches the code it runs, and only the APIs named
// here may declare none. OffsetForLeaderEpoch is held to its checks by behaviour.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '@dms/kafka-errors';
import { offsetForLeaderEpochHandler } from './23-offset-for-leader-epoch';
import { Operation, Resource } from './authorize';
import { handlers } from './registry';
import type { RequestContext, SecurityPort } from './ports';

/** The only APIs without an ACL check, and why. */
const NO_ACL: Record<string, string> = {
  ApiVersions: 'answered before authentication so a client can pick versions (Kafka: no ACL)',
  SaslHandshake: 'chooses the login mechanism; there is no principal yet',
  SaslAuthenticate: 'is the login',
  DescribeCluster: 'Kafka answers it to any authenticated client, like Metadata\'s broker list',
  GetTelemetrySubscriptions: 'KIP-714: every authenticated client may ask what to push (Kafka checks no ACL)',
  PushTelemetry: 'KIP-714: every authenticated client may push its own metrics (Kafka checks no ACL)',
};

const AUTHORIZE_CALL = /\b(authorized|clusterAuthorized|authorizedForAny|authorizeResource)\(/;

/** A handler's source and the sources of the sibling modules it imports (shared checks live there). */
function handlerSource(apiKey: number): string {
  const dir = __dirname;
  const file = readdirSync(dir).find((f) => f.startsWith(`${String(apiKey).padStart(2, '0')}-`) && f.endsWith('.ts') && !f.endsWith('.spec.ts'));
  if (!file) throw new Error(`no handler file for api key ${apiKey}`);
  const main = readFileSync(join(dir, file), 'utf8');
  const siblings = [...main.matchAll(/from '\.\/([a-z0-9-]+)'/g)].map((m) => m[1]).filter((m) => !['authorize', 'handler', 'ports'].includes(m));
  return [main, ...siblings.map((m) => readFileSync(join(dir, `${m}.ts`), 'utf8'))].join('\n');
}

describe('ACL coverage of the handler registry', () => {
  it.each(handlers.map((h) => [h.name, h] as const))('%s declares its ACL checks and makes them', (name, h) => {
    expect(h.acl).toBeDefined();
    const src = handlerSource(h.apiKey);
    if ('none' in h.acl) {
      expect(NO_ACL[name]).toBeDefined();
      expect(h.acl.none.length).toBeGreaterThan(10);
      return;
    }
    expect(h.acl.length).toBeGreaterThan(0);
    expect(src).toMatch(AUTHORIZE_CALL);
    for (const check of h.acl) {
      const [resource, operation] = check.split(':');
      expect(Object.keys(Resource)).toContain(resource);
      // The operation the declaration names appears in the code that runs the check.
      expect(src).toContain(`Operation.${operation}`);
    }
  });

  it('allows no declaration of none beyond the named pre-authentication APIs', () => {
    const none = handlers.filter((h) => 'none' in h.acl).map((h) => h.name).sort();
    expect(none).toEqual(Object.keys(NO_ACL).sort());
  });
});

describe('OffsetForLeaderEpoch authorization', () => {
  type Grant = [operation: number, resourceType: number, name: string];

  function run(grants: Grant[]) {
    const asked: string[] = [];
    const security = {
      authorizerEnabled: () => true,
      authorize: (_p: string, _h: string, op: number, type: number, name: string) =>
        grants.some(([o, t, n]) => o === op && t === type && n === name),
    } as unknown as SecurityPort;
    const ctx = {
      clientHost: '/127.0.0.1',
      security,
      session: { principal: 'User:c', host: '127.0.0.1' },
      cluster: { topic: (name: string) => (['a', 'b'].includes(name) ? { name, partitions: [{}] } : undefined) },
      storage: {
        offsetForLeaderEpoch: async (inputs: { topic: string; partition: number }[]) => {
          asked.push(...inputs.map((i) => i.topic));
          return inputs.map((i) => ({ ...i, errorCode: 0, leaderEpoch: 3, endOffset: 42n }));
        },
      },
    } as unknown as RequestContext;
    const req = { topics: [{ topic: 'a', partitions: [{ partition: 0, leaderEpoch: 3, currentLeaderEpoch: -1 }] }, { topic: 'b', partitions: [{ partition: 0, leaderEpoch: 3, currentLeaderEpoch: -1 }] }] };
    return Promise.resolve(offsetForLeaderEpochHandler.handle(ctx, req, 4)).then((res: any) => ({
      codes: Object.fromEntries(res.topics.map((t: any) => [t.topic, t.partitions[0].errorCode])),
      asked,
    }));
  }

  it('answers TOPIC_AUTHORIZATION_FAILED for topics without DESCRIBE and asks storage only for the others', async () => {
    const r = await run([[Operation.DESCRIBE, Resource.TOPIC, 'a']]);
    expect(r.codes).toEqual({ a: ErrorCode.NONE, b: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
    expect(r.asked).toEqual(['a']);
  });

  it('allows every topic with CLUSTER_ACTION on the cluster, as Kafka allows replicas', async () => {
    const r = await run([[Operation.CLUSTER_ACTION, Resource.CLUSTER, 'kafka-cluster']]);
    expect(r.codes).toEqual({ a: ErrorCode.NONE, b: ErrorCode.NONE });
  });
});
