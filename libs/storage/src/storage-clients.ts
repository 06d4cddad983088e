import type { ClusterView } from '@dms/cluster';
import { StorageServiceClient, createClient } from '@dms/rpc';

/**
 * One StorageService client per live broker, found through etcd and replaced when the broker
 * re-registers at another address. For calls this broker makes to its peers outside replication
 * (transaction markers, end offsets for lag metrics).
 */
export class StorageClients {
  private readonly clients = new Map<number, { address: string; client: StorageServiceClient }>();

  constructor(private readonly view: ClusterView) {}

  /** The client of a registered broker, or undefined when it is not registered (not live). */
  of(brokerId: number): StorageServiceClient | undefined {
    const b = this.view.broker(brokerId);
    if (!b) return undefined;
    const address = `${b.host}:${b.port}`;
    const existing = this.clients.get(brokerId);
    if (existing?.address === address) return existing.client;
    existing?.client.close();
    const client = createClient(StorageServiceClient, address);
    this.clients.set(brokerId, { address, client });
    return client;
  }

  close(): void {
    for (const c of this.clients.values()) c.client.close();
    this.clients.clear();
  }
}
