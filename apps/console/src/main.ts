import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ConfigError, HelpRequested, createLogger, installShutdownHandlers, loadConfig, onShutdown, renderHelp, startTelemetry } from '@dms/platform';
import { MessageQueryClient } from '@dms/query';
import { consoleConfigDef } from '@dms/console-config';
import { keyIndexAccess } from './server/indexed-key-search';
import { openConsoleResources, type ConsoleResources } from './server/console-session';
import { createConsoleServer } from './server/http-server';
import { kafkaTarget } from './server/kafka-connect';
import { SessionStore } from './server/sessions';
import { consoleMetrics } from './server/console-metrics';
import { PrometheusCharts } from './server/prometheus-charts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(consoleConfigDef, process.argv.slice(2), process.env, { program: 'dms-console' });
  } catch (e) {
    if (e instanceof HelpRequested) {
      process.stdout.write(renderHelp(consoleConfigDef, { program: 'dms-console' }));
      return;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`dms-console: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const id = config['console.id'];
  const logger = createLogger({ service: 'console', id, level: config['log.level'] });
  const certFile = config['console.ssl.certificate.location'];
  const keyFile = config['console.ssl.key.location'];
  if (!!certFile !== !!keyFile) {
    process.stderr.write('dms-console: console.ssl.certificate.location and console.ssl.key.location go together\n');
    process.exit(2);
  }
  let target;
  let https;
  let keyIndex: MessageQueryClient | undefined;
  try {
    target = kafkaTarget(config);
    const access = keyIndexAccess(config);
    if (access) keyIndex = new MessageQueryClient(access);
    https = certFile ? { cert: readFileSync(certFile), key: readFileSync(keyFile) } : undefined;
  } catch (e) {
    process.stderr.write(`dms-console: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const prometheusUrl = config['console.prometheus.url'];
  if (prometheusUrl && !/^https?:\/\/[^/]/.test(prometheusUrl)) {
    process.stderr.write(`dms-console: console.prometheus.url must be an http(s) URL, got '${prometheusUrl}'\n`);
    process.exit(2);
  }
  installShutdownHandlers({ logger });
  const telemetry = await startTelemetry({ serviceName: 'dms-console', serviceInstanceId: String(id), metricsPort: config['metrics.port'], metricsHost: config['metrics.host'] });
  onShutdown(() => telemetry.shutdown(), 'telemetry');
  const settings = {
    keyScanMaxBytes: config['console.key.scan.max.bytes'],
    samplingIntervalMs: config['console.sampling.interval.ms'],
    samplingPoints: config['console.sampling.points'],
    keyIndex,
  };
  if (keyIndex) onShutdown(async () => keyIndex!.close(), 'key index client');
  const sessions = new SessionStore<ConsoleResources>({
    open: (user) => openConsoleResources(target, settings, user),
    loginRequired: target.saslRequired,
    idleTimeoutMs: config['console.session.timeout.ms'],
  });
  onShutdown(async () => sessions.close(), 'sessions');
  const metrics = telemetry.metricsPort ? consoleMetrics(telemetry.meter, () => sessions.size) : undefined;
  const charts = prometheusUrl
    ? new PrometheusCharts({ url: prometheusUrl, rangeMs: config['console.prometheus.range.ms'], timeoutMs: config['console.prometheus.timeout.ms'] })
    : undefined;
  const app = await createConsoleServer({ sessions, staticDir: join(__dirname, 'public'), https, mechanism: target.mechanism, logger, metrics, charts });
  onShutdown(() => app.close(), 'http');
  await app.listen({ host: config['console.host'], port: config['console.port'] });
  const port = (app.server.address() as AddressInfo).port;
  const scheme = https ? 'https' : 'http';
  const host = config['console.host'].includes(':') ? `[${config['console.host']}]` : config['console.host'];
  logger.info({ role: 'console', id, pid: process.pid, httpPort: port, url: `${scheme}://${host}:${port}/`, loginRequired: target.saslRequired, keyIndex: keyIndex !== undefined, ...(telemetry.metricsPort ? { metricsPort: telemetry.metricsPort } : {}), chartSource: prometheusUrl ? 'prometheus' : 'console' }, 'ready');
}

main().catch((e) => {
  process.stderr.write(`dms-console: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
