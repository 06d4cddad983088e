// The launcher against a tiny fake service (fixtures/fake-service.js, no etcd): real node processes,
// each under a second, so this stays in the unit suite.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReadyLine, SERVICE_NODE_FLAGS, ServiceProcess, type ServiceExit, type ServiceSpec } from './service-process';

const FAKE = join(__dirname, 'fixtures', 'fake-service.js');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('parseReadyLine', () => {
  it('accepts the contract ready line and collects its ports', () => {
    const line = JSON.stringify({ level: 'info', msg: 'ready', role: 'broker', id: '2', pid: 9, grpcPort: 4001, metricsPort: 9464 });
    expect(parseReadyLine(line, 'broker', 2)).toEqual({ grpcPort: 4001, metricsPort: 9464 });
  });
  it('rejects other messages, other roles, other ids and non-JSON', () => {
    expect(parseReadyLine('{"msg":"starting","role":"broker","id":2}', 'broker', 2)).toBeUndefined();
    expect(parseReadyLine('{"msg":"ready","role":"gateway","id":2}', 'broker', 2)).toBeUndefined();
    expect(parseReadyLine('{"msg":"ready","role":"broker","id":3}', 'broker', 2)).toBeUndefined();
    expect(parseReadyLine('ready "ready" {', 'broker', 2)).toBeUndefined();
  });
});

describe('ServiceProcess with the fake service', () => {
  let dir: string;
  const started: ServiceProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dms-svc-'));
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  });

  function spec(role: ServiceSpec['role'], id: number, mode: string, extra: Partial<ServiceSpec> = {}): ServiceSpec {
    const idFlag = role === 'controller' ? 'controller.id' : role === 'broker' ? 'broker.id' : 'node.id';
    return {
      role,
      id,
      script: FAKE,
      args: [`--${idFlag}`, String(id), '--fake.etcd', 'false', '--fake.mode', mode],
      cwd: dir,
      logFile: join(dir, 'logs', `${role}-${id}.log`),
      readyTimeoutMs: 10_000,
      stopTimeoutMs: 500,
      ...extra,
    };
  }

  function make(s: ServiceSpec): ServiceProcess {
    const p = new ServiceProcess(s);
    started.push(p);
    return p;
  }

  it('resolves on the ready line with the real node pid and ports, and logs both streams', async () => {
    const svc = make(spec('broker', 2, 'normal'));
    const ready = await svc.start();
    expect(ready.role).toBe('broker');
    expect(ready.id).toBe(2);
    expect(ready.pid).toBe(svc.pid);
    expect(ready.ports.grpcPort).toBeGreaterThan(0);
    const cmdline = readFileSync(`/proc/${ready.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline[0]).toBe(process.execPath);
    expect(cmdline).toContain(FAKE);
    // node, the role's node flags (decision 0042), the script, its config flags: as the process runs.
    expect(svc.command).toEqual([process.execPath, ...(SERVICE_NODE_FLAGS.broker ?? []), FAKE, '--broker.id', '2', '--fake.etcd', 'false', '--fake.mode', 'normal']);
    expect(cmdline.slice(0, svc.command.length)).toEqual(svc.command);

    const res = await svc.stop();
    expect(res).toEqual({ code: 0, signal: null, escalated: false });
    expect(alive(ready.pid)).toBe(false);
    const log = readFileSync(join(dir, 'logs', 'broker-2.log'), 'utf8');
    expect(log).toContain('"msg":"ready"');
    expect(log).toContain('fake broker 2 stderr line');
    expect(log).toContain('"msg":"stopping"');
  });

  it('rejects with the last log lines when the process exits before ready', async () => {
    const svc = make(spec('controller', 1, 'crash'));
    const exits: ServiceExit[] = [];
    svc.on('exit', (e: ServiceExit) => exits.push(e));
    await expect(svc.start()).rejects.toThrow(/controller 1 exited \(code 3, signal null\) before it was ready[\s\S]*crashing on purpose/);
    expect(exits).toEqual([expect.objectContaining({ role: 'controller', id: 1, code: 3, expected: false })]);
  });

  it('kills a process that never becomes ready within the bound', async () => {
    const svc = make(spec('gateway', 1, 'hang', { readyTimeoutMs: 700 }));
    const t0 = Date.now();
    await expect(svc.start()).rejects.toThrow(/gateway 1 not ready after 700 ms \(killed it\)/);
    expect(Date.now() - t0).toBeLessThan(5000);
    await svc.waitExit(5000);
    expect(svc.running).toBe(false);
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const svc = make(spec('broker', 1, 'ignore-sigterm', { stopTimeoutMs: 400 }));
    const { pid } = await svc.start();
    const res = await svc.stop('SIGTERM');
    expect(res).toEqual({ code: null, signal: 'SIGKILL', escalated: true });
    expect(alive(pid)).toBe(false);
  });

  it('restarts with the same command into a new pid, appending to the same log; only crashes are unexpected', async () => {
    const svc = make(spec('broker', 3, 'normal'));
    const exits: ServiceExit[] = [];
    svc.on('exit', (e: ServiceExit) => exits.push(e));
    const first = await svc.start();
    const second = await svc.restart();
    expect(second.pid).not.toBe(first.pid);
    expect(alive(first.pid)).toBe(false);
    expect(alive(second.pid)).toBe(true);
    const log = readFileSync(join(dir, 'logs', 'broker-3.log'), 'utf8');
    expect(log.match(/"msg":"ready"/g)).toHaveLength(2);

    // A kill from outside (not through the launcher) is a crash and is reported as unexpected.
    process.kill(second.pid, 'SIGKILL');
    await svc.waitExit(5000);
    await new Promise((r) => setImmediate(r));
    await waitUntil(() => exits.length === 2);
    expect(exits[0]).toMatchObject({ pid: first.pid, expected: true, code: 0 });
    expect(exits[1]).toMatchObject({ pid: second.pid, expected: false, signal: 'SIGKILL' });
  });

  it('does not leak the parent DMS_* environment but passes its own', async () => {
    process.env.DMS_BROKER_ID = '99';
    try {
      const svc = make(spec('broker', 4, 'normal', { args: ['--fake.etcd', 'false'], env: { DMS_BROKER_ID: '4' } }));
      const ready = await svc.start();
      expect(ready.id).toBe(4);
      const environ = readFileSync(`/proc/${ready.pid}/environ`, 'utf8').split('\0');
      expect(environ).toContain('DMS_BROKER_ID=4');
      expect(environ).not.toContain('DMS_BROKER_ID=99');
    } finally {
      delete process.env.DMS_BROKER_ID;
    }
    expect(existsSync(join(dir, 'logs', 'broker-4.log'))).toBe(true);
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
