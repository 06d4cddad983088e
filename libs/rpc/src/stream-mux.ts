import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { MessageStream } from './lean-stream-client';
import { traceContextOf } from './tracing';
import { grpcError } from './status';
import { DeadlineSweep } from './deadline-sweep';

/**
 * Several requests per stream message. Requests made in one event-loop turn while others are in
 * flight wait in an outbox and go out together at the end of the turn (setImmediate) or once the
 * outbox is full; a request made when nothing is in flight goes at once. Each keeps its own
 * correlation id and deadline, and each answer is matched on its own.
 */
export interface Coalescing<Req, Res, WireReq, WireRes> {
  pack(requests: Req[]): WireReq;
  unpack(message: WireRes): Res[];
  /** Send at once when this many requests wait (default 256). */
  maxRequests?: number;
  /** Send at once when the waiting requests weigh this much by `weight` (default 1 MiB). */
  maxWeight?: number;
  /** A request's weight, e.g. its record bytes (default 0). */
  weight?(request: Req): number;
}

export interface StreamMuxOptions<Req = unknown, Res = unknown, WireReq = Req, WireRes = Res> {
  /** Default per-request timeout; a timed-out request rejects with DEADLINE_EXCEEDED. */
  requestTimeoutMs?: number;
  /** Fill an empty `traceContext` field of each request from the active context (default true). */
  propagateTraceContext?: boolean;
  /** Used in error messages, e.g. "broker 3 produce". */
  name?: string;
  /** Pack the requests of one turn into one stream message (the stream then carries WireReq/WireRes). */
  coalesce?: Coalescing<Req, Res, WireReq, WireRes>;
}

/** One per request in flight: what settles its promise, and its timeout for the error message. */
interface Pending<Res> {
  resolve: (res: Res) => void;
  reject: (err: ServiceError) => void;
  timeoutMs: number;
}

// A promise executor shared by every request (not a closure per request): it hands the settle
// functions to the request being made through these two slots, read right after `new Promise`.
let takenResolve: ((res: unknown) => void) | undefined;
let takenReject: ((err: ServiceError) => void) | undefined;
function takeSettlers(resolve: (res: never) => void, reject: (err: ServiceError) => void): void {
  takenResolve = resolve as (res: unknown) => void;
  takenReject = reject;
}

type Tagged = { correlationId: bigint };

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}
type WithTrace = { traceContext?: Record<string, string> };

/**
 * Many concurrent requests over one long-lived bidi stream, matched to responses by correlation
 * id (responses may come back in any order). When the stream fails or ends, every request in
 * flight rejects with a retriable UNAVAILABLE error and the next request opens a fresh stream.
 */
export class StreamMux<Req extends Tagged, Res extends Tagged, WireReq = Req, WireRes = Res> {
  private stream: MessageStream<WireReq, WireRes> | undefined;
  /**
   * Requests in flight by correlation id. Ids are numbers inside the multiplexer (Map keys that
   * hash cheaply); the wire's uint64 is the request's BigInt copy, made once per request.
   */
  private readonly pending = new Map<number, Pending<Res>>();
  /** One timer for every request's deadline, not one per request, and no closure per request. */
  private readonly deadlines = new DeadlineSweep<number>(undefined, (id) => this.expire(id));
  private nextCorrelationId = 1;
  private lastCorrelationId = 0n;
  /** Messages waiting for 'drain', in call order, with the requests each carries. */
  private queue: { message: WireReq; ids: number[] }[] = [];
  private waitingDrain = false;
  /** Coalescing: requests of this turn not yet sent, and their ids. */
  private outbox: Req[] = [];
  private outboxIds: number[] = [];
  private outboxWeight = 0;
  private flushScheduled = false;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly name: string;
  private readonly coalesce: Coalescing<Req, Res, WireReq, WireRes> | undefined;

  constructor(
    private readonly open: () => MessageStream<WireReq, WireRes>,
    private readonly opts: StreamMuxOptions<Req, Res, WireReq, WireRes> = {},
  ) {
    this.timeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.name = opts.name ?? 'stream';
    this.coalesce = opts.coalesce;
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Sends `body` with a fresh correlation id; resolves with the matching response. */
  request(body: Omit<Req, 'correlationId'>, opts?: { timeoutMs?: number }): Promise<Res> {
    return this.start(body, opts?.timeoutMs);
  }

  /** As `request`, also naming the correlation id the request travels with (0 when refused). */
  requestWithId(body: Omit<Req, 'correlationId'>, opts?: { timeoutMs?: number }): { correlationId: bigint; response: Promise<Res> } {
    this.lastCorrelationId = 0n;
    const response = this.start(body, opts?.timeoutMs);
    return { correlationId: this.lastCorrelationId, response };
  }

  /** Sends `body`; the correlation id it travels with is left in `lastCorrelationId` (0 when refused). */
  private start(body: Omit<Req, 'correlationId'>, timeoutMsOpt: number | undefined): Promise<Res> {
    if (this.closed) return Promise.reject(grpcError(GrpcStatus.CANCELLED, `${this.name}: multiplexer closed`));
    const id = this.nextCorrelationId++;
    const correlationId = BigInt(id);
    this.lastCorrelationId = correlationId;
    // Object.assign, not a spread: the spread showed in gateway profiles (4.3 vs 0.8 µs per request).
    const req = Object.assign({}, body) as Req;
    req.correlationId = correlationId;
    if (this.opts.propagateTraceContext !== false) {
      const r = req as Req & WithTrace;
      if ('traceContext' in r && (!r.traceContext || isEmpty(r.traceContext))) {
        r.traceContext = traceContextOf();
      }
    }
    const timeoutMs = timeoutMsOpt ?? this.timeoutMs;
    const response = new Promise<Res>(takeSettlers);
    this.pending.set(id, { resolve: takenResolve!, reject: takenReject!, timeoutMs });
    takenResolve = takenReject = undefined;
    this.deadlines.add(id, timeoutMs);
    if (this.coalesce) this.enqueue(req, id, this.coalesce);
    else this.send(req as unknown as WireReq, [id]);
    return response;
  }

  private expire(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.reject(grpcError(GrpcStatus.DEADLINE_EXCEEDED, `${this.name}: no response within ${p.timeoutMs} ms`));
  }

  /**
   * Rejects every request in flight with CANCELLED and `reason`, keeping the stream open: their
   * answers, when they come, are dropped. For a caller that has something better to ask at once
   * (a replica fetcher whose partitions changed during a long poll). Returns how many it rejected.
   */
  abandonPending(reason: string): number {
    const n = this.pending.size;
    if (n === 0) return 0;
    const err = grpcError(GrpcStatus.CANCELLED, `${this.name}: ${reason}`);
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      this.deadlines.delete(id);
      p.reject(err);
    }
    return n;
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

  private enqueue(req: Req, id: number, c: Coalescing<Req, Res, WireReq, WireRes>): void {
    // As Nagle: a request made while nothing else is in flight goes out at once (waiting for the
    // end of the turn would only add latency); under load, the requests of a turn share a message.
    if (this.pending.size === 1 && this.outbox.length === 0) {
      this.send(c.pack([req]), [id]);
      return;
    }
    this.outbox.push(req);
    this.outboxIds.push(id);
    this.outboxWeight += c.weight?.(req) ?? 0;
    if (this.outbox.length >= (c.maxRequests ?? 256) || this.outboxWeight >= (c.maxWeight ?? 1024 * 1024)) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  /** Sends the outbox as one message (requests that timed out meanwhile are left out). */
  private flush(): void {
    const all = this.outbox;
    const allIds = this.outboxIds;
    this.outbox = [];
    this.outboxIds = [];
    this.outboxWeight = 0;
    const reqs: Req[] = [];
    const ids: number[] = [];
    for (let i = 0; i < all.length; i++) {
      if (!this.pending.has(allIds[i]!)) continue;
      reqs.push(all[i]!);
      ids.push(allIds[i]!);
    }
    if (reqs.length === 0 || !this.coalesce) return;
    this.send(this.coalesce.pack(reqs), ids);
  }

  private send(message: WireReq, ids: number[]): void {
    if (this.waitingDrain) {
      this.queue.push({ message, ids });
      return;
    }
    if (!this.anyPending(ids)) return; // timed out while queued
    let stream: MessageStream<WireReq, WireRes>;
    try {
      stream = this.current();
    } catch (err) {
      const e = grpcError(GrpcStatus.UNAVAILABLE, `${this.name}: cannot open stream: ${(err as Error).message}`);
      for (const id of ids) this.settle(id, undefined, e);
      return;
    }
    if (!stream.write(message)) {
      this.waitingDrain = true;
      stream.once('drain', () => this.onDrain(stream));
    }
  }

  private anyPending(ids: number[]): boolean {
    for (let i = 0; i < ids.length; i++) if (this.pending.has(ids[i]!)) return true;
    return false;
  }

  private onDrain(stream: MessageStream<WireReq, WireRes>): void {
    if (stream !== this.stream) return;
    this.waitingDrain = false;
    while (!this.waitingDrain && this.queue.length > 0) {
      const { message, ids } = this.queue.shift()!;
      this.send(message, ids);
    }
  }

  private current(): MessageStream<WireReq, WireRes> {
    if (this.stream) return this.stream;
    const stream = this.open();
    this.stream = stream;
    stream.on('data', (msg: WireRes) => {
      if (stream !== this.stream) return;
      if (!this.coalesce) return this.settle(Number((msg as unknown as Res).correlationId), msg as unknown as Res);
      for (const res of this.coalesce.unpack(msg)) this.settle(Number(res.correlationId), res);
    });
    stream.on('error', (err: Error) => {
      this.fail(stream, grpcError(GrpcStatus.UNAVAILABLE, `${this.name}: stream failed: ${err.message}`, err));
    });
    stream.on('end', () => {
      this.fail(stream, grpcError(GrpcStatus.UNAVAILABLE, `${this.name}: stream ended by peer`));
    });
    return stream;
  }

  private settle(id: number, res: Res | undefined, err?: ServiceError): void {
    const p = this.pending.get(id);
    if (!p) return; // answered after its timeout
    this.pending.delete(id);
    this.deadlines.delete(id);
    if (err) p.reject(err);
    else p.resolve(res!);
  }

  private fail(stream: MessageStream<WireReq, WireRes> | undefined, err: ServiceError): void {
    if (stream !== this.stream) return; // a stream we already gave up on
    this.stream = undefined;
    this.waitingDrain = false;
    this.queue = [];
    this.outbox = [];
    this.outboxIds = [];
    this.outboxWeight = 0;
    const pending = [...this.pending.values()];
    this.pending.clear();
    this.deadlines.clear();
    for (const p of pending) p.reject(err);
    // Release the HTTP/2 stream if the peer only half-closed it.
    if (stream && !this.closed) stream.cancel();
  }
}
