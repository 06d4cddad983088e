// PushTelemetry (72)
// Behavior: KIP-714. Takes a client's metrics (OTLP MetricsData, compressed as the client says)
//   for the gateway's Prometheus endpoint, labelled with the client instance id and principal.
//   Errors as Kafka's ClientMetricsManager: INVALID_REQUEST for the zero instance id or a push
//   after a terminating one, UNKNOWN_SUBSCRIPTION_ID when the subscription changed (the client asks
//   again), THROTTLING_QUOTA_EXCEEDED before the push interval, UNSUPPORTED_COMPRESSION_TYPE,
//   TELEMETRY_TOO_LARGE past telemetry.max.bytes, INVALID_RECORD for an undecodable payload.
//   No ACL (Kafka checks none for this API).
// Version notes: v0 only.
// Not implemented: nothing known.
import { ErrorCode } from '@dms/kafka-errors';
import type { KafkaHandler } from './handler';
import { telemetryClientOf } from './telemetry-client';

export const pushTelemetryHandler: KafkaHandler = {
  apiKey: 72,
  name: 'PushTelemetry',
  minVersion: 0,
  maxVersion: 0,
  acl: { none: 'KIP-714: every authenticated client may push its own metrics' },
  async handle(ctx, req: any) {
    if (!ctx.telemetry) return { throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_SUBSCRIPTION_ID };
    const errorCode = await ctx.telemetry.push(telemetryClientOf(ctx), {
      clientInstanceId: req.clientInstanceId,
      subscriptionId: req.subscriptionId,
      terminating: !!req.terminating,
      compressionType: req.compressionType,
      metrics: req.metrics ?? Buffer.alloc(0),
    });
    return { throttleTimeMs: 0, errorCode };
  },
};
