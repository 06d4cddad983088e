import { setupInternalSecurity } from '@dms/rpc';
import { etcdClientOptions } from '@dms/cluster';
import { staticBrokerConfigs } from '@dms/configs';
import { Controller, controllerConfigDef, groupBoundsFrom } from '@dms/controller';
import {
  ConfigError,
  HelpRequested,
  createLogger,
  installShutdownHandlers,
  loadConfig,
  onShutdown,
  renderHelp,
  startTelemetry,
  startHealthServer,
  bindOutgoingConnections,
} from '@dms/platform';

const PROGRAM = 'dms-controller';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(controllerConfigDef, process.argv.slice(2), process.env, { program: PROGRAM });
  } catch (e) {
    if (e instanceof HelpRequested) {
      process.stdout.write(renderHelp(controllerConfigDef, { program: PROGRAM }));
      return;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`${PROGRAM}: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const id = config['controller.id'];
  let staticConfigs: Record<string, string>;
  try {
    staticConfigs = staticBrokerConfigs(config);
  } catch (e) {
    process.stderr.write(`${PROGRAM}: ${(e as Error).message}\n`);
    process.exit(2);
  }
  // Outgoing connections leave from this process's own loopback address (dev cluster --distinct-addresses).
  bindOutgoingConnections(config['client.local.address']);
  const logger = createLogger({ service: 'controller', id, level: config['log.level'] });
  // Mutual TLS with this service's role certificate for every gRPC client and server (or the
  // explicit, loudly logged PLAINTEXT opt-out); refuses to start without either.
  try {
    setupInternalSecurity(config, { role: 'controller', id }, logger);
  } catch (e) {
    process.stderr.write(`${PROGRAM}: ${(e as Error).message}\n`);
    process.exit(2);
  }
  installShutdownHandlers({ logger });
  const telemetry = await startTelemetry({
    serviceName: PROGRAM,
    serviceInstanceId: String(id),
    metricsPort: config['metrics.port'],
    metricsHost: config['metrics.host'],
  });
  onShutdown(() => telemetry.shutdown(), 'telemetry');
  const controller = new Controller({
    id,
    clusterName: config['cluster.name'],
    etcdEndpoints: config['etcd.endpoints'],
    etcdOptions: etcdClientOptions(config),
    leaseTtlMs: config['etcd.lease.ttl.ms'],
    grpcHost: config['grpc.host'],
    grpcPort: config['grpc.port'],
    numPartitions: config['num.partitions'],
    defaultReplicationFactor: config['default.replication.factor'],
    partitionLimits: { maxPerTopic: config['max.partitions.per.topic'], maxPerCluster: config['max.partitions'] },
    offsetsTopic: {
      offsetsTopicNumPartitions: config['offsets.topic.num.partitions'],
      offsetsTopicReplicationFactor: config['offsets.topic.replication.factor'],
    },
    transactionStateTopic: {
      numPartitions: config['transaction.state.log.num.partitions'],
      replicationFactor: config['transaction.state.log.replication.factor'],
      minIsr: config['transaction.state.log.min.isr'],
    },
    uncleanLeaderElection: config['unclean.leader.election.enable'],
    groupBounds: groupBoundsFrom(config),
    autoLeaderRebalance: {
      enable: config['auto.leader.rebalance.enable'],
      intervalMs: config['leader.imbalance.check.interval.seconds'] * 1000,
      imbalancePercentage: config['leader.imbalance.per.broker.percentage'],
    },
    autoBalance: {
      enable: config['auto.balance.enable'],
      intervalMs: config['auto.balance.interval.ms'],
      thresholds: {
        replicaPercent: config['auto.balance.replica.count.threshold.percent'],
        leaderPercent: config['auto.balance.leader.count.threshold.percent'],
        diskPercent: config['auto.balance.disk.threshold.percent'],
        networkInPercent: config['auto.balance.network.inbound.threshold.percent'],
      },
      maxConcurrentMoves: config['auto.balance.max.concurrent.moves'],
      availabilityTimeoutMs: config['auto.balance.broker.availability.timeout.ms'],
      throttleBytesPerSecond: config['auto.balance.throttle.bytes.per.second'],
    },
    staticConfigs,
    log: logger,
    tracer: telemetry.tracer,
    meter: telemetry.meter,
  });
  const health = await startHealthServer({ port: config['health.port'], host: config['health.host'], readiness: () => controller.readiness() });
  onShutdown(() => health.close(), 'health');
  onShutdown(() => controller.stop(), 'controller');
  await controller.start();
  const ready: Record<string, unknown> = { role: 'controller', id, pid: process.pid, grpcPort: controller.grpcPort };
  if (telemetry.metricsPort) ready.metricsPort = telemetry.metricsPort;
  if (health.port) ready.healthPort = health.port;
  logger.info(ready, 'ready');
}

main().catch((err) => {
  process.stderr.write(`${PROGRAM}: ${err?.stack ?? err}\n`);
  process.exit(1);
});
