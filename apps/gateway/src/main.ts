import { staticBrokerConfigs } from '@dms/configs';
import { etcdClientOptions } from '@dms/cluster';
import { setupInternalSecurity } from '@dms/rpc';
import { Gateway, gatewayConfigDef, listenerPortField, parseIpOverrides, resolveListeners, serverTlsOptions } from '@dms/gateway';
import { ConfigError, HelpRequested, createLogger, installShutdownHandlers, loadConfig, onShutdown, renderHelp, startTelemetry, startHealthServer, bindOutgoingConnections } from '@dms/platform';

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
  let staticConfigs: Record<string, string>;
  try {
    staticConfigs = staticBrokerConfigs(config);
  } catch (e) {
    process.stderr.write(`dms-gateway: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ service: 'gateway', id, level: config['log.level'] });
  // Mutual TLS with this service's role certificate for every gRPC client and server (or the
  // explicit, loudly logged PLAINTEXT opt-out); refuses to start without either.
  try {
    setupInternalSecurity(config, { role: 'gateway', id }, logger);
  } catch (e) {
    process.stderr.write(`dms-gateway: ${(e as Error).message}\n`);
    process.exit(2);
  }
  installShutdownHandlers({ logger });
  const telemetry = await startTelemetry({ serviceName: 'dms-gateway', serviceInstanceId: String(id), metricsPort: config['metrics.port'], metricsHost: config['metrics.host'] });
  onShutdown(() => telemetry.shutdown(), 'telemetry');
  let perIpOverrides: Map<string, number>;
  try {
    perIpOverrides = parseIpOverrides(config['max.connections.per.ip.overrides']);
  } catch (e) {
    process.stderr.write(`dms-gateway: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const listeners = resolveListeners(config.listeners, config['advertised.listeners'], config['listener.security.protocol.map']);
  const tls = serverTlsOptions({
    keyLocation: config['ssl.key.location'],
    keyPassword: config['ssl.key.password'],
    certificateLocation: config['ssl.certificate.location'],
    caLocation: config['ssl.ca.location'],
    keystoreType: config['ssl.keystore.type'],
    keystoreLocation: config['ssl.keystore.location'],
    keystorePassword: config['ssl.keystore.password'],
    truststoreLocation: config['ssl.truststore.location'],
    clientAuth: config['ssl.client.auth'],
  });
  // Outgoing connections leave from this process's own loopback address (dev cluster --distinct-addresses).
  bindOutgoingConnections(config['client.local.address']);
  const gateway = new Gateway({
    nodeId: id,
    clusterName: config['cluster.name'],
    etcdEndpoints: config['etcd.endpoints'],
    leaseTtlMs: config['etcd.lease.ttl.ms'],
    listenHost: listeners[0].host,
    listenPort: listeners[0].port,
    advertisedHost: listeners[0].advertisedHost,
    listenerName: listeners[0].name,
    listeners,
    security: {
      tls,
      clientAuth: config['ssl.client.auth'],
      enabledMechanisms: config['sasl.enabled.mechanisms'],
      authorizerEnabled: config['authorizer.class.name'].trim() !== '',
      superUsers: config['super.users'].split(';').map((s) => s.trim()).filter(Boolean),
      allowEveryoneIfNoAclFound: config['allow.everyone.if.no.acl.found'],
      failedAuthenticationDelayMs: config['connection.failed.authentication.delay.ms'],
      failedAuthenticationDelayMaxMs: config['connection.failed.authentication.delay.max.ms'],
      preAuthMaxFrameBytes: config['sasl.server.max.receive.size'],
      idleMs: config['connections.max.idle.ms'],
      unauthenticatedMs: config['connections.max.unauthenticated.ms'],
    },
    etcdOptions: etcdClientOptions(config),
    rack: config['broker.rack'] || null,
    maxFrameBytes: config['socket.request.max.bytes'],
    maxInFlight: config['max.in.flight.requests.per.connection'],
    maxInFlightBytes: config['max.in.flight.request.bytes.per.connection'],
    connectionLimits: {
      maxConnections: config['max.connections'],
      maxConnectionsPerIp: config['max.connections.per.ip'],
      perIpOverrides,
    },
    autoCreateTopicsEnable: config['auto.create.topics.enable'],
    messageMaxBytes: config['message.max.bytes'],
    produceCoalesce: config['produce.coalesce.enable'],
    internalStreamTransport: config['internal.stream.transport'],
    staticConfigs,
    tracer: telemetry.tracer,
    meter: telemetry.meter,
    logger,
    liveGauges: telemetry.liveGauges,
    clientTelemetry: {
      maxBytes: config['telemetry.max.bytes'],
      maxSeriesPerClient: config['client.telemetry.max.series.per.client'],
      maxSeries: config['client.telemetry.max.series'],
    },
  });
  const health = await startHealthServer({ port: config['health.port'], host: config['health.host'], readiness: () => gateway.readiness() });
  onShutdown(() => health.close(), 'health');
  onShutdown(() => gateway.stop(), 'gateway');
  await gateway.start();
  const listenerPorts = Object.fromEntries(Object.entries(gateway.ports).map(([name, port]) => [listenerPortField(name), port]));
  logger.info({ role: 'gateway', id, pid: process.pid, kafkaPort: gateway.port, ...listenerPorts, metricsPort: telemetry.metricsPort, ...(health.port ? { healthPort: health.port } : {}) }, 'ready');
}

main().catch((err) => {
  process.stderr.write(`dms-gateway: ${err?.stack ?? err}\n`);
  process.exit(1);
});
