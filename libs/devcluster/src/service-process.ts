import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export type ServiceRole = 'controller' | 'broker' | 'gateway' | 'console';

/**
 * Node (V8) flags per role, ahead of the script. Gateways and brokers start with a 64 MB old
 * generation: over their 8-20 MB heaps V8's default first limit was reached again and again by
 * the short-lived ArrayBuffers they stream through (Node's http2 read buffers, record batches),
 * a major collection every few MB: a consuming gateway ran 3-4 per 100 MB relayed, an RF 3
 * broker hundreds per minute of produce. With 64 MB they are nearly gone (decision 0042). A
 * broker's heap of 25-35 MB under load still left V8 less slack under 64 MB than its young
 * generation's size, and V8 then began a major collection several times a second; brokers take
 * 128 MB (decision 0043). V8 refuses these flags in NODE_OPTIONS; deploy/*.Dockerfile and deploy/k8s/base/scripts/entrypoint.sh
 * pass the same ones.
 */
export const SERVICE_NODE_FLAGS: Readonly<Partial<Record<ServiceRole, readonly string[]>>> = {
  gateway: ['--initial-old-space-size=64'],
  broker: ['--initial-old-space-size=128'],
};

export interface ServiceSpec {
  role: ServiceRole;
  id: number;
  /** The bundled entry point, e.g. dist/apps/broker/main.js. */
  script: string;
  /** Config flags, `--key value ...`. */
  args: readonly string[];
  /** Extra environment (DMS_* config); merged over the parent's environment minus its DMS_* keys. */
  env?: Readonly<Record<string, string>>;
  cwd: string;
  /** stdout and stderr of every run are appended here. */
  logFile: string;
  readyTimeoutMs?: number;
  /** How long stop() waits after its signal before SIGKILL. */
  stopTimeoutMs?: number;
}

export interface ServiceReady {
  role: ServiceRole;
  id: number;
  pid: number;
  /** Every numeric `*Port` field of the ready line (grpcPort, kafkaPort, metricsPort). */
  ports: Record<string, number>;
  child: ChildProcess;
}

export interface ServiceExit {
  role: ServiceRole;
  id: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** False when nobody asked for it (a crash): the dev cluster reports these. */
  expected: boolean;
}

export interface StopResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the process ignored the signal and had to be SIGKILLed. */
  escalated: boolean;
}

const TAIL_LINES = 40;

/** Parses one stdout line; returns the ports if it is the contract's ready line for this role/id. */
export function parseReadyLine(line: string, role: ServiceRole, id: number): Record<string, number> | undefined {
  if (!line.includes('"ready"')) return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof obj !== 'object' || obj === null) return undefined;
  const rec = obj as Record<string, unknown>;
  if (rec.msg !== 'ready') return undefined;
  if ((rec.role ?? rec.service) !== role) return undefined;
  if (rec.id !== undefined && Number(rec.id) !== id) return undefined;
  const ports: Record<string, number> = {};
  for (const [k, v] of Object.entries(rec)) {
    if (/Port$/.test(k) && typeof v === 'number' && Number.isInteger(v) && v > 0) ports[k] = v;
  }
  return ports;
}

function childEnv(extra: Readonly<Record<string, string>> | undefined): NodeJS.ProcessEnv {
  // The parent's own DMS_* settings must not leak into a child: its recorded env must be the whole story.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DMS_')) env[k] = v;
  return { ...env, ...extra };
}

/**
 * One service process: node is spawned directly (no shell), so `pid` is the real service. Output goes
 * to the log file and stdout is scanned for the ready line. Emits 'exit' (ServiceExit) on every exit.
 */
export class ServiceProcess extends EventEmitter {
  private current: ChildProcess | undefined;
  private ready: ServiceReady | undefined;
  /** Per run, so a restart cannot mistake the old process's exit for the new one's. */
  private run = { expectingExit: false };
  private readonly tailLines: string[] = [];

  constructor(readonly spec: ServiceSpec) {
    super();
  }

  get role(): ServiceRole {
    return this.spec.role;
  }

  get id(): number {
    return this.spec.id;
  }

  /** argv of the process: node, script, flags. */
  get command(): string[] {
    return [process.execPath, ...this.nodeFlags(), this.spec.script, ...this.spec.args];
  }

  private nodeFlags(): readonly string[] {
    return SERVICE_NODE_FLAGS[this.spec.role] ?? [];
  }

  get pid(): number | undefined {
    return this.current?.pid;
  }

  get ports(): Record<string, number> {
    return this.ready?.ports ?? {};
  }

  get running(): boolean {
    const c = this.current;
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  get child(): ChildProcess | undefined {
    return this.current;
  }

  /** The last lines written by the process (stdout and stderr), for error messages. */
  tail(): string[] {
    return [...this.tailLines];
  }

  start(): Promise<ServiceReady> {
    if (this.running) return Promise.reject(new Error(`${this.label()} is already running (pid ${this.pid})`));
    const { role, id } = this.spec;
    mkdirSync(dirname(this.spec.logFile), { recursive: true });
    mkdirSync(this.spec.cwd, { recursive: true });
    // Synchronous appends: when start() resolves, the log already holds the ready line.
    const log = new LogFile(this.spec.logFile);
    this.ready = undefined;
    const run = { expectingExit: false };
    this.run = run;
    this.tailLines.length = 0;

    const child = spawn(process.execPath, [...this.nodeFlags(), this.spec.script, ...this.spec.args], {
      cwd: this.spec.cwd,
      env: childEnv(this.spec.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.current = child;

    return new Promise<ServiceReady>((resolve, reject) => {
      let settled = false;
      const timeoutMs = this.spec.readyTimeoutMs ?? 30_000;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        run.expectingExit = true;
        child.kill('SIGKILL');
        reject(new Error(`${this.label()} not ready after ${timeoutMs} ms (killed it)${this.tailText()}`));
      }, timeoutMs);

      const onLine = (line: string, fromStdout: boolean) => {
        this.tailLines.push(line);
        if (this.tailLines.length > TAIL_LINES) this.tailLines.shift();
        if (!fromStdout || settled) return;
        const ports = parseReadyLine(line, role, id);
        if (!ports) return;
        settled = true;
        clearTimeout(timer);
        this.ready = { role, id, pid: child.pid!, ports, child };
        resolve(this.ready);
      };
      lines(child.stdout!, log, (l) => onLine(l, true));
      lines(child.stderr!, log, (l) => onLine(l, false));

      child.once('error', (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new Error(`${this.label()} failed to start: ${err.message}`));
      });
      let expected = false;
      child.once('exit', () => (expected = run.expectingExit));
      // 'close' comes after the pipes drained, so the tail and the log file hold the last words.
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        log.end();
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(new Error(`${this.label()} exited (code ${code}, signal ${signal}) before it was ready${this.tailText()}`));
        }
        const ev: ServiceExit = { role, id, pid: child.pid!, code, signal, expected };
        this.emit('exit', ev);
      });
    });
  }

  /** Sends `signal`, waits up to stopTimeoutMs, then SIGKILLs. Resolves once the process is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<StopResult> {
    const child = this.current;
    if (!child || !this.running) {
      return { code: child?.exitCode ?? null, signal: (child?.signalCode as NodeJS.Signals) ?? null, escalated: false };
    }
    this.run.expectingExit = true;
    const exited = exitOf(child);
    child.kill(signal);
    const bound = this.spec.stopTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), bound)));
    const first = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (first !== 'timeout') return { ...first, escalated: false };
    child.kill('SIGKILL');
    return { ...(await exited), escalated: true };
  }

  /** Sends a signal as an intended act (chaos, tests): the exit it causes is not reported as a crash. */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') this.run.expectingExit = true;
    this.current!.kill(signal);
  }

  /** Waits until the current process has exited (bounded). */
  async waitExit(timeoutMs = 10_000): Promise<void> {
    const child = this.current;
    if (!child || !this.running) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`${this.label()} still running after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([exitOf(child), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops (SIGTERM, escalating) and starts again with the same command, env and cwd. */
  async restart(): Promise<ServiceReady> {
    await this.stop('SIGTERM');
    return this.start();
  }

  /** Last-resort synchronous kill (process 'exit' handlers). */
  killSync(): void {
    if (this.running) {
      this.run.expectingExit = true;
      try {
        this.current!.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  private label(): string {
    return `${this.spec.role} ${this.spec.id}`;
  }

  private tailText(): string {
    const t = this.tailLines.slice(-15);
    return t.length ? `; last log lines (${this.spec.logFile}):\n  ${t.join('\n  ')}` : `; no output (log ${this.spec.logFile})`;
  }
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode as NodeJS.Signals | null });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

class LogFile {
  private fd: number | undefined;
  constructor(path: string) {
    this.fd = openSync(path, 'a');
  }
  write(chunk: string): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, chunk);
    } catch {
      // A full disk must not take the launcher down; the tail still holds the last lines.
    }
  }
  end(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Copies a stream into the log and calls `onLine` per complete line. */
function lines(stream: NodeJS.ReadableStream, log: LogFile, onLine: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    log.write(chunk);
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    // A process that never ends a line must not grow our memory without bound.
    if (buf.length > 1 << 20) buf = buf.slice(-(1 << 16));
  });
  stream.on('end', () => {
    if (buf) onLine(buf);
    buf = '';
  });
}

/** Spawns a service and resolves once it printed its ready line. */
export async function startService(spec: ServiceSpec): Promise<{ service: ServiceProcess; ready: ServiceReady }> {
  const service = new ServiceProcess(spec);
  const ready = await service.start();
  return { service, ready };
}
