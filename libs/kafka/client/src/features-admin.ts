import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { ApiKey, type ApiVersionsResponse } from '@dms/kafka-schema';
import type { KafkaClient } from './client';

/** Cluster features through ApiVersions (Kafka's DescribeFeatures) and UpdateFeatures (what `dms features` calls). */

export interface FeatureDescription {
  name: string;
  supportedMinVersion: number;
  supportedMaxVersion: number;
  /** 0 when the feature is not finalized. */
  finalizedVersionLevel: number;
  epoch: bigint;
}

export async function describeFeatures(client: KafkaClient): Promise<FeatureDescription[]> {
  const res = await client.adminRequest<ApiVersionsResponse>(ApiKey.ApiVersions, { clientSoftwareName: 'dms-cli', clientSoftwareVersion: '0' });
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode);
  const finalized = new Map((res.finalizedFeatures ?? []).map((f) => [f.name, f.maxVersionLevel]));
  const epoch = res.finalizedFeaturesEpoch ?? -1n;
  return (res.supportedFeatures ?? [])
    .map((f) => ({ name: f.name, supportedMinVersion: f.minVersion, supportedMaxVersion: f.maxVersion, finalizedVersionLevel: finalized.get(f.name) ?? 0, epoch }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Kafka's FeatureUpdate.UpgradeType. */
export type UpgradeTypeName = 'upgrade' | 'safe-downgrade' | 'unsafe-downgrade';
const UPGRADE_TYPE_CODES: Record<UpgradeTypeName, number> = { upgrade: 1, 'safe-downgrade': 2, 'unsafe-downgrade': 3 };

export interface FeatureUpdateResult {
  feature: string;
  errorCode: number;
  errorMessage: string | null;
}

/** UpdateFeatures: every update with the same upgrade type; a top-level error (all v2 has) becomes every feature's, as Kafka's admin client reports it. */
export async function updateFeatures(
  client: KafkaClient,
  updates: readonly { feature: string; level: number }[],
  upgradeType: UpgradeTypeName,
  validateOnly = false,
  timeoutMs = 30_000,
): Promise<FeatureUpdateResult[]> {
  const res = await client.adminRequest<any>(ApiKey.UpdateFeatures, {
    timeoutMs,
    featureUpdates: updates.map((u) => ({
      feature: u.feature,
      maxVersionLevel: u.level,
      allowDowngrade: upgradeType !== 'upgrade',
      upgradeType: UPGRADE_TYPE_CODES[upgradeType],
    })),
    validateOnly,
  }, timeoutMs + 5_000);
  if (res.errorCode !== ErrorCode.NONE) return updates.map((u) => ({ feature: u.feature, errorCode: res.errorCode, errorMessage: res.errorMessage ?? null }));
  const results: FeatureUpdateResult[] = ((res.results ?? []) as any[]).map((r) => ({ feature: r.feature, errorCode: r.errorCode, errorMessage: r.errorMessage ?? null }));
  // v2 answers no per-feature results: every feature then succeeded.
  return results.length > 0 ? results : updates.map((u) => ({ feature: u.feature, errorCode: ErrorCode.NONE, errorMessage: null }));
}

/** kafka-features.sh's `--feature name=level` syntax. */
export function parseFeatureLevel(spec: string): { feature: string; level: number } {
  const eq = spec.indexOf('=');
  const feature = eq > 0 ? spec.slice(0, eq).trim() : '';
  const levelText = eq > 0 ? spec.slice(eq + 1).trim() : '';
  if (!feature || !/^\d{1,5}$/.test(levelText) || Number(levelText) > 32767) {
    throw new Error(`--feature must be name=level with a level in 0..32767, got '${spec}'`);
  }
  return { feature, level: Number(levelText) };
}
