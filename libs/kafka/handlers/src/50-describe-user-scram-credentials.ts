// DescribeUserScramCredentials (50)
// Behavior: needs DESCRIBE on the cluster; lists users with their SCRAM mechanisms and
//   iterations (never salts or keys). A null user list means every user; a named user without
//   credentials answers RESOURCE_NOT_FOUND, a name given twice DUPLICATE_RESOURCE.
// Version notes: v0 only (flexible).
import { ErrorCode } from '@dms/kafka-errors';
import { clusterAuthorized, Operation } from './authorize';
import type { KafkaHandler } from './handler';

const MECHANISM_CODE: Record<string, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };

export const describeUserScramCredentialsHandler: KafkaHandler = {
  apiKey: 50,
  name: 'DescribeUserScramCredentials',
  minVersion: 0,
  maxVersion: 0,
  acl: ['CLUSTER:DESCRIBE'],
  handle(ctx, req: any) {
    const base = { throttleTimeMs: 0, errorCode: ErrorCode.NONE as number, errorMessage: null as string | null, results: [] as any[] };
    if (!ctx.security) return { ...base, errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: 'no credential store' };
    if (!clusterAuthorized(ctx, Operation.DESCRIBE)) return { ...base, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    const users = new Map(ctx.security.scramUsers().map((u) => [u.user, u]));
    const info = (u: { credentials: { mechanism: string; iterations: number }[] }) =>
      u.credentials.map((c) => ({ mechanism: MECHANISM_CODE[c.mechanism] ?? 0, iterations: c.iterations }));
    if (req.users === null || req.users.length === 0) {
      return { ...base, results: [...users.values()].map((u) => ({ user: u.user, errorCode: 0, errorMessage: null, credentialInfos: info(u) })) };
    }
    const names = (req.users as any[]).map((u) => u.name as string);
    return {
      ...base,
      results: [...new Set(names)].map((name) => {
        if (names.filter((n) => n === name).length > 1) return { user: name, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `user ${name} requested more than once`, credentialInfos: [] };
        const u = users.get(name);
        if (!u) return { user: name, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `attempt to describe a user credential that does not exist: ${name}`, credentialInfos: [] };
        return { user: name, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: info(u) };
      }),
    };
  },
};
