import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
// The global `performance` is a lazy getter that costs a call per read: ~3 % of a gateway's CPU at one read per answer.
import { performance } from 'node:perf_hooks';
import { INVALID_SPAN_CONTEXT, SpanKind, SpanStatusCode, context, trace, type Tracer } from '@opentelemetry/api';
import { decodeRequestBody, decodeRequestHeader, encodeResponseChunks } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { apiName, apiVersionsBody, handlerFor, handlers, type ConnectionSession, type KafkaHandler, type RequestContext, type SaslExchange } from '@dms/kafka-handlers';
import { ANONYMOUS, certificatePrincipal } from '@dms/security';
import { identityFromSubjectAltName } from '@dms/rpc';
import { clientSoftware, UNKNOWN_SOFTWARE, type ClientSoftware } from './client-software';
import { FrameReader } from './frame-reader';
import { IdleTimer } from './idle-timer';
import { rawSaslStep } from './raw-sasl';

export interface ConnectionLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ConnectionOptions {
  maxFrameBytes: number;
  /** Reading pauses while this many requests wait for their answers (pipelining bound). */
  maxInFlight: number;
  /** Reading also pauses while the requests waiting for answers hold this many bytes (default: unbounded). */
  maxInFlightBytes?: number;
  tracer: Tracer;
  logger: ConnectionLogger;
  makeContext(clientId: string | null, session: ConnectionSession): RequestContext;
  onRequest?(apiKey: number, version: number, bytes: number): void;
  /** A decoded request's answer is ready (or its handler failed) after `ms`. */
  onResponse?(apiKey: number, ms: number, failed: boolean): void;
  /** Response bytes written to the client (Kafka's socket-server outgoing-byte). */
  onBytesOut?(bytes: number): void;
  /**
   * Watches the answers of one API: `written` runs once such an answer has left for the client,
   * from the socket's write callback of its last chunk (written, or failed with the connection),
   * so no chunk of it is read any more and buffers it holds views of may be reused. Not called
   * for answers never written (the connection closed first): those are left to the garbage
   * collector.
   */
  onWritten?: { apiKey: number; written(body: unknown): void };
  /** A request for an API or a version this gateway does not serve (counted, then refused as Kafka refuses it). */
  onUnsupported?(apiKey: number, version: number, client: ClientSoftware): void;
  /** The listener this connection came in on; default PLAINTEXT without limits. */
  listener?: ListenerSecurity;
}

export interface ListenerSecurity {
  name: string;
  protocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  /**
   * Largest frame accepted until the connection has authenticated (SASL listeners) or sent
   * its first well-formed request (PLAINTEXT and SSL listeners).
   */
  preAuthMaxFrameBytes: number;
  /** Connections without a whole request (or answer) this long are closed. */
  idleMs: number;
  /** SASL connections not authenticated within this time are closed. */
  unauthenticatedMs: number;
}

/** Per-connection security state, moved on by the SASL handlers. */
class Session implements ConnectionSession {
  principal = ANONYMOUS;
  authenticated: boolean;
  sasl: SaslExchange | null = null;
  rawSaslTokens = false;
  closeRequested = false;
  clientSoftwareName: string | null = null;
  clientSoftwareVersion: string | null = null;
  port = 0;

  constructor(
    readonly listenerName: string,
    readonly securityProtocol: string,
    readonly host: string,
    private readonly onAuthenticated: () => void,
  ) {
    this.authenticated = !securityProtocol.startsWith('SASL_');
  }

  authenticate(principal: string): void {
    this.principal = principal;
    this.authenticated = true;
    this.onAuthenticated();
  }

  closeAfterResponse(): void {
    this.closeRequested = true;
  }
}

interface Pending {
  done: boolean;
  chunks: Buffer[] | null;
  /** Request bytes this slot holds against maxInFlightBytes. */
  bytes: number;
  /** The handler's answer when onWritten watches its API; else undefined. */
  body: unknown;
}

const API_VERSIONS = 18;

/**
 * One client connection: frames in, handlers run concurrently, answers written strictly in
 * request order (Kafka's pipelining contract). A broken frame or an unsupported API closes
 * this connection only.
 */
export class KafkaConnection {
  private readonly reader: FrameReader;
  private readonly queue: Pending[] = [];
  private closed = false;
  private paused = false;
  private inFlightBytes = 0;
  /** Frames read but not yet started because the pipelining bound paused the connection. */
  private backlog: Buffer[] = [];
  /** Whether the small pre-authentication frame cap still applies. */
  private preAuth = false;
  private authTimer: NodeJS.Timeout | undefined;
  private idle: IdleTimer | undefined;
  readonly remote: string;
  readonly session: Session;
  /** What the client named itself in ApiVersions v3+ (KIP-511). */
  private software: ClientSoftware = UNKNOWN_SOFTWARE;
  private ctx: RequestContext | undefined;

  constructor(private readonly socket: Socket, private readonly opts: ConnectionOptions) {
    this.reader = new FrameReader(opts.maxFrameBytes);
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const listener = opts.listener;
    const host = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    this.session = new Session(listener?.name ?? 'PLAINTEXT', listener?.protocol ?? 'PLAINTEXT', host, () => this.onAuthenticated());
    this.session.port = socket.remotePort ?? 0;
    if (listener) {
      if (listener.protocol === 'SSL') this.session.principal = peerPrincipal(socket);
      // Until a client has logged in (SASL) or sent one well-formed request, its frames are small.
      // Without SASL a first request may still be large when its header names an API served past
      // authentication at a version we serve (a client that opens a connection to produce a big
      // batch without an ApiVersions first, as sarama does); junk and ApiVersions stay small.
      this.preAuth = true;
      this.reader.setLimit(listener.preAuthMaxFrameBytes, this.session.authenticated ? admitsLargeFirstRequest : undefined);
      if (!this.session.authenticated) {
        // A client that has not logged in also gets a deadline.
        this.authTimer = setTimeout(() => this.close('not authenticated in time'), listener.unauthenticatedMs);
        this.authTimer.unref();
      }
      this.idle = new IdleTimer(listener.idleMs, () => this.queue.length > 0, () => this.close('idle connection'));
    }
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => {
      this.closed = true;
      this.stopTimers();
    });
    socket.on('drain', () => this.maybeResume());
  }

  close(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    this.stopTimers();
    if (reason) this.opts.logger.warn({ remote: this.remote, reason }, 'closing client connection');
    this.socket.destroy();
  }

  private stopTimers(): void {
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = undefined;
    this.idle?.stop();
  }

  private onAuthenticated(): void {
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = undefined;
    this.liftPreAuthCap();
  }

  private liftPreAuthCap(): void {
    if (!this.preAuth) return;
    this.preAuth = false;
    this.reader.setLimit(this.opts.maxFrameBytes);
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      return this.close((e as Error).message);
    }
    if (frames.length === 0) return;
    this.idle?.touch();
    if (this.backlog.length > 0) this.backlog.push(...frames);
    else this.backlog = frames;
    this.drainBacklog();
  }

  /** Starts read frames in order until none is left or the pipelining bound pauses the connection. */
  private drainBacklog(): void {
    let i = 0;
    while (i < this.backlog.length && !this.paused) {
      if (this.closed || this.session.closeRequested) break;
      this.onFrame(this.backlog[i++]);
    }
    this.backlog = i >= this.backlog.length || this.closed ? [] : this.backlog.slice(i);
  }

  private onFrame(frame: Buffer): void {
    if (this.session.rawSaslTokens) return this.onRawSaslToken(frame);
    let header;
    let bodyOffset: number;
    try {
      ({ header, bodyOffset } = decodeRequestHeader(frame));
    } catch (e) {
      return this.close(`undecodable request header: ${(e as Error).message}`);
    }
    const { requestApiKey: apiKey, requestApiVersion: version, correlationId } = header;
    this.opts.onRequest?.(apiKey, version, frame.length);
    const handler = handlerFor(apiKey);
    if (!handler) {
      this.unsupported(apiKey, version, header.clientId, null);
      return this.close(`unsupported api key ${apiKey}`);
    }
    if (!this.session.authenticated && !handler.beforeAuthentication) {
      return this.close(`${handler.name} request before authentication`);
    }
    if (version < handler.minVersion || version > handler.maxVersion) {
      this.unsupported(apiKey, version, header.clientId, handler);
      if (apiKey === API_VERSIONS) {
        // Kafka answers an ApiVersions it cannot parse in v0, so the client can pick a version.
        return this.enqueue(Promise.resolve(encodeResponseChunks(API_VERSIONS, 0, correlationId, apiVersionsBody(handlers, ErrorCode.UNSUPPORTED_VERSION as number))));
      }
      return this.close(`unsupported version ${version} of api key ${apiKey}`);
    }
    let body: unknown;
    try {
      body = decodeRequestBody(apiKey, version, frame, bodyOffset);
    } catch (e) {
      return this.close(`undecodable ${handler.name} v${version} request: ${(e as Error).message}`);
    }
    if (apiKey === API_VERSIONS && version >= 3) this.software = clientSoftware(body as object);
    // A well-formed request lifts the small cap on listeners without SASL; SASL lifts it on login.
    if (this.session.authenticated) this.liftPreAuthCap();
    const span = this.opts.tracer.startSpan(`kafka.${handler.name}`, {
      kind: SpanKind.SERVER,
      attributes: {
        'kafka.api_key': apiKey,
        'kafka.api_version': version,
        'kafka.client_id': header.clientId ?? '',
        'kafka.request_bytes': frame.length,
        'net.peer': this.remote,
      },
    });
    const ctx = this.contextFor(header.clientId);
    const started = performance.now();
    // A no-op span (no exporter) carries no context: skip building one for the handler.
    const spanContext = span.spanContext();
    const work = spanContext !== INVALID_SPAN_CONTEXT && trace.isSpanContextValid(spanContext)
      ? context.with(trace.setSpan(context.active(), span), async () => handler.handle(ctx, body, version))
      : runHandler(handler, ctx, body, version);
    // One reaction per request: the answer is encoded and its slot filled where the handler settles.
    const slot = this.reserve(frame.length);
    work.then(
      (res) => {
        span.end();
        this.opts.onResponse?.(apiKey, performance.now() - started, false);
        let chunks: Buffer[] | null;
        try {
          chunks = res === undefined ? null : encodeResponseChunks(apiKey, version, correlationId, res);
        } catch (err) {
          this.opts.logger.error({ err, apiKey, version, remote: this.remote }, 'request handler failed');
          return this.failed();
        }
        if (chunks && apiKey === this.opts.onWritten?.apiKey) slot.body = res;
        this.settle(slot, chunks);
      },
      (err: Error) => {
        span.recordException(err);
        span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
        span.end();
        this.opts.onResponse?.(apiKey, performance.now() - started, true);
        this.opts.logger.error({ err, apiKey, version, remote: this.remote }, 'request handler failed');
        this.failed();
      },
    );
  }

  /**
   * The handlers' context: the same object for the requests of one client id (handlers only read
   * it; the session it carries is this connection's), built again when the client id changes.
   */
  private contextFor(clientId: string | null): RequestContext {
    if (this.ctx === undefined || this.ctx.clientId !== clientId) this.ctx = this.opts.makeContext(clientId, this.session);
    return this.ctx;
  }

  /**
   * Counts and logs a request Kafka would refuse for its API or version, naming the client
   * software so an operator sees which tool needs what (docs/compatibility.md lists the ranges).
   */
  private unsupported(apiKey: number, version: number, clientId: string | null, handler: KafkaHandler | null): void {
    this.opts.onUnsupported?.(apiKey, version, this.software);
    this.opts.logger.warn({
      api: apiName(apiKey),
      apiKey,
      apiVersion: version,
      served: handler ? `${handler.minVersion}-${handler.maxVersion}` : 'none',
      clientId: clientId ?? '',
      clientSoftwareName: this.software.name,
      clientSoftwareVersion: this.software.version,
      remote: this.remote,
    }, handler ? 'unsupported version of a Kafka API' : 'unsupported Kafka API');
  }

  /** After a SaslHandshake v0 the frames are bare SASL tokens, answered in order like requests. */
  private onRawSaslToken(token: Buffer): void {
    const security = this.opts.makeContext(null, this.session).security;
    this.enqueue(rawSaslStep(token, this.session, security).then((out) => {
      if (out.kind === 'reply') return [out.frame];
      this.session.closeAfterResponse();
      return null;
    }));
  }

  private enqueue(answer: Promise<Buffer[] | null>, bytes = 0): void {
    const slot = this.reserve(bytes);
    answer.then((chunks) => this.settle(slot, chunks), () => this.failed());
  }

  /** Takes the next answer's place in request order; pauses reading at the pipelining bound. */
  private reserve(bytes: number): Pending {
    const slot: Pending = { done: false, chunks: null, bytes, body: undefined };
    this.queue.push(slot);
    this.inFlightBytes += bytes;
    if (!this.paused && (this.queue.length >= this.opts.maxInFlight || this.inFlightBytes >= (this.opts.maxInFlightBytes ?? Infinity))) {
      this.paused = true;
      this.socket.pause();
    }
    return slot;
  }

  private settle(slot: Pending, chunks: Buffer[] | null): void {
    slot.done = true;
    slot.chunks = chunks;
    this.flush();
  }

  private failed(): void {
    this.close('request failed; closing as Kafka does on an unexpected server error');
  }

  private flush(): void {
    if (this.closed) return;
    let wrote = false;
    while (this.queue.length > 0 && this.queue[0].done) {
      const { chunks, bytes, body } = this.queue.shift()!;
      this.inFlightBytes -= bytes;
      if (!chunks || chunks.length === 0) continue;
      if (!wrote) this.socket.cork();
      wrote = true;
      let n = 0;
      const last = chunks.length - 1;
      for (let i = 0; i < last; i++) {
        n += chunks[i].length;
        this.socket.write(chunks[i]);
      }
      n += chunks[last].length;
      // A stream runs write callbacks in order, after the bytes went to the kernel (or failed).
      if (body !== undefined) this.socket.write(chunks[last], () => this.opts.onWritten!.written(body));
      else this.socket.write(chunks[last]);
      this.opts.onBytesOut?.(n);
    }
    if (wrote) {
      this.idle?.touch();
      process.nextTick(() => this.socket.uncork());
    }
    if (this.session.closeRequested && this.queue.length === 0) {
      // A refused login: the answer goes out, then the connection ends.
      this.closed = true;
      this.stopTimers();
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
      return;
    }
    this.maybeResume();
  }

  private maybeResume(): void {
    const maxBytes = this.opts.maxInFlightBytes ?? Infinity;
    if (this.paused && this.queue.length < this.opts.maxInFlight / 2 && this.inFlightBytes < maxBytes / 2 && !this.socket.writableNeedDrain) {
      this.paused = false;
      this.drainBacklog();
      if (!this.paused && !this.closed) this.socket.resume();
    }
  }

  /** Requests read and not yet answered, and the bytes they hold (for tests and metrics). */
  get inFlight(): { requests: number; bytes: number; paused: boolean } {
    return { requests: this.queue.length, bytes: this.inFlightBytes, paused: this.paused };
  }
}

/** Runs a handler as a promise: a synchronous throw becomes a rejection, as inside context.with(async). */
function runHandler(handler: KafkaHandler, ctx: RequestContext, body: unknown, version: number): Promise<unknown> {
  // Not an async function: that would wrap the handler's promise in another one (two more turns of the microtask queue).
  try {
    return Promise.resolve(handler.handle(ctx, body, version));
  } catch (err) {
    return Promise.reject(err);
  }
}

/** The principal of a verified client certificate, or ANONYMOUS. */
function peerPrincipal(socket: Socket): string {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return ANONYMOUS;
  const raw = socket.getPeerX509Certificate?.() ?? (socket.getPeerCertificate()?.raw ? new X509Certificate(socket.getPeerCertificate().raw) : undefined);
  return raw ? clientCertificatePrincipal(raw) : ANONYMOUS;
}

/**
 * The Kafka principal of a verified client certificate. A DMS service certificate (SAN URI
 * dms://<role>/<id>) is no Kafka user's, even when an operator let one CA sign both kinds.
 */
export function clientCertificatePrincipal(cert: X509Certificate): string {
  if (identityFromSubjectAltName(cert.subjectAltName)) return ANONYMOUS;
  return cert.subject ? certificatePrincipal(cert.subject) : ANONYMOUS;
}

/** A frame head (api key, api version) of a request that may be large before any other was seen. */
function admitsLargeFirstRequest(head: Buffer): boolean {
  const handler = handlerFor(head.readInt16BE(0));
  const version = head.readInt16BE(2);
  return !!handler && !handler.beforeAuthentication && version >= handler.minVersion && version <= handler.maxVersion;
}
