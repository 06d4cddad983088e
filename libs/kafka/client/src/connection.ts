import { decodeResponse, encodeRequest } from '@dms/kafka-codec';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { ApiKey, type ApiVersionsResponse } from '@dms/kafka-schema';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { isScramMechanism, plainMessage, ScramClient } from '@dms/security';
import { FramedSocket } from './framed-socket';
import { negotiateVersions, requireVersion, CLIENT_VERSIONS } from './versions';

export interface ConnectionOptions {
  clientId?: string;
  /** Default time a request waits for its response (fetches add their maxWaitMs). */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Largest response frame accepted. */
  maxResponseBytes?: number;
  /** Connect over TLS with these options (security.protocol SSL or SASL_SSL). */
  tls?: TlsConnectionOptions;
  /** Log in with SASL after ApiVersions (security.protocol SASL_PLAINTEXT or SASL_SSL). */
  sasl?: SaslCredentials;
}

export interface SaslCredentials {
  mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  username: string;
  password: string;
}

export interface RequestOptions {
  /** Overrides the negotiated version. */
  version?: number;
  timeoutMs?: number;
}

const DEFAULTS = {
  clientId: 'dms-client',
  requestTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  maxResponseBytes: 256 * 1024 * 1024,
};

const SOFTWARE_NAME = 'dms-client';
const SOFTWARE_VERSION = '0.1.0';

/**
 * A Kafka connection to one broker: framing and pipelining from FramedSocket, bodies through
 * the codec, versions negotiated once with ApiVersions when the connection opens.
 */
export class KafkaConnection {
  private nextCorrelationId = 0;
  private versions = new Map<number, number>();

  private constructor(
    readonly host: string,
    readonly port: number,
    private readonly socket: FramedSocket,
    private readonly clientId: string,
  ) {}

  static async open(host: string, port: number, options: ConnectionOptions = {}): Promise<KafkaConnection> {
    const o = { ...DEFAULTS, ...options };
    const socket = await FramedSocket.connect(host, port, o);
    const conn = new KafkaConnection(host, port, socket, o.clientId);
    try {
      await conn.negotiate();
      if (o.sasl) await conn.authenticate(o.sasl);
    } catch (err) {
      socket.destroy(err as Error);
      throw err;
    }
    return conn;
  }

  get closed(): boolean {
    return this.socket.closed;
  }

  get inFlight(): number {
    return this.socket.inFlight;
  }

  onClose(listener: (err: Error) => void): void {
    this.socket.onClose(listener);
  }

  /** The version requests of this key are sent with; throws UNSUPPORTED_VERSION if none. */
  version(apiKey: number): number {
    return requireVersion(this.versions, apiKey);
  }

  supports(apiKey: number): boolean {
    return this.versions.has(apiKey);
  }

  /** Sends a request and decodes its response body. Requests pipeline: call without awaiting. */
  async request<Res>(apiKey: number, body: object, opts: RequestOptions = {}): Promise<Res> {
    const version = opts.version ?? this.version(apiKey);
    const correlationId = this.correlationId();
    const frame = this.encode(apiKey, version, correlationId, body);
    const response = (await this.socket.send(correlationId, frame, true, opts.timeoutMs))!;
    return this.decode<Res>(apiKey, version, response);
  }

  /** Sends a request the broker will not answer (Produce with acks=0); settles once written. */
  async sendOnly(apiKey: number, body: object, opts: RequestOptions = {}): Promise<void> {
    const version = opts.version ?? this.version(apiKey);
    const correlationId = this.correlationId();
    await this.socket.send(correlationId, this.encode(apiKey, version, correlationId, body), false);
  }

  close(): void {
    this.socket.close();
  }

  private correlationId(): number {
    const id = this.nextCorrelationId;
    this.nextCorrelationId = (id + 1) & 0x7fffffff;
    return id;
  }

  private encode(apiKey: number, version: number, correlationId: number, body: object): Buffer {
    try {
      return encodeRequest({ requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: this.clientId }, body as never);
    } catch (err) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `cannot encode api ${apiKey} v${version}: ${(err as Error).message}`);
    }
  }

  private decode<Res>(apiKey: number, version: number, frame: Buffer): Res {
    try {
      return decodeResponse(apiKey, version, frame).body as Res;
    } catch (err) {
      // Frame boundaries are intact, so the connection stays usable; only this request fails.
      throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `undecodable response to api ${apiKey} v${version}: ${(err as Error).message}`);
    }
  }

  /** SaslHandshake v1 then SaslAuthenticate rounds; a refused login rejects with its Kafka error. */
  private async authenticate(sasl: SaslCredentials): Promise<void> {
    const hs = await this.request<{ errorCode: number; mechanisms: string[] }>(ApiKey.SaslHandshake, { mechanism: sasl.mechanism }, { version: 1 });
    if (hs.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(hs.errorCode, `SASL mechanism ${sasl.mechanism} refused; the broker offers ${hs.mechanisms.join(', ')}`);
    }
    const version = Math.min(this.versions.get(ApiKey.SaslAuthenticate) ?? 0, 2);
    const round = async (authBytes: Buffer): Promise<Buffer> => {
      const r = await this.request<{ errorCode: number; errorMessage: string | null; authBytes: Buffer }>(ApiKey.SaslAuthenticate, { authBytes }, { version });
      if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, r.errorMessage ?? 'SASL authentication failed');
      return r.authBytes;
    };
    if (sasl.mechanism === 'PLAIN') {
      await round(plainMessage(sasl.username, sasl.password));
      return;
    }
    if (!isScramMechanism(sasl.mechanism)) throw new KafkaError(ErrorCode.UNSUPPORTED_SASL_MECHANISM, `unsupported mechanism ${sasl.mechanism}`);
    const scram = new ScramClient(sasl.mechanism, sasl.username, sasl.password);
    const serverFirst = await round(scram.first());
    const serverFinal = await round(scram.final(serverFirst));
    try {
      scram.verify(serverFinal);
    } catch (e) {
      throw new KafkaError(ErrorCode.SASL_AUTHENTICATION_FAILED, (e as Error).message);
    }
  }

  /**
   * A broker that does not know our ApiVersions version answers at v0 with UNSUPPORTED_VERSION
   * and its own range for ApiVersions; like the Java client we parse that and retry once.
   */
  private async negotiate(): Promise<void> {
    const ours = CLIENT_VERSIONS[ApiKey.ApiVersions];
    let version = ours.max;
    for (let attempt = 0; attempt < 2; attempt++) {
      const correlationId = this.correlationId();
      const body = { clientSoftwareName: SOFTWARE_NAME, clientSoftwareVersion: SOFTWARE_VERSION };
      const frame = (await this.socket.send(correlationId, this.encode(ApiKey.ApiVersions, version, correlationId, body), true))!;
      let res: ApiVersionsResponse;
      try {
        res = this.decode<ApiVersionsResponse>(ApiKey.ApiVersions, version, frame);
      } catch {
        res = this.decode<ApiVersionsResponse>(ApiKey.ApiVersions, 0, frame);
      }
      if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION && attempt === 0) {
        const theirs = res.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions);
        const next = theirs ? Math.min(theirs.maxVersion, ours.max) : 0;
        if (next < version) {
          version = next;
          continue;
        }
      }
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, `ApiVersions failed with error ${res.errorCode}`);
      this.versions = negotiateVersions(res.apiKeys);
      return;
    }
  }
}
