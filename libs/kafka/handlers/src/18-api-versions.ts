// ApiVersions (18)
// Behavior: lists exactly the handlers that are registered, with their version ranges.
// Version notes: v3+ is flexible and carries the client software name/version (ignored here).
//   A request with a version above ours is answered by the server in v0 with UNSUPPORTED_VERSION
//   and this same list, as Kafka does, so clients can downgrade.
// Not implemented: feature flags (SupportedFeatures/FinalizedFeatures are left empty).
import { ErrorCode } from '@dms/kafka-errors';
import type { KafkaHandler } from './handler';

export function apiVersionsBody(handlers: readonly KafkaHandler[], errorCode: number = ErrorCode.NONE) {
  return {
    errorCode,
    apiKeys: [...handlers]
      .sort((a, b) => a.apiKey - b.apiKey)
      .map((h) => ({ apiKey: h.apiKey, minVersion: h.advertisedMinVersion ?? h.minVersion, maxVersion: h.maxVersion })),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
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
    handle: () => apiVersionsBody(handlers()),
  };
}
