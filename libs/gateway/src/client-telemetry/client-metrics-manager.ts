// KIP-714 on the gateway, as Kafka's ClientMetricsManager does it on a broker: client instances
// (ids given to clients that send the zero UUID), their subscriptions, push-interval enforcement,
// size limits, and the pushed metrics kept for the Prometheus endpoint.
import { randomUUID } from 'node:crypto';
import type { Meter } from '@opentelemetry/api';
import { CompressionType, decompress } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import type { TelemetryClient, TelemetryPort, TelemetryPush, TelemetrySubscriptionOutcome } from '@dms/kafka-handlers';
import { MetricNames } from '@dms/platform';
import { ClientSeriesStore, type SeriesLimits } from './client-series';
import { decodeMetricsData } from './otlp-metrics';
import { kafkaUuidString, parseSubscriptions, requested, resolveSubscription, type ResolvedSubscription } from './subscriptions';

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
/** Kafka's order of preference; NONE is always accepted. */
const ACCEPTED_COMPRESSION = [CompressionType.Zstd, CompressionType.Lz4, CompressionType.Gzip, CompressionType.Snappy];
/** Kafka's client instance cache size. */
const MAX_INSTANCES = 16_384;
/**
 * Decompressed payloads may be this many times telemetry.max.bytes, and at least 4 MiB (the
 * codecs' bounds are coarse: one zstd block may claim 128 KiB).
 */
const DECOMPRESSED_FACTOR = 16;
const DECOMPRESSED_FLOOR = 4 * 1024 * 1024;

export interface ClientMetricsOptions extends SeriesLimits {
  /** telemetry.max.bytes: the largest (compressed) push. */
  maxBytes: number;
  /** The CLIENT_METRICS config resources by name (the gateway's cluster view). */
  subscriptions: () => ReadonlyMap<string, Readonly<Record<string, string>>>;
  meter?: Meter;
  now?: () => number;
}

interface Instance {
  id: string;
  client: TelemetryClient;
  sub: ResolvedSubscription;
  lastGetMs: number;
  lastPushMs: number;
  /** Last successful push (for eviction of its series). */
  lastMetricsMs: number;
  terminating: boolean;
  lastError: number;
}

export class ClientMetricsManager implements TelemetryPort {
  private readonly instances = new Map<string, Instance>();
  readonly store: ClientSeriesStore;
  private readonly now: () => number;
  private lastPruneMs = 0;
  private readonly counters;

  constructor(private readonly opts: ClientMetricsOptions) {
    this.store = new ClientSeriesStore(opts);
    this.now = opts.now ?? Date.now;
    const meter = opts.meter;
    this.counters = meter && {
      export: meter.createCounter(MetricNames.clientMetricsPluginExport, { description: 'Client telemetry pushes taken and exported' }),
      error: meter.createCounter(MetricNames.clientMetricsPluginError, { description: 'Client telemetry pushes refused or undecodable' }),
      unknownSubscription: meter.createCounter(MetricNames.clientMetricsUnknownSubscription, { description: 'Pushes naming a subscription that is no longer the client\'s' }),
      throttle: meter.createCounter(MetricNames.clientMetricsThrottle, { description: 'Telemetry requests that came before the push interval' }),
      dropped: meter.createCounter(MetricNames.clientMetricsSeriesDropped, { description: 'Pushed series dropped by the series limits' }),
    };
    meter?.createObservableGauge(MetricNames.clientMetricsInstanceCount, { description: 'Client instances known to this gateway' })
      .addCallback((r) => r.observe(this.instances.size));
  }

  /** Prometheus text of the clients' series (appended to /metrics). */
  render(): string {
    this.prune(true);
    return this.store.render();
  }

  getSubscriptions(client: TelemetryClient, clientInstanceId: string): TelemetrySubscriptionOutcome {
    const now = this.now();
    this.prune(false);
    const id = clientInstanceId && clientInstanceId !== ZERO_UUID ? clientInstanceId : randomUUID();
    const sub = resolveSubscription(parseSubscriptions(this.opts.subscriptions()), client, id);
    let inst = this.instances.get(id);
    let errorCode: number = ErrorCode.NONE;
    if (!inst || inst.sub.subscriptionId !== sub.subscriptionId) {
      // A new instance, or its subscription changed: start afresh (Kafka makes a new instance).
      inst = this.track({ id, client, sub, lastGetMs: now, lastPushMs: 0, lastMetricsMs: now, terminating: false, lastError: ErrorCode.NONE });
    } else if (this.getAllowed(inst, now) || inst.lastError === ErrorCode.UNKNOWN_SUBSCRIPTION_ID || inst.lastError === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE) {
      inst.lastGetMs = now;
      inst.client = client;
    } else {
      errorCode = ErrorCode.THROTTLING_QUOTA_EXCEEDED;
      this.counters?.throttle.add(1);
    }
    inst.lastError = errorCode;
    return {
      errorCode,
      clientInstanceId: id,
      subscriptionId: sub.subscriptionId,
      acceptedCompressionTypes: [...ACCEPTED_COMPRESSION],
      pushIntervalMs: sub.intervalMs,
      telemetryMaxBytes: this.opts.maxBytes,
      // Cumulative sums: the last value pushed is what Prometheus scrapes.
      deltaTemporality: false,
      requestedMetrics: sub.metrics,
    };
  }

  async push(client: TelemetryClient, push: TelemetryPush): Promise<number> {
    const code = await this.pushOnce(client, push);
    if (code === ErrorCode.NONE) this.counters?.export.add(1);
    else {
      this.counters?.error.add(1, { error: String(code) });
      if (code === ErrorCode.UNKNOWN_SUBSCRIPTION_ID) this.counters?.unknownSubscription.add(1);
      if (code === ErrorCode.THROTTLING_QUOTA_EXCEEDED) this.counters?.throttle.add(1);
    }
    return code;
  }

  private async pushOnce(client: TelemetryClient, push: TelemetryPush): Promise<number> {
    const now = this.now();
    this.prune(false);
    if (!push.clientInstanceId || push.clientInstanceId === ZERO_UUID) return ErrorCode.INVALID_REQUEST;
    let inst = this.instances.get(push.clientInstanceId);
    const sub = resolveSubscription(parseSubscriptions(this.opts.subscriptions()), client, push.clientInstanceId);
    if (!inst) {
      // Known elsewhere (another gateway, or before a restart): the subscription id decides.
      inst = this.track({ id: push.clientInstanceId, client, sub, lastGetMs: 0, lastPushMs: 0, lastMetricsMs: now, terminating: false, lastError: ErrorCode.NONE });
    }
    const fail = (code: number) => ((inst!.lastError = code), code);
    if (inst.terminating) return fail(ErrorCode.INVALID_REQUEST);
    if (push.subscriptionId !== sub.subscriptionId) return fail(ErrorCode.UNKNOWN_SUBSCRIPTION_ID);
    // The client learnt the current subscription from another gateway: take it.
    inst.sub = sub;
    if (!this.pushAllowed(inst, now) && !push.terminating) return fail(ErrorCode.THROTTLING_QUOTA_EXCEEDED);
    if (push.compressionType !== CompressionType.None && !ACCEPTED_COMPRESSION.includes(push.compressionType)) return fail(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    if (push.metrics.length > this.opts.maxBytes) return fail(ErrorCode.TELEMETRY_TOO_LARGE);
    if (push.terminating) inst.terminating = true;
    inst.client = client;
    let points;
    try {
      const raw = await decompress(push.compressionType, push.metrics, Math.max(this.opts.maxBytes * DECOMPRESSED_FACTOR, DECOMPRESSED_FLOOR));
      points = decodeMetricsData(raw).points;
    } catch {
      return fail(ErrorCode.INVALID_RECORD);
    }
    const wanted = points.filter((p) => requested(sub.metrics, p.name));
    const dropped = this.store.put(inst.id, {
      client_instance_id: kafkaUuidString(inst.id),
      principal: client.principal,
      client_id: client.clientId,
      client_software_name: client.softwareName,
      client_software_version: client.softwareVersion,
    }, wanted);
    if (dropped > 0) this.counters?.dropped.add(dropped);
    inst.lastMetricsMs = now;
    return fail(ErrorCode.NONE);
  }

  /** Kafka: a Get is accepted once the push interval has passed since the last Get or push. */
  private getAllowed(inst: Instance, now: number): boolean {
    return now - Math.max(inst.lastGetMs, inst.lastPushMs) >= inst.sub.intervalMs;
  }

  /** Kafka: the first push after a Get is accepted at once (clients jitter it); later ones after the interval. */
  private pushAllowed(inst: Instance, now: number): boolean {
    const ok = inst.lastGetMs > inst.lastPushMs || now - Math.max(inst.lastGetMs, inst.lastPushMs) >= inst.sub.intervalMs;
    if (ok) inst.lastPushMs = now;
    return ok;
  }

  private track(inst: Instance): Instance {
    this.instances.delete(inst.id);
    this.instances.set(inst.id, inst);
    while (this.instances.size > MAX_INSTANCES) {
      const oldest = this.instances.keys().next().value as string;
      this.instances.delete(oldest);
      this.store.remove(oldest);
    }
    return inst;
  }

  /**
   * Clients that stopped pushing lose their series after 2× their interval, and are forgotten
   * after 3× (Kafka's cache expiry). A terminating client's last push stays until then.
   */
  private prune(force: boolean): void {
    const now = this.now();
    if (!force && now - this.lastPruneMs < 1_000) return;
    this.lastPruneMs = now;
    for (const inst of this.instances.values()) {
      const interval = inst.sub.intervalMs;
      if (now - inst.lastMetricsMs > 2 * interval) this.store.remove(inst.id);
      if (now - Math.max(inst.lastGetMs, inst.lastPushMs, inst.lastMetricsMs) > 3 * interval) {
        this.instances.delete(inst.id);
        this.store.remove(inst.id);
      }
    }
  }
}
