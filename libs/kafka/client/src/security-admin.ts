import type { AclBinding, AclFilter } from '@dms/security';
import { randomBytes } from 'node:crypto';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { ApiKey } from '@dms/kafka-schema';
import { MIN_ITERATIONS, SCRAM_MECHANISM_CODE, saltedPassword, scramMechanismByCode, type ScramMechanism } from '@dms/security';
import type { KafkaClient } from './client';

/** Users and ACLs through the Kafka admin APIs (what `dms users` and `dms acls` call). */

export interface ScramUser {
  user: string;
  credentials: { mechanism: string; iterations: number }[];
}

export async function describeScramUsers(client: KafkaClient, users: string[] | null = null): Promise<ScramUser[]> {
  const res = await client.adminRequest<any>(ApiKey.DescribeUserScramCredentials, { users: users?.map((name) => ({ name })) ?? null });
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, res.errorMessage ?? undefined);
  return (res.results as any[]).map((r) => {
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, r.errorMessage ?? undefined);
    return { user: r.user, credentials: (r.credentialInfos as any[]).map((c) => ({ mechanism: scramMechanismByCode(c.mechanism) ?? String(c.mechanism), iterations: c.iterations })) };
  });
}

/** Creates or replaces a user's credential: the password never leaves this process, only its salted form. */
export async function upsertScramUser(client: KafkaClient, user: string, password: string, mechanism: ScramMechanism, iterations = MIN_ITERATIONS): Promise<void> {
  const salt = randomBytes(24);
  await alter(client, [], [{ name: user, mechanism: SCRAM_MECHANISM_CODE[mechanism], iterations, salt, saltedPassword: saltedPassword(mechanism, password, salt, iterations) }]);
}

export async function deleteScramUser(client: KafkaClient, user: string, mechanisms?: ScramMechanism[]): Promise<void> {
  let ms = mechanisms;
  if (!ms) ms = (await describeScramUsers(client, [user]))[0].credentials.map((c) => c.mechanism as ScramMechanism);
  await alter(client, ms.map((m) => ({ name: user, mechanism: SCRAM_MECHANISM_CODE[m] })), []);
}

async function alter(client: KafkaClient, deletions: object[], upsertions: object[]): Promise<void> {
  const res = await client.adminRequest<any>(ApiKey.AlterUserScramCredentials, { deletions, upsertions });
  for (const r of res.results as any[]) if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, r.errorMessage ?? undefined);
}

/** CreateAcls / DeleteAcls speak the security model's binding and filter shapes. */
export type AclSpec = AclBinding;

export type AclFilterSpec = AclFilter;

export async function createAcls(client: KafkaClient, acls: AclSpec[]): Promise<void> {
  const res = await client.adminRequest<any>(ApiKey.CreateAcls, {
    creations: acls.map((a) => ({ ...a, resourcePatternType: a.patternType })),
  });
  for (const r of res.results as any[]) if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, r.errorMessage ?? undefined);
}

const wireFilter = (f: AclFilterSpec) => ({
  resourceTypeFilter: f.resourceType, resourceNameFilter: f.resourceName, patternTypeFilter: f.patternType,
  principalFilter: f.principal, hostFilter: f.host, operation: f.operation, permissionType: f.permissionType,
});

export async function describeAcls(client: KafkaClient, filter: AclFilterSpec): Promise<AclSpec[]> {
  const res = await client.adminRequest<any>(ApiKey.DescribeAcls, wireFilter(filter));
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, res.errorMessage ?? undefined);
  return (res.resources as any[]).flatMap((r) =>
    (r.acls as any[]).map((a) => ({ resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType, ...a })),
  );
}

export async function deleteAcls(client: KafkaClient, filters: AclFilterSpec[]): Promise<AclSpec[]> {
  const res = await client.adminRequest<any>(ApiKey.DeleteAcls, { filters: filters.map(wireFilter) });
  const out: AclSpec[] = [];
  for (const r of res.filterResults as any[]) {
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, r.errorMessage ?? undefined);
    for (const m of r.matchingAcls as any[]) out.push({ resourceType: m.resourceType, resourceName: m.resourceName, patternType: m.patternType, principal: m.principal, host: m.host, operation: m.operation, permissionType: m.permissionType });
  }
  return out;
}
