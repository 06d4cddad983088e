import type { ClusterView } from '@dms/cluster';
import { clusterV1, createClient, unary } from '@dms/rpc';

/** The ControllerService of the current leading controller (from etcd), one channel per address. */
export class ControllerClient {
  private client: clusterV1.ControllerServiceClient | undefined;
  private address = '';

  constructor(private readonly view: ClusterView) {}

  async alterPartition(req: clusterV1.AlterPartitionRequest, timeoutMs: number): Promise<clusterV1.AlterPartitionResponse> {
    const c = this.leader();
    return unary(c.alterPartition.bind(c), req, { timeoutMs });
  }

  /** A block of producer ids for this broker's transaction coordinator. */
  async allocateProducerIds(brokerId: number, timeoutMs: number): Promise<clusterV1.AllocateProducerIdsResponse> {
    const c = this.leader();
    return unary(c.allocateProducerIds.bind(c), { brokerId }, { timeoutMs });
  }

  /** Kafka's ControlledShutdown for this broker. */
  async controlledShutdown(brokerId: number, timeoutMs: number): Promise<clusterV1.ControlledShutdownResponse> {
    const c = this.leader();
    return unary(c.controlledShutdown.bind(c), { brokerId }, { timeoutMs });
  }

  private leader(): clusterV1.ControllerServiceClient {
    const leader = this.view.controllerLeader();
    if (!leader || leader.port === 0) throw new Error('no controller leader known');
    const address = `${leader.host}:${leader.port}`;
    if (!this.client || this.address !== address) {
      this.client?.close();
      this.client = createClient(clusterV1.ControllerServiceClient, address);
      this.address = address;
    }
    return this.client;
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}
