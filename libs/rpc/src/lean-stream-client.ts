import { EventEmitter } from 'node:events';
import * as http2 from 'node:http2';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { FrameDecoder, FramingError, type GatherBuffer } from './grpc-framing';
import { FLOW_CONTROL_WINDOW_BYTES, KEEPALIVE_TIME_MS, KEEPALIVE_TIMEOUT_MS, MAX_MESSAGE_BYTES, WRITE_BUFFER_BYTES } from './options';
import { grpcError } from './status';
import { checkServiceServerIdentity } from './service-identity';
import { INTERNAL_SERVER_NAME, internalTls, type InternalTls } from './tls';

/** What StreamMux needs of a bidi stream (grpc-js's ClientDuplexStream has it too). */
export interface MessageStream<Req, Res> {
  write(message: Req): boolean;
  end(): void;
  cancel(): void;
  on(event: 'data', listener: (message: Res) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'end', listener: () => void): this;
  once(event: 'drain', listener: () => void): this;
}

/** How one method's messages become frames and back: `encode` returns a whole frame (see grpc-framing). */
export interface LeanMethod<Req, Res> {
  path: string;
  encode(message: Req): Buffer;
  decode(bytes: Buffer): Res;
  /**
   * Where an answer spread over several http2 chunks is gathered (default a fresh buffer): a
   * pool's lease, ended by whoever holds the decoded answer once its views are done.
   */
  gather?: GatherBuffer;
}

export interface LeanSessionOptions {
  /** Mutual TLS; defaults to the process's configureInternalTls material (plaintext without). */
  tls?: InternalTls;
  flowControlWindowBytes?: number;
  maxMessageBytes?: number;
  /**
   * Bytes a stream may hold unsent before write() asks the caller to wait for 'drain' (default
   * WRITE_BUFFER_BYTES). Node's own mark for a byte stream is 16 KiB, less than one coalesced
   * message, which would let only one message at a time into the connection.
   */
  writeBufferBytes?: number;
  keepaliveTimeMs?: number;
  keepaliveTimeoutMs?: number;
}

const { HTTP2_HEADER_PATH, HTTP2_HEADER_METHOD, HTTP2_HEADER_CONTENT_TYPE, HTTP2_HEADER_TE, HTTP2_HEADER_STATUS } = http2.constants;

/**
 * One HTTP/2 connection to a broker for the hot bidi streams, framed by us instead of grpc-js's
 * call stack (decision 0033). It speaks gRPC on the wire (same paths, headers, framing, status
 * trailers, same mutual TLS and server identity check), so a grpc-js server answers it too. A
 * connection that fails or closes is replaced by the next stream opened; the streams on it end
 * with UNAVAILABLE, which StreamMux turns into retriable failures of the requests in flight.
 */
export class LeanSession {
  private session: http2.ClientHttp2Session | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly tls: InternalTls | undefined;
  private readonly window: number;
  private readonly maxMessageBytes: number;
  private readonly writeBufferBytes: number;

  constructor(
    readonly address: string,
    private readonly opts: LeanSessionOptions = {},
  ) {
    this.tls = opts.tls ?? internalTls();
    this.window = opts.flowControlWindowBytes ?? FLOW_CONTROL_WINDOW_BYTES;
    this.maxMessageBytes = opts.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.writeBufferBytes = opts.writeBufferBytes ?? WRITE_BUFFER_BYTES;
  }

  /** Opens a bidi stream of `method` on the current connection (connecting first if there is none). */
  open<Req, Res>(method: LeanMethod<Req, Res>): MessageStream<Req, Res> {
    if (this.closed) throw grpcError(GrpcStatus.CANCELLED, `${this.address}: session closed`);
    const session = this.current();
    const req = session.request(
      {
        [HTTP2_HEADER_METHOD]: 'POST',
        [HTTP2_HEADER_PATH]: method.path,
        [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        [HTTP2_HEADER_TE]: 'trailers',
        'grpc-accept-encoding': 'identity',
      },
      { endStream: false },
    );
    return new LeanClientStream(req, method, this.maxMessageBytes, this.writeBufferBytes);
  }

  close(): void {
    this.closed = true;
    this.drop(this.session);
  }

  private current(): http2.ClientHttp2Session {
    const s = this.session;
    if (s && !s.closed && !s.destroyed) return s;
    const authority = `${this.tls ? 'https' : 'http'}://${this.address.includes(':') && this.address.split(':').length > 2 && !this.address.startsWith('[') ? `[${this.address}]` : this.address}`;
    // As grpc-js: Node's 10 MB session memory cap would fail a connection carrying a few large
    // messages (ENHANCE_YOUR_CALM); flow control already bounds what is in flight.
    const common = { settings: this.window > 0 ? { initialWindowSize: this.window } : {}, maxSessionMemory: Number.MAX_SAFE_INTEGER, maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER };
    const session = this.tls
      ? http2.connect(authority, {
          ...common,
          ca: this.tls.ca,
          cert: this.tls.cert,
          key: this.tls.key,
          servername: INTERNAL_SERVER_NAME,
          checkServerIdentity: checkServiceServerIdentity,
          ALPNProtocols: ['h2'],
        })
      : http2.connect(authority, common);
    this.session = session;
    session.on('error', () => this.drop(session));
    session.on('close', () => this.drop(session));
    session.on('goaway', () => this.drop(session, false));
    session.once('connect', () => {
      if (this.window > 0) {
        try {
          session.setLocalWindowSize(this.window);
        } catch {
          // closing already
        }
      }
    });
    this.startKeepalive(session);
    return session;
  }

  /** Pings an idle connection as grpc-js keepalive does, so a silent peer is noticed. */
  private startKeepalive(session: http2.ClientHttp2Session): void {
    const every = this.opts.keepaliveTimeMs ?? KEEPALIVE_TIME_MS;
    const timeout = this.opts.keepaliveTimeoutMs ?? KEEPALIVE_TIMEOUT_MS;
    clearInterval(this.keepalive);
    this.keepalive = setInterval(() => {
      if (session !== this.session || session.destroyed) return;
      const timer = setTimeout(() => this.drop(session), timeout);
      timer.unref();
      const sent = session.ping((err) => {
        clearTimeout(timer);
        if (err) this.drop(session);
      });
      if (!sent) clearTimeout(timer);
    }, every);
    this.keepalive.unref();
  }

  /** Forgets a connection; `destroy` also tears it down (a GOAWAY lets its streams finish). */
  private drop(session: http2.ClientHttp2Session | undefined, destroy = true): void {
    if (!session) return;
    if (session === this.session) {
      this.session = undefined;
      clearInterval(this.keepalive);
    }
    if (destroy && !session.destroyed) session.destroy();
    else if (!session.closed) session.close();
  }
}

/** One gRPC bidi call framed by us; emits decoded messages, then 'end' (status OK) or 'error'. */
class LeanClientStream<Req, Res> extends EventEmitter implements MessageStream<Req, Res> {
  private readonly decoder: FrameDecoder;
  private finished = false;

  constructor(
    private readonly req: http2.ClientHttp2Stream,
    private readonly method: LeanMethod<Req, Res>,
    maxMessageBytes: number,
    private readonly writeBufferBytes: number,
  ) {
    super();
    this.decoder = new FrameDecoder(maxMessageBytes, method.gather);
    req.on('response', (headers) => {
      const status = Number(headers[HTTP2_HEADER_STATUS]);
      if (status !== 200) return this.finish(grpcError(GrpcStatus.UNAVAILABLE, `${method.path}: HTTP status ${String(status)}`));
      // Trailers-only answer (an immediate error, e.g. PERMISSION_DENIED or UNIMPLEMENTED).
      if (headers['grpc-status'] !== undefined) this.onStatus(headers);
    });
    req.on('data', (chunk: Buffer) => this.onData(chunk));
    req.on('trailers', (trailers) => this.onStatus(trailers));
    req.on('error', (err: Error) => this.finish(grpcError(GrpcStatus.UNAVAILABLE, `${method.path}: ${err.message}`, err)));
    req.on('close', () => this.finish(grpcError(GrpcStatus.UNAVAILABLE, `${method.path}: stream closed (HTTP/2 code ${req.rstCode ?? 0})`)));
    req.on('drain', () => this.emit('drain'));
  }

  write(message: Req): boolean {
    if (this.finished || this.req.destroyed) return true;
    // Node's byte-stream mark (16 KiB) is below one coalesced message: past it, keep taking
    // messages until writeBufferBytes wait unsent, as grpc-js takes 16 messages.
    return this.req.write(this.method.encode(message)) || this.req.writableLength < this.writeBufferBytes;
  }

  end(): void {
    if (!this.req.destroyed && !this.req.writableEnded) this.req.end();
  }

  cancel(): void {
    this.finished = true;
    if (!this.req.destroyed) this.req.close(http2.constants.NGHTTP2_CANCEL);
  }

  private onData(chunk: Buffer): void {
    if (this.finished) return;
    try {
      this.decoder.push(chunk, (bytes) => {
        if (!this.finished) this.emit('data', this.method.decode(bytes));
      });
    } catch (err) {
      const code = err instanceof FramingError ? GrpcStatus.RESOURCE_EXHAUSTED : GrpcStatus.INTERNAL;
      this.finish(grpcError(code, `${this.method.path}: ${(err as Error).message}`, err));
      this.cancel();
    }
  }

  private onStatus(headers: http2.IncomingHttpHeaders): void {
    const code = Number(headers['grpc-status'] ?? GrpcStatus.UNKNOWN);
    if (code === GrpcStatus.OK) {
      if (this.finished) return;
      this.finished = true;
      this.emit('end');
      return;
    }
    const raw = headers['grpc-message'];
    let details = typeof raw === 'string' ? raw : '';
    try {
      details = decodeURIComponent(details);
    } catch {
      // not percent-encoded
    }
    this.finish(grpcError(code as GrpcStatus, details || `${this.method.path}: status ${code}`));
  }

  private finish(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.emit('error', err);
  }
}
