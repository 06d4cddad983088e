import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Etcd3 } from 'etcd3';
import { controllerLeaderKey, etcdClientOptions, userKey, userRecord } from '@dms/cluster';
import { createCredential, type ScramMechanism } from '@dms/security';
import { distinctAddresses, sharedAddresses, type ClusterAddresses, type ClusterRole } from './addresses';
import { startEtcd, type EtcdProcess, type EtcdTls } from './etcd-process';
import { isPortFree, reusePort } from './free-port';
import { devInternalSecurityConfig } from './dev-internal-security';
import { ServiceProcess, type ServiceExit, type ServiceRole, type StopResult } from './service-process';
import { writePrivateFile } from './private-file';
import { serveControlRequests, type ControlAnswer } from './control-requests';
import { waitFor, waitForTcp } from './wait-for';

export type ConfigValue = string | number | boolean;
/** Extra config for every process of a role, or per id (e.g. a broker.rack per broker). */
export type RoleConfig = Record<string, ConfigValue> | ((id: number) => Record<string, ConfigValue>);

export interface DevClusterOptions {
  brokers?: number;
  controllers?: number;
  gateways?: number;
  /** Kafka port of gateway 1; the others get free ports. */
  port?: number;
  dataDir?: string;
  /** Directory holding <role>/main.js; default ./dist/apps. */
  distDir?: string;
  /** Entry point per role, overriding distDir (tests run a fake service). */
  scripts?: Partial<Record<ServiceRole, string>>;
  etcdBin?: string;
  clusterName?: string;
  /**
   * Server settings as a Kafka user gives server.properties (`dms dev up --config k=v`): each goes
   * to every service whose own config declares the key; a key no service declares is refused.
   */
  settings?: Record<string, string>;
  /** Extra `--key value` config per role; overrides what the dev cluster sets. */
  config?: Partial<Record<ServiceRole, RoleConfig>>;
  /** Extra DMS_* environment for every service. */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  stopTimeoutMs?: number;
  /** Listeners every gateway opens beside PLAINTEXT (e.g. SASL_SSL, SSL), each on a free port. */
  gatewayListeners?: string[];
  /** SCRAM users written to etcd before any service starts (like kafka-storage format --add-scram). */
  scramUsers?: { name: string; password: string; mechanism: ScramMechanism }[];
  /** Recorded as-is in cluster.json (dev up --secure: CA file, admin credentials, ...). */
  security?: Record<string, unknown>;
  /** etcd serves clients over TLS; every service and the harness itself connect with these files. */
  etcdTls?: EtcdTls;
  /**
   * Every process on its own loopback address (etcd 127.0.0.2, then controllers, brokers, gateways),
   * listening, advertising and connecting out from it, so packet filters can cut one pair apart.
   * A string picks the /24 (three octets, e.g. 127.0.9). See distinctAddresses().
   */
  distinctAddresses?: boolean | string;
  /**
   * gRPC between services: SSL (default) gives each service a role certificate from the cluster's
   * own internal CA under DATA/certs/internal; PLAINTEXT is the explicit unauthenticated opt-out.
   */
  internalSecurity?: 'SSL' | 'PLAINTEXT';
  /**
   * Start one web console (apps/console) once the gateways are up, on `port` (0 or absent: a free
   * one). It reaches the gateways' PLAINTEXT listeners, or their SASL_SSL listener with a login when
   * the cluster is secure (gatewayListeners holds SASL_SSL and `security.caFile` is set).
   */
  console?: boolean | { port?: number; https?: { certFile: string; keyFile: string } };
  /**
   * Every service serves Prometheus metrics on a free port of its own address (the previous run's
   * port when still free), recorded as ports.metricsPort; `config` of a role still wins.
   */
  metrics?: boolean;
}

export interface ProcessRecord {
  role: ServiceRole;
  id: number;
  pid: number | null;
  /** The loopback address it listens on (and connects from, with distinct addresses). */
  address: string;
  state: 'running' | 'exited';
  ports: Record<string, number>;
  command: string[];
  env: Record<string, string>;
  cwd: string;
  logFile: string;
}

export interface ClusterJson {
  clusterName: string;
  bootstrap: string;
  state: 'running' | 'stopped';
  dataDir: string;
  etcd: { endpoint: string; address: string; pid: number | null; clientPort: number; peerPort: number; dataDir: string; logFile: string; tls?: EtcdTls };
  processes: ProcessRecord[];
  security?: Record<string, unknown>;
  /** The server settings given to `dms dev up` (--config / --config-file), before routing to services. */
  settings?: Record<string, string>;
  /** The web console's URL, when the cluster runs one. */
  consoleUrl?: string;
  /** The `dms dev up` process serving requests in DATA/control/ (`dms dev add-broker`). */
  controlPid?: number;
}

export interface UnexpectedExit {
  role: ServiceRole | 'etcd';
  id: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  logFile: string;
  /** Last lines the process wrote. */
  tail: string[];
}

export interface StopReport extends StopResult {
  role: ServiceRole;
  id: number;
}

const ROLE_ORDER: readonly ClusterRole[] = ['controller', 'broker', 'gateway'];
const ID_FLAG: Record<ServiceRole, string> = { controller: 'controller.id', broker: 'broker.id', gateway: 'node.id', console: 'console.id' };

export const CLUSTER_JSON = 'cluster.json';

/** Reads DIR/cluster.json; undefined when absent or unreadable. */
export function readClusterJson(dataDir: string): ClusterJson | undefined {
  const file = join(dataDir, CLUSTER_JSON);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ClusterJson;
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A whole DMS cluster on 127.0.0.1, or one loopback address per process (etcd, controllers, brokers, gateways), every process a real,
 * directly spawned child. DIR/cluster.json describes each one well enough to find, kill or restart
 * it; it is rewritten whenever a process exits or restarts. Emits 'unexpected-exit' (UnexpectedExit)
 * when a process dies that nobody asked to stop; nothing restarts it.
 */
export class DevCluster extends EventEmitter {
  readonly dataDir: string;
  readonly clusterName: string;
  private etcd: EtcdProcess | undefined;
  private readonly services: ServiceProcess[] = [];
  private stopping = false;
  private stopped = false;
  private bootstrapPort: number;
  private routed: Partial<Record<ServiceRole, Record<string, string>>> = {};
  private addresses: ClusterAddresses = sharedAddresses;
  private controlPid: number | undefined;

  private constructor(private readonly opts: DevClusterOptions) {
    super();
    this.dataDir = resolve(opts.dataDir ?? './.dms');
    this.clusterName = opts.clusterName ?? 'dms';
    this.bootstrapPort = opts.port ?? 9092;
  }

  static async start(opts: DevClusterOptions = {}): Promise<DevCluster> {
    const cluster = new DevCluster(opts);
    try {
      await cluster.boot();
    } catch (e) {
      await cluster.stop().catch(() => undefined);
      throw e;
    }
    return cluster;
  }

  get bootstrap(): string {
    return `${this.addresses.of('gateway', 1)}:${this.bootstrapPort}`;
  }

  get etcdEndpoint(): string {
    if (!this.etcd) throw new Error('etcd is not running');
    return this.etcd.endpoint;
  }

  get clusterJsonPath(): string {
    return join(this.dataDir, CLUSTER_JSON);
  }

  service(role: ServiceRole, id: number): ServiceProcess {
    const s = this.services.find((p) => p.role === role && p.id === id);
    if (!s) throw new Error(`no ${role} ${id} in this dev cluster`);
    return s;
  }

  private async boot(): Promise<void> {
    const o = this.opts;
    mkdirSync(join(this.dataDir, 'logs'), { recursive: true });
    const previous = readClusterJson(this.dataDir);
    if (previous?.state === 'running' && pidAlive(previous.etcd?.pid)) {
      throw new Error(`a dev cluster already runs from ${this.dataDir} (etcd pid ${previous.etcd.pid}); stop it first`);
    }
    const scripts = this.scripts();
    for (const [role, script] of Object.entries(scripts)) {
      if (!existsSync(script)) {
        throw new Error(`missing ${script} (${role}): build the services first with \`node tools/build/build.mjs\``);
      }
    }
    const counts: Record<ClusterRole, number> = {
      controller: o.controllers ?? 3,
      broker: o.brokers ?? 3,
      gateway: o.gateways ?? 1,
    };
    if (counts.gateway < 1) throw new Error('a dev cluster needs at least one gateway');
    const distinct = o.distinctAddresses;
    if (distinct) this.addresses = distinctAddresses(counts, typeof distinct === 'string' ? distinct : undefined);
    const bootstrapHost = this.addresses.of('gateway', 1);
    if (!(await isPortFree(this.bootstrapPort, bootstrapHost))) {
      throw new Error(`port ${this.bootstrapPort} on ${bootstrapHost} is in use; pick another with --port`);
    }

    this.routed = await this.routeSettings(scripts);
    const etcdHost = this.addresses.etcd;
    await this.startEtcdProcess(await reusePort(previous?.etcd?.clientPort, etcdHost), await reusePort(previous?.etcd?.peerPort, etcdHost));

    if (o.scramUsers?.length) await this.bootstrapUsers(o.scramUsers);
    const previousGatewayPort = (id: number) => previous?.processes?.find((p) => p.role === 'gateway' && p.id === id)?.ports?.kafkaPort;
    for (const role of ROLE_ORDER) {
      for (let id = 1; id <= counts[role]; id++) {
        let kafkaPort = 0;
        if (role === 'gateway') kafkaPort = id === 1 ? this.bootstrapPort : await reusePort(previousGatewayPort(id), this.addresses.of(role, id));
        const previousMetricsPort = previous?.processes?.find((p) => p.role === role && p.id === id)?.ports?.metricsPort;
        const metricsPort = o.metrics ? await reusePort(previousMetricsPort, this.addresses.of(role, id)) : 0;
        this.services.push(this.makeService(role, id, scripts[role], kafkaPort, metricsPort));
      }
    }
    // Controllers first (they own metadata), then the brokers they place partitions on, then the gateways
    // that route to both; each group starts in parallel.
    for (const role of ROLE_ORDER) {
      await Promise.all(this.services.filter((s) => s.role === role).map((s) => s.start()));
    }
    const timeout = o.readyTimeoutMs ?? 30_000;
    await Promise.all(this.services.filter((s) => s.role === 'gateway').map((s) => waitForTcp(this.addresses.of('gateway', s.id), s.ports.kafkaPort, timeout)));
    await this.waitForLeader(timeout);
    if (o.console) {
      const svc = this.makeConsole(scripts.console!);
      this.services.push(svc);
      await svc.start();
    }
    this.writeClusterJson();
  }

  /** The console's URL (http://127.0.0.1:PORT/), when this cluster runs one. */
  get consoleUrl(): string | undefined {
    const svc = this.services.find((s) => s.role === 'console');
    const port = svc?.ports.httpPort;
    const scheme = typeof this.opts.console === 'object' && this.opts.console.https ? 'https' : 'http';
    return port ? `${scheme}://${this.addresses.of('console', 1)}:${port}/` : undefined;
  }

  /**
   * The console's settings: the gateways' SASL_SSL listener (secure cluster, CA known), else their
   * SASL_PLAINTEXT listener, each with a login; else PLAINTEXT without one.
   */
  private makeConsole(script: string): ServiceProcess {
    const gateways = this.services.filter((s) => s.role === 'gateway');
    const listeners = this.opts.gatewayListeners ?? [];
    const caFile = (this.opts.security as { caFile?: string } | undefined)?.caFile;
    const protocol = listeners.includes('SASL_SSL') && caFile ? 'SASL_SSL' : listeners.includes('SASL_PLAINTEXT') ? 'SASL_PLAINTEXT' : 'PLAINTEXT';
    const portField = { SASL_SSL: 'saslSslPort', SASL_PLAINTEXT: 'saslPlaintextPort', PLAINTEXT: 'kafkaPort' }[protocol];
    const host = this.addresses.of('console', 1);
    const config: Record<string, ConfigValue> = {
      'console.id': 1,
      'console.host': host,
      'console.port': typeof this.opts.console === 'object' ? this.opts.console.port ?? 0 : 0,
      'bootstrap.servers': gateways.map((g) => `${this.addresses.of('gateway', g.id)}:${g.ports[portField]}`).join(','),
      'security.protocol': protocol,
    };
    if (protocol === 'SASL_SSL') config['ssl.ca.location'] = caFile!;
    // Find-by-key through the brokers' key index: etcd to find leaders, a dms://console/1 certificate.
    config['cluster.name'] = this.clusterName;
    config['etcd.endpoints'] = this.etcd!.endpoint;
    const etcdTls = this.opts.etcdTls;
    if (etcdTls) {
      config['etcd.tls.ca.location'] = etcdTls.caFile;
      config['etcd.tls.certificate.location'] = etcdTls.certFile;
      config['etcd.tls.key.location'] = etcdTls.keyFile;
    }
    Object.assign(config, devInternalSecurityConfig(this.dataDir, this.internalSecurity(), 'console', 1, [host, 'localhost']));
    const https = typeof this.opts.console === 'object' ? this.opts.console.https : undefined;
    if (https) {
      config['console.ssl.certificate.location'] = https.certFile;
      config['console.ssl.key.location'] = https.keyFile;
    }
    return this.spawnService('console', 1, script, config);
  }

  /** Settings per role: the keys each service's `--help` lists (its own config declaration). */
  private async routeSettings(scripts: Record<ClusterRole, string>): Promise<Partial<Record<ServiceRole, Record<string, string>>>> {
    const settings = this.opts.settings ?? {};
    if (Object.keys(settings).length === 0) return {};
    const out: Partial<Record<ServiceRole, Record<string, string>>> = {};
    const claimed = new Set<string>();
    const declared = await Promise.all(ROLE_ORDER.map((role) => declaredKeys(scripts[role])));
    for (const [i, role] of ROLE_ORDER.entries()) {
      const keys = declared[i];
      for (const [k, v] of Object.entries(settings)) {
        if (!keys.has(k) || k === ID_FLAG[role]) continue;
        (out[role] ??= {})[k] = v;
        claimed.add(k);
      }
    }
    const unknown = Object.keys(settings).filter((k) => !claimed.has(k));
    if (unknown.length > 0) throw new Error(`no DMS service takes the setting${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
    return out;
  }

  private scripts(): Record<ClusterRole, string> & { console?: string } {
    const dist = resolve(this.opts.distDir ?? 'dist/apps');
    const out = {} as Record<ClusterRole, string> & { console?: string };
    for (const role of ROLE_ORDER) out[role] = resolve(this.opts.scripts?.[role] ?? join(dist, role, 'main.js'));
    if (this.opts.console) out.console = resolve(this.opts.scripts?.console ?? join(dist, 'console', 'main.js'));
    return out;
  }

  private makeService(role: ClusterRole, id: number, script: string, kafkaPort: number, metricsPort = 0, overrides?: Record<string, ConfigValue>): ServiceProcess {
    const config: Record<string, ConfigValue> = {
      [ID_FLAG[role]]: id,
      'cluster.name': this.clusterName,
      'etcd.endpoints': this.etcd!.endpoint,
    };
    const host = this.addresses.of(role, id);
    if (this.opts.distinctAddresses) config['client.local.address'] = host;
    const tls = this.opts.etcdTls;
    if (tls) {
      config['etcd.tls.ca.location'] = tls.caFile;
      config['etcd.tls.certificate.location'] = tls.certFile;
      config['etcd.tls.key.location'] = tls.keyFile;
    }
    if (role === 'controller' || role === 'broker') {
      config['grpc.host'] = host;
      config['grpc.port'] = 0;
    }
    if (role === 'broker') config['log.dirs'] = join(this.dataDir, `broker-${id}`);
    if (metricsPort > 0) {
      config['metrics.port'] = metricsPort;
      config['metrics.host'] = host;
    }
    Object.assign(config, devInternalSecurityConfig(this.dataDir, this.internalSecurity(), role, id, [host, 'localhost']));
    if (role === 'gateway') {
      config.listeners = [`PLAINTEXT://${host}:${kafkaPort}`, ...(this.opts.gatewayListeners ?? []).map((n) => `${n}://${host}:0`)].join(',');
    }
    Object.assign(config, this.routed[role]);
    return this.spawnService(role, id, script, config, overrides);
  }

  /**
   * Starts one more storage broker with the next free id, configured like the others (its internal
   * certificate from the cluster's CA, its log dir DATA/broker-<id>), `rack` as its broker.rack;
   * it is recorded in cluster.json and stopped with the rest. Resolves once it is ready.
   */
  async addBroker(o: { rack?: string } = {}): Promise<ProcessRecord> {
    if (this.stopping || this.stopped) throw new Error('the cluster is stopping');
    if (this.opts.distinctAddresses) throw new Error('a cluster with distinct addresses cannot grow: its addresses are fixed when it starts');
    if (o.rack !== undefined && !/^[\w.:-]{1,255}$/.test(o.rack)) throw new Error(`invalid rack '${o.rack}': use letters, digits, '.', ':', '_' or '-'`);
    const metricsPort = this.opts.metrics ? await reusePort(undefined, this.addresses.of('broker', 1)) : 0;
    // Id and record taken synchronously, so concurrent calls never pick the same id.
    const id = Math.max(0, ...this.services.filter((s) => s.role === 'broker').map((s) => s.id)) + 1;
    const svc = this.makeService('broker', id, this.scripts().broker, 0, metricsPort, o.rack !== undefined ? { 'broker.rack': o.rack } : undefined);
    this.services.push(svc);
    try {
      await svc.start();
    } finally {
      this.writeClusterJson();
    }
    return this.record(svc);
  }

  /** Serves `dms dev add-broker` through DATA/control/ until the returned function is called. */
  serveControlRequests(onAdded?: (rec: ProcessRecord) => void): () => void {
    const close = serveControlRequests(this.dataDir, async (req): Promise<ControlAnswer> => {
      const rec = await this.addBroker({ rack: req.rack });
      onAdded?.(rec);
      return { ok: true, id: rec.id, pid: rec.pid, grpcPort: rec.ports.grpcPort };
    });
    this.controlPid = process.pid;
    this.writeClusterJson();
    return () => {
      close();
      this.controlPid = undefined;
    };
  }

  /** A service process from its config (the role's extra config from the options wins). */
  private spawnService(role: ServiceRole, id: number, script: string, config: Record<string, ConfigValue>, overrides?: Record<string, ConfigValue>): ServiceProcess {
    const extra = this.opts.config?.[role];
    Object.assign(config, typeof extra === 'function' ? extra(id) : extra, overrides);

    const args: string[] = [];
    for (const [k, v] of Object.entries(config)) args.push(`--${k}`, String(v));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.opts.env ?? {})) if (k.startsWith('DMS_')) env[k] = v;

    const svc = new ServiceProcess({
      role,
      id,
      script,
      args,
      env,
      cwd: this.dataDir,
      logFile: join(this.dataDir, 'logs', `${role}-${id}.log`),
      readyTimeoutMs: this.opts.readyTimeoutMs,
      stopTimeoutMs: this.opts.stopTimeoutMs,
    });
    svc.on('exit', (ev: ServiceExit) => {
      if (this.stopping) return;
      this.writeClusterJson();
      if (!ev.expected) {
        this.emit('unexpected-exit', { ...ev, logFile: svc.spec.logFile, tail: svc.tail() } satisfies UnexpectedExit);
      }
    });
    return svc;
  }

  /** SSL unless asked for PLAINTEXT (an option, or `dms dev up --config internal.security.protocol=PLAINTEXT`). */
  private internalSecurity(): 'SSL' | 'PLAINTEXT' {
    return this.opts.internalSecurity ?? (this.opts.settings?.['internal.security.protocol'] === 'PLAINTEXT' ? 'PLAINTEXT' : 'SSL');
  }

  private async bootstrapUsers(users: NonNullable<DevClusterOptions['scramUsers']>): Promise<void> {
    const client = this.etcdClient();
    try {
      for (const u of users) {
        const c = createCredential(u.mechanism, u.password);
        const record = { scram: { [u.mechanism]: { salt: c.salt.toString('base64'), iterations: c.iterations, storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64') } } };
        await client.put(userKey(this.clusterName, u.name)).value(userRecord.encode(record));
      }
    } finally {
      client.close();
    }
  }

  private async waitForLeader(timeoutMs: number): Promise<void> {
    const client = this.etcdClient();
    try {
      await waitFor('a controller leader in etcd', async () => (await client.get(controllerLeaderKey(this.clusterName)).string()) ?? false, timeoutMs, 100);
    } finally {
      client.close();
    }
  }

  /** A short-lived client of this cluster's etcd (over TLS when the cluster runs it so). */
  private etcdClient(): Etcd3 {
    const tls = this.opts.etcdTls;
    return new Etcd3({
      ...etcdClientOptions({
        'etcd.endpoints': [this.etcd!.endpoint],
        'etcd.tls.ca.location': tls?.caFile,
        'etcd.tls.certificate.location': tls?.certFile,
        'etcd.tls.key.location': tls?.keyFile,
      }),
      dialTimeout: 2000,
    });
  }

  private async startEtcdProcess(clientPort: number, peerPort: number): Promise<void> {
    const o = this.opts;
    this.etcd = await startEtcd({
      dataDir: this.dataDir,
      clientPort,
      peerPort,
      bin: o.etcdBin,
      logFile: join(this.dataDir, 'logs', 'etcd.log'),
      startTimeoutMs: o.readyTimeoutMs,
      tls: o.etcdTls,
      host: this.addresses.etcd,
    });
    const etcd = this.etcd;
    const etcdChild = etcd.child;
    etcdChild.once('exit', (code, signal) => {
      if (this.stopping || etcd.intendedExit) return;
      this.emit('unexpected-exit', {
        role: 'etcd', id: 0, pid: etcdChild.pid!, code, signal,
        logFile: join(this.dataDir, 'logs', 'etcd.log'), tail: [],
      } satisfies UnexpectedExit);
    });
  }

  /** Kills etcd as an intended act (fault injection); the services keep running without it. */
  async killEtcd(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const e = this.etcd;
    if (!e) return;
    e.intendedExit = true;
    await e.stop(signal);
    this.writeClusterJson();
  }

  /** Starts etcd again on the same ports and data dir. */
  async restartEtcd(): Promise<void> {
    const e = this.etcd;
    if (!e) throw new Error('etcd was never started');
    if (e.child.exitCode === null && e.child.signalCode === null) await this.killEtcd('SIGTERM');
    try {
      await this.startEtcdProcess(e.clientPort, e.peerPort);
    } finally {
      this.writeClusterJson();
    }
  }

  /** Sends a signal to one process as an intended act; for terminating signals waits until it is gone. */
  async kill(role: ServiceRole, id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const svc = this.service(role, id);
    svc.signal(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') await svc.waitExit((this.opts.stopTimeoutMs ?? 10_000) + 5000);
    this.writeClusterJson();
  }

  /** Stops one process (if running) and starts it again from the same command, env and cwd. */
  async restart(role: ServiceRole, id: number): Promise<ProcessRecord> {
    const svc = this.service(role, id);
    try {
      await svc.restart();
      if (role === 'gateway') await waitForTcp(this.addresses.of(role, id), svc.ports.kafkaPort, this.opts.readyTimeoutMs ?? 30_000);
    } finally {
      this.writeClusterJson();
    }
    return this.record(svc);
  }

  /** The current picture (the same shape as cluster.json), with states checked now. */
  status(): ClusterJson {
    const e = this.etcd;
    const etcdRunning = e !== undefined && e.child.exitCode === null && e.child.signalCode === null;
    return {
      clusterName: this.clusterName,
      bootstrap: this.bootstrap,
      state: this.stopped ? 'stopped' : 'running',
      dataDir: this.dataDir,
      etcd: {
        endpoint: e?.endpoint ?? '',
        address: this.addresses.etcd,
        pid: etcdRunning ? e!.pid : null,
        clientPort: e?.clientPort ?? 0,
        peerPort: e?.peerPort ?? 0,
        dataDir: join(this.dataDir, 'etcd'),
        logFile: join(this.dataDir, 'logs', 'etcd.log'),
        ...(this.opts.etcdTls ? { tls: this.opts.etcdTls } : {}),
      },
      processes: this.services.map((s) => this.record(s)),
      ...(this.opts.security ? { security: this.opts.security } : {}),
      ...(this.opts.settings && Object.keys(this.opts.settings).length > 0 ? { settings: { ...this.opts.settings } } : {}),
      ...(this.consoleUrl ? { consoleUrl: this.consoleUrl } : {}),
      ...(this.controlPid !== undefined && !this.stopped ? { controlPid: this.controlPid } : {}),
    };
  }

  private record(s: ServiceProcess): ProcessRecord {
    return {
      role: s.role,
      id: s.id,
      pid: s.running ? s.pid! : null,
      address: this.addresses.of(s.role, s.id),
      state: s.running ? 'running' : 'exited',
      ports: s.ports,
      command: s.command,
      env: { ...(s.spec.env ?? {}) },
      cwd: s.spec.cwd,
      logFile: s.spec.logFile,
    };
  }

  private writeClusterJson(): void {
    if (!this.etcd) return;
    // Its security block carries the admin password: owner-only, as Kafka's client config files should be.
    writePrivateFile(this.clusterJsonPath, JSON.stringify(this.status(), null, 2) + '\n', { atomic: true });
  }

  /**
   * Gateways, brokers, controllers, then etcd; each bounded (SIGTERM, then SIGKILL). Idempotent.
   * Reports how each service went, so tests can hold services to "exit 0 on SIGTERM".
   */
  async stop(): Promise<StopReport[]> {
    if (this.stopped) return [];
    this.stopping = true;
    const report: StopReport[] = [];
    for (const role of ['console', ...[...ROLE_ORDER].reverse()] as ServiceRole[]) {
      const group = this.services.filter((s) => s.role === role);
      const wasRunning = group.map((s) => s.running);
      const results = await Promise.all(group.map((s) => s.stop('SIGTERM')));
      group.forEach((s, i) => wasRunning[i] && report.push({ role: s.role, id: s.id, ...results[i] }));
    }
    await this.etcd?.stop();
    this.stopped = true;
    this.writeClusterJson();
    return report;
  }

  /** Last resort for process 'exit' handlers: SIGKILL every child synchronously. */
  killAllSync(): void {
    this.stopping = true;
    for (const s of this.services) s.killSync();
    const c = this.etcd?.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      try {
        c.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

/** The config keys a service bundle declares, read from its `--help` (one `  --key <type>` line each). */
export function declaredKeys(script: string): Promise<Set<string>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, '--help'], { encoding: 'utf8', timeout: 15_000, env: { PATH: process.env.PATH ?? '' } }, (err, help) => {
      if (err) return reject(new Error(`cannot list the settings of ${script}: ${err.message}`));
      const keys = new Set<string>();
      for (const m of help.matchAll(/^ {2}--([a-z0-9.-]+) </gm)) keys.add(m[1]);
      resolve(keys);
    });
  });
}
