// `dms client-metrics`: kafka-client-metrics.sh's flags over IncrementalAlterConfigs,
// DescribeConfigs and ListConfigResources on CLIENT_METRICS resources (KIP-714 subscriptions).
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import {
  alterConfigs, describeConfigs, listClientMetricsResources, processIo, RESOURCE_CLIENT_METRICS, type CliIo,
} from '@dms/kafka-client';
import { withAdminClient, withConnectOptions, type ConnectOptions } from './security-common';

export interface ClientMetricsOptions extends ConnectOptions {
  list?: boolean;
  describe?: boolean;
  alter?: boolean;
  delete?: boolean;
  name?: string;
  generateName?: boolean;
  metrics?: string;
  interval?: string;
  match?: string;
}

/** kafka-client-metrics.sh's argument checks; returns the action. */
export function checkArgs(o: ClientMetricsOptions): 'list' | 'describe' | 'alter' | 'delete' {
  const actions = (['alter', 'delete', 'describe', 'list'] as const).filter((a) => o[a]);
  if (actions.length !== 1) throw new Error('Command must include exactly one action: --alter, --delete, --describe or --list.');
  const action = actions[0]!;
  const settings = o.metrics !== undefined || o.interval !== undefined || o.match !== undefined || o.generateName;
  if (action !== 'alter' && settings) throw new Error(`--${action} takes none of --generate-name, --interval, --match, --metrics.`);
  if (action === 'list' && o.name !== undefined) throw new Error('--list takes no --name.');
  if (action === 'alter' && (o.name !== undefined) === !!o.generateName) throw new Error('One of --name or --generate-name must be specified with --alter.');
  if (action === 'delete' && o.name === undefined) throw new Error('A client metric name must be specified with --delete.');
  if (o.interval !== undefined && o.interval !== '' && !/^\d+$/.test(o.interval)) throw new Error(`--interval must be a number of milliseconds, got '${o.interval}'`);
  return action;
}

/** The keys --alter sets (an empty value deletes the key, as Kafka's tool does). */
export function alterations(o: ClientMetricsOptions): { set: Record<string, string>; remove: string[] } {
  const given: Record<string, string | undefined> = { 'interval.ms': o.interval, metrics: o.metrics, match: o.match };
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined) continue;
    if (v.trim() === '') remove.push(k);
    else set[k] = v.split(',').map((s) => s.trim()).filter(Boolean).join(',');
  }
  return { set, remove };
}

export function register(program: Command, io: CliIo = processIo): void {
  withConnectOptions(program.command('client-metrics').description('define client metrics subscriptions (KIP-714), like kafka-client-metrics.sh'))
    .option('--list', 'list the client metrics subscriptions')
    .option('--describe', 'show subscriptions (all, or --name)')
    .option('--alter', 'create or change a subscription (--name or --generate-name)')
    .option('--delete', 'delete a subscription (--name)')
    .option('--name <name>', 'subscription name')
    .option('--generate-name', 'with --alter: a random UUID as the name')
    .option('--metrics <m1,m2>', 'metric name prefixes to push (* for all; empty to remove)')
    .option('--interval <ms>', 'push interval in milliseconds (empty to reset)')
    .option('--match <k1=v1,k2=v2>', 'selectors: client_id, client_instance_id, client_software_name, client_software_version, client_source_address, client_source_port (regex values)')
    .action((o: ClientMetricsOptions) => withAdminClient(io, o, async (client) => {
      const action = checkArgs(o);
      if (action === 'list') {
        const names = await listClientMetricsResources(client);
        io.out(o.json ? `${JSON.stringify(names)}\n` : names.map((n) => `${n}\n`).join(''));
        return;
      }
      if (action === 'describe') {
        const names = o.name !== undefined ? [o.name] : await listClientMetricsResources(client);
        const described: Record<string, Record<string, string | null>> = {};
        for (const name of names) {
          const entries = await describeConfigs(client, { type: RESOURCE_CLIENT_METRICS, name });
          described[name] = Object.fromEntries(entries.map((e) => [e.name, e.value]));
        }
        if (o.json) io.out(`${JSON.stringify(described)}\n`);
        else for (const [name, configs] of Object.entries(described)) {
          io.out(`Client metrics configs for ${name} are:\n${Object.entries(configs).map(([k, v]) => `  ${k}=${v ?? ''}\n`).join('')}`);
        }
        return;
      }
      const name = o.generateName ? randomUUID() : o.name!;
      const resource = { type: RESOURCE_CLIENT_METRICS, name };
      if (action === 'delete') {
        const current = await describeConfigs(client, resource);
        await alterConfigs(client, resource, {}, current.map((e) => e.name));
        io.out(`Deleted client metrics config for ${name}.\n`);
        return;
      }
      const { set, remove } = alterations(o);
      if (Object.keys(set).length === 0 && remove.length === 0) throw new Error('--alter needs --metrics, --interval or --match');
      await alterConfigs(client, resource, set, remove);
      io.out(`Altered client metrics config for ${name}.\n`);
    }));
}
