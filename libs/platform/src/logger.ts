import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  /** Instance id (broker id, node id); bound on every line. */
  id?: string | number;
  level?: LevelWithSilent | string;
  /** Defaults to stdout. Tests pass a stream to capture lines. */
  destination?: DestinationStream;
}

/** Fields that may hold a secret, at the top level or one object down: their values never reach a log line. */
const SECRET_FIELDS = [
  'password', 'saltedPassword', 'authBytes', 'sasl.jaas.config', 'sasl.password', 'ssl.key.password', 'ssl.keystore.password',
  'ssl.truststore.password', 'etcd.password',
];
export const REDACTED_PATHS: readonly string[] = SECRET_FIELDS.flatMap((f) =>
  /^[A-Za-z_$][\w$]*$/.test(f) ? [f, `*.${f}`] : [`["${f}"]`, `*["${f}"]`]);

/**
 * JSON logs with `service`, `id` and, inside an active span, `trace_id`/`span_id`
 * (the field names log backends use to correlate logs with traces).
 */
export function createLogger(opts: LoggerOptions): Logger {
  const base: Record<string, unknown> = { service: opts.service, pid: process.pid };
  if (opts.id !== undefined) base.id = String(opts.id);
  return pino(
    {
      level: opts.level ?? 'info',
      base,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
      mixin() {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const ctx = span.spanContext();
        return { trace_id: ctx.traceId, span_id: ctx.spanId, trace_flags: `0${ctx.traceFlags.toString(16)}` };
      },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
