import type { Etcd3 } from 'etcd3';
import { aclRecord, aclsPrefix, parseAclKey, parseUserKey, PrefixWatch, userRecord, usersPrefix, type AclRecord, type UserRecord } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import type { AclEntry, ConnectionSession, SaslExchange, ScramUpsertionSpec, ScramUserInfo, SecurityPort } from '@dms/kafka-handlers';
import type { Logger } from '@dms/platform';
import {
  AuthBackoff,
  Authorizer,
  createSaslServer,
  credentialFromSalted,
  isScramMechanism,
  type AclBinding,
  type ScramCredential,
  type ScramMechanism,
  type UnknownUserSalt,
} from '@dms/security';
import type { GatewayControllerPort } from './controller-port';

export interface SecurityOptions {
  clusterName: string;
  enabledMechanisms: string[];
  authorizerEnabled: boolean;
  superUsers: string[];
  allowEveryoneIfNoAclFound: boolean;
  failedAuthenticationDelayMs: number;
  /** Cap of the per-address doubling delay; default 5000. */
  failedAuthenticationDelayMaxMs?: number;
  /** Salts told to unknown users; the gateway derives them from the cluster's secret in etcd. */
  unknownUserSalt?: UnknownUserSalt;
  /** A refused login was counted (metrics). */
  onFailedAuthentication?(mechanism: string): void;
  logger: Logger;
}

/**
 * The gateway's SecurityPort: users and ACLs watched from etcd (a change applies to the next
 * request of every connection), authentication over those credentials, admin writes through
 * the controller leader.
 */
export class GatewaySecurityPort implements SecurityPort {
  private readonly users: PrefixWatch<UserRecord>;
  private readonly aclWatch: PrefixWatch<AclRecord>;
  private readonly authorizer: Authorizer;
  private aclList: AclEntry[] = [];
  private readonly backoff: AuthBackoff;
  readonly ready: Promise<void>;

  constructor(etcd: Etcd3, private readonly controller: GatewayControllerPort, private readonly opts: SecurityOptions) {
    this.backoff = new AuthBackoff({ baseMs: opts.failedAuthenticationDelayMs, maxMs: Math.max(opts.failedAuthenticationDelayMaxMs ?? 5000, opts.failedAuthenticationDelayMs) });
    this.authorizer = new Authorizer({ superUsers: opts.superUsers, allowEveryoneIfNoAclFound: opts.allowEveryoneIfNoAclFound });
    const name = opts.clusterName;
    this.users = new PrefixWatch<UserRecord>(etcd, {
      prefix: usersPrefix(name),
      decode: (key, value) => (parseUserKey(name, key) !== undefined ? userRecord.decode(value) : undefined),
      log: opts.logger,
    }).start();
    this.aclWatch = new PrefixWatch<AclRecord>(etcd, {
      prefix: aclsPrefix(name),
      decode: (key, value) => (parseAclKey(name, key) !== undefined ? aclRecord.decode(value) : undefined),
      log: opts.logger,
    }).start();
    const refresh = () => {
      this.aclList = [...this.aclWatch.map.values()].map((e) => e.value);
      this.authorizer.setBindings(this.aclList as AclBinding[]);
    };
    this.aclWatch.on('change', refresh);
    this.aclWatch.on('synced', refresh);
    this.ready = Promise.all([this.users.ready, this.aclWatch.ready]).then(refresh);
  }

  async close(): Promise<void> {
    await Promise.all([this.users.close(), this.aclWatch.close()]);
  }

  enabledMechanisms(): string[] {
    return this.opts.enabledMechanisms;
  }

  saslExchange(mechanism: string): SaslExchange {
    return createSaslServer(mechanism, (user, m) => this.credential(user, m), { unknownUserSalt: this.opts.unknownUserSalt });
  }

  private credential(user: string, m: ScramMechanism): ScramCredential | undefined {
    let key: string;
    try {
      key = `${usersPrefix(this.opts.clusterName)}${encodeURIComponent(user)}`;
    } catch {
      return undefined;
    }
    const c = this.users.get(key)?.value.scram[m];
    if (!c) return undefined;
    return { salt: Buffer.from(c.salt, 'base64'), iterations: c.iterations, storedKey: Buffer.from(c.storedKey, 'base64'), serverKey: Buffer.from(c.serverKey, 'base64') };
  }

  attemptDelayMs(session: ConnectionSession): number {
    return this.backoff.reserveAttempt(session.host);
  }

  authenticationSucceeded(session: ConnectionSession): void {
    this.backoff.succeeded(session.host);
  }

  authenticationFailed(session: ConnectionSession, mechanism: string, reason: string): number {
    const delayMs = this.backoff.failed(session.host);
    this.opts.onFailedAuthentication?.(mechanism);
    this.opts.logger.warn({ listener: session.listenerName, host: session.host, mechanism, reason, delayMs }, 'failed authentication');
    return delayMs;
  }

  authorizerEnabled(): boolean {
    return this.opts.authorizerEnabled;
  }

  authorize(principal: string, host: string, operation: number, resourceType: number, resourceName: string): boolean {
    if (!this.opts.authorizerEnabled) return true;
    return this.authorizer.authorize(principal, host, operation, resourceType, resourceName);
  }

  authorizeByResourceType(principal: string, host: string, operation: number, resourceType: number): boolean {
    if (!this.opts.authorizerEnabled) return true;
    return this.authorizer.authorizeByResourceType(principal, host, operation, resourceType);
  }

  acls(): AclEntry[] {
    return this.aclList;
  }

  async createAcls(bindings: AclEntry[]) {
    const res = await this.controller.createAcls(bindings);
    return res.map((r) => ({ errorCode: r.errorCode, errorMessage: r.errorMessage || null }));
  }

  async deleteAcls(bindings: AclEntry[]) {
    const res = await this.controller.deleteAcls(bindings);
    return res.map((r) => ({ errorCode: r.errorCode, errorMessage: r.errorMessage || null }));
  }

  scramUsers(): ScramUserInfo[] {
    const out: ScramUserInfo[] = [];
    for (const [key, e] of this.users.map) {
      const user = parseUserKey(this.opts.clusterName, key);
      if (user === undefined) continue;
      out.push({ user, credentials: Object.entries(e.value.scram).map(([mechanism, c]) => ({ mechanism, iterations: c.iterations })) });
    }
    return out.sort((a, b) => a.user.localeCompare(b.user));
  }

  async alterScramCredentials(deletions: { user: string; mechanism: string }[], upsertions: ScramUpsertionSpec[]) {
    const derived = [];
    const refused: { user: string; errorCode: number; errorMessage: string | null }[] = [];
    for (const u of upsertions) {
      if (!isScramMechanism(u.mechanism)) {
        refused.push({ user: u.user, errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: `unknown mechanism ${u.mechanism}` });
        continue;
      }
      const c = credentialFromSalted(u.mechanism, u.saltedPassword, u.salt, u.iterations);
      derived.push({ user: u.user, mechanism: u.mechanism, iterations: u.iterations, salt: u.salt, storedKey: c.storedKey, serverKey: c.serverKey });
    }
    const res = deletions.length + derived.length > 0 ? await this.controller.alterScramCredentials(deletions, derived) : [];
    return [...refused, ...res.map((r) => ({ user: r.user, errorCode: r.errorCode, errorMessage: r.errorMessage || null }))];
  }
}
