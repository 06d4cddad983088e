// UpdateFeatures (57)
// Behavior: finalizes, upgrades, downgrades or disables (level 0) cluster features of the table
//   in features.ts. Each update is checked against the range the gateway supports and the current
//   level (INVALID_UPDATE_VERSION: unknown feature, level out of range, a downgrade without a
//   downgrade type); a feature named twice is INVALID_REQUEST for the whole request. The new levels
//   are written by the leading controller as one compare-and-set of features/finalized against the
//   epoch the checks saw (FEATURE_UPDATE_FAILED when it moved meanwhile; run again). All updates
//   apply or none, as Kafka's controller does.
//   Needs ALTER on the CLUSTER, else CLUSTER_AUTHORIZATION_FAILED.
// Version notes: v0 allow_downgrade (taken as a safe downgrade); v1+ upgrade_type and
//   validate_only; v2 drops the per-feature results, the top-level error says it all.
// Not implemented: feature dependencies (no DMS feature depends on another yet).
import { ErrorCode } from '@dms/kafka-errors';
import { clusterAuthorized, Operation } from './authorize';
import { checkFeatureUpdate, finalizedLevels, supportedFeatures, UpgradeType } from './features';
import type { KafkaHandler } from './handler';

const CONTROLLER_TIMEOUT_MS = 30_000;

interface Update {
  feature: string;
  maxVersionLevel: number;
  upgradeType: number;
}

export function updateFeaturesHandler(handlers: () => readonly KafkaHandler[]): KafkaHandler {
  return {
    apiKey: 57,
    name: 'UpdateFeatures',
    minVersion: 0,
    maxVersion: 2,
    acl: ['CLUSTER:ALTER'],
    async handle(ctx, req: any, version) {
      const updates: Update[] = ((req.featureUpdates ?? []) as any[]).map((u) => ({
        feature: u.feature,
        maxVersionLevel: u.maxVersionLevel,
        upgradeType: version >= 1 ? u.upgradeType ?? UpgradeType.UPGRADE : u.allowDowngrade ? UpgradeType.SAFE_DOWNGRADE : UpgradeType.UPGRADE,
      }));
      const answer = (errorCode: number, errorMessage: string | null, perFeature?: Map<string, { errorCode: number; errorMessage: string | null }>) => ({
        throttleTimeMs: 0,
        errorCode,
        errorMessage,
        results: updates.map((u) => ({ feature: u.feature, ...(perFeature?.get(u.feature) ?? { errorCode, errorMessage }) })),
      });
      if (!clusterAuthorized(ctx, Operation.ALTER)) return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'The client is not authorized to alter features.');
      const names = new Set<string>();
      for (const u of updates) {
        if (names.has(u.feature)) return answer(ErrorCode.INVALID_REQUEST, `Feature ${u.feature} was specified more than once.`);
        names.add(u.feature);
      }
      if (updates.length === 0) return answer(ErrorCode.INVALID_REQUEST, 'No feature updates were given.');
      const supported = supportedFeatures(handlers());
      const recorded = ctx.cluster.finalizedFeatures();
      const levels = finalizedLevels(supported, recorded?.levels);
      const perFeature = new Map<string, { errorCode: number; errorMessage: string | null }>();
      let firstError: { errorCode: number; errorMessage: string } | undefined;
      for (const u of updates) {
        const why = checkFeatureUpdate(supported, levels.get(u.feature) ?? 0, u);
        if (why) {
          firstError ??= { errorCode: ErrorCode.INVALID_UPDATE_VERSION, errorMessage: why };
          perFeature.set(u.feature, { errorCode: ErrorCode.INVALID_UPDATE_VERSION, errorMessage: why });
        }
      }
      if (firstError) {
        // v0-v1 say per feature what was wrong and leave the top level at NONE (the others were not
        // applied either, and say so); v2 has the top-level error only.
        const notApplied = { errorCode: ErrorCode.INVALID_UPDATE_VERSION, errorMessage: 'Not applied: another update in the request is invalid.' };
        for (const u of updates) if (!perFeature.has(u.feature)) perFeature.set(u.feature, notApplied);
        return version >= 2 ? answer(firstError.errorCode, firstError.errorMessage) : answer(ErrorCode.NONE, null, perFeature);
      }
      if (version >= 1 && req.validateOnly) return answer(ErrorCode.NONE, null);
      for (const u of updates) {
        if (u.maxVersionLevel > 0) levels.set(u.feature, u.maxVersionLevel);
        else levels.delete(u.feature);
      }
      const outcome = await ctx.controller.updateFeatures(Object.fromEntries(levels), recorded?.epoch ?? 0n, CONTROLLER_TIMEOUT_MS);
      if (outcome.errorCode === ErrorCode.NONE && outcome.epoch > 0n) await ctx.cluster.awaitRevision(outcome.epoch, 5_000);
      return answer(outcome.errorCode, outcome.errorMessage);
    },
  };
}
