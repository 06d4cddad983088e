import { status as GrpcStatus, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { traceContextOf } from './tracing';
import { grpcError } from './status';
import { DeadlineSweep } from './deadline-sweep';

export interface StreamMuxOptions {
  /** Default per-request timeout; a timed-out request rejects with DEADLINE_EXCEEDED. */
  requestTimeoutMs?: number;
  /** Fill an empty `traceContext` field of each request from the active context (default true). */
  propagateTraceContext?: boolean;
  /** Used in error messages, e.g. "broker 3 produce". */
  name?: string;
}

interface Pending<Res> {
  resolve: (res: Res) => void;
  reject: (err: ServiceError) => void;
}

type Tagged = { correlationId: bigint };
type WithTrace = { traceContext?: Record<string, string> };

/**
 * Many concurrent requests over one long-lived bidi stream, matched to responses by correlation
 * id (responses may come back in any order). When the stream fails or ends, every request in
 * flight rejects with a retriable UNAVAILABLE error and the next request opens a fresh stream.
 */
export class StreamMux<Req extends Tagged, Res extends Tagged> {
  private stream: ClientDuplexStream<Req, Res> | undefined;
  private readonly pending = new Map<bigint, Pending<Res>>();
  /** One timer for every request's deadline, not one per request. */
  private readonly deadlines = new DeadlineSweep<bigint>();
  private nextCorrelationId = 1n;
  /** Requests waiting for 'drain', in call order. */
  private queue: Req[] = [];
  private waitingDrain = false;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly name: string;

  constructor(
    private readonly open: () => ClientDuplexStream<Req, Res>,
    private readonly opts: StreamMuxOptions = {},
  ) {
    this.timeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.name = opts.name ?? 'stream';
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Sends `body` with a fresh correlation id; resolves with the matching response. */
  request(body: Omit<Req, 'correlationId'>, opts: { timeoutMs?: number } = {}): Promise<Res> {
    return this.requestWithId(body, opts).response;
  }

  /** As `request`, also naming the correlation id the request travels with (0 when refused). */
  requestWithId(body: Omit<Req, 'correlationId'>, opts: { timeoutMs?: number } = {}): { correlationId: bigint; response: Promise<Res> } {
    if (this.closed) return { correlationId: 0n, response: Promise.reject(grpcError(GrpcStatus.CANCELLED, `${this.name}: multiplexer closed`)) };
    const correlationId = this.nextCorrelationId++;
    const req = { ...body, correlationId } as Req;
    if (this.opts.propagateTraceContext !== false) {
      const r = req as Req & WithTrace;
      if ('traceContext' in r && (!r.traceContext || Object.keys(r.traceContext).length === 0)) {
        r.traceContext = traceContextOf();
      }
    }
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const response = new Promise<Res>((resolve, reject) => {
      this.pending.set(correlationId, { resolve, reject });
      this.deadlines.add(correlationId, timeoutMs, () => {
        if (this.pending.delete(correlationId)) {
          reject(grpcError(GrpcStatus.DEADLINE_EXCEEDED, `${this.name}: no response within ${timeoutMs} ms`));
        }
      });
      if (this.waitingDrain) this.queue.push(req);
      else this.write(req);
    });
    return { correlationId, response };
  }

  /** Rejects everything in flight and ends the stream; later requests are refused. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const stream = this.stream;
    this.fail(stream, grpcError(GrpcStatus.CANCELLED, `${this.name}: multiplexer closed`));
    if (stream) {
      stream.end();
      stream.cancel();
    }
  }

  private write(req: Req): void {
    if (!this.pending.has(req.correlationId)) return; // timed out while queued
    let stream: ClientDuplexStream<Req, Res>;
    try {
      stream = this.current();
    } catch (err) {
      this.settle(req.correlationId, undefined, grpcError(GrpcStatus.UNAVAILABLE, `${this.name}: cannot open stream: ${(err as Error).message}`));
      return;
    }
    if (!stream.write(req)) {
      this.waitingDrain = true;
      stream.once('drain', () => this.onDrain(stream));
    }
  }

  private onDrain(stream: ClientDuplexStream<Req, Res>): void {
    if (stream !== this.stream) return;
    this.waitingDrain = false;
    while (!this.waitingDrain && this.queue.length > 0) this.write(this.queue.shift()!);
  }

  private current(): ClientDuplexStream<Req, Res> {
    if (this.stream) return this.stream;
    const stream = this.open();
    this.stream = stream;
    stream.on('data', (res: Res) => {
      if (stream === this.stream) this.settle(res.correlationId, res);
    });
    stream.on('error', (err: Error) => {
      this.fail(stream, grpcError(GrpcStatus.UNAVAILABLE, `${this.name}: stream failed: ${err.message}`, err));
    });
    stream.on('end', () => {
      this.fail(stream, grpcError(GrpcStatus.UNAVAILABLE, `${this.name}: stream ended by peer`));
    });
    return stream;
  }

  private settle(id: bigint, res: Res | undefined, err?: ServiceError): void {
    const p = this.pending.get(id);
    if (!p) return; // answered after its timeout
    this.pending.delete(id);
    this.deadlines.delete(id);
    if (err) p.reject(err);
    else p.resolve(res!);
  }

  private fail(stream: ClientDuplexStream<Req, Res> | undefined, err: ServiceError): void {
    if (stream !== this.stream) return; // a stream we already gave up on
    this.stream = undefined;
    this.waitingDrain = false;
    this.queue = [];
    const pending = [...this.pending.values()];
    this.pending.clear();
    this.deadlines.clear();
    for (const p of pending) p.reject(err);
    // Release the HTTP/2 stream if the peer only half-closed it.
    if (stream && !this.closed) stream.cancel();
  }
}
