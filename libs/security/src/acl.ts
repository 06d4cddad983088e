// Kafka's ACL model: the enums carry Kafka's wire codes so requests map onto them directly.

export enum ResourceType { UNKNOWN = 0, ANY = 1, TOPIC = 2, GROUP = 3, CLUSTER = 4, TRANSACTIONAL_ID = 5, DELEGATION_TOKEN = 6, USER = 7 }
export enum PatternType { UNKNOWN = 0, ANY = 1, MATCH = 2, LITERAL = 3, PREFIXED = 4 }
export enum AclOperation {
  UNKNOWN = 0, ANY = 1, ALL = 2, READ = 3, WRITE = 4, CREATE = 5, DELETE = 6, ALTER = 7, DESCRIBE = 8,
  CLUSTER_ACTION = 9, DESCRIBE_CONFIGS = 10, ALTER_CONFIGS = 11, IDEMPOTENT_WRITE = 12, CREATE_TOKENS = 13, DESCRIBE_TOKENS = 14,
}
export enum AclPermissionType { UNKNOWN = 0, ANY = 1, DENY = 2, ALLOW = 3 }

export const CLUSTER_RESOURCE = 'kafka-cluster';
export const WILDCARD = '*';

/** One ACL binding as stored: a resource pattern plus one access control entry. */
export interface AclBinding {
  resourceType: ResourceType;
  resourceName: string;
  patternType: PatternType.LITERAL | PatternType.PREFIXED;
  principal: string;
  host: string;
  operation: AclOperation;
  permissionType: AclPermissionType.ALLOW | AclPermissionType.DENY;
}

/** DescribeAcls / DeleteAcls filter: nulls and ANY match everything. */
export interface AclFilter {
  resourceType: ResourceType;
  resourceName: string | null;
  patternType: PatternType;
  principal: string | null;
  host: string | null;
  operation: AclOperation;
  permissionType: AclPermissionType;
}

/** Why a binding cannot be created, or null. Mirrors Kafka's CreateAcls validation. */
export function validateBinding(b: AclBinding): string | null {
  if (![ResourceType.TOPIC, ResourceType.GROUP, ResourceType.CLUSTER, ResourceType.TRANSACTIONAL_ID, ResourceType.DELEGATION_TOKEN, ResourceType.USER].includes(b.resourceType)) {
    return 'invalid resource type';
  }
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return 'pattern type must be LITERAL or PREFIXED';
  if (b.operation <= AclOperation.ANY || b.operation > AclOperation.DESCRIBE_TOKENS) return 'invalid operation';
  if (b.permissionType !== AclPermissionType.ALLOW && b.permissionType !== AclPermissionType.DENY) return 'permission must be ALLOW or DENY';
  if (!b.resourceName) return 'resource name must not be empty';
  if (b.resourceType === ResourceType.CLUSTER && (b.resourceName !== CLUSTER_RESOURCE || b.patternType !== PatternType.LITERAL)) {
    return `the cluster resource is the literal '${CLUSTER_RESOURCE}'`;
  }
  if (b.patternType === PatternType.PREFIXED && b.resourceName === WILDCARD) return "a prefixed pattern cannot be '*'";
  if (!/^[^:]+:.+$/.test(b.principal)) return `principal '${b.principal}' must look like User:name`;
  if (!b.host) return 'host must not be empty';
  return null;
}

/** Does a stored binding match a Describe/Delete filter (Kafka's AclBindingFilter.matches)? */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== b.operation) return false;
  if (f.permissionType !== AclPermissionType.ANY && f.permissionType !== b.permissionType) return false;
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  switch (f.patternType) {
    case PatternType.ANY:
      return f.resourceName === null || f.resourceName === b.resourceName;
    case PatternType.LITERAL:
    case PatternType.PREFIXED:
      return f.patternType === b.patternType && (f.resourceName === null || f.resourceName === b.resourceName);
    case PatternType.MATCH:
      // Every binding that would apply to the named resource.
      if (f.resourceName === null) return true;
      if (b.patternType === PatternType.LITERAL) return b.resourceName === f.resourceName || b.resourceName === WILDCARD;
      return f.resourceName.startsWith(b.resourceName);
    default:
      return false;
  }
}

/** A stable identity for a binding (its etcd key suffix); equal bindings share it. */
export function bindingId(b: AclBinding): string {
  return [b.resourceType, b.patternType, b.operation, b.permissionType, b.resourceName, b.principal, b.host]
    .map((v) => encodeURIComponent(String(v)))
    .join('|');
}

const byName = <E extends object>(e: E, what: string) => (s: string): number => {
  const key = s.trim().toUpperCase().replace(/-/g, '_');
  const v = (e as Record<string, unknown>)[key];
  if (typeof v !== 'number') throw new Error(`unknown ${what} '${s}'`);
  return v;
};
export const parseOperation = byName(AclOperation, 'operation');
export const parseResourceType = byName(ResourceType, 'resource type');
export const parsePatternType = byName(PatternType, 'resource pattern type');
