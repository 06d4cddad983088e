// AlterUserScramCredentials (51)
// Behavior: needs ALTER on the cluster; the client sends salt and salted password, the gateway
//   derives StoredKey/ServerKey (the salted password goes no further) and the controller stores
//   them under users/<name>. One result per user; a user named in both lists with the same
//   mechanism is refused, as Kafka does.
// Version notes: v0 only (flexible).
import { ErrorCode } from '@dms/kafka-errors';
import { clusterAuthorized, Operation } from './authorize';
import type { KafkaHandler } from './handler';

const MECHANISM: Record<number, string> = { 1: 'SCRAM-SHA-256', 2: 'SCRAM-SHA-512' };

export const alterUserScramCredentialsHandler: KafkaHandler = {
  apiKey: 51,
  name: 'AlterUserScramCredentials',
  minVersion: 0,
  maxVersion: 0,
  acl: ['CLUSTER:ALTER'],
  async handle(ctx, req: any) {
    const deletions = (req.deletions as any[]).map((d) => ({ user: d.name as string, mechanism: MECHANISM[d.mechanism] ?? '' }));
    const upsertions = (req.upsertions as any[]).map((u) => ({
      user: u.name as string, mechanism: MECHANISM[u.mechanism] ?? '', iterations: u.iterations as number, salt: u.salt as Buffer, saltedPassword: u.saltedPassword as Buffer,
    }));
    const users = [...new Set([...deletions, ...upsertions].map((x) => x.user))];
    const all = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode, errorMessage })) });
    if (!ctx.security) return all(ErrorCode.UNSUPPORTED_VERSION, 'no credential store');
    if (!clusterAuthorized(ctx, Operation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
    const refused = new Map<string, { errorCode: number; errorMessage: string }>();
    for (const x of [...deletions, ...upsertions]) {
      if (!x.user) refused.set(x.user, { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'user name must not be empty' });
      else if (!x.mechanism) refused.set(x.user, { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: 'unknown SCRAM mechanism' });
    }
    const keys = [...deletions, ...upsertions].map((x) => `${x.user}\0${x.mechanism}`);
    for (const x of [...deletions, ...upsertions]) {
      if (keys.filter((k) => k === `${x.user}\0${x.mechanism}`).length > 1) {
        refused.set(x.user, { errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'a user credential cannot be altered more than once in the same request' });
      }
    }
    const ok = (x: { user: string }) => !refused.has(x.user);
    const results = await ctx.security.alterScramCredentials(deletions.filter(ok), upsertions.filter(ok));
    const byUser = new Map(results.map((r) => [r.user, r]));
    return {
      throttleTimeMs: 0,
      results: users.map((user) => refused.has(user) ? { user, ...refused.get(user)! } : byUser.get(user) ?? { user, errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'no answer' }),
    };
  },
};
