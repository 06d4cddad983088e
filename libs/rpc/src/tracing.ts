import {
  InterceptingCall,
  Metadata,
  status as GrpcStatus,
  type Interceptor,
  type ServerUnaryCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import { grpcError } from './status';

type Carrier = Record<string, string | string[] | Buffer | (string | Buffer)[] | undefined>;

const getter: TextMapGetter<Carrier> = {
  keys: (c) => Object.keys(c),
  get: (c, key) => {
    const v = c[key] ?? c[key.toLowerCase()];
    const first = Array.isArray(v) ? v[0] : v;
    return first === undefined ? undefined : String(first);
  },
};

/**
 * W3C headers of `ctx` as a plain map: what goes into the proto `trace_context` fields. A context
 * without a span (always so when no exporter is configured: no context manager is installed)
 * has nothing to propagate, so the propagator is not run.
 */
export function traceContextOf(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  if (trace.getSpan(ctx) === undefined) return carrier;
  propagation.inject(ctx, carrier);
  return carrier;
}

/**
 * The context whose remote parent is described by a proto `trace_context` map or gRPC metadata;
 * `base` itself when the carrier names no parent (the common case without tracing).
 */
export function contextFrom(carrier: Carrier | Metadata | undefined | null, base: Context = context.active()): Context {
  if (!carrier) return base;
  if (carrier instanceof Metadata) {
    if (carrier.get(TRACEPARENT).length === 0) return base;
    return propagation.extract(base, carrier.getMap() as Carrier, getter);
  }
  if (carrier[TRACEPARENT] === undefined) return base;
  return propagation.extract(base, carrier, getter);
}

const TRACEPARENT = 'traceparent';

function rpcAttributes(path: string): Record<string, string> {
  // "/dms.storage.v1.StorageService/ListOffsets"
  const [, service = '', method = ''] = path.split('/');
  return { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method };
}

/**
 * Client interceptor: writes the caller's trace context into the call's metadata. The context is
 * captured when the call is created, since grpc-js may start the call after a connect.
 */
export const traceContextInterceptor: Interceptor = (options, nextCall) => {
  const ctx = context.active();
  if (trace.getSpan(ctx) === undefined) return new InterceptingCall(nextCall(options));
  return new InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      for (const [k, v] of Object.entries(traceContextOf(ctx))) metadata.set(k, v);
      next(metadata, listener);
    },
  });
};

/**
 * Like traceContextInterceptor, but unary calls also get a CLIENT span (the server span's parent).
 * Streams are left without a span: on our bidi streams each message carries its own context.
 */
export function clientSpanInterceptor(tracer: Tracer): Interceptor {
  return (options, nextCall) => {
    const def = options.method_definition;
    if (def.requestStream || def.responseStream) return traceContextInterceptor(options, nextCall);
    const span = tracer.startSpan(def.path.slice(1), { kind: SpanKind.CLIENT, attributes: rpcAttributes(def.path) });
    // A no-op tracer's span has nothing to record or propagate: no interception at all.
    if (!span.isRecording() && !trace.isSpanContextValid(span.spanContext())) return new InterceptingCall(nextCall(options));
    const ctx = trace.setSpan(context.active(), span);
    return new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        for (const [k, v] of Object.entries(traceContextOf(ctx))) metadata.set(k, v);
        // A Listener with only onReceiveStatus: grpc-js chains it to the caller's with next-style calls.
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            span.setAttribute('rpc.grpc.status_code', status.code);
            if (status.code !== GrpcStatus.OK) span.setStatus({ code: SpanStatusCode.ERROR, message: status.details });
            span.end();
            nextStatus(status);
          },
        });
      },
    });
  };
}

/**
 * Runs `fn` inside a SERVER span whose parent comes from the call's metadata. The span ends when
 * the returned promise settles; a rejection marks the span as failed and is rethrown.
 */
export async function withServerSpan<T>(
  tracer: Tracer,
  name: string,
  call: { metadata: Metadata },
  fn: (span: Span) => T | Promise<T>,
): Promise<T> {
  return runInSpan(tracer, name, contextFrom(call.metadata, context.active()), SpanKind.SERVER, fn);
}

/**
 * For one message of a bidi stream: a span parented by the message's own `trace_context` map
 * (the gateway span that produced the request), active while `fn` runs.
 */
export function spanForMessage<T>(
  tracer: Tracer,
  name: string,
  traceContextMap: Record<string, string> | undefined,
  fn: (span: Span) => T | Promise<T>,
): Promise<T> {
  return runInSpan(tracer, name, contextFrom(traceContextMap, context.active()), SpanKind.SERVER, fn);
}

async function runInSpan<T>(
  tracer: Tracer,
  name: string,
  parent: Context,
  kind: SpanKind,
  fn: (span: Span) => T | Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(name, { kind }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
    throw err;
  } finally {
    span.end();
  }
}

type AnyHandler = (call: unknown, callback?: unknown) => unknown;

/**
 * Wraps every unary handler of a service implementation so it runs inside a SERVER span whose
 * parent is the caller's context (from metadata). Streaming handlers pass through unchanged.
 * A handler that throws or rejects answers INTERNAL instead of crashing the process.
 */
export function traced<T extends object>(impl: T, tracer: Tracer, opts: { serviceName?: string } = {}): T {
  const out: Record<string, unknown> = {};
  for (const [method, handler] of Object.entries(impl)) {
    if (typeof handler !== 'function') {
      out[method] = handler;
      continue;
    }
    const h = handler as AnyHandler;
    out[method] = function tracedHandler(call: unknown, callback?: unknown) {
      const isUnary = typeof callback === 'function' && call !== null && typeof call === 'object' && 'request' in call;
      if (!isUnary) return h.call(impl, call, callback);
      const unaryCall = call as ServerUnaryCall<unknown, unknown>;
      const cb = callback as sendUnaryData<unknown>;
      const path = unaryCall.getPath?.() ?? `/${opts.serviceName ?? 'unknown'}/${method}`;
      const name = path.startsWith('/') ? path.slice(1) : path;
      let answered = false;
      const answer: sendUnaryData<unknown> = (err, value, trailer, flags) => {
        if (answered) return;
        answered = true;
        cb(err, value, trailer, flags);
      };
      void withServerSpan(tracer, name, unaryCall, (span) => {
        span.setAttributes(rpcAttributes(path));
        return new Promise<void>((resolve, reject) => {
          const done: sendUnaryData<unknown> = (err, value, trailer, flags) => {
            const code = err ? (err.code ?? GrpcStatus.UNKNOWN) : GrpcStatus.OK;
            span.setAttribute('rpc.grpc.status_code', code);
            if (err) span.setStatus({ code: SpanStatusCode.ERROR, message: err.details ?? (err as Error).message });
            answer(err, value, trailer, flags);
            resolve();
          };
          try {
            const r = h.call(impl, call, done);
            if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(undefined, reject);
          } catch (err) {
            reject(err);
          }
        });
      }).catch((err: unknown) => {
        answer(grpcError(GrpcStatus.INTERNAL, `handler failed: ${(err as Error)?.message ?? String(err)}`), null);
      });
      return undefined;
    };
  }
  return out as T;
}
