// `dms features`: kafka-features.sh's subcommands over ApiVersions (describe) and UpdateFeatures.
import type { Command } from 'commander';
import { describeFeatures, errorName, parseFeatureLevel, processIo, updateFeatures, type CliIo, type FeatureDescription, type UpgradeTypeName } from '@dms/kafka-client';
import { withAdminClient, withConnectOptions, type ConnectOptions } from './security-common';

interface UpdateOptions extends ConnectOptions {
  feature: string[];
  dryRun?: boolean;
  unsafe?: boolean;
}

const collect = (v: string, acc: string[] = []) => [...acc, v];

export function describeText(features: FeatureDescription[]): string {
  return features
    .map((f) => `Feature: ${f.name}\tSupportedMinVersion: ${f.supportedMinVersion}\tSupportedMaxVersion: ${f.supportedMaxVersion}\tFinalizedVersionLevel: ${f.finalizedVersionLevel}\tEpoch: ${f.epoch}\n`)
    .join('');
}

const PAST: Record<'upgrade' | 'downgrade' | 'disable', string> = { upgrade: 'upgraded to', downgrade: 'downgraded to', disable: 'disabled' };

function runUpdate(io: CliIo, o: UpdateOptions, action: 'upgrade' | 'downgrade' | 'disable') {
  return withAdminClient(io, o, async (client) => {
    if (o.feature.length === 0) throw new Error('give at least one --feature');
    const updates = action === 'disable'
      ? o.feature.map((f) => ({ feature: f.trim(), level: 0 }))
      : o.feature.map(parseFeatureLevel);
    const type: UpgradeTypeName = action === 'upgrade' ? 'upgrade' : o.unsafe ? 'unsafe-downgrade' : 'safe-downgrade';
    const results = await updateFeatures(client, updates, type, !!o.dryRun);
    if (o.json) io.out(`${JSON.stringify(results)}\n`);
    let failed = false;
    for (const u of updates) {
      const r = results.find((x) => x.feature === u.feature);
      const target = action === 'disable' ? PAST.disable : `${PAST[action]} ${u.level}`;
      if (r && r.errorCode !== 0) {
        failed = true;
        if (!o.json) io.out(`Could not ${action} ${u.feature}${action === 'disable' ? '' : ` to ${u.level}`}. ${errorName(r.errorCode)}: ${r.errorMessage ?? ''}\n`);
      } else if (!o.json) {
        io.out(o.dryRun ? `${u.feature} can be ${target}.\n` : `${u.feature} was ${target}.\n`);
      }
    }
    if (failed) process.exitCode = 1;
  });
}

export function register(program: Command, io: CliIo = processIo): void {
  const features = program.command('features').description('describe and finalize cluster features, like kafka-features.sh');
  withConnectOptions(features.command('describe').description('supported range and finalized level of every feature'))
    .action((o: ConnectOptions) => withAdminClient(io, o, async (client) => {
      const list = await describeFeatures(client);
      io.out(o.json ? `${JSON.stringify(list, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))}\n` : describeText(list));
    }));
  for (const action of ['upgrade', 'downgrade', 'disable'] as const) {
    const cmd = withConnectOptions(features.command(action).description(
      action === 'upgrade' ? 'finalize features at higher levels' : action === 'downgrade' ? 'lower finalized feature levels' : 'set features to level 0',
    ))
      .option('--feature <spec>', action === 'disable' ? 'a feature name (repeatable)' : 'name=level (repeatable)', collect, [])
      .option('--dry-run', 'validate only; change nothing');
    if (action !== 'upgrade') cmd.option('--unsafe', 'an unsafe downgrade (may lose metadata)');
    cmd.action((o: UpdateOptions) => runUpdate(io, o, action));
  }
}
