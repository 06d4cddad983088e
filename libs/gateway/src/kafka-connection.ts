import type { Socket } from 'node:net';
import { SpanKind, SpanStatusCode, context, trace, type Tracer } from '@opentelemetry/api';
import { decodeRequestBody, decodeRequestHeader, encodeResponseChunks } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { apiVersionsBody, handlerFor, handlers, type RequestContext } from '@dms/kafka-handlers';
import { FrameReader } from './frame-reader';

export interface ConnectionLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ConnectionOptions {
  maxFrameBytes: number;
  /** Reading pauses while this many requests wait for their answers (pipelining bound). */
  maxInFlight: number;
  tracer: Tracer;
  logger: ConnectionLogger;
  makeContext(clientId: string | null, clientHost: string): RequestContext;
  onRequest?(apiKey: number, version: number, bytes: number): void;
}

interface Pending {
  done: boolean;
  chunks: Buffer[] | null;
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
  readonly remote: string;
  private readonly clientHost: string;

  constructor(private readonly socket: Socket, private readonly opts: ConnectionOptions) {
    this.reader = new FrameReader(opts.maxFrameBytes);
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    // Kafka reports member hosts as "/address" (InetAddress.toString of an unresolved peer).
    this.clientHost = `/${socket.remoteAddress ?? 'unknown'}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => (this.closed = true));
    socket.on('drain', () => this.maybeResume());
  }

  close(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (reason) this.opts.logger.warn({ remote: this.remote, reason }, 'closing client connection');
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      return this.close((e as Error).message);
    }
    for (const frame of frames) {
      if (this.closed) return;
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Buffer): void {
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
    if (!handler) return this.close(`unsupported api key ${apiKey}`);
    if (version < handler.minVersion || version > handler.maxVersion) {
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
    const ctx = this.opts.makeContext(header.clientId, this.clientHost);
    const work = context.with(trace.setSpan(context.active(), span), async () => handler.handle(ctx, body, version));
    const answer = work.then(
      (res) => {
        span.end();
        return res === undefined ? null : encodeResponseChunks(apiKey, version, correlationId, res);
      },
      (err: Error) => {
        span.recordException(err);
        span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
        span.end();
        this.opts.logger.error({ err, apiKey, version, remote: this.remote }, 'request handler failed');
        throw err;
      },
    );
    this.enqueue(answer);
  }

  private enqueue(answer: Promise<Buffer[] | null>): void {
    const slot: Pending = { done: false, chunks: null };
    this.queue.push(slot);
    answer.then(
      (chunks) => {
        slot.done = true;
        slot.chunks = chunks;
        this.flush();
      },
      () => this.close('request failed; closing as Kafka does on an unexpected server error'),
    );
    if (this.queue.length >= this.opts.maxInFlight && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private flush(): void {
    if (this.closed) return;
    let wrote = false;
    while (this.queue.length > 0 && this.queue[0].done) {
      const { chunks } = this.queue.shift()!;
      if (!chunks) continue;
      if (!wrote) this.socket.cork();
      wrote = true;
      for (const c of chunks) this.socket.write(c);
    }
    if (wrote) process.nextTick(() => this.socket.uncork());
    this.maybeResume();
  }

  private maybeResume(): void {
    if (this.paused && this.queue.length < this.opts.maxInFlight / 2 && !this.socket.writableNeedDrain) {
      this.paused = false;
      this.socket.resume();
    }
  }
}
