import type { Etcd3 } from 'etcd3';
import {
  aclKey,
  aclRecord,
  controllerLeaderKey,
  fencedTxn,
  NotLeaderError,
  userKey,
  userRecord,
  type AclRecord,
  type UserRecord,
} from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import { bindingId, isScramMechanism, MAX_ITERATIONS, MIN_ITERATIONS, validateBinding, type AclBinding } from '@dms/security';

/** Structurally the gRPC messages, so the service passes requests through. */
export interface ScramUpsertion { user: string; mechanism: string; iterations: number; salt: Buffer; storedKey: Buffer; serverKey: Buffer }
export interface ScramDeletion { user: string; mechanism: string }
export interface UserResult { user: string; errorCode: number; errorMessage: string }
export interface AclResult { errorCode: number; errorMessage: string }

export interface SecurityManagerOptions {
  client: Etcd3;
  clusterName: string;
  fence: () => string | undefined;
}

/**
 * Writes SCRAM credentials (users/<name>) and ACL bindings (acls/<id>) on admin request, each
 * write fenced by the leader's election revision. Changes to one user are serialised here
 * because a user record holds every mechanism.
 */
export class SecurityManager {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: SecurityManagerOptions) {}

  alterScramCredentials(deletions: ScramDeletion[], upsertions: ScramUpsertion[]): Promise<UserResult[]> {
    return this.serial(async () => {
      const results: UserResult[] = [];
      const byUser = new Map<string, { deletions: ScramDeletion[]; upsertions: ScramUpsertion[] }>();
      for (const d of deletions) (byUser.get(d.user) ?? byUser.set(d.user, { deletions: [], upsertions: [] }).get(d.user)!).deletions.push(d);
      for (const u of upsertions) (byUser.get(u.user) ?? byUser.set(u.user, { deletions: [], upsertions: [] }).get(u.user)!).upsertions.push(u);
      for (const [user, ops] of byUser) results.push(await this.alterUser(user, ops.deletions, ops.upsertions));
      return results;
    });
  }

  private async alterUser(user: string, deletions: ScramDeletion[], upsertions: ScramUpsertion[]): Promise<UserResult> {
    const fail = (errorCode: number, errorMessage: string): UserResult => ({ user, errorCode, errorMessage });
    if (!user) return fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, 'user name must not be empty');
    for (const op of [...deletions, ...upsertions]) {
      if (!isScramMechanism(op.mechanism)) return fail(ErrorCode.UNSUPPORTED_SASL_MECHANISM, `unknown SCRAM mechanism ${op.mechanism}`);
    }
    for (const u of upsertions) {
      if (u.iterations < MIN_ITERATIONS || u.iterations > MAX_ITERATIONS) {
        return fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, `iterations must be within ${MIN_ITERATIONS}..${MAX_ITERATIONS}`);
      }
      if (u.salt.length === 0 || u.storedKey.length === 0 || u.serverKey.length === 0) return fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, 'empty salt or key');
    }
    const fence = this.opts.fence();
    if (!fence) return fail(ErrorCode.NOT_CONTROLLER, 'This is not the active controller.');
    const key = userKey(this.opts.clusterName, user);
    const current = await this.opts.client.get(key).exec();
    const kv = current.kvs[0];
    const record: UserRecord = userRecord.decode(kv?.value) ?? { scram: {} };
    for (const d of deletions) {
      if (!record.scram[d.mechanism]) return fail(ErrorCode.RESOURCE_NOT_FOUND, `no ${d.mechanism} credential for user ${user}`);
      delete record.scram[d.mechanism];
    }
    for (const u of upsertions) {
      record.scram[u.mechanism] = {
        salt: u.salt.toString('base64'), iterations: u.iterations, storedKey: u.storedKey.toString('base64'), serverKey: u.serverKey.toString('base64'),
      };
    }
    const txn = fencedTxn(this.opts.client, controllerLeaderKey(this.opts.clusterName), fence).and(key, 'Mod', '==', kv ? Number(kv.mod_revision) : 0);
    const op = Object.keys(record.scram).length === 0 ? this.opts.client.delete().key(key) : this.opts.client.put(key).value(userRecord.encode(record));
    try {
      const res = await txn.then(op).commit();
      if (!res.succeeded) return fail(ErrorCode.CONCURRENT_TRANSACTIONS, 'user changed concurrently; retry');
    } catch (e) {
      if (e instanceof NotLeaderError) return fail(ErrorCode.NOT_CONTROLLER, 'This is not the active controller.');
      throw e;
    }
    return { user, errorCode: ErrorCode.NONE, errorMessage: '' };
  }

  createAcls(bindings: AclRecord[]): Promise<AclResult[]> {
    return this.writeAcls(bindings, (b) => {
      const problem = validateBinding(b as AclBinding);
      if (problem) return { error: { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem } };
      const key = aclKey(this.opts.clusterName, bindingId(b as AclBinding));
      return { op: this.opts.client.put(key).value(aclRecord.encode(b)) };
    });
  }

  deleteAcls(bindings: AclRecord[]): Promise<AclResult[]> {
    return this.writeAcls(bindings, (b) => ({ op: this.opts.client.delete().key(aclKey(this.opts.clusterName, bindingId(b as AclBinding))) }));
  }

  private writeAcls(
    bindings: AclRecord[],
    plan: (b: AclRecord) => { op?: ReturnType<Etcd3['put']> | ReturnType<ReturnType<Etcd3['delete']>['key']>; error?: AclResult },
  ): Promise<AclResult[]> {
    return this.serial(async () => {
      const fence = this.opts.fence();
      if (!fence) return bindings.map(() => ({ errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'This is not the active controller.' }));
      const plans = bindings.map(plan);
      const ops = plans.flatMap((p) => (p.op ? [p.op] : []));
      if (ops.length > 0) {
        try {
          await fencedTxn(this.opts.client, controllerLeaderKey(this.opts.clusterName), fence).then(...ops).commit();
        } catch (e) {
          const msg = e instanceof NotLeaderError ? 'This is not the active controller.' : String((e as Error).message);
          const code = e instanceof NotLeaderError ? ErrorCode.NOT_CONTROLLER : ErrorCode.UNKNOWN_SERVER_ERROR;
          return bindings.map(() => ({ errorCode: code, errorMessage: msg }));
        }
      }
      return plans.map((p) => p.error ?? { errorCode: ErrorCode.NONE, errorMessage: '' });
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
