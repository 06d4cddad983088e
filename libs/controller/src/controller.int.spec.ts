import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Etcd3 } from 'etcd3';
import {
  brokerKey,
  brokerRegistration,
  clusterIdKey,
  controllerKey,
  controllerLeaderKey,
  fencedTxn,
  NotLeaderError,
  partitionKey,
  topicKey,
  topicPartitionsPrefix,
} from '@dms/cluster';
import { devInternalSecurityConfig, startEtcd, waitFor, type EtcdProcess } from '@dms/devcluster';
import { envName } from '@dms/platform';
import { ErrorCode } from '@dms/kafka-errors';
import { ControllerServiceClient, createClient, unary } from '@dms/rpc';
import { Controller, type ControllerOptions } from './controller';
import { TopicManager } from './topic-manager';

jest.setTimeout(90_000);

const TTL_MS = 3000;
const REPO = resolve(__dirname, '../../..');

describe('controller (real etcd)', () => {
  let dir: string;
  let etcd: EtcdProcess;
  let admin: Etcd3;
  const running: Controller[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dms-controller-'));
    etcd = await startEtcd({ dataDir: dir });
    admin = new Etcd3({ hosts: `http://${etcd.endpoint}` });
  });
  afterAll(async () => {
    for (const c of running) await c.stop();
    admin.close();
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function controller(cluster: string, id: number, extra: Partial<ControllerOptions> = {}): Promise<Controller> {
    const c = new Controller({
      id,
      clusterName: cluster,
      etcdEndpoints: [etcd.endpoint],
      leaseTtlMs: TTL_MS,
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      numPartitions: 3,
      defaultReplicationFactor: 2,
      ...extra,
    });
    running.push(c);
    await c.start();
    return c;
  }

  async function registerBrokers(cluster: string, ids: number[]): Promise<void> {
    for (const id of ids) {
      const rack = `r${id % 2}`;
      await admin.put(brokerKey(cluster, id)).value(brokerRegistration.encode({ id, host: '127.0.0.1', port: 1000 + id, rack, startTimeMs: 1 }));
    }
  }

  it('three controllers elect one leader, which creates the cluster id; a standby takes over on session loss', async () => {
    const cs = await Promise.all([1, 2, 3].map((id) => controller('trio', id)));
    const leader = await waitFor('leader', () => cs.find((c) => c.isLeader), 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(cs.filter((c) => c.isLeader)).toEqual([leader]);
    const clusterId = await waitFor('cluster id', () => admin.get(clusterIdKey('trio')).json() as Promise<{ clusterId: string } | null>, 5000);
    expect(clusterId!.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    for (const c of cs) expect(await admin.get(controllerKey('trio', c.id)).exists()).toBe(true);

    // Every controller answers DescribeCluster with the same cluster id and leader id.
    for (const c of cs) {
      const client = createClient(ControllerServiceClient, `127.0.0.1:${c.grpcPort}`);
      await waitFor('view has leader', () => c.view.controllerLeader()?.id === leader.id, 5000);
      const res = await unary(client.describeCluster.bind(client), {}, { timeoutMs: 5000 });
      expect(res).toEqual({ clusterId: clusterId!.clusterId, controllerId: leader.id });
      client.close();
    }

    // Force the leader's lease away: it must step down and a standby must lead within a TTL.
    const started = Date.now();
    await admin.leaseClient.leaseRevoke({ ID: leader.session.leaseId });
    const rest = cs.filter((c) => c !== leader);
    const next = await waitFor('new leader', () => rest.find((c) => c.isLeader), TTL_MS + 1000);
    expect(Date.now() - started).toBeLessThan(TTL_MS);
    await waitFor('old leader stepped down', () => !leader.isLeader, TTL_MS);
    expect(cs.filter((c) => c.isLeader)).toEqual([next]);
    // The cluster id survives leadership changes.
    expect(((await admin.get(clusterIdKey('trio')).json()) as { clusterId: string }).clusterId).toBe(clusterId!.clusterId);
    // The deposed one re-registers under a new lease and keeps serving as a standby.
    await waitFor('re-registered', () => admin.get(controllerKey('trio', leader.id)).exists(), 10_000);
    expect(leader.session.alive).toBe(true);
    expect(leader.isLeader).toBe(false);
  });

  it("a deposed leader's fenced write fails", async () => {
    const a = await controller('depose', 1);
    await waitFor('a leads', () => a.isLeader, 10_000);
    const oldRevision = a.fencingToken!;
    const b = await controller('depose', 2);
    await registerBrokers('depose', [1]);
    await admin.leaseClient.leaseRevoke({ ID: a.session.leaseId });
    await waitFor('b leads', () => b.isLeader, TTL_MS * 2);

    // A topic manager still holding the old token, as a slow old leader would.
    const stale = new TopicManager({
      client: a.client,
      clusterName: 'depose',
      fence: () => oldRevision,
      numPartitions: 1,
      defaultReplicationFactor: 1,
    });
    const [res] = await stale.createTopics([{ name: 'late', numPartitions: 1, replicationFactor: 1, assignments: [], configs: {} }]);
    expect(res.errorCode).toBe(ErrorCode.NOT_CONTROLLER);
    expect(await admin.get(topicKey('depose', 'late')).exists()).toBe(false);
    await expect(
      fencedTxn(a.client, controllerLeaderKey('depose'), oldRevision).then(a.client.put(topicKey('depose', 'x')).value('v')).commit(),
    ).rejects.toBeInstanceOf(NotLeaderError);
  });

  it('creates topics atomically with partitions, refuses duplicates, deletes, and standbys answer 41', async () => {
    const a = await controller('topics', 1);
    await waitFor('a leads', () => a.isLeader, 10_000);
    const b = await controller('topics', 2);
    await registerBrokers('topics', [1, 2, 3, 4]);
    const leaderClient = createClient(ControllerServiceClient, `127.0.0.1:${a.grpcPort}`);
    const standbyClient = createClient(ControllerServiceClient, `127.0.0.1:${b.grpcPort}`);
    const create = (client: ControllerServiceClient, topics: object[], validateOnly = false) =>
      unary(client.createTopics.bind(client), { topics: topics as never, validateOnly, timeoutMs: 5000, traceContext: {} }, { timeoutMs: 10_000 });
    const spec = (name: string, extra: object = {}) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: {}, ...extra });

    const created = await create(leaderClient, [
      spec('orders', { configs: { 'retention.ms': '60000' } }),
      spec('explicit', { assignments: [{ partition: 0, brokerIds: [4, 1] }, { partition: 1, brokerIds: [1, 4] }] }),
      spec('bad/name'),
      spec('too-wide', { replicationFactor: 5 }),
      spec('bad-config', { configs: { 'no.such': 'x' } }),
      spec('zero', { numPartitions: 0 }),
    ]);
    expect(created.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['orders', 0],
      ['explicit', 0],
      ['bad/name', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['too-wide', ErrorCode.INVALID_REPLICATION_FACTOR],
      ['bad-config', ErrorCode.INVALID_CONFIG],
      ['zero', ErrorCode.INVALID_PARTITIONS],
    ]);
    expect(created.topics[0]).toMatchObject({ numPartitions: 3, replicationFactor: 2, configs: { 'retention.ms': '60000' } });

    // Topic key and its partitions were written in the same revision (one transaction).
    const topic = await admin.get(topicKey('topics', 'orders')).exec();
    const parts = await admin.getAll().prefix(topicPartitionsPrefix('topics', 'orders')).exec();
    expect(parts.kvs).toHaveLength(3);
    for (const kv of parts.kvs) expect(kv.create_revision).toBe(topic.kvs[0].create_revision);
    const record = JSON.parse(topic.kvs[0].value.toString());
    expect(record).toMatchObject({ topicId: created.topics[0].topicId, partitions: 3, replicationFactor: 2, configs: { 'retention.ms': '60000' } });
    for (const kv of parts.kvs) {
      const p = JSON.parse(kv.value.toString());
      expect(p.replicas).toHaveLength(2);
      expect(new Set(p.replicas).size).toBe(2);
      expect(p).toMatchObject({ leader: p.replicas[0], isr: p.replicas, leaderEpoch: 0, partitionEpoch: 0 });
    }
    const explicit0 = (await admin.get(partitionKey('topics', 'explicit', 0)).json()) as { replicas: number[] };
    expect(explicit0.replicas).toEqual([4, 1]);

    const dup = await create(leaderClient, [spec('orders')]);
    expect(dup.topics[0].errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    const validated = await create(leaderClient, [spec('dry')], true);
    expect(validated.topics[0].errorCode).toBe(0);
    expect(await admin.get(topicKey('topics', 'dry')).exists()).toBe(false);

    const standby = await create(standbyClient, [spec('nope')]);
    expect(standby.topics[0].errorCode).toBe(ErrorCode.NOT_CONTROLLER);
    expect(await admin.get(topicKey('topics', 'nope')).exists()).toBe(false);

    const del = (client: ControllerServiceClient, names: string[]) =>
      unary(client.deleteTopics.bind(client), { names, timeoutMs: 5000, traceContext: {} }, { timeoutMs: 10_000 });
    expect((await del(standbyClient, ['orders'])).topics[0].errorCode).toBe(ErrorCode.NOT_CONTROLLER);
    const deleted = await del(leaderClient, ['orders', 'ghost']);
    expect(deleted.topics.map((t) => [t.name, t.errorCode])).toEqual([['orders', 0], ['ghost', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect(await admin.get(topicKey('topics', 'orders')).exists()).toBe(false);
    expect(await admin.getAll().prefix(topicPartitionsPrefix('topics', 'orders')).count()).toBe(0);
    // The other topic is untouched, and a deleted name can be created again.
    expect(await admin.getAll().prefix(topicPartitionsPrefix('topics', 'explicit')).count()).toBe(2);
    expect((await create(leaderClient, [spec('orders', { numPartitions: 1, replicationFactor: 1 })])).topics[0].errorCode).toBe(0);
    // Beyond etcd's per-transaction cap the create fails cleanly and writes nothing; within it, all.
    const huge = await create(leaderClient, [spec('huge', { numPartitions: 300, replicationFactor: 1 })]);
    const hugeParts = await admin.getAll().prefix(topicPartitionsPrefix('topics', 'huge')).count();
    if (huge.topics[0].errorCode === 0) expect(hugeParts).toBe(300);
    else {
      expect(huge.topics[0].errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
      expect(hugeParts).toBe(0);
      expect(await admin.get(topicKey('topics', 'huge')).exists()).toBe(false);
    }
    // The watch cache of every controller sees the new topic.
    await waitFor('standby cache', () => b.view.topic('orders')?.partitions === 1, 5000);
    leaderClient.close();
    standbyClient.close();
  });

  describe('bundled process', () => {
    let out: string;
    const procs: ChildProcess[] = [];
    beforeAll(() => {
      out = mkdtempSync(join(tmpdir(), 'dms-controller-bundle-'));
      execFileSync(
        join(REPO, 'node_modules/.bin/esbuild'),
        ['apps/controller/src/main.ts', '--bundle', '--platform=node', '--packages=external', `--outfile=${join(out, 'controller.js')}`, '--log-level=warning'],
        { cwd: REPO },
      );
    });
    afterAll(() => {
      for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
      rmSync(out, { recursive: true, force: true });
    });

    function spawnController(id: number): Promise<{ child: ChildProcess; ready: Record<string, unknown> }> {
      const child = spawn(process.execPath, [join(out, 'controller.js'), '--controller.id', String(id)], {
        env: {
          ...process.env,
          NODE_PATH: join(REPO, 'node_modules'),
          DMS_CLUSTER_NAME: 'spawned',
          DMS_ETCD_ENDPOINTS: etcd.endpoint,
          DMS_ETCD_LEASE_TTL_MS: String(TTL_MS),
          // Its own role certificate from a throwaway internal CA (services refuse to start without).
          ...Object.fromEntries(Object.entries(devInternalSecurityConfig(out, 'SSL', 'controller', id)).map(([k, v]) => [envName(k), v])),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      procs.push(child);
      return new Promise((resolveReady, reject) => {
        const lines = createInterface({ input: child.stdout! });
        const timer = setTimeout(() => reject(new Error(`controller ${id} not ready`)), 20_000);
        child.once('exit', (code) => reject(new Error(`controller ${id} exited early (${code})`)));
        lines.on('line', (line) => {
          try {
            const rec = JSON.parse(line);
            if (rec.msg === 'ready') {
              clearTimeout(timer);
              resolveReady({ child, ready: rec });
            }
          } catch {
            // non-JSON output is not ours to judge here
          }
        });
      });
    }

    const exited = (child: ChildProcess) =>
      new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));

    it('three processes elect one leader; SIGKILL of the leader hands over within a TTL; SIGTERM exits 0 and deregisters', async () => {
      const ps = await Promise.all([11, 12, 13].map(spawnController));
      for (const [i, p] of ps.entries()) {
        expect(p.ready).toMatchObject({ role: 'controller', id: 11 + i, pid: p.child.pid });
        expect(typeof p.ready.grpcPort).toBe('number');
      }
      const leaderOf = async () => (await admin.get(controllerLeaderKey('spawned')).json()) as { id: number; port: number } | null;
      const first = await waitFor('leader key', leaderOf, 10_000);
      const leaderProc = ps.find((p) => p.ready.grpcPort === first!.port)!;
      expect(leaderProc).toBeDefined();

      const killedAt = Date.now();
      leaderProc.child.kill('SIGKILL');
      const second = await waitFor('new leader', async () => {
        const l = await leaderOf();
        return l && l.id !== first!.id ? l : undefined;
      }, TTL_MS * 3);
      // Lease expiry (one TTL) plus the campaign retry and scheduling slack.
      expect(Date.now() - killedAt).toBeLessThan(TTL_MS + 2000);
      expect([12, 13, 11].filter((id) => id !== first!.id)).toContain(second!.id);

      for (const p of ps.filter((x) => x !== leaderProc)) {
        p.child.kill('SIGTERM');
        expect(await exited(p.child)).toBe(0);
      }
      // Deregistered at once (lease revoked), not after the TTL.
      expect(await admin.getAll().prefix(`/dms/spawned/controllers/`).count()).toBe(0);
      expect(await admin.get(controllerLeaderKey('spawned')).exists()).toBe(false);
    });
  });
});
