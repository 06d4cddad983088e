import { mkdirSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import type { Tracer } from '@opentelemetry/api';
import { ClusterView, EtcdSession, brokerKey, brokerRegistration } from '@dms/cluster';
import type { Logger } from '@dms/platform';
import { StorageServiceService, bindServer, createGrpcServer, stopServer } from '@dms/rpc';
import type { Server } from '@grpc/grpc-js';
import { DEFAULT_REPLICATION_OPTIONS, type ReplicationOptions } from './broker-config';
import { ControllerClient } from './controller-client';
import { IsrUpdater } from './isr-updater';
import { ReplicaFetcherManager } from './replica-fetcher';
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
  replication?: Partial<ReplicationOptions>;
  tracer: Tracer;
  logger: Logger;
}

/**
 * A storage broker: partition replicas on local disk behind the StorageService gRPC API. It
 * leads the partitions etcd says it leads, follows (fetches from the leader) the others it is a
 * replica of, and asks the controller for ISR changes.
 */
export class Broker {
  private etcd!: Etcd3;
  private session!: EtcdSession;
  private view!: ClusterView;
  private replicas!: ReplicaManager;
  private fetchers!: ReplicaFetcherManager;
  private isrUpdater!: IsrUpdater;
  private controller!: ControllerClient;
  private server!: Server;
  private stopped = false;
  port = 0;

  constructor(private readonly opts: BrokerOptions) {}

  async start(): Promise<void> {
    const { opts } = this;
    const replication = { ...DEFAULT_REPLICATION_OPTIONS, ...opts.replication };
    mkdirSync(opts.logDir, { recursive: true });
    this.etcd = new Etcd3({ hosts: opts.etcdEndpoints.map((e) => (e.includes('://') ? e : `http://${e}`)) });
    this.view = new ClusterView(this.etcd, opts.clusterName, opts.logger).start();
    await this.view.ready;
    this.replicas = new ReplicaManager(this.view, {
      brokerId: opts.brokerId,
      logDir: opts.logDir,
      logConfig: { segmentBytes: opts.segmentBytes, indexIntervalBytes: opts.indexIntervalBytes, fsync: opts.fsync },
      minInsyncReplicas: replication.minInsyncReplicas,
      logger: opts.logger,
    });
    this.controller = new ControllerClient(this.view);
    this.isrUpdater = new IsrUpdater({
      replicas: this.replicas,
      controller: this.controller,
      brokerId: opts.brokerId,
      replicaLagTimeMaxMs: replication.replicaLagTimeMaxMs,
      logger: opts.logger,
    });
    this.fetchers = new ReplicaFetcherManager({
      brokerId: opts.brokerId,
      view: this.view,
      replicas: this.replicas,
      maxWaitMs: replication.replicaFetchWaitMaxMs,
      partitionMaxBytes: replication.replicaFetchMaxBytes,
      maxBytes: replication.replicaFetchResponseMaxBytes,
      logger: opts.logger,
    });
    this.replicas.start();
    await this.replicas.idle();
    this.server = createGrpcServer();
    this.server.addService(
      StorageServiceService,
      createStorageService({ replicas: this.replicas, tracer: opts.tracer, logger: opts.logger, messageMaxBytes: opts.messageMaxBytes, isrUpdater: this.isrUpdater }),
    );
    this.port = await bindServer(this.server, opts.grpcHost, this.port || opts.grpcPort);
    this.session = new EtcdSession(this.etcd, { ttlMs: opts.leaseTtlMs, log: opts.logger });
    this.session.on('lost', (reason: string) => {
      opts.logger.warn({ reason }, 'etcd session lost; acknowledging only ISR-replicated appends until re-registered');
      this.replicas.fencedOff = true;
      void this.renewSession();
    });
    this.session.on('recreated', () => {
      this.replicas.fencedOff = false;
      this.replicas.refresh();
    });
    await this.session.start();
    const key = brokerKey(opts.clusterName, opts.brokerId);
    // A fresh key (new createRevision) is this process's broker epoch: the controller sees the
    // restart and re-elects what we led, so we never lead on a record from our previous life.
    await this.etcd.delete().key(key).exec();
    await this.session.register(
      key,
      brokerRegistration.encode({ id: opts.brokerId, host: opts.grpcHost, port: this.port, rack: opts.rack, startTimeMs: Date.now() }),
    );
    this.fetchers.start();
    this.isrUpdater.start();
  }

  /** Re-creates a lost session until etcd takes it (it may be down for a while). */
  private async renewSession(): Promise<void> {
    for (let attempt = 0; !this.stopped && this.session.state !== 'alive' && this.session.state !== 'closed'; attempt++) {
      try {
        await this.session.recreate();
        this.opts.logger.info({ leaseId: this.session.leaseId }, 'etcd session re-created; broker re-registered');
        return;
      } catch (err) {
        this.opts.logger.warn({ err: (err as Error).message, attempt }, 'could not re-register broker; retrying');
        await new Promise((r) => setTimeout(r, Math.min(2000, 200 * (attempt + 1))));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.isrUpdater?.stop();
    await this.fetchers?.stop().catch(() => undefined);
    await this.session?.close().catch(() => undefined);
    if (this.server) await stopServer(this.server, 2_000);
    await this.replicas?.close();
    this.controller?.close();
    await this.view?.close();
    this.etcd?.close();
  }
}
