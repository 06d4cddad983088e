import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './repo-root';

export interface RunCliOptions {
  timeoutMs?: number;
  cwd?: string;
  /** Added to the environment (the caller's DMS_* variables are not passed on). */
  env?: Record<string, string>;
  input?: string;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs `node dist/apps/cli/main.js ...args`; on timeout SIGKILLs it and resolves with timedOut. */
export function runCli(args: readonly string[], opts: RunCliOptions = {}): Promise<CliResult> {
  const main = join(repoRoot(), 'dist', 'apps', 'cli', 'main.js');
  if (!existsSync(main)) {
    return Promise.reject(new Error(`${main} is missing: build first with \`node tools/build/build.mjs\``));
  }
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DMS_')) env[k] = v;
  const child = spawn(process.execPath, [main, ...args], {
    cwd: opts.cwd ?? repoRoot(),
    env: { ...env, ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin.on('error', () => undefined);
  child.stdin.end(opts.input ?? '');
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}
