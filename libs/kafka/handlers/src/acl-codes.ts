import type { AclEntry } from './ports';

// Shared by the three ACL handlers: Kafka's filter semantics over AclEntry values.
const ANY = 1;
const MATCH = 2;
const LITERAL = 3;
const PREFIXED = 4;

export interface WireAclFilter {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter?: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}

/** Kafka's AclBindingFilter.matches. v0 requests have no pattern type: they mean LITERAL. */
export function aclFilterMatches(f: WireAclFilter, b: AclEntry): boolean {
  const pattern = f.patternTypeFilter ?? LITERAL;
  if (f.resourceTypeFilter !== ANY && f.resourceTypeFilter !== b.resourceType) return false;
  if (f.operation !== ANY && f.operation !== b.operation) return false;
  if (f.permissionType !== ANY && f.permissionType !== b.permissionType) return false;
  if (f.principalFilter !== null && f.principalFilter !== b.principal) return false;
  if (f.hostFilter !== null && f.hostFilter !== b.host) return false;
  const name = f.resourceNameFilter;
  if (pattern === ANY) return name === null || name === b.resourceName;
  if (pattern === LITERAL || pattern === PREFIXED) return pattern === b.patternType && (name === null || name === b.resourceName);
  if (pattern === MATCH) {
    if (name === null) return true;
    if (b.patternType === LITERAL) return b.resourceName === name || b.resourceName === '*';
    return name.startsWith(b.resourceName);
  }
  return false;
}

/** Unknown codes (0) and out-of-range values make a filter or binding invalid. */
export function validFilter(f: WireAclFilter): boolean {
  const p = f.patternTypeFilter ?? LITERAL;
  return f.resourceTypeFilter >= 1 && f.resourceTypeFilter <= 7 && p >= 1 && p <= 4 && f.operation >= 1 && f.operation <= 14 &&
    f.permissionType >= 1 && f.permissionType <= 3;
}
