// GetTelemetrySubscriptions (71)
// Behavior: KIP-714. A client sending the zero UUID gets a client instance id; the answer carries
//   the metrics prefixes and push interval of every client-metrics subscription (CLIENT_METRICS
//   config resources) whose `match` selects the client (client id, software name and version,
//   source address and port, instance id), merged, with a subscription id that changes when the
//   set does. No matching subscription: no requested metrics, and the default interval to ask
//   again. Asking again before the push interval is THROTTLING_QUOTA_EXCEEDED, as Kafka.
//   No ACL (Kafka checks none for this API).
// Version notes: v0 only.
// Not implemented: nothing known.
import { ErrorCode } from '@dms/kafka-errors';
import type { KafkaHandler } from './handler';
import { telemetryClientOf } from './telemetry-client';

export const getTelemetrySubscriptionsHandler: KafkaHandler = {
  apiKey: 71,
  name: 'GetTelemetrySubscriptions',
  minVersion: 0,
  maxVersion: 0,
  acl: { none: 'KIP-714: every authenticated client may ask what to push' },
  handle(ctx, req: any) {
    if (!ctx.telemetry) {
      return {
        throttleTimeMs: 0, errorCode: ErrorCode.NONE, clientInstanceId: req.clientInstanceId, subscriptionId: 0,
        acceptedCompressionTypes: [], pushIntervalMs: 300_000, telemetryMaxBytes: 0, deltaTemporality: false, requestedMetrics: [],
      };
    }
    return { throttleTimeMs: 0, ...ctx.telemetry.getSubscriptions(telemetryClientOf(ctx), req.clientInstanceId) };
  },
};
