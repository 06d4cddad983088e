import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevCluster, freePort, startEtcd, type DevClusterOptions, type EtcdProcess, type RoleConfig, type UnexpectedExit } from '@dms/devcluster';
import { distAppsDir } from './repo-root';

export interface TestClusterOptions extends Omit<DevClusterOptions, 'dataDir' | 'port'> {
  /** Keep the temp dir after cleanup (to read logs of a failure). Also: DMS_KEEP_TEST_DATA=1. */
  keepDataDir?: boolean;
}

export interface TestCluster {
  cluster: DevCluster;
  /** host:port of gateway 1, for Kafka clients. */
  bootstrap: string;
  etcdEndpoint: string;
  dataDir: string;
  /** Processes that died without being asked to (a spec can assert this stays empty). */
  unexpectedExits: UnexpectedExit[];
  /** Stops this cluster and removes its temp dir; idempotent. */
  cleanup(): Promise<void>;
}

export interface TestEtcd {
  etcd: EtcdProcess;
  endpoint: string;
  dataDir: string;
  cleanup(): Promise<void>;
}

interface Live {
  cleanup(): Promise<void>;
  killSync(): void;
}

const live = new Set<Live>();
let exitHookInstalled = false;

function register(item: Live): void {
  live.add(item);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Last resort when a spec forgot cleanup() or the runner exits early: no orphans survive us.
    process.on('exit', () => {
      for (const l of live) l.killSync();
    });
  }
}

function keep(opt: boolean | undefined): boolean {
  return opt === true || process.env.DMS_KEEP_TEST_DATA === '1';
}

/**
 * Controllers of test clusters run without the self-balancer unless a spec turns it on
 * (`auto.balance.enable` in `config.controller` or `settings`): specs written before it assert
 * placements it would change. Decommissions work either way.
 */
function balancerOffUnlessAsked(opts: TestClusterOptions): TestClusterOptions['config'] {
  const own = opts.config?.controller;
  if (opts.settings?.['auto.balance.enable'] !== undefined) return opts.config;
  const off = { 'auto.balance.enable': 'false' };
  const controller: RoleConfig = typeof own === 'function' ? (id) => ({ ...off, ...own(id) }) : { ...off, ...own };
  return { ...opts.config, controller };
}

/**
 * A DevCluster in a fresh temp dir, gateway 1 on a free port (never 9092), services from
 * dist/apps unless `distDir`/`scripts` say otherwise. Defaults: 1 controller, 1 broker, 1 gateway.
 */
export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dms-test-'));
  const unexpectedExits: UnexpectedExit[] = [];
  let cluster: DevCluster | undefined;
  let done: Promise<void> | undefined;
  const item: Live = {
    cleanup: () =>
      (done ??= (async () => {
        try {
          await cluster?.stop();
        } finally {
          live.delete(item);
          if (!keep(opts.keepDataDir)) rmSync(dataDir, { recursive: true, force: true });
        }
      })()),
    killSync: () => cluster?.killAllSync(),
  };
  try {
    cluster = await DevCluster.start({
      controllers: 1,
      brokers: 1,
      gateways: 1,
      distDir: distAppsDir(),
      readyTimeoutMs: 30_000,
      stopTimeoutMs: 5_000,
      ...opts,
      config: balancerOffUnlessAsked(opts),
      dataDir,
      port: await freePort(),
    });
  } catch (e) {
    if (!keep(opts.keepDataDir)) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  register(item);
  cluster.on('unexpected-exit', (e: UnexpectedExit) => unexpectedExits.push(e));
  return {
    cluster,
    bootstrap: cluster.bootstrap,
    etcdEndpoint: cluster.etcdEndpoint,
    dataDir,
    unexpectedExits,
    cleanup: item.cleanup,
  };
}

/** A real single etcd in a temp dir on free ports, for specs that need etcd alone. */
export async function startTestEtcd(): Promise<TestEtcd> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dms-etcd-'));
  let etcd: EtcdProcess;
  try {
    etcd = await startEtcd({ dataDir, logFile: join(dataDir, 'etcd.log') });
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  let done: Promise<void> | undefined;
  const item: Live = {
    cleanup: () =>
      (done ??= (async () => {
        try {
          await etcd.stop();
        } finally {
          live.delete(item);
          rmSync(dataDir, { recursive: true, force: true });
        }
      })()),
    killSync: () => {
      if (etcd.child.exitCode === null && etcd.child.signalCode === null) etcd.child.kill('SIGKILL');
    },
  };
  register(item);
  return { etcd, endpoint: etcd.endpoint, dataDir, cleanup: item.cleanup };
}

/** Stops every cluster and etcd this process started through the harness. Use as `afterAll(cleanup)`. */
export async function cleanup(): Promise<void> {
  const errors: unknown[] = [];
  await Promise.all([...live].map((l) => l.cleanup().catch((e) => errors.push(e))));
  if (errors.length) throw errors[0];
}
