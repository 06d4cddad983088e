// `dms dev up` and `dms cluster status` as real subprocesses: the two command files are bundled
// with esbuild into a tiny CLI (so this does not wait for apps/cli/src/main.ts), and the services
// are the launcher's fake service behind dist-style <role>/main.js shims.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { freePort, readClusterJson, type ClusterJson } from '@dms/devcluster';

const ROOT = resolve(__dirname, '../../../..');
const FAKE = join(ROOT, 'libs/devcluster/src/fixtures/fake-service.js');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('dms dev up / dms cluster status (bundled commands, fake services)', () => {
  let dir: string;
  let cli: string;
  let dist: string;
  const children: ChildProcessWithoutNullStreams[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dms-cli-dev-'));
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `import { Command } from 'commander';
       import { register as dev } from ${JSON.stringify(join(__dirname, 'dev'))};
       import { register as cluster } from ${JSON.stringify(join(__dirname, 'cluster'))};
       const program = new Command('dms');
       dev(program); cluster(program);
       program.parseAsync(process.argv).catch((e) => { console.error(e.message); process.exitCode = 1; });\n`,
    );
    cli = join(dir, 'cli', 'main.js');
    await build({
      entryPoints: [entry], outfile: cli, bundle: true, platform: 'node', target: 'node20', format: 'cjs',
      packages: 'external', tsconfig: join(ROOT, 'tsconfig.json'), logLevel: 'error',
    });
    dist = join(dir, 'dist');
    for (const role of ['controller', 'broker', 'gateway']) {
      mkdirSync(join(dist, role), { recursive: true });
      writeFileSync(join(dist, role, 'main.js'), `require(${JSON.stringify(FAKE)});\n`);
    }
  }, 30_000);

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  function run(args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcessWithoutNullStreams {
    const c = spawn(process.execPath, [cli, ...args], {
      cwd: dir,
      env: { ...env, NODE_PATH: join(ROOT, 'node_modules') },
    });
    children.push(c);
    return c;
  }

  function collect(c: ChildProcessWithoutNullStreams): { out: () => string; err: () => string; closed: Promise<number | null> } {
    let out = '';
    let err = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    return { out: () => out, err: () => err, closed: new Promise((r) => c.once('close', (code) => r(code))) };
  }

  async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('says exactly what to install when etcd is missing', async () => {
    const c = collect(run(['dev', 'up', '--warm-up-s', '0', '--dist-dir', dist, '--port', String(await freePort())], { ...process.env, PATH: join(dir, 'empty') }));
    expect(await c.closed).toBe(1);
    expect(c.err()).toContain('apt-get install etcd-server');
  }, 20_000);

  it('comes up, reports a crash without restarting, shows status, and stops cleanly on SIGINT', async () => {
    const port = await freePort();
    const dataDir = join(dir, 'data');
    const up = run(['dev', 'up', '--warm-up-s', '0', '--brokers', '2', '--controllers', '2', '--port', String(port), '--data-dir', dataDir, '--dist-dir', dist]);
    const upOut = collect(up);
    await until(() => upOut.out().includes('ready'), 'the ready line');
    expect(upOut.out()).toContain(`ready, bootstrap 127.0.0.1:${port}`);
    const json = readClusterJson(dataDir) as ClusterJson;
    expect(json.processes).toHaveLength(5);

    const status = collect(run(['cluster', 'status', '--data-dir', dataDir, '--json']));
    expect(await status.closed).toBe(0);
    const s = JSON.parse(status.out());
    expect(s.brokers.map((b: { id: number }) => b.id)).toEqual([1, 2]);
    expect(s.controllers).toHaveLength(2);
    expect(s.leader).not.toBeNull();
    expect(s.gateways[0].address).toBe(`127.0.0.1:${port}`);
    const human = collect(run(['cluster', 'status', '--etcd', json.etcd.endpoint]));
    expect(await human.closed).toBe(0);
    expect(human.out()).toMatch(/brokers: 2/);
    expect(human.out()).toMatch(/topics: 0, partitions: 0/);

    const broker = json.processes.find((p) => p.role === 'broker' && p.id === 2)!;
    process.kill(broker.pid!, 'SIGKILL');
    await until(() => upOut.err().includes('died unexpectedly'), 'the crash report');
    expect(upOut.err()).toContain(`broker 2 (pid ${broker.pid}) died unexpectedly (signal SIGKILL); not restarting it`);
    await until(() => readClusterJson(dataDir)!.processes.find((p) => p.role === 'broker' && p.id === 2)!.state === 'exited', 'cluster.json rewrite');

    up.kill('SIGINT');
    expect(await upOut.closed).toBe(0);
    for (const p of json.processes) expect(alive(p.pid!)).toBe(false);
    expect(alive(json.etcd.pid!)).toBe(false);
    expect(readClusterJson(dataDir)!.state).toBe('stopped');
  }, 60_000);

  it('--distinct-addresses: every process on its own loopback address, recorded in cluster.json', async () => {
    const port = await freePort('127.0.0.5');
    const dataDir = join(dir, 'data-distinct');
    const up = run(['dev', 'up', '--warm-up-s', '0', '--brokers', '1', '--controllers', '1', '--port', String(port), '--data-dir', dataDir, '--dist-dir', dist, '--json', '--distinct-addresses']);
    const upOut = collect(up);
    await until(() => upOut.out().includes('\n'), 'the ready event');
    const ready = JSON.parse(upOut.out().split('\n')[0]);
    expect(ready).toMatchObject({ event: 'ready', bootstrap: `127.0.0.5:${port}` });
    expect(ready.etcd).toMatchObject({ address: '127.0.0.2', endpoint: `127.0.0.2:${ready.etcd.clientPort}` });
    expect(ready.processes.map((p: { role: string; address: string }) => `${p.role}@${p.address}`)).toEqual(['controller@127.0.0.3', 'broker@127.0.0.4', 'gateway@127.0.0.5']);
    const json = readClusterJson(dataDir) as ClusterJson;
    const broker = json.processes.find((p) => p.role === 'broker')!;
    expect(broker.command.join(' ')).toContain('--client.local.address 127.0.0.4');
    expect(broker.command.join(' ')).toContain('--grpc.host 127.0.0.4');
    up.kill('SIGTERM');
    expect(await upOut.closed).toBe(0);

    const secure = collect(run(['dev', 'up', '--warm-up-s', '0', '--port', String(await freePort()), '--data-dir', join(dir, 'data-distinct-secure'), '--dist-dir', dist, '--distinct-addresses', '--secure']));
    expect(await secure.closed).toBe(1);
    expect(secure.err()).toContain('--secure and --distinct-addresses cannot be combined yet');
  }, 60_000);

  it('prints JSON events with --json, and fails clearly when nothing answers', async () => {
    const port = await freePort();
    const dataDir = join(dir, 'data-json');
    const up = run(['dev', 'up', '--warm-up-s', '0', '--brokers', '1', '--controllers', '1', '--port', String(port), '--data-dir', dataDir, '--dist-dir', dist, '--json']);
    const upOut = collect(up);
    await until(() => upOut.out().includes('\n'), 'the ready event');
    const ready = JSON.parse(upOut.out().split('\n')[0]);
    expect(ready).toMatchObject({ event: 'ready', bootstrap: `127.0.0.1:${port}`, state: 'running' });
    expect(ready.processes.map((p: { role: string }) => p.role)).toEqual(['controller', 'broker', 'gateway']);
    up.kill('SIGTERM');
    expect(await upOut.closed).toBe(0);
    expect(upOut.out()).toContain('{"event":"stopped"}');

    const dead = collect(run(['cluster', 'status', '--etcd', `127.0.0.1:${await freePort()}`, '--timeout', '1000']));
    expect(await dead.closed).toBe(1);
    expect(dead.err()).toMatch(/cannot read etcd at/);
    expect(readFileSync(join(dataDir, 'cluster.json'), 'utf8')).toContain('"state": "stopped"');
  }, 60_000);
});
