import * as net from 'node:net';
import * as tls from 'node:tls';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { FrameReader, FrameTooLargeError } from './frame-reader';

/**
 * One TCP connection carrying size-prefixed Kafka frames with many requests in flight.
 * Kafka answers the requests of one connection in the order they were sent, so responses are
 * matched against the oldest outstanding request; a response carrying any other correlation id
 * breaks that invariant and closes the connection. Knows nothing of message bodies.
 */
export interface FramedSocketOptions {
  /** Largest response frame accepted; a bigger size prefix closes the connection. */
  maxResponseBytes: number;
  /** Default time a request may wait for its response. */
  requestTimeoutMs: number;
}

interface Pending {
  correlationId: number;
  deadline: number;
  resolve: (frame: Buffer) => void;
  reject: (err: Error) => void;
}

const SWEEP_INTERVAL_MS = 50;

export class FramedSocket {
  private readonly reader: FrameReader;
  /** Outstanding requests, oldest first; `head` avoids O(n) shifts under heavy pipelining. */
  private queue: (Pending | undefined)[] = [];
  private head = 0;
  private closedWith: Error | null = null;
  private readonly sweeper: NodeJS.Timeout;
  private readonly closeListeners: ((err: Error) => void)[] = [];

  constructor(private readonly socket: net.Socket, private readonly opts: FramedSocketOptions) {
    this.reader = new FrameReader(opts.maxResponseBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new KafkaError(ErrorCode.NETWORK_EXCEPTION, `connection error: ${err.message}`)));
    socket.on('close', () => this.fail(new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'connection closed by peer')));
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** Plain TCP, or TLS when `tls` is given (resolves after the handshake). */
  static connect(host: string, port: number, opts: FramedSocketOptions & { connectTimeoutMs: number; tls?: tls.ConnectionOptions }): Promise<FramedSocket> {
    return new Promise((resolve, reject) => {
      const socket = opts.tls
        ? tls.connect({ ...opts.tls, host, port, servername: opts.tls.servername ?? (net.isIP(host) ? undefined : host) })
        : net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new KafkaError(ErrorCode.NETWORK_EXCEPTION, `connect to ${host}:${port} timed out after ${opts.connectTimeoutMs} ms`));
      }, opts.connectTimeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new KafkaError(ErrorCode.NETWORK_EXCEPTION, `connect to ${host}:${port} failed: ${err.message}`));
      });
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new FramedSocket(socket, opts));
      });
    });
  }

  get inFlight(): number {
    return this.queue.length - this.head;
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  onClose(listener: (err: Error) => void): void {
    if (this.closedWith) listener(this.closedWith);
    else this.closeListeners.push(listener);
  }

  /**
   * Writes one request frame (size prefix included). With expectResponse the promise yields the
   * response frame without its size prefix; without (acks=0 produce) it settles once written.
   */
  send(correlationId: number, frame: Buffer | Buffer[], expectResponse: boolean, timeoutMs = this.opts.requestTimeoutMs): Promise<Buffer | null> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const parts = Array.isArray(frame) ? frame : [frame];
    if (!expectResponse) {
      return new Promise((resolve, reject) => {
        this.write(parts, (err) => (err ? reject(new KafkaError(ErrorCode.NETWORK_EXCEPTION, err.message)) : resolve(null)));
      });
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ correlationId, deadline: Date.now() + timeoutMs, resolve, reject });
      this.write(parts);
    });
  }

  /** Closes now; requests still outstanding fail with NETWORK_EXCEPTION. */
  close(): void {
    if (this.closedWith) return;
    this.fail(new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'connection closed by client'));
  }

  destroy(err: Error): void {
    this.fail(err);
  }

  private write(parts: Buffer[], cb?: (err?: Error | null) => void): void {
    if (parts.length === 1) {
      this.socket.write(parts[0], cb);
      return;
    }
    this.socket.cork();
    for (let i = 0; i < parts.length; i++) this.socket.write(parts[i], i === parts.length - 1 ? cb : undefined);
    process.nextTick(() => this.socket.uncork());
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      const msg = err instanceof FrameTooLargeError ? err.message : String(err);
      this.fail(new KafkaError(ErrorCode.NETWORK_EXCEPTION, `bad response frame: ${msg}`));
      return;
    }
    for (const frame of frames) {
      if (this.closedWith) return;
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Buffer): void {
    const pending = this.queue[this.head];
    if (frame.length < 4 || !pending) {
      this.fail(new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'unsolicited or truncated response frame'));
      return;
    }
    const correlationId = frame.readInt32BE(0);
    if (correlationId !== pending.correlationId) {
      this.fail(new KafkaError(ErrorCode.NETWORK_EXCEPTION,
        `response correlation id ${correlationId} does not match the oldest request (${pending.correlationId})`));
      return;
    }
    this.queue[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    pending.resolve(frame);
  }

  /**
   * A timed-out request's response may still arrive, and ordering is all we match on, so the
   * only safe recovery is the Java client's: close the connection and fail everything on it.
   */
  private sweep(): void {
    if (this.inFlight === 0) return;
    const now = Date.now();
    for (let i = this.head; i < this.queue.length; i++) {
      const p = this.queue[i];
      if (p && p.deadline <= now) {
        this.fail(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `request ${p.correlationId} timed out`), p);
        return;
      }
    }
  }

  private fail(err: Error, culprit?: Pending): void {
    if (this.closedWith) return;
    this.closedWith = err;
    clearInterval(this.sweeper);
    this.socket.destroy();
    const pending = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    const others = culprit ? new KafkaError(ErrorCode.NETWORK_EXCEPTION, `connection closed: ${err.message}`) : err;
    for (const p of pending) if (p) p.reject(p === culprit ? err : others);
    for (const l of this.closeListeners.splice(0)) l(err);
  }
}
