import { mkdirSync } from 'node:fs';
import type { Etcd3 } from 'etcd3';
import type { Tracer } from '@opentelemetry/api';
import { ClusterView, EtcdSession, createEtcdClient, renewOnLoss, brokerKey, brokerRegistration } from '@dms/cluster';
import type { Logger } from '@dms/platform';
import type { GroupCoordinatorConfig } from '@dms/groups';
import { GroupCoordinatorServiceService, StorageServiceService, bindServer, createGrpcServer, stopServer } from '@dms/rpc';
import type { Server } from '@grpc/grpc-js';
import { GroupCoordinatorHost } from './group-coordinator-host';
import { ReplicaManager } from './replica-manager';
import { createStorageService } from './storage-service';

export interface BrokerOptions {
  brokerId: number;
  clusterName: string;
  etcdEndpoints: string[];
  leaseTtlMs: number;
  grpcHost: string;
  grpcPort: number;
  logDir: string;
  rack: string | null;
  segmentBytes: number;
  indexIntervalBytes: number;
  messageMaxBytes: number;
  fsync: 'never' | 'always';
  groups?: Partial<GroupCoordinatorConfig>;
  tracer: Tracer;
  logger: Logger;
}

/** A storage broker: partition logs on local disk behind the StorageService gRPC API. */
export class Broker {
  private etcd!: Etcd3;
  private session!: EtcdSession;
  private view!: ClusterView;
  private replicas!: ReplicaManager;
  private server!: Server;
  private groups!: GroupCoordinatorHost;
  port = 0;
  private stopped = false;

  constructor(private readonly opts: BrokerOptions) {}

  async start(): Promise<void> {
    const { opts } = this;
    mkdirSync(opts.logDir, { recursive: true });
    this.etcd = createEtcdClient(opts.etcdEndpoints);
    this.view = new ClusterView(this.etcd, opts.clusterName, opts.logger).start();
    await this.view.ready;
    this.replicas = new ReplicaManager(this.view, {
      brokerId: opts.brokerId,
      logDir: opts.logDir,
      logConfig: { segmentBytes: opts.segmentBytes, indexIntervalBytes: opts.indexIntervalBytes, fsync: opts.fsync },
      logger: opts.logger,
    });
    this.replicas.start();
    await this.replicas.idle();
    this.server = createGrpcServer();
    this.server.addService(
      StorageServiceService,
      createStorageService({ replicas: this.replicas, tracer: opts.tracer, logger: opts.logger, messageMaxBytes: opts.messageMaxBytes }),
    );
    this.groups = new GroupCoordinatorHost(this.view, this.replicas, {
      brokerId: opts.brokerId, selfAddress: () => `${opts.grpcHost}:${this.port}`, config: opts.groups ?? {}, tracer: opts.tracer, logger: opts.logger,
    });
    this.server.addService(GroupCoordinatorServiceService, this.groups.service());
    this.port = await bindServer(this.server, opts.grpcHost, opts.grpcPort);
    this.groups.start();
    this.session = new EtcdSession(this.etcd, { ttlMs: opts.leaseTtlMs, log: opts.logger });
    renewOnLoss(this.session, opts.logger, () => this.stopped);
    await this.session.start();
    await this.session.register(
      brokerKey(opts.clusterName, opts.brokerId),
      brokerRegistration.encode({ id: opts.brokerId, host: opts.grpcHost, port: this.port, rack: opts.rack, startTimeMs: Date.now() }),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.session?.close().catch(() => undefined);
    this.groups?.close();
    if (this.server) await stopServer(this.server, 2_000);
    await this.replicas?.close();
    await this.view?.close();
    this.etcd?.close();
  }
}
