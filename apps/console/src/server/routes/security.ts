import type { FastifyInstance } from 'fastify';
import { createAcls, deleteAcls, deleteScramUser, describeAcls, describeScramUsers, upsertScramUser, type AclFilterSpec, type AclSpec } from '@dms/kafka-client';
import { AclOperation, AclPermissionType, PatternType, ResourceType, type ScramMechanism } from '@dms/security';
import { sessionOf } from '../request-session';

/** An enum member by its Kafka name (TOPIC, READ, ALLOW, LITERAL...), case-insensitive. */
function byName<E extends Record<string, string | number>>(e: E, what: string, v: unknown, allowed?: string[]): number {
  const name = String(v ?? '').trim().toUpperCase().replace(/[\s-]/g, '_');
  const code = e[name as keyof E];
  if (typeof code !== 'number' || (allowed && !allowed.includes(name))) throw new RangeError(`unknown ${what} '${String(v)}'`);
  return code;
}

const nameOf = <E extends Record<string | number, string | number>>(e: E, code: number) => String(e[code as keyof E] ?? code);

function aclOut(a: AclSpec) {
  return {
    resourceType: nameOf(ResourceType, a.resourceType),
    resourceName: a.resourceName,
    patternType: nameOf(PatternType, a.patternType),
    principal: a.principal,
    host: a.host,
    operation: nameOf(AclOperation, a.operation),
    permissionType: nameOf(AclPermissionType, a.permissionType),
  };
}

function aclIn(b: Record<string, unknown>): AclSpec {
  if (typeof b.resourceName !== 'string' || b.resourceName === '') throw new RangeError('resourceName is required');
  if (typeof b.principal !== 'string' || !/^[^:]+:.+$/.test(b.principal)) throw new RangeError('principal must look like User:alice');
  return {
    resourceType: byName(ResourceType, 'resource type', b.resourceType, ['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID', 'USER', 'DELEGATION_TOKEN']),
    resourceName: b.resourceName,
    patternType: byName(PatternType, 'pattern type', b.patternType ?? 'LITERAL', ['LITERAL', 'PREFIXED']) as PatternType.LITERAL | PatternType.PREFIXED,
    principal: b.principal,
    host: typeof b.host === 'string' && b.host !== '' ? b.host : '*',
    operation: byName(AclOperation, 'operation', b.operation),
    permissionType: byName(AclPermissionType, 'permission type', b.permissionType ?? 'ALLOW', ['ALLOW', 'DENY']) as AclPermissionType.ALLOW | AclPermissionType.DENY,
  };
}

const MECHANISMS: ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** ACLs (DescribeAcls, CreateAcls, DeleteAcls) and SCRAM users (Describe/AlterUserScramCredentials). */
export function registerSecurityRoutes(api: FastifyInstance): void {
  api.get('/acls', async (req) => {
    const filter: AclFilterSpec = {
      resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null,
      operation: AclOperation.ANY, permissionType: AclPermissionType.ANY,
    };
    return (await describeAcls(sessionOf(req).resources.client, filter)).map(aclOut);
  });

  api.post('/acls', async (req) => {
    const acl = aclIn((req.body ?? {}) as Record<string, unknown>);
    await createAcls(sessionOf(req).resources.client, [acl]);
    return aclOut(acl);
  });

  /** Deletes exactly the one binding given (a literal filter), never a wildcard match. */
  api.post('/acls/delete', async (req) => {
    const acl = aclIn((req.body ?? {}) as Record<string, unknown>);
    const deleted = await deleteAcls(sessionOf(req).resources.client, [acl]);
    return { deleted: deleted.map(aclOut) };
  });

  api.get('/users', async (req) => describeScramUsers(sessionOf(req).resources.client));

  api.post('/users', async (req) => {
    const b = (req.body ?? {}) as { user?: unknown; password?: unknown; mechanism?: unknown; iterations?: unknown };
    if (typeof b.user !== 'string' || b.user === '') throw new RangeError('user is required');
    if (typeof b.password !== 'string' || b.password.length < 1) throw new RangeError('password is required');
    const mechanism = (b.mechanism ?? 'SCRAM-SHA-512') as ScramMechanism;
    if (!MECHANISMS.includes(mechanism)) throw new RangeError(`mechanism must be ${MECHANISMS.join(' or ')}`);
    const iterations = b.iterations === undefined || b.iterations === '' ? undefined : Number(b.iterations);
    if (iterations !== undefined && (!Number.isInteger(iterations) || iterations < 4096)) throw new RangeError('iterations must be an integer >= 4096');
    await upsertScramUser(sessionOf(req).resources.client, b.user, b.password, mechanism, iterations);
    return { user: b.user, mechanism };
  });

  api.delete('/users/:user', async (req) => {
    const { user } = req.params as { user: string };
    await deleteScramUser(sessionOf(req).resources.client, user);
    return { ok: true };
  });
}
