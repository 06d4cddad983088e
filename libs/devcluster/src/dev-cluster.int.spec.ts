// The real DevCluster end to end: real etcd and the real bundled services from dist/apps.
// Needs `node tools/build/build.mjs` first; without the bundles it FAILS (never skips) and says so.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, distAppsDir, startTestCluster, type TestCluster } from '@dms/testing';
import { readClusterStatus } from './cluster-status';
import { readClusterJson } from './dev-cluster';
import { waitFor, waitForTcp } from './wait-for';
import { SERVICE_NODE_FLAGS, type ServiceRole } from './service-process';

const ROLES = ['controller', 'broker', 'gateway'] as const;

function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('DevCluster with the real services', () => {
  let t: TestCluster;

  beforeAll(async () => {
    const missing = ROLES.map((r) => join(distAppsDir(), r, 'main.js')).filter((f) => !existsSync(f));
    if (missing.length) {
      throw new Error(`service bundles missing (${missing.join(', ')}): run the build first: node tools/build/build.mjs`);
    }
    t = await startTestCluster({
      controllers: 3,
      brokers: 3,
      gateways: 2,
      config: {
        controller: { 'etcd.lease.ttl.ms': 2000 },
        broker: (id) => ({ 'broker.rack': `rack-${id}` }),
      },
    });
  }, 90_000);

  afterAll(cleanup, 60_000);

  it('describes every real node process in cluster.json and accepts Kafka connections', async () => {
    const json = readClusterJson(t.dataDir)!;
    expect(json.bootstrap).toBe(t.bootstrap);
    expect(json.bootstrap).not.toBe('127.0.0.1:9092');
    expect(json.processes).toHaveLength(8);
    for (const p of json.processes) {
      const argv = cmdline(p.pid!);
      expect(argv[0]).toMatch(/node$/);
      // The role's node flags (SERVICE_NODE_FLAGS), then its bundle.
      const flags = SERVICE_NODE_FLAGS[p.role as ServiceRole] ?? [];
      expect(argv.slice(1, 2 + flags.length)).toEqual([...flags, join(distAppsDir(), p.role, 'main.js')]);
      expect(argv).toEqual(p.command);
      const portName = p.role === 'gateway' ? 'kafkaPort' : 'grpcPort';
      expect(p.ports[portName]).toBeGreaterThan(0);
    }
    expect(cmdline(json.etcd.pid!)[0]).toMatch(/etcd$/);
    for (const g of json.processes.filter((p) => p.role === 'gateway')) await waitForTcp('127.0.0.1', g.ports.kafkaPort, 5000);
  });

  it('shows every service registered in etcd, one controller leading', async () => {
    const s = await readClusterStatus(t.etcdEndpoint, 'dms');
    expect(s.controllers.map((c) => c.id)).toEqual([1, 2, 3]);
    expect(s.leader).not.toBeNull();
    expect(s.brokers.map((b) => [b.id, b.rack])).toEqual([[1, 'rack-1'], [2, 'rack-2'], [3, 'rack-3']]);
    expect(s.gateways.map((g) => g.id)).toEqual([1, 2]);
  });

  it('a killed controller leader is replaced by a standby; restarting it rejoins as a standby', async () => {
    const before = await readClusterStatus(t.etcdEndpoint, 'dms');
    const old = before.leader!.id;
    await t.cluster.kill('controller', old, 'SIGKILL');
    const next = await waitFor('a new controller leader', async () => {
      const s = await readClusterStatus(t.etcdEndpoint, 'dms');
      return s.leader && s.leader.id !== old ? s.leader : undefined;
    }, 20_000, 200);
    expect(next.id).not.toBe(old);
    const rec = await t.cluster.restart('controller', old);
    expect(cmdline(rec.pid!)).toEqual(rec.command);
    await waitFor('the restarted controller registered', async () =>
      (await readClusterStatus(t.etcdEndpoint, 'dms')).controllers.some((c) => c.id === old), 20_000, 200);
    expect(readClusterJson(t.dataDir)!.processes.find((p) => p.role === 'controller' && p.id === old)!.pid).toBe(rec.pid);
  }, 60_000);

  it('a restarted broker comes back under the same id and rack', async () => {
    const rec = await t.cluster.restart('broker', 2);
    await waitFor('broker 2 registered again', async () =>
      (await readClusterStatus(t.etcdEndpoint, 'dms')).brokers.find((b) => b.id === 2 && b.rack === 'rack-2'), 20_000, 200);
    expect(alive(rec.pid!)).toBe(true);
  }, 60_000);

  it('every service exits 0 on SIGTERM, deregistered, and nothing died unexpectedly', async () => {
    const json = readClusterJson(t.dataDir)!;
    const report = await t.cluster.stop();
    expect(report.filter((r) => r.code !== 0 || r.escalated)).toEqual([]);
    expect(report).toHaveLength(8);
    for (const p of json.processes) expect(alive(p.pid!)).toBe(false);
    expect(t.unexpectedExits).toEqual([]);
  }, 60_000);
});
