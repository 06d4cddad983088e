import type { ClusterView } from '@dms/cluster';
import { clusterV1, createClient, unary } from '@dms/rpc';

/** The ControllerService of the current leading controller (from etcd), one channel per address. */
export class ControllerClient {
  private client: clusterV1.ControllerServiceClient | undefined;
  private address = '';

  constructor(private readonly view: ClusterView) {}

  async alterPartition(req: clusterV1.AlterPartitionRequest, timeoutMs: number): Promise<clusterV1.AlterPartitionResponse> {
    const leader = this.view.controllerLeader();
    if (!leader || leader.port === 0) throw new Error('no controller leader known');
    const address = `${leader.host}:${leader.port}`;
    if (!this.client || this.address !== address) {
      this.client?.close();
      this.client = createClient(clusterV1.ControllerServiceClient, address);
      this.address = address;
    }
    const c = this.client;
    return unary(c.alterPartition.bind(c), req, { timeoutMs });
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}
