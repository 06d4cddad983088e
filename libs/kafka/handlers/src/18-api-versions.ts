// ApiVersions (18)
// Behavior: lists exactly the handlers that are registered, with their version ranges.
// Version notes: v3+ is flexible and carries the client software name/version (kept on the
//   connection for KIP-714 subscriptions that match on them).
//   A request with a version above ours is answered by the server in v0 with UNSUPPORTED_VERSION
//   and this same list, as Kafka does, so clients can downgrade.
//   v3+ reports the supported and finalized features of features.ts (DescribeFeatures is this
//   API); below v4 features whose minimum is 0 are left out, as Kafka does (KAFKA-17011), so v3
//   lists finalized features only.
// Not implemented: nothing known.
import { ErrorCode } from '@dms/kafka-errors';
import { finalizedLevels, supportedFeatures } from './features';
import type { KafkaHandler } from './handler';
import type { RequestContext } from './ports';

/** SupportedFeatures, FinalizedFeaturesEpoch and FinalizedFeatures of an ApiVersions answer at `version`. */
export function featureFields(handlers: readonly KafkaHandler[], recorded: { levels: Readonly<Record<string, number>>; epoch: bigint } | undefined, version: number) {
  const supported = supportedFeatures(handlers);
  const finalized = finalizedLevels(supported, recorded?.levels);
  return {
    supportedFeatures: supported.filter((f) => version >= 4 || f.minVersion > 0),
    finalizedFeaturesEpoch: recorded?.epoch ?? 0n,
    finalizedFeatures: [...finalized].map(([name, level]) => ({ name, maxVersionLevel: level, minVersionLevel: level })),
  };
}

export function apiVersionsBody(handlers: readonly KafkaHandler[], errorCode: number = ErrorCode.NONE, features?: ReturnType<typeof featureFields>) {
  return {
    errorCode,
    apiKeys: [...handlers]
      .sort((a, b) => a.apiKey - b.apiKey)
      .map((h) => ({ apiKey: h.apiKey, minVersion: h.advertisedMinVersion ?? h.minVersion, maxVersion: h.maxVersion })),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    ...features,
    zkMigrationReady: false,
  };
}

export function apiVersionsHandler(handlers: () => readonly KafkaHandler[]): KafkaHandler {
  return {
    apiKey: 18,
    name: 'ApiVersions',
    minVersion: 0,
    maxVersion: 4,
    acl: { none: 'version negotiation precedes authentication; Kafka answers it to anyone' },
    beforeAuthentication: true,
    handle: (ctx: RequestContext, req: any, version: number) => {
      // KIP-511: what the client is, for KIP-714 subscriptions matching on it.
      if (version >= 3 && ctx.session) {
        ctx.session.clientSoftwareName = req?.clientSoftwareName ?? null;
        ctx.session.clientSoftwareVersion = req?.clientSoftwareVersion ?? null;
      }
      const all = handlers();
      return apiVersionsBody(all, ErrorCode.NONE, version >= 3 ? featureFields(all, ctx.cluster.finalizedFeatures(), version) : undefined);
    },
  };
}
