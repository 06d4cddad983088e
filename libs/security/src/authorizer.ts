import { AclOperation, AclPermissionType, PatternType, ResourceType, WILDCARD, type AclBinding } from './acl';

export interface AuthorizerConfig {
  /** "User:name" principals allowed everything. */
  superUsers: readonly string[];
  /** What a resource with no ACL at all allows (Kafka's allow.everyone.if.no.acl.found). */
  allowEveryoneIfNoAclFound: boolean;
}

/** Operations that imply others when allowed (Kafka: READ/WRITE/DELETE/ALTER allow DESCRIBE). */
function allowingOps(op: AclOperation): AclOperation[] {
  switch (op) {
    case AclOperation.DESCRIBE:
      return [AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER];
    case AclOperation.DESCRIBE_CONFIGS:
      return [AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS];
    default:
      return [op];
  }
}

/**
 * Kafka's standard authorizer decision over an in-memory set of bindings: super users pass; a
 * DENY matching principal (or User:*), host (or *) and operation (or ALL) wins; else an ALLOW
 * for the operation or one implying it; a resource with no binding at all follows
 * allow.everyone.if.no.acl.found. Decisions are memoised until the bindings change.
 */
export class Authorizer {
  private byType = new Map<ResourceType, AclBinding[]>();
  private memo = new Map<string, boolean>();

  constructor(private readonly config: AuthorizerConfig) {}

  /** Replaces the binding set (called on every watch change). */
  setBindings(bindings: Iterable<AclBinding>): void {
    const byType = new Map<ResourceType, AclBinding[]>();
    for (const b of bindings) {
      let list = byType.get(b.resourceType);
      if (!list) byType.set(b.resourceType, (list = []));
      list.push(b);
    }
    this.byType = byType;
    this.memo = new Map();
  }

  authorize(principal: string, host: string, op: AclOperation, type: ResourceType, name: string): boolean {
    if (this.config.superUsers.includes(principal)) return true;
    const key = `${principal}\0${host}\0${op}\0${type}\0${name}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    const result = this.decide(principal, host, op, type, name);
    if (this.memo.size > 100_000) this.memo.clear();
    this.memo.set(key, result);
    return result;
  }

  /**
   * Kafka's authorizeByResourceType: true when some ALLOW binding (literal or prefixed) lets the
   * principal perform `op` on a resource of the type without a DENY covering that resource (a
   * literal wildcard DENY covers all). A type with no binding follows allow.everyone.if.no.acl.found.
   */
  authorizeByResourceType(principal: string, host: string, op: AclOperation, type: ResourceType): boolean {
    if (this.config.superUsers.includes(principal)) return true;
    const bindings = this.byType.get(type) ?? [];
    if (bindings.length === 0) return this.config.allowEveryoneIfNoAclFound;
    const applies = (b: AclBinding) =>
      (b.principal === principal || b.principal === 'User:*') && (b.host === host || b.host === WILDCARD);
    const denies = bindings.filter((b) => b.permissionType === AclPermissionType.DENY && applies(b) && (b.operation === op || b.operation === AclOperation.ALL));
    const covered = (allow: AclBinding) =>
      denies.some((d) =>
        d.patternType === PatternType.LITERAL
          ? d.resourceName === WILDCARD || (allow.patternType === PatternType.LITERAL && d.resourceName === allow.resourceName)
          : allow.resourceName.startsWith(d.resourceName),
      );
    const ops = allowingOps(op);
    return bindings.some(
      (b) => b.permissionType === AclPermissionType.ALLOW && applies(b) && (b.operation === AclOperation.ALL || ops.includes(b.operation)) && !covered(b),
    );
  }

  private decide(principal: string, host: string, op: AclOperation, type: ResourceType, name: string): boolean {
    const matching = (this.byType.get(type) ?? []).filter((b) =>
      b.patternType === PatternType.LITERAL ? b.resourceName === name || b.resourceName === WILDCARD : name.startsWith(b.resourceName),
    );
    if (matching.length === 0) return this.config.allowEveryoneIfNoAclFound;
    const applies = (b: AclBinding) =>
      (b.principal === principal || b.principal === 'User:*') && (b.host === host || b.host === WILDCARD);
    const denied = matching.some((b) => b.permissionType === AclPermissionType.DENY && applies(b) && (b.operation === op || b.operation === AclOperation.ALL));
    if (denied) return false;
    const ops = allowingOps(op);
    return matching.some((b) => b.permissionType === AclPermissionType.ALLOW && applies(b) && (b.operation === AclOperation.ALL || ops.includes(b.operation)));
  }
}
