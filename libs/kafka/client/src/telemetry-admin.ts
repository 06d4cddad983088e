import { ApiKey, type GetTelemetrySubscriptionsResponse } from '@dms/kafka-schema';
import type { KafkaClient } from './client';

/**
 * The client side of KIP-714 on the wire, one request each: what a client pushing its own
 * metrics sends (used by tests of the gateway; no client here pushes by itself).
 */

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export function getTelemetrySubscriptions(client: KafkaClient, clientInstanceId = ZERO_UUID): Promise<GetTelemetrySubscriptionsResponse> {
  return client.adminRequest<GetTelemetrySubscriptionsResponse>(ApiKey.GetTelemetrySubscriptions, { clientInstanceId });
}

/** PushTelemetry; returns the error code. `metrics` is OTLP MetricsData, compressed with `compressionType`. */
export async function pushTelemetry(
  client: KafkaClient,
  push: { clientInstanceId: string; subscriptionId: number; terminating?: boolean; compressionType?: number; metrics: Buffer },
): Promise<number> {
  const res = await client.adminRequest<{ errorCode: number }>(ApiKey.PushTelemetry, {
    clientInstanceId: push.clientInstanceId,
    subscriptionId: push.subscriptionId,
    terminating: push.terminating ?? false,
    compressionType: push.compressionType ?? 0,
    metrics: push.metrics,
  });
  return res.errorCode;
}
