import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RelayProcess {
  pid: number;
  bootstrap: string;
  /** The cluster.json the relay wrote, naming its pid (for --cluster-file). */
  clusterFile: string;
  /** SIGTERM to its pid, then SIGKILL after 10 s; resolves when it has exited. */
  stop(): Promise<void>;
}

/** Starts the bundled relay (`script`: dist/tools/bench/relay.js) on a free port of 127.0.0.1 and waits for it to listen. */
export async function startRelayProcess(script: string, timeoutMs = 15_000): Promise<RelayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'dms-relay-'));
  const clusterFile = join(dir, 'cluster.json');
  const child = spawn(process.execPath, [script, '--host', '127.0.0.1', '--port', '0', '--cluster-file', clusterFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => { if (child.exitCode === null) process.kill(child.pid!, 'SIGKILL'); }, 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const bootstrap = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`relay did not listen within ${timeoutMs} ms: ${out}`)), timeoutMs);
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`relay exited with ${code}: ${out}`)); });
      child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const line = out.split('\n').find((l) => l.includes('"listening"'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line).bootstrap);
        }
      });
    });
    return { pid: child.pid!, bootstrap, clusterFile, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
