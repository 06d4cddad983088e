// `dms acls`: kafka-acls.sh's flags over CreateAcls / DescribeAcls / DeleteAcls.
import { Command } from 'commander';
import { createAcls, deleteAcls, describeAcls, processIo, type AclFilterSpec, type AclSpec, type CliIo } from '@dms/kafka-client';
import { AclOperation, AclPermissionType, CLUSTER_RESOURCE, parseOperation, parsePatternType, PatternType, ResourceType } from '@dms/security';
import { withAdminClient, withConnectOptions, type ConnectOptions } from './security-common';

interface AclCliOptions extends ConnectOptions {
  allowPrincipal: string[];
  denyPrincipal: string[];
  allowHost: string[];
  denyHost: string[];
  operation: string[];
  topic: string[];
  group: string[];
  transactionalId: string[];
  cluster?: boolean;
  principal?: string;
  resourcePatternType: string;
}

const collect = (v: string, acc: string[] = []) => [...acc, v];

function withAclOptions(cmd: Command): Command {
  return withConnectOptions(cmd)
    .option('--allow-principal <p>', 'principal to allow, e.g. User:alice (repeatable)', collect, [])
    .option('--deny-principal <p>', 'principal to deny (repeatable)', collect, [])
    .option('--allow-host <h>', 'host the allow entries apply to (default *)', collect, [])
    .option('--deny-host <h>', 'host the deny entries apply to (default *)', collect, [])
    .option('--operation <op>', 'Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All (repeatable)', collect, [])
    .option('--topic <name>', 'topic resource (repeatable; * for all)', collect, [])
    .option('--group <name>', 'consumer group resource (repeatable)', collect, [])
    .option('--transactional-id <id>', 'transactional id resource (repeatable)', collect, [])
    .option('--cluster', 'the cluster resource')
    .option('--principal <p>', 'list: only entries of this principal')
    .option('--resource-pattern-type <t>', 'literal or prefixed (list/remove: also any, match)', 'literal');
}

function resources(o: AclCliOptions): { type: ResourceType; name: string }[] {
  return [
    ...o.topic.map((name) => ({ type: ResourceType.TOPIC, name })),
    ...o.group.map((name) => ({ type: ResourceType.GROUP, name })),
    ...o.transactionalId.map((name) => ({ type: ResourceType.TRANSACTIONAL_ID, name })),
    ...(o.cluster ? [{ type: ResourceType.CLUSTER, name: CLUSTER_RESOURCE }] : []),
  ];
}

/** The bindings `create` adds: every resource x principal x host x operation. */
export function bindingsFrom(o: AclCliOptions): AclSpec[] {
  const res = resources(o);
  if (res.length === 0) throw new Error('name a resource: --topic, --group, --transactional-id or --cluster');
  if (o.operation.length === 0) throw new Error('name at least one --operation');
  const patternType = parsePatternType(o.resourcePatternType);
  if (patternType !== PatternType.LITERAL && patternType !== PatternType.PREFIXED) throw new Error('--resource-pattern-type must be literal or prefixed');
  const entries = [
    ...o.allowPrincipal.flatMap((principal) => (o.allowHost.length ? o.allowHost : ['*']).map((host) => ({ principal, host, permissionType: AclPermissionType.ALLOW as const }))),
    ...o.denyPrincipal.flatMap((principal) => (o.denyHost.length ? o.denyHost : ['*']).map((host) => ({ principal, host, permissionType: AclPermissionType.DENY as const }))),
  ];
  if (entries.length === 0) throw new Error('name --allow-principal or --deny-principal');
  const ops = o.operation.map(parseOperation);
  return res.flatMap((r) => entries.flatMap((e) => ops.map((operation) => ({
    resourceType: r.type, resourceName: r.name, patternType: r.type === ResourceType.CLUSTER ? PatternType.LITERAL : patternType, operation, ...e,
  }))));
}

/** Filters for list/remove: per named resource (or all), narrowed by principal and operation when given. */
export function filtersFrom(o: AclCliOptions): AclFilterSpec[] {
  const res = resources(o);
  const patternType = parsePatternType(o.resourcePatternType === 'literal' && res.length === 0 ? 'any' : o.resourcePatternType);
  const principals = [...o.allowPrincipal, ...o.denyPrincipal, ...(o.principal ? [o.principal] : [])];
  const ops = o.operation.length ? o.operation.map(parseOperation) : [AclOperation.ANY];
  const permission = o.allowPrincipal.length && !o.denyPrincipal.length ? AclPermissionType.ALLOW : o.denyPrincipal.length && !o.allowPrincipal.length ? AclPermissionType.DENY : AclPermissionType.ANY;
  const base = res.length ? res.map((r) => ({ resourceType: r.type as number, resourceName: r.name as string | null })) : [{ resourceType: ResourceType.ANY as number, resourceName: null }];
  return base.flatMap((b) => (principals.length ? principals : [null]).flatMap((principal) => ops.map((operation) => ({
    ...b, patternType, principal, host: null, operation, permissionType: permission,
  }))));
}

const name = (e: object, v: number) => Object.entries(e).find(([, n]) => n === v)?.[0] ?? String(v);
function format(a: AclSpec): string {
  return `${name(ResourceType, a.resourceType)}:${name(PatternType, a.patternType)}:${a.resourceName}\t${a.principal}\t${name(AclPermissionType, a.permissionType)}\t${name(AclOperation, a.operation)}\tfrom ${a.host}`;
}

export function register(program: Command, io: CliIo = processIo): void {
  const acls = program.command('acls').description("access control lists (Kafka's model; flags as kafka-acls.sh)");
  withAclOptions(acls.command('create').alias('add').description('add ACL entries'))
    .action((o: AclCliOptions) => withAdminClient(io, o, async (client) => {
      const list = bindingsFrom(o);
      await createAcls(client, list);
      io.out(o.json ? JSON.stringify(list) + '\n' : list.map((a) => `Added: ${format(a)}\n`).join(''));
    }));
  withAclOptions(acls.command('list').description('list ACL entries'))
    .action((o: AclCliOptions) => withAdminClient(io, o, async (client) => {
      const all: AclSpec[] = [];
      for (const f of filtersFrom(o)) all.push(...(await describeAcls(client, f)));
      io.out(o.json ? JSON.stringify(all) + '\n' : all.map((a) => format(a) + '\n').join(''));
    }));
  withAclOptions(acls.command('delete').alias('remove').description('delete matching ACL entries'))
    .action((o: AclCliOptions) => withAdminClient(io, o, async (client) => {
      const removed = await deleteAcls(client, filtersFrom(o));
      io.out(o.json ? JSON.stringify(removed) + '\n' : removed.map((a) => `Removed: ${format(a)}\n`).join(''));
    }));
}
