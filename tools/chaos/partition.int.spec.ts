// The distinct-address dev cluster, and the nftables cut the partition faults are built on: each
// process listens, advertises and connects from its own loopback address, so cutting one pair
// (a broker and etcd) cuts exactly that pair. Needs root (nftables); fails, never skips, without.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterView, createEtcdClient } from '@dms/cluster';
import { DevCluster, freePort, readClusterJson, waitFor } from '@dms/devcluster';
import { repoRoot } from '@dms/testing';
import { NetworkCut, requireRoot } from './host-faults';

jest.setTimeout(180_000);

/** Source addresses of the established TCP connections to `port` on `host`. */
function clientsOf(host: string, port: number): Set<string> {
  const out = execFileSync('ss', ['-Htn', 'state', 'established', 'dst', `${host}:${port}`], { encoding: 'utf8' });
  const sources = new Set<string>();
  for (const line of out.split('\n')) {
    const local = line.trim().split(/\s+/)[2];
    if (local) sources.add(local.slice(0, local.lastIndexOf(':')));
  }
  return sources;
}

describe('distinct loopback addresses', () => {
  it('gives every process its own address to listen on, advertise and connect from, so one pair can be cut apart', async () => {
    requireRoot('isolate-etcd');
    const dataDir = mkdtempSync(join(tmpdir(), 'dms-distinct-'));
    const subnet = `127.${1 + (process.pid % 250)}.${1 + Math.floor(Math.random() * 250)}`;
    const cut = new NetworkCut();
    let cluster: DevCluster | undefined;
    let etcd: ReturnType<typeof createEtcdClient> | undefined;
    let view: ClusterView | undefined;
    try {
      cluster = await DevCluster.start({
        controllers: 1, brokers: 2, gateways: 1, port: await freePort(), dataDir,
        distDir: join(repoRoot(), 'dist', 'apps'), distinctAddresses: subnet,
        config: { controller: { 'etcd.lease.ttl.ms': 2000 }, broker: { 'etcd.lease.ttl.ms': 2000 }, gateway: { 'etcd.lease.ttl.ms': 2000 } },
      });
      const json = readClusterJson(dataDir)!;
      const addr = (role: string, id: number) => json.processes.find((p) => p.role === role && p.id === id)!.address;
      expect(json.etcd.address).toBe(`${subnet}.2`);
      expect(json.etcd.endpoint).toBe(`${subnet}.2:${json.etcd.clientPort}`);
      expect([addr('controller', 1), addr('broker', 1), addr('broker', 2), addr('gateway', 1)]).toEqual([`${subnet}.3`, `${subnet}.4`, `${subnet}.5`, `${subnet}.6`]);
      expect(json.bootstrap).toBe(`${subnet}.6:${json.processes.find((p) => p.role === 'gateway')!.ports.kafkaPort}`);

      // What each process advertises in etcd is its own address.
      etcd = createEtcdClient([cluster.etcdEndpoint]);
      view = new ClusterView(etcd, cluster.clusterName).start();
      await view.ready;
      const v = view;
      await waitFor('both brokers and the gateway registered', async () => v.brokers().length === 2 && v.gateways().length === 1, 60_000, 100);
      expect(v.brokers().map((b) => [b.id, b.host]).sort()).toEqual([[1, addr('broker', 1)], [2, addr('broker', 2)]]);
      expect(v.controllerLeader()?.host).toBe(addr('controller', 1));
      expect(v.gateways()[0].host).toBe(addr('gateway', 1));

      // Their connections to etcd leave from their own addresses, not 127.0.0.1.
      const etcdPort = json.etcd.clientPort;
      await waitFor('every service connected to etcd from its own address', async () => {
        const c = clientsOf(json.etcd.address, etcdPort);
        return ['controller', 'broker', 'gateway'].every((r) => json.processes.filter((p) => p.role === r).every((p) => c.has(p.address)));
      }, 30_000, 200);

      // Cut broker 1 from etcd only: its session expires and its registration goes; broker 2,
      // the controller and the gateway (and this test, from 127.0.0.1) keep theirs.
      await cut.cut([[addr('broker', 1), json.etcd.address]]);
      expect(execFileSync('nft', ['list', 'table', 'inet', cut.table], { encoding: 'utf8' })).toContain(`ip saddr ${addr('broker', 1)} ip daddr ${json.etcd.address} drop`);
      await waitFor('broker 1 unregistered', async () => v.broker(1) === undefined, 60_000, 100);
      expect(v.broker(2)?.host).toBe(addr('broker', 2));
      expect(v.controllerLeader()?.id).toBe(1);
      expect(v.gateways().length).toBe(1);

      // Healed: the table is gone and broker 1 registers again on a new session.
      await cut.heal();
      expect(() => execFileSync('nft', ['list', 'table', 'inet', cut.table], { stdio: 'pipe' })).toThrow();
      await waitFor('broker 1 registered again', async () => v.broker(1)?.host === addr('broker', 1), 60_000, 100);
    } finally {
      await cut.close();
      await view?.close().catch(() => undefined);
      etcd?.close();
      await cluster?.stop().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
