// `dms dev up`: the whole cluster on this machine, in the foreground, until Ctrl-C.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { DevCluster, devAdminCertificate, devConsoleCertificate, secureDevOptions, type UnexpectedExit } from '@dms/devcluster';
import { parseProperties } from '@dms/kafka-client';
import { statusWithoutSecrets } from './redact-status';
import { addBroker, type AddBrokerOptions } from './dev-add-broker';
import { warmUpQuietly, warmUpTarget, WARM_UP_TOPIC } from './dev-warm-up';

export interface DevUpOptions {
  brokers: number;
  controllers: number;
  gateways: number;
  port: number;
  dataDir: string;
  distDir?: string;
  etcdBin: string;
  clusterName: string;
  json?: boolean;
  /** TLS + SASL listeners, ACLs, an admin super user and etcd over TLS (services always use mutual TLS). */
  secure?: boolean;
  /** Every process on its own loopback address (127.0.0.2, 127.0.0.3, ...), for partition tests. */
  distinctAddresses?: boolean;
  /** Every service serves Prometheus metrics on a free port (cluster.json ports.metricsPort). */
  metrics?: boolean;
  /** `--config key=value`, repeatable (wins over --config-file). */
  config?: Record<string, string>;
  /** `--config-file FILE`: server settings in Java properties format. */
  configFile?: string;
  /** Start the web console beside the cluster (default true; `--no-console` skips it). */
  console?: boolean;
  /** Port of the web console (default: a free one). */
  consolePort?: number;
  /** Seconds of produce and fetch on a temporary topic before reporting ready (0: none). */
  warmUpS?: number;
}

/** The server settings of --config-file then --config, as server.properties would give them. */
export function serverSettings(o: Pick<DevUpOptions, 'config' | 'configFile'>): Record<string, string> {
  const fromFile = o.configFile ? parseProperties(readFileSync(o.configFile, 'utf8')) : {};
  return { ...fromFile, ...(o.config ?? {}) };
}

function collectSetting(v: string, acc: Record<string, string> = {}): Record<string, string> {
  const at = v.indexOf('=');
  if (at <= 0) throw new Error(`--config must be key=value, got '${v}'`);
  return { ...acc, [v.slice(0, at).trim()]: v.slice(at + 1) };
}

function intOption(name: string, min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in ${min}..${max}, got '${raw}'`);
    return n;
  };
}

/** The etcd binary's path, or undefined when it cannot be found/executed. */
export function findExecutable(bin: string, path = process.env.PATH ?? ''): string | undefined {
  const candidates = bin.includes('/') ? [resolve(bin)] : path.split(delimiter).filter(Boolean).map((d) => join(d, bin));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** The bundles sit beside this CLI's own bundle (dist/apps/cli/main.js → dist/apps); else ./dist/apps. */
function defaultDistDir(): string {
  const besideUs = resolve(__dirname, '..');
  return existsSync(join(besideUs, 'controller', 'main.js')) ? besideUs : resolve('dist/apps');
}

export async function devUp(o: DevUpOptions): Promise<number> {
  const say = (line: string) => process.stdout.write(line + '\n');
  const warn = (line: string) => process.stderr.write(line + '\n');
  const etcd = findExecutable(o.etcdBin);
  if (!etcd) {
    warn(`dms dev up: '${o.etcdBin}' not found on PATH. Install etcd (3.4+): apt-get install etcd-server` +
      ' (Debian/Ubuntu), or pass --etcd-bin /path/to/etcd.');
    return 1;
  }

  if (o.secure && o.distinctAddresses) {
    // The dev CA's service certificates name 127.0.0.1 only; issuing them for every address
    // (allAddresses() in libs/devcluster/src/addresses.ts) lifts this.
    warn('dms dev up: --secure and --distinct-addresses cannot be combined yet: the dev certificates cover 127.0.0.1 only');
    return 1;
  }

  let settings: Record<string, string>;
  try {
    settings = serverSettings(o);
  } catch (e) {
    warn(`dms dev up: ${(e as Error).message}`);
    return 1;
  }

  const distDir = o.distDir ? resolve(o.distDir) : defaultDistDir();
  let withConsole = o.console !== false;
  if (withConsole && !existsSync(join(distDir, 'console', 'main.js'))) {
    warn(`dms dev up: no console bundle in ${distDir} (build it with node tools/build/build.mjs); starting without the console`);
    withConsole = false;
  }

  let secure: ReturnType<typeof secureDevOptions> | undefined;
  try {
    secure = o.secure ? secureDevOptions(o.dataDir) : undefined;
  } catch (e) {
    warn(`dms dev up: ${(e as Error).message}`);
    return 1;
  }

  let cluster: DevCluster | undefined;
  let closeControl: (() => void) | undefined;
  let shuttingDown = false;
  let wake: () => void = () => undefined;
  const stopRequested = new Promise<void>((r) => (wake = r));
  const stopping = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (shuttingDown) {
      // A second Ctrl-C while stopping: the user wants out now.
      cluster?.killAllSync();
      process.exit(130);
    }
    shuttingDown = true;
    if (!o.json) warn(`dms dev: ${sig}, stopping the cluster...`);
    stopping.abort();
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Children keep the loop alive, but if they all die we must still wait for the user.
  const keepAlive = setInterval(() => undefined, 1 << 30);

  try {
    try {
      cluster = await DevCluster.start({
        brokers: o.brokers,
        controllers: o.controllers,
        gateways: o.gateways,
        port: o.port,
        dataDir: o.dataDir,
        distDir,
        etcdBin: etcd,
        clusterName: o.clusterName,
        settings,
        distinctAddresses: o.distinctAddresses,
        metrics: o.metrics,
        ...secure,
        console: withConsole ? { port: o.consolePort ?? 0, ...(secure?.consoleHttps ? { https: secure.consoleHttps } : {}) } : false,
      });
    } catch (e) {
      if (shuttingDown) return 0;
      warn(`dms dev up: ${(e as Error).message}`);
      return 1;
    }
    cluster.on('unexpected-exit', (e: UnexpectedExit) => {
      if (shuttingDown) return;
      if (o.json) {
        say(JSON.stringify({ event: 'exit', role: e.role, id: e.id, pid: e.pid, code: e.code, signal: e.signal, logFile: e.logFile }));
      } else {
        const how = e.signal ? `signal ${e.signal}` : `code ${e.code}`;
        warn(`dms dev: ${e.role} ${e.id} (pid ${e.pid}) died unexpectedly (${how}); not restarting it. Log: ${e.logFile}`);
        for (const l of e.tail.slice(-10)) warn(`  | ${l}`);
      }
    });
    if (!shuttingDown) {
      // Operator tools' certificates beside the services' (internal TLS only): admin-0 for the
      // CLI's maintenance and query commands, console-0 for the web console.
      try {
        devAdminCertificate(resolve(o.dataDir));
        devConsoleCertificate(resolve(o.dataDir));
      } catch (e) {
        warn(`dms dev: cannot issue the admin and console certificates: ${(e as Error).message}`);
      }
      const warmUpS = o.warmUpS ?? 0;
      if (warmUpS > 0) {
        if (!o.json) warn(`dms dev: warming up: ${warmUpS} s of produce and fetch on a temporary topic (${WARM_UP_TOPIC}, deleted after; --warm-up-s 0 skips)`);
        await warmUpQuietly(warmUpTarget(cluster.status(), o.brokers), warmUpS * 1000, warn, stopping.signal);
      }
    }
    if (!shuttingDown) {
      // `dms dev add-broker` asks this process (the owner of every child) to start one more broker.
      closeControl = cluster.serveControlRequests((rec) => {
        if (o.json) say(JSON.stringify({ event: 'broker-added', id: rec.id, pid: rec.pid, logFile: rec.logFile }));
        else warn(`dms dev: broker ${rec.id} added (pid ${rec.pid}). Log: ${rec.logFile}`);
      });
      const s = cluster.status();
      if (o.json) {
        say(JSON.stringify({ event: 'ready', ...statusWithoutSecrets(s) }));
      } else {
        say(`dms dev: ready, bootstrap ${s.bootstrap} (${o.controllers} controllers, ${o.brokers} brokers, ` +
          `${o.gateways} gateway${o.gateways === 1 ? '' : 's'}; etcd ${s.etcd.endpoint}; ` +
          (s.consoleUrl ? `console ${s.consoleUrl}; ` : '') +
          `processes in ${cluster.clusterJsonPath}). Ctrl-C stops it.`);
      }
      await stopRequested;
    }
    closeControl?.();
    await cluster.stop();
    if (o.json) say(JSON.stringify({ event: 'stopped' }));
    else warn('dms dev: stopped');
    return 0;
  } finally {
    clearInterval(keepAlive);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function register(program: Command): void {
  const dev = program.command('dev').description('a local DMS cluster for development and tests');
  dev
    .command('up')
    .description('run etcd, controllers, brokers and gateways in the foreground until Ctrl-C')
    .option('--brokers <n>', 'storage brokers', intOption('brokers', 1, 64), 3)
    .option('--controllers <n>', 'controllers', intOption('controllers', 1, 9), 3)
    .option('--gateways <n>', 'Kafka gateways (the first on --port, the others on free ports)', intOption('gateways', 1, 64), 1)
    .option('--port <port>', 'Kafka port of gateway 1', intOption('port', 1, 65535), 9092)
    .option('--data-dir <dir>', 'data, logs and cluster.json (kept between runs)', './.dms')
    .option('--dist-dir <dir>', 'directory holding <service>/main.js (default: beside this CLI)')
    .option('--etcd-bin <path>', 'etcd binary', 'etcd')
    .option('--cluster-name <name>', 'cluster name (etcd prefix /dms/<name>/)', 'dms')
    .option('--json', 'print events (ready, exit, stopped) as JSON lines')
    .option('--metrics', 'every service serves Prometheus metrics (GET /metrics) on a free port of its address, kept across restarts when free; see cluster.json ports.metricsPort and docs/metrics.md')
    .option('--config <key=value>', 'a server setting (as in server.properties), given to every service that takes the key; repeatable', collectSetting)
    .option('--config-file <file>', 'server settings in Java properties format (--config wins)')
    .option('--distinct-addresses', 'every process listens on, advertises and connects from its own loopback address (etcd 127.0.0.2, then controllers, brokers, gateways), so packet filters can cut one pair apart; see cluster.json "address"')
    .option('--secure', 'generate a CA under the data dir; gateways add SASL_SSL (SCRAM) and SSL (client cert) listeners, ACLs on, admin super user, etcd over TLS (services always use mutual TLS with their own internal CA); see cluster.json "security"')
    .option('--no-console', 'do not start the web console (apps/console)')
    .option('--console-port <port>', 'port of the web console (default: a free one)', intOption('console-port', 0, 65535))
    .option('--warm-up-s <s>', 'before reporting ready, produce to and fetch from a temporary topic for this long, so the services\' hot code is compiled before the first client (0: skip)', intOption('warm-up-s', 0, 60), 3)
    .action(async (opts: DevUpOptions) => {
      process.exitCode = await devUp({ ...opts, dataDir: isAbsolute(opts.dataDir) ? opts.dataDir : resolve(opts.dataDir) });
    });
  dev
    .command('add-broker')
    .description('start one more storage broker in the running dev cluster (next id, its certificate from the cluster CA); prints its id. The `dms dev up` process starts it, records it in cluster.json and stops it on Ctrl-C')
    .option('--data-dir <dir>', 'data dir of the running cluster (its cluster.json)', './.dms')
    .option('--rack <rack>', 'broker.rack of the new broker')
    .option('--json', 'print {id, pid, grpcPort, rack}')
    .option('--timeout <ms>', 'give up waiting for the broker to be ready after this long', '60000')
    .action(async (opts: AddBrokerOptions) => {
      process.exitCode = await addBroker(opts);
    });
}
