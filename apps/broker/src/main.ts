import { LogDirMetaError } from '@dms/storage';
import { setupInternalSecurity } from '@dms/rpc';
import { resolve } from 'node:path';
import { parseLogDirs } from '@dms/storage';
import { etcdClientOptions } from '@dms/cluster';
import { groupConfigFrom, shareConfigFrom } from '@dms/groups';
import { staticBrokerConfigs } from '@dms/configs';
import { Broker, brokerConfigDef, cleanerOptionsFromConfig, controlledShutdownBudgetMs, controlledShutdownFromConfig, replicationOptionsFromConfig, transactionOptionsFromConfig } from '@dms/storage';
import { ConfigError, HelpRequested, createLogger, installShutdownHandlers, loadConfig, onShutdown, renderHelp, startTelemetry, startHealthServer, bindOutgoingConnections } from '@dms/platform';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(brokerConfigDef, process.argv.slice(2), process.env, { program: 'dms-broker' });
  } catch (e) {
    if (e instanceof HelpRequested) {
      process.stdout.write(renderHelp(brokerConfigDef, { program: 'dms-broker' }));
      return;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`dms-broker: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const id = config['broker.id'];
  let staticConfigs: Record<string, string>;
  try {
    staticConfigs = staticBrokerConfigs(config);
  } catch (e) {
    process.stderr.write(`dms-broker: ${(e as Error).message}\n`);
    process.exit(2);
  }
  // Outgoing connections leave from this process's own loopback address (dev cluster --distinct-addresses).
  bindOutgoingConnections(config['client.local.address']);
  const logger = createLogger({ service: 'broker', id, level: config['log.level'] });
  // Mutual TLS with this service's role certificate for every gRPC client and server (or the
  // explicit, loudly logged PLAINTEXT opt-out); refuses to start without either.
  try {
    setupInternalSecurity(config, { role: 'broker', id }, logger);
  } catch (e) {
    process.stderr.write(`dms-broker: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const controlledShutdown = controlledShutdownFromConfig(config);
  // The hooks get the usual 10 s plus what a controlled shutdown may take at worst.
  installShutdownHandlers({ logger, deadlineMs: 10_000 + controlledShutdownBudgetMs(controlledShutdown) });
  const telemetry = await startTelemetry({ serviceName: 'dms-broker', serviceInstanceId: String(id), metricsPort: config['metrics.port'], metricsHost: config['metrics.host'] });
  onShutdown(() => telemetry.shutdown(), 'telemetry');
  const logDirs = parseLogDirs(config['log.dirs'], config['log.dir'], `./data/broker-${id}`).map((d) => resolve(d));
  const broker = new Broker({
    brokerId: id,
    clusterName: config['cluster.name'],
    etcdEndpoints: config['etcd.endpoints'],
    etcdOptions: etcdClientOptions(config),
    leaseTtlMs: config['etcd.lease.ttl.ms'],
    grpcHost: config['grpc.host'],
    grpcPort: config['grpc.port'],
    logDir: logDirs[0]!,
    logDirs,
    rack: config['broker.rack'] || null,
    segmentBytes: config['log.segment.bytes'],
    indexIntervalBytes: config['log.index.interval.bytes'],
    messageMaxBytes: config['message.max.bytes'],
    fetchTransport: config['internal.fetch.transport'],
    fsync: config['log.flush.policy'] as 'never' | 'always',
    tailCacheBytes: config['log.tail.cache.bytes'],
    tailCachePartitionBytes: config['log.tail.cache.partition.bytes'],
    staticConfigs,
    retentionCheckIntervalMs: config['log.retention.check.interval.ms'],
    consumerLagIntervalMs: config['metrics.consumer.lag.interval.ms'],
    loadReportIntervalMs: config['broker.load.report.interval.ms'],
    keyIndexTrail: { budgetMs: config['log.key.index.trail.budget.ms'], intervalMs: config['log.key.index.trail.interval.ms'] },
    groups: groupConfigFrom(config),
    share: shareConfigFrom(config),
    transactions: transactionOptionsFromConfig(config),
    replication: replicationOptionsFromConfig(config),
    cleaner: cleanerOptionsFromConfig(config),
    controlledShutdown,
    tracer: telemetry.tracer,
    meter: telemetry.meter,
    liveGauges: telemetry.liveGauges,
    logger,
    onFatal: (err) => {
      process.stderr.write(`dms-broker: ${err.message}\n`);
      void broker.stop().finally(() => process.exit(1));
    },
  });
  // Up before start(): a probe sees "starting" (503) while logs recover, not a refused connection.
  const health = await startHealthServer({ port: config['health.port'], host: config['health.host'], readiness: () => broker.readiness() });
  onShutdown(() => health.close(), 'health');
  onShutdown(() => broker.stop(), 'broker');
  // Hooks run last-registered first: leaderships move away before anything stops.
  onShutdown(() => broker.controlledShutdown(), 'controlled-shutdown');
  await broker.start();
  logger.info({ role: 'broker', id, pid: process.pid, grpcPort: broker.port, metricsPort: telemetry.metricsPort, ...(health.port ? { healthPort: health.port } : {}) }, 'ready');
}

main().catch((err) => {
  if (err instanceof LogDirMetaError) {
    // A log dir of another cluster or node: said plainly, no stack.
    process.stderr.write(`dms-broker: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`dms-broker: ${err?.stack ?? err}\n`);
  process.exit(1);
});
