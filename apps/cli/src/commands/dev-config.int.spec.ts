// `dms dev up --config k=v --config-file FILE` with the real services: each setting reaches the
// services that declare it, cluster.json records them, and a key no service takes is refused.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, readClusterJson, type ClusterJson } from '@dms/devcluster';
import { repoRoot, runCli } from '@dms/testing';

jest.setTimeout(120_000);

describe('dms dev up --config / --config-file', () => {
  let dir: string;
  let up: ChildProcessWithoutNullStreams | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dms-dev-config-'));
  });

  afterAll(async () => {
    if (up && up.exitCode === null && up.signalCode === null) {
      up.kill('SIGINT');
      await new Promise((r) => up!.once('close', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a key no service takes, before starting anything', async () => {
    const res = await runCli(['dev', 'up', '--data-dir', join(dir, 'bad'), '--port', String(await freePort()), '--config', 'no.such.setting=1'], { timeoutMs: 60_000 });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('no DMS service takes the setting no.such.setting');
  });

  it('routes settings to the services that declare them and records them in cluster.json', async () => {
    const dataDir = join(dir, 'data');
    const file = join(dir, 'server.properties');
    writeFileSync(file, '# like server.properties\nnum.partitions=2\nlog.retention.hours = 12\nauto.create.topics.enable: false\n');
    const port = await freePort();
    up = spawn(process.execPath, [join(repoRoot(), 'dist/apps/cli/main.js'), 'dev', 'up', '--warm-up-s', '0', '--brokers', '1', '--controllers', '1', '--port', String(port),
      '--data-dir', dataDir, '--config-file', file, '--config', 'num.partitions=3'], { cwd: repoRoot(), stdio: 'pipe' });
    let out = '';
    up.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    up.stderr.resume();
    const end = Date.now() + 60_000;
    while (!out.includes('ready') && Date.now() < end && up.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain('ready');

    const json = readClusterJson(dataDir) as ClusterJson;
    expect(json.settings).toEqual({ 'num.partitions': '3', 'log.retention.hours': '12', 'auto.create.topics.enable': 'false' });
    const command = (role: string) => json.processes.find((p) => p.role === role)!.command.join(' ');
    expect(command('controller')).toContain('--num.partitions 3');
    expect(command('broker')).toContain('--log.retention.hours 12');
    expect(command('broker')).not.toContain('num.partitions');
    expect(command('gateway')).toContain('--auto.create.topics.enable false');

    const bootstrap = `127.0.0.1:${port}`;
    expect((await runCli(['topics', 'create', 'dev-cfg', '--bootstrap-server', bootstrap])).code).toBe(0);
    const described = await runCli(['topics', 'describe', 'dev-cfg', '--bootstrap-server', bootstrap, '--json', '--data-dir', dataDir]);
    expect(JSON.parse(described.stdout)[0].partitionCount).toBe(3);
    const broker = await runCli(['configs', '--bootstrap-server', bootstrap, '--entity-type', 'brokers', '--entity-name', '1', '--describe', '--all', '--json']);
    const entries = new Map((JSON.parse(broker.stdout) as { name: string; value: string; source: string }[]).map((e) => [e.name, e]));
    expect(entries.get('log.retention.hours')).toMatchObject({ value: '12', source: 'STATIC_BROKER_CONFIG' });
    expect(entries.get('num.partitions')).toMatchObject({ value: '3', source: 'STATIC_BROKER_CONFIG' });
    expect(entries.get('auto.create.topics.enable')).toMatchObject({ value: 'false', source: 'STATIC_BROKER_CONFIG' });

    up.kill('SIGINT');
    expect(await new Promise((r) => up!.once('close', r))).toBe(0);
  });
});
