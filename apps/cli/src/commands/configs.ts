// `dms configs`: kafka-configs.sh's flags over DescribeConfigs / IncrementalAlterConfigs.
import { Command, Option } from 'commander';
import {
  alterConfigs, describeConfigs, parseAddConfig, processIo, RESOURCE_BROKER, RESOURCE_GROUP, RESOURCE_TOPIC,
  type CliIo, type ConfigEntry, type ConfigResourceSpec,
} from '@dms/kafka-client';
import { withAdminClient, withConnectOptions, type ConnectOptions } from './security-common';

interface ConfigsOptions extends ConnectOptions {
  entityType?: 'topics' | 'brokers' | 'groups';
  entityName?: string;
  entityDefault?: boolean;
  describe?: boolean;
  all?: boolean;
  alter?: boolean;
  addConfig: string[];
  deleteConfig: string[];
}

const collect = (v: string, acc: string[] = []) => [...acc, v];

/** The resource the flags name, as kafka-configs.sh validates them. */
export function resourceOf(o: ConfigsOptions): ConfigResourceSpec {
  if (!o.entityType) throw new Error('--entity-type topics|brokers|groups is required');
  if (o.entityDefault && o.entityName !== undefined) throw new Error('give only one of --entity-name and --entity-default');
  if (o.entityType === 'topics') {
    if (o.entityDefault) throw new Error('--entity-default is only valid with --entity-type brokers');
    if (!o.entityName) throw new Error('--entity-name is required for topics');
    return { type: RESOURCE_TOPIC, name: o.entityName };
  }
  if (o.entityType === 'groups') {
    if (o.entityDefault) throw new Error('--entity-default is only valid with --entity-type brokers');
    if (!o.entityName) throw new Error('--entity-name is required for groups');
    return { type: RESOURCE_GROUP, name: o.entityName };
  }
  if (o.entityDefault) return { type: RESOURCE_BROKER, name: '' };
  if (!o.entityName || !/^\d+$/.test(o.entityName)) throw new Error('brokers need --entity-name <broker id> or --entity-default');
  return { type: RESOURCE_BROKER, name: o.entityName };
}

function entityText(r: ConfigResourceSpec): string {
  if (r.type === RESOURCE_TOPIC) return `topic ${r.name}`;
  if (r.type === RESOURCE_GROUP) return `group ${r.name}`;
  return r.name === '' ? 'brokers in the cluster' : `broker ${r.name}`;
}

/** Without --all, kafka-configs.sh shows only the values set dynamically on the entity itself. */
function shown(entries: ConfigEntry[], r: ConfigResourceSpec, all: boolean): ConfigEntry[] {
  if (all) return entries;
  const dynamic = r.type === RESOURCE_TOPIC ? ['DYNAMIC_TOPIC_CONFIG'] : r.type === RESOURCE_GROUP ? ['GROUP_CONFIG'] : r.name === '' ? ['DYNAMIC_DEFAULT_BROKER_CONFIG'] : ['DYNAMIC_BROKER_CONFIG'];
  return entries.filter((e) => dynamic.includes(e.source));
}

function describeText(entries: ConfigEntry[], r: ConfigResourceSpec, all: boolean): string {
  const head = r.type === RESOURCE_BROKER && r.name === ''
    ? 'Default configs for brokers in the cluster are:'
    : `${all ? 'All' : 'Dynamic'} configs for ${entityText(r)} are:`;
  const lines = entries.map((e) => {
    const syn = e.synonyms.map((s) => `${s.source}:${s.name}=${s.value ?? 'null'}`).join(', ');
    return `  ${e.name}=${e.sensitive ? 'null' : e.value ?? 'null'} sensitive=${e.sensitive} synonyms={${syn}}`;
  });
  return [head, ...lines].join('\n') + '\n';
}

export function register(program: Command, io: CliIo = processIo): void {
  withConnectOptions(program.command('configs').description('describe or alter topic, broker and group configs, like kafka-configs.sh'))
    .addOption(new Option('--entity-type <type>', 'topics, brokers or groups').choices(['topics', 'brokers', 'groups']))
    .option('--entity-name <name>', 'topic name, broker id or group id')
    .option('--entity-default', 'the cluster-wide default of brokers')
    .option('--describe', 'list configs (only the ones set on the entity unless --all)')
    .option('--all', 'with --describe: every config with its effective value')
    .option('--alter', 'change configs (with --add-config and/or --delete-config)')
    .option('--add-config <k=v,...>', 'configs to set: k1=v1,k2=[a,b] (repeatable)', collect, [])
    .option('--delete-config <k,...>', 'configs to remove (repeatable, comma-separated)', collect, [])
    .action((o: ConfigsOptions) => withAdminClient(io, o, async (client) => {
      if (!!o.describe === !!o.alter) throw new Error('give exactly one of --describe and --alter');
      const resource = resourceOf(o);
      if (o.describe) {
        const entries = shown(await describeConfigs(client, resource), resource, !!o.all);
        io.out(o.json ? `${JSON.stringify(entries)}\n` : describeText(entries, resource, !!o.all));
        return;
      }
      const set = Object.assign({}, ...o.addConfig.map(parseAddConfig)) as Record<string, string>;
      const remove = o.deleteConfig.flatMap((d) => d.split(',').map((s) => s.trim()).filter(Boolean));
      if (Object.keys(set).length === 0 && remove.length === 0) throw new Error('--alter needs --add-config or --delete-config');
      await alterConfigs(client, resource, set, remove);
      const what = resource.type === RESOURCE_BROKER && resource.name === '' ? 'default config for brokers in the cluster' : `config for ${entityText(resource)}`;
      io.out(o.json ? `${JSON.stringify({ altered: true, set, deleted: remove })}\n` : `Completed updating ${what}.\n`);
    }));
}
