// The cluster features DMS knows (Kafka's feature versioning, KIP-584), declared once. Each level
// of a feature names the API versions that must be served for it to mean anything; the supported
// range is derived from the registered handlers, so a feature lights up the day its APIs are
// served, and ApiVersions, DescribeFeatures and UpdateFeatures all read this one table.
import type { KafkaHandler } from './handler';

export interface FeatureLevel {
  level: number;
  /** What a client or operator gets at this level. */
  meaning: string;
  /** API versions that must be registered for the level to be supported. */
  requires: readonly { apiKey: number; minVersion: number }[];
  /**
   * Why the level is not offered although its API versions are served (their new semantics are
   * not built yet). A client that sees a level finalized relies on those semantics.
   */
  notYet?: string;
}

export interface FeatureDef {
  name: string;
  /** Levels above 0, in increasing order; level 0 (disabled) is always supported. */
  levels: readonly FeatureLevel[];
}

/**
 * Kafka's features where DMS has an equivalent. metadata.version and kraft.version describe
 * Kafka's own metadata log and quorum, which DMS keeps in etcd: they are not reported.
 * eligible.leader.replicas.version (KIP-966) is not implemented.
 */
export const FEATURES: readonly FeatureDef[] = [
  {
    name: 'group.version',
    levels: [
      { level: 1, meaning: 'the consumer group protocol of KIP-848', requires: [{ apiKey: 68, minVersion: 0 }, { apiKey: 69, minVersion: 0 }] },
    ],
  },
  {
    name: 'share.version',
    levels: [
      { level: 1, meaning: 'share groups of KIP-932', requires: [76, 77, 78, 79].map((apiKey) => ({ apiKey, minVersion: 1 })) },
    ],
  },
  {
    name: 'transaction.version',
    levels: [
      // Kafka's TV_1: flexible __transaction_state records, which the coordinator reads and writes.
      { level: 1, meaning: 'flexible transaction state records', requires: [{ apiKey: 26, minVersion: 0 }] },
      // Kafka's TV_2 (KIP-890 part 2): an epoch bump on every EndTxn (v5) and implicit partition adds.
      // Produce v12, EndTxn v5 and TxnOffsetCommit v5 are served with TV_1 semantics, so TV_2 stays
      // unsupported until the coordinator bumps the epoch per transaction and adds partitions implicitly.
      {
        level: 2, meaning: 'transactions V2 of KIP-890',
        requires: [{ apiKey: 26, minVersion: 5 }, { apiKey: 24, minVersion: 5 }, { apiKey: 0, minVersion: 12 }],
        notYet: 'KIP-890 part 2 (epoch bump per transaction, implicit AddPartitionsToTxn) is not implemented',
      },
    ],
  },
];

export interface SupportedFeature {
  name: string;
  minVersion: number;
  maxVersion: number;
}

/** The supported range of every feature given the handlers served: 0 up to the highest level whose APIs all are. */
export function supportedFeatures(handlers: readonly KafkaHandler[]): SupportedFeature[] {
  const max = new Map(handlers.map((h) => [h.apiKey, h.maxVersion]));
  const served = (r: { apiKey: number; minVersion: number }) => (max.get(r.apiKey) ?? -1) >= r.minVersion;
  return FEATURES.map((f) => {
    let maxVersion = 0;
    for (const l of f.levels) {
      if (l.notYet === undefined && l.requires.every(served)) maxVersion = l.level;
      else break;
    }
    return { name: f.name, minVersion: 0, maxVersion };
  });
}

/**
 * The finalized levels: what etcd records once an operator has run UpdateFeatures, else (a cluster
 * that never did) every feature at its highest supported level, as a fresh Kafka cluster is
 * bootstrapped at its release's levels. Level 0 is left out, as Kafka does.
 */
export function finalizedLevels(supported: readonly SupportedFeature[], recorded: Readonly<Record<string, number>> | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of supported) {
    const level = recorded ? (recorded[f.name] ?? 0) : f.maxVersion;
    if (level > 0) out.set(f.name, level);
  }
  return out;
}

/** UpgradeType of UpdateFeatures v1+ (v0's allowDowngrade maps to SAFE_DOWNGRADE). */
export const UpgradeType = { UPGRADE: 1, SAFE_DOWNGRADE: 2, UNSAFE_DOWNGRADE: 3 } as const;

/**
 * Kafka's checks of one feature update against the supported range and the current level;
 * returns why it is refused (INVALID_UPDATE_VERSION), or undefined when it may be applied.
 */
export function checkFeatureUpdate(
  supported: readonly SupportedFeature[],
  current: number,
  update: { feature: string; maxVersionLevel: number; upgradeType: number },
): string | undefined {
  const f = supported.find((s) => s.name === update.feature);
  const level = update.maxVersionLevel;
  if (!f) return `Invalid update version ${level} for feature ${update.feature}. The controller does not support the given feature.`;
  if (update.upgradeType < UpgradeType.UPGRADE || update.upgradeType > UpgradeType.UNSAFE_DOWNGRADE) {
    return `Invalid upgrade type ${update.upgradeType} for feature ${update.feature}.`;
  }
  if (level < f.minVersion || level > f.maxVersion) {
    return `Invalid update version ${level} for feature ${update.feature}. The supported range is ${f.minVersion}-${f.maxVersion}.`;
  }
  if (level < current && update.upgradeType === UpgradeType.UPGRADE) {
    return `Invalid update version ${level} for feature ${update.feature}. Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.`;
  }
  return undefined;
}
