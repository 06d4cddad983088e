import { Gateway, gatewayConfigDef, parseListener } from '@dms/gateway';
import { ConfigError, HelpRequested, createLogger, installShutdownHandlers, loadConfig, onShutdown, renderHelp, startTelemetry } from '@dms/platform';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(gatewayConfigDef, process.argv.slice(2), process.env, { program: 'dms-gateway' });
  } catch (e) {
    if (e instanceof HelpRequested) {
      process.stdout.write(renderHelp(gatewayConfigDef, { program: 'dms-gateway' }));
      return;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`dms-gateway: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const id = config['node.id'];
  const logger = createLogger({ service: 'gateway', id, level: config['log.level'] });
  installShutdownHandlers({ logger });
  const telemetry = await startTelemetry({ serviceName: 'dms-gateway', serviceInstanceId: String(id), metricsPort: config['metrics.port'], metricsHost: config['metrics.host'] });
  onShutdown(() => telemetry.shutdown(), 'telemetry');
  const listener = parseListener(config.listeners);
  const advertised = config['advertised.listeners'] ? parseListener(config['advertised.listeners']) : listener;
  const gateway = new Gateway({
    nodeId: id,
    clusterName: config['cluster.name'],
    etcdEndpoints: config['etcd.endpoints'],
    leaseTtlMs: config['etcd.lease.ttl.ms'],
    listenHost: listener.host,
    listenPort: listener.port,
    advertisedHost: advertised.host === '0.0.0.0' ? '127.0.0.1' : advertised.host,
    advertisedPort: config['advertised.listeners'] ? advertised.port : undefined,
    listenerName: listener.name,
    rack: config['broker.rack'] || null,
    maxFrameBytes: config['socket.request.max.bytes'],
    maxInFlight: config['max.in.flight.requests.per.connection'],
    autoCreateTopicsEnable: config['auto.create.topics.enable'],
    messageMaxBytes: config['message.max.bytes'],
    tracer: telemetry.tracer,
    meter: telemetry.meter,
    logger,
  });
  onShutdown(() => gateway.stop(), 'gateway');
  await gateway.start();
  logger.info({ role: 'gateway', id, pid: process.pid, kafkaPort: gateway.port, metricsPort: telemetry.metricsPort }, 'ready');
}

main().catch((err) => {
  process.stderr.write(`dms-gateway: ${err?.stack ?? err}\n`);
  process.exit(1);
});
