import { credentials, Metadata, type CallOptions, type Client, type ClientOptions, type Interceptor } from '@grpc/grpc-js';
import { channelOptions, type RpcTransportOptions } from './options';
import type { Tracer } from '@opentelemetry/api';
import { clientSpanInterceptor, traceContextInterceptor } from './tracing';
import { INTERNAL_SERVER_NAME, clientCredentials, internalTls, type InternalTls } from './tls';

export interface GrpcClientOptions extends RpcTransportOptions {
  /** Propagates the caller's trace context in metadata (default true). */
  tracing?: boolean;
  /** With a tracer, unary calls also get a CLIENT span. */
  tracer?: Tracer;
  interceptors?: Interceptor[];
  /** Mutual TLS; defaults to the process's configureInternalTls material (plaintext without). */
  tls?: InternalTls;
}

type ClientCtor<C extends Client> = new (address: string, creds: ReturnType<typeof credentials.createInsecure>, options?: ClientOptions) => C;

/** A generated ts-proto client (e.g. StorageServiceClient) with our channel options, over mutual TLS when configured. */
export function createClient<C extends Client>(Ctor: ClientCtor<C>, address: string, opts: GrpcClientOptions = {}): C {
  const tracing = opts.tracing === false ? [] : [opts.tracer ? clientSpanInterceptor(opts.tracer) : traceContextInterceptor];
  const interceptors = [...tracing, ...(opts.interceptors ?? [])];
  const tls = opts.tls ?? internalTls();
  // Servers are checked by their role certificate, not their address; a fixed TLS server name
  // also keeps Node from sending an IP address as SNI (which it warns about).
  const sni = tls ? { 'grpc.ssl_target_name_override': INTERNAL_SERVER_NAME } : {};
  return new Ctor(address, clientCredentials(tls) as ReturnType<typeof credentials.createInsecure>, { ...channelOptions(opts), ...sni, interceptors });
}

/** Call options with a deadline `ms` from now. */
export function deadline(ms: number, extra: CallOptions = {}): Partial<CallOptions> {
  return { ...extra, deadline: new Date(Date.now() + ms) };
}

/** Resolves once the channel is connected, or rejects after `ms`. */
export function waitForReady(client: Client, ms: number): Promise<void> {
  return new Promise((resolve, reject) =>
    client.waitForReady(new Date(Date.now() + ms), (err) => (err ? reject(err) : resolve())),
  );
}

/**
 * Promise form of a unary call: `unary(client.listOffsets.bind(client), req, { timeoutMs })`.
 * Works with every generated unary method signature (request, metadata, options, callback).
 */
export function unary<Req, Res>(
  method: (req: Req, metadata: Metadata, options: Partial<CallOptions>, cb: (err: Error | null, res: Res) => void) => unknown,
  request: Req,
  opts: { timeoutMs?: number; metadata?: Metadata } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const options = opts.timeoutMs !== undefined ? deadline(opts.timeoutMs) : {};
    method(request, opts.metadata ?? new Metadata(), options, (err, res) => (err ? reject(err) : resolve(res)));
  });
}
