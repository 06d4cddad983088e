import type { ClusterView } from '@dms/cluster';
import {
  LeanSession,
  StreamMux,
  fetchMethod,
  openFetch,
  openProduceBatch,
  type ReadBufferPool,
  type InternalStreamTransport,
  StorageServiceClient,
  createClient,
  type GrpcClientOptions,
  type FetchRequest,
  type FetchResponse,
  type ProduceRequest,
  type ProduceResponse,
} from '@dms/rpc';
import { coalescingProduce, type ProduceChannel } from './produce-channel';

export interface BrokerClient {
  id: number;
  address: string;
  client: StorageServiceClient;
  produce: StreamMux<ProduceRequest, ProduceResponse>;
  /** What the gateway's produce path sends on: ProduceBatch (coalescing) or `produce` itself. */
  produceChannel: ProduceChannel;
  fetch: StreamMux<FetchRequest, FetchResponse>;
  /** The framed connection ProduceBatch and Fetch ride on (internal.stream.transport=framed). */
  lean?: LeanSession;
}

/**
 * One long-lived gRPC channel per storage broker with a Produce and a Fetch stream on it (with
 * internal.stream.transport=framed, ProduceBatch and Fetch ride a second, framed connection),
 * re-created when the broker re-registers at another address.
 */
export class BrokerClients {
  private readonly clients = new Map<number, BrokerClient>();
  /** Live broker addresses, rebuilt lazily after a metadata change (the view scans all keys). */
  private addresses: Map<number, string> | undefined;

  constructor(
    private readonly view: ClusterView,
    private readonly clientOptions: GrpcClientOptions = {},
    private readonly opts: {
      coalesceProduce?: boolean;
      streamTransport?: InternalStreamTransport;
      /**
       * Framed transport: where Fetch answers spread over several http2 chunks are gathered. The
       * lease ends when the Kafka response holding views of it has been written (see fetch-leases).
       */
      fetchBuffers?: ReadBufferPool;
    } = {},
  ) {
    view.on('change', () => {
      this.addresses = undefined;
      this.prune();
    });
  }

  /** Ids of the live storage brokers, ascending. */
  liveIds(): number[] {
    return [...this.live().keys()].sort((a, b) => a - b);
  }

  isLive(brokerId: number): boolean {
    return this.live().has(brokerId);
  }

  get(brokerId: number): BrokerClient | undefined {
    const address = this.live().get(brokerId);
    if (!address) return undefined;
    const existing = this.clients.get(brokerId);
    if (existing && existing.address === address) return existing;
    if (existing) this.drop(existing);
    const client = createClient(StorageServiceClient, address, this.clientOptions);
    const produce = new StreamMux<ProduceRequest, ProduceResponse>(() => client.produce(), { name: `broker ${brokerId} produce` });
    const coalesce = this.opts.coalesceProduce !== false;
    const lean = this.opts.streamTransport === 'framed' ? new LeanSession(address) : undefined;
    const openBatch = lean ? () => openProduceBatch(lean) : () => client.produceBatch();
    const pool = this.opts.fetchBuffers;
    const fetch = lean ? fetchMethod(pool ? (n) => pool.acquire(n) : undefined) : undefined;
    const created: BrokerClient = {
      id: brokerId,
      address,
      client,
      produce,
      produceChannel: coalesce ? coalescingProduce(openBatch, produce, `broker ${brokerId} produce`) : produce,
      fetch: new StreamMux<FetchRequest, FetchResponse>(lean && fetch ? () => openFetch(lean, fetch) : () => client.fetch(), { name: `broker ${brokerId} fetch` }),
      lean,
    };
    this.clients.set(brokerId, created);
    return created;
  }

  close(): void {
    for (const c of this.clients.values()) this.drop(c);
    this.clients.clear();
  }

  private live(): Map<number, string> {
    this.addresses ??= new Map(this.view.brokers().map((b) => [b.id, `${b.host}:${b.port}`]));
    return this.addresses;
  }

  private prune(): void {
    if (this.clients.size === 0) return;
    const live = this.live();
    for (const c of this.clients.values()) {
      if (live.get(c.id) !== c.address) {
        this.clients.delete(c.id);
        this.drop(c);
      }
    }
  }

  private drop(c: BrokerClient): void {
    c.produce.close();
    if (c.produceChannel !== c.produce) c.produceChannel.close();
    c.fetch.close();
    c.client.close();
    c.lean?.close();
  }
}

