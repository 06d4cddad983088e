// `dms dev add-broker` with the real services: a running `dms dev up` starts broker 4 on request
// (its certificate from the cluster's CA, its rack), records it in cluster.json, the broker
// registers in etcd and takes replicas of new topics, and Ctrl-C of `dms dev up` stops it too.
// The cluster starts with the default warm-up, which must leave no topic behind.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, readClusterJson, waitFor, type ClusterJson } from '@dms/devcluster';
import { repoRoot, runCli } from '@dms/testing';
import { WARM_UP_TOPIC } from './dev-warm-up';

jest.setTimeout(150_000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('dms dev add-broker', () => {
  let dir: string;
  let up: ChildProcessWithoutNullStreams | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dms-dev-add-broker-'));
  });

  afterAll(async () => {
    if (up && up.exitCode === null && up.signalCode === null) {
      up.kill('SIGINT');
      await new Promise((r) => up!.once('close', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses when no dev cluster runs in the data dir', async () => {
    const res = await runCli(['dev', 'add-broker', '--data-dir', join(dir, 'none')], { timeoutMs: 30_000 });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('no running dev cluster');
  });

  it('adds broker 4 to a running cluster, which Ctrl-C of dev up stops with the rest', async () => {
    const dataDir = join(dir, 'data');
    const port = await freePort();
    up = spawn(process.execPath, [join(repoRoot(), 'dist/apps/cli/main.js'), 'dev', 'up', '--brokers', '3', '--controllers', '1', '--no-console', '--port', String(port), '--data-dir', dataDir], {
      cwd: repoRoot(),
      stdio: 'pipe',
    });
    let out = '';
    let err = '';
    up.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    up.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    await waitFor('dms dev up ready', () => out.includes('ready') || up!.exitCode !== null, 90_000, 100);
    expect(out).toContain('ready');
    // The default warm-up ran (produce and fetch on a temporary topic) and deleted its topic.
    await waitFor('the warm-up report', () => err.includes('warmed up') || err.includes('warm-up stopped'), 10_000, 50);
    expect(err).toMatch(/warmed up in [\d.]+ s \((\d+) records produced, (\d+) fetched; topic deleted\)/);
    const [, produced, fetched] = /\((\d+) records produced, (\d+) fetched/.exec(err)!;
    expect(Number(produced)).toBeGreaterThan(100);
    expect(Number(fetched)).toBeGreaterThan(0);
    await waitFor('the warm-up topic gone', async () => {
      const listed = await runCli(['topics', 'list', '--bootstrap-server', `127.0.0.1:${port}`], { timeoutMs: 30_000 });
      return listed.code === 0 && !listed.stdout.includes(WARM_UP_TOPIC);
    }, 30_000, 500);

    const added = await runCli(['dev', 'add-broker', '--data-dir', dataDir, '--rack', 'r4', '--json'], { timeoutMs: 90_000 });
    expect({ code: added.code, stderr: added.stderr }).toEqual({ code: 0, stderr: '' });
    const answer = JSON.parse(added.stdout) as { id: number; pid: number; rack: string };
    expect(answer).toMatchObject({ id: 4, rack: 'r4' });
    expect(alive(answer.pid)).toBe(true);
    expect(err).toContain('broker 4 added');

    const json = readClusterJson(dataDir) as ClusterJson;
    const rec = json.processes.find((p) => p.role === 'broker' && p.id === 4)!;
    expect(rec).toMatchObject({ state: 'running', pid: answer.pid });
    expect(rec.command.join(' ')).toContain('--broker.rack r4');
    expect(rec.command.join(' ')).toContain('--broker.id 4');

    const status = await runCli(['cluster', 'status', '--data-dir', dataDir, '--json'], { timeoutMs: 30_000 });
    const brokers = (JSON.parse(status.stdout) as { brokers: { id: number; rack: string | null }[] }).brokers;
    expect(brokers.find((b) => b.id === 4)).toMatchObject({ rack: 'r4' });

    // A topic over every broker puts a replica on the new one (it speaks mutual TLS with the rest).
    const bootstrap = `127.0.0.1:${port}`;
    expect((await runCli(['topics', 'create', 'wide', '--partitions', '4', '--replication-factor', '4', '--bootstrap-server', bootstrap])).code).toBe(0);

    // A second one takes id 5.
    const again = await runCli(['dev', 'add-broker', '--data-dir', dataDir], { timeoutMs: 90_000 });
    expect(again.stdout.trim()).toBe('5');
    const pid5 = (readClusterJson(dataDir) as ClusterJson).processes.find((p) => p.role === 'broker' && p.id === 5)!.pid!;

    up.kill('SIGINT');
    expect(await new Promise((r) => up!.once('close', r))).toBe(0);
    expect(alive(answer.pid)).toBe(false);
    expect(alive(pid5)).toBe(false);
    const after = readClusterJson(dataDir) as ClusterJson;
    expect(after.state).toBe('stopped');
    expect(after.controlPid).toBeUndefined();
  });
});
