// DevCluster with a real etcd and the fake service (fixtures/fake-service.js) standing in for
// controller, broker and gateway: checks the launcher and cluster.json, not the services.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { readClusterStatus } from './cluster-status';
import { DevCluster, readClusterJson, type ClusterJson, type UnexpectedExit } from './dev-cluster';
import { freePort } from './free-port';

const FAKE = join(__dirname, 'fixtures', 'fake-service.js');
const scripts = { controller: FAKE, broker: FAKE, gateway: FAKE };

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

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('DevCluster (fake services, real etcd)', () => {
  let dir: string;
  let cluster: DevCluster | undefined;
  let port: number;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dms-devcluster-'));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts everything and describes every real process in cluster.json', async () => {
    port = await freePort();
    cluster = await DevCluster.start({
      controllers: 2,
      brokers: 2,
      gateways: 2,
      port,
      dataDir: dir,
      scripts,
      config: { broker: (id) => ({ 'broker.rack': `rack-${id}` }) },
      env: { DMS_LOG_LEVEL: 'debug', NOT_OURS: 'x' },
      readyTimeoutMs: 15_000,
      stopTimeoutMs: 2000,
    });
    const json = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as ClusterJson;
    expect(json.clusterName).toBe('dms');
    expect(json.bootstrap).toBe(`127.0.0.1:${port}`);
    expect(json.state).toBe('running');
    expect(json.etcd.endpoint).toBe(`127.0.0.1:${json.etcd.clientPort}`);
    expect(json.etcd.dataDir).toBe(join(dir, 'etcd'));
    expect(cmdline(json.etcd.pid!)[0]).toMatch(/etcd$/);

    expect(json.processes.map((p) => `${p.role}-${p.id}`)).toEqual([
      'controller-1', 'controller-2', 'broker-1', 'broker-2', 'gateway-1', 'gateway-2',
    ]);
    for (const p of json.processes) {
      expect(p.state).toBe('running');
      const argv = cmdline(p.pid!);
      expect(argv[0]).toMatch(/node$/);
      expect(argv).toEqual(p.command);
      expect(p.env).toEqual({ DMS_LOG_LEVEL: 'debug' });
      expect(p.cwd).toBe(dir);
      expect(p.logFile).toBe(join(dir, 'logs', `${p.role}-${p.id}.log`));
      expect(readFileSync(p.logFile, 'utf8')).toContain('"msg":"ready"');
      expect(p.command).toEqual(expect.arrayContaining(['--etcd.endpoints', json.etcd.endpoint]));
    }
    const broker2 = json.processes.find((p) => p.role === 'broker' && p.id === 2)!;
    expect(broker2.command).toEqual(expect.arrayContaining(['--broker.id', '2', '--log.dirs', join(dir, 'broker-2'), '--broker.rack', 'rack-2']));
    expect(broker2.ports.grpcPort).toBeGreaterThan(0);
    const gateways = json.processes.filter((p) => p.role === 'gateway');
    expect(gateways[0].ports.kafkaPort).toBe(port);
    expect(gateways[1].ports.kafkaPort).not.toBe(port);
    expect(gateways[1].command).toEqual(expect.arrayContaining(['--node.id', '2']));
  }, 60_000);

  it('reads the live membership back from etcd', async () => {
    const s = await readClusterStatus(cluster!.etcdEndpoint, 'dms');
    expect(s.controllers.map((c) => c.id)).toEqual([1, 2]);
    expect(s.leader).not.toBeNull();
    expect(s.controllers.filter((c) => c.leader)).toHaveLength(1);
    expect(s.brokers).toEqual([
      expect.objectContaining({ id: 1, rack: 'rack-1' }),
      expect.objectContaining({ id: 2, rack: 'rack-2' }),
    ]);
    expect(s.gateways.map((g) => g.address)).toContain(`127.0.0.1:${port}`);
    expect(s.topicCount).toBe(0);
  }, 20_000);

  it('kill() is intended (not reported), an outside crash is reported; both rewrite cluster.json', async () => {
    const unexpected: UnexpectedExit[] = [];
    cluster!.on('unexpected-exit', (e: UnexpectedExit) => unexpected.push(e));
    const before = readClusterJson(dir)!;
    const b1 = before.processes.find((p) => p.role === 'broker' && p.id === 1)!;
    const b2 = before.processes.find((p) => p.role === 'broker' && p.id === 2)!;

    await cluster!.kill('broker', 1);
    expect(alive(b1.pid!)).toBe(false);
    const afterKill = readClusterJson(dir)!.processes.find((p) => p.role === 'broker' && p.id === 1)!;
    expect(afterKill).toMatchObject({ state: 'exited', pid: null });

    process.kill(b2.pid!, 'SIGKILL');
    await until(() => unexpected.length === 1, 'the crash report');
    expect(unexpected[0]).toMatchObject({ role: 'broker', id: 2, pid: b2.pid, signal: 'SIGKILL', logFile: b2.logFile });
    expect(unexpected[0].tail.join('\n')).toContain('"msg":"ready"');
    expect(readClusterJson(dir)!.processes.find((p) => p.role === 'broker' && p.id === 2)!.state).toBe('exited');

    const restarted = await cluster!.restart('broker', 2);
    expect(restarted.pid).not.toBe(b2.pid);
    expect(cmdline(restarted.pid!)).toEqual(b2.command);
    const rewritten = readClusterJson(dir)!.processes.find((p) => p.role === 'broker' && p.id === 2)!;
    expect(rewritten).toMatchObject({ state: 'running', pid: restarted.pid });
    await cluster!.restart('broker', 1);
    expect(unexpected).toHaveLength(1);
  }, 30_000);

  it('restarting a gateway keeps its port', async () => {
    const g2 = cluster!.status().processes.find((p) => p.role === 'gateway' && p.id === 2)!;
    const again = await cluster!.restart('gateway', 2);
    expect(again.pid).not.toBe(g2.pid);
    expect(again.ports.kafkaPort).toBe(g2.ports.kafkaPort);
  }, 30_000);

  it('refuses a second cluster on the same data dir', async () => {
    await expect(DevCluster.start({ dataDir: dir, scripts, port: await freePort() })).rejects.toThrow(/already runs from/);
  }, 20_000);

  it('stops everything, then starts again on the same etcd ports with the data kept', async () => {
    const before = cluster!.status();
    const client = new Etcd3({ hosts: `http://${before.etcd.endpoint}` });
    await client.put('/dms-test/survives').value('yes');
    client.close();

    await cluster!.stop();
    for (const p of before.processes) expect(alive(p.pid!)).toBe(false);
    expect(alive(before.etcd.pid!)).toBe(false);
    const stopped = readClusterJson(dir)!;
    expect(stopped.state).toBe('stopped');
    expect(stopped.processes.every((p) => p.state === 'exited' && p.pid === null)).toBe(true);

    cluster = await DevCluster.start({ controllers: 1, brokers: 1, gateways: 2, port, dataDir: dir, scripts, readyTimeoutMs: 15_000 });
    const after = cluster.status();
    expect(after.etcd.clientPort).toBe(before.etcd.clientPort);
    expect(after.etcd.peerPort).toBe(before.etcd.peerPort);
    expect(after.processes.find((p) => p.role === 'gateway' && p.id === 2)!.ports.kafkaPort).toBe(
      before.processes.find((p) => p.role === 'gateway' && p.id === 2)!.ports.kafkaPort,
    );
    const c2 = new Etcd3({ hosts: `http://${after.etcd.endpoint}` });
    expect(await c2.get('/dms-test/survives').string()).toBe('yes');
    c2.close();
  }, 60_000);
});

describe('DevCluster start failures', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dms-devcluster-fail-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('says to build first when a service bundle is missing', async () => {
    await expect(DevCluster.start({ dataDir: dir, distDir: join(dir, 'nope'), port: await freePort() })).rejects.toThrow(
      /missing .*controller\/main\.js .*build the services first/,
    );
  });

  it('names the busy port', async () => {
    const srv: Server = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const busy = (srv.address() as { port: number }).port;
    try {
      await expect(DevCluster.start({ dataDir: dir, scripts, port: busy })).rejects.toThrow(`port ${busy} on 127.0.0.1 is in use`);
    } finally {
      srv.close();
    }
  });

  it('stops what it started when a service crashes during start', async () => {
    const err = await DevCluster.start({
      dataDir: dir, scripts, port: await freePort(), controllers: 1, brokers: 1,
      config: { broker: { 'fake.mode': 'crash' } }, readyTimeoutMs: 15_000,
    }).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/broker 1 exited \(code 3, signal null\) before it was ready/);
    const json = readClusterJson(dir);
    // It never got to writing a running cluster.json; whatever pids were started are gone.
    expect(json === undefined || json.state === 'stopped').toBe(true);
    expect(existsSync(join(dir, 'logs', 'controller-1.log'))).toBe(true);
    const controllerPid = Number(/"pid":(\d+)/.exec(readFileSync(join(dir, 'logs', 'controller-1.log'), 'utf8'))![1]);
    expect(alive(controllerPid)).toBe(false);
  }, 30_000);
});
