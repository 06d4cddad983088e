import type { Server } from '@grpc/grpc-js';
import type { Tracer } from '@opentelemetry/api';
import type { ClusterView } from '@dms/cluster';
import { groupConfigOverrides } from '@dms/configs';
import { defaultShareConfig, type GroupCoordinator, type ShareGroupConfig } from '@dms/groups';
import type { Logger } from '@dms/platform';
import { ShareGroupServiceService, SharePartitionServiceService, ShareStateServiceService } from '@dms/rpc';
import type { ReplicaManager } from '../replica-manager';
import { ShareCoordinatorHost } from './share-coordinator-host';
import { createShareGroupService } from './share-group-service';
import { SharePartitionManager } from './share-partition-manager';
import { createSharePartitionService } from './share-partition-service';
import { ShareStateClient } from './share-state-client';

export interface ShareBrokerOptions {
  brokerId: number;
  selfAddress: () => string;
  config: Partial<ShareGroupConfig>;
  tracer: Tracer;
  logger: Logger;
}

/**
 * What a storage broker hosts for share groups: the membership face of its group coordinator,
 * the share partitions of the data partitions it leads, and the share coordinator of the
 * __share_group_state partitions it leads.
 */
export class ShareBrokerParts {
  readonly coordinator: ShareCoordinatorHost;
  readonly partitions: SharePartitionManager;
  private readonly state: ShareStateClient;

  constructor(view: ClusterView, private readonly replicas: ReplicaManager, private readonly groups: GroupCoordinator, private readonly opts: ShareBrokerOptions) {
    const config = { ...defaultShareConfig, ...opts.config };
    this.coordinator = new ShareCoordinatorHost(view, replicas, {
      brokerId: opts.brokerId, selfAddress: opts.selfAddress, updatesPerSnapshot: config.updatesPerSnapshot, tracer: opts.tracer, logger: opts.logger,
    });
    this.state = new ShareStateClient(view, opts.logger);
    this.partitions = new SharePartitionManager({
      replicas, persister: this.state, config, logger: opts.logger, groupConfig: (groupId) => groupConfigOverrides(view.groupConfigs(groupId)),
    });
  }

  addServices(server: Server): void {
    server.addService(ShareGroupServiceService, createShareGroupService(this.groups, this.opts.tracer));
    server.addService(SharePartitionServiceService, createSharePartitionService({ manager: this.partitions, replicas: this.replicas, tracer: this.opts.tracer }));
    server.addService(ShareStateServiceService, this.coordinator.service());
  }

  start(): void {
    this.coordinator.start();
  }

  close(): void {
    this.coordinator.close();
    this.state.close();
    this.partitions.clear();
  }
}
