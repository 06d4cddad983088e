// How each client's runner is started. kafkajs and kcat run bundled Node runners (dist/, built by
// tools/build/build.mjs); sarama is built from Debian's packaged Go sources
// (golang-github-shopify-sarama-dev under /usr/share/gocode) offline, in GOPATH mode, and cached
// under the ignored tmp/; the Python runners use the Debian interpreter, which sees the packages.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@dms/testing';
import type { ClientName } from './scenarios';

/** Debian's python3-kafka and python3-confluent-kafka live in the system interpreter's path. */
const PYTHON = process.env.DMS_COMPAT_PYTHON ?? '/usr/bin/python3';
const GO_SOURCES = '/usr/share/gocode';

export interface RunnerCommand {
  cmd: string;
  args: string[];
}

async function buildSarama(): Promise<string> {
  const root = repoRoot();
  const src = join(root, 'tools', 'compat', 'sarama');
  const out = join(root, 'tmp', 'compat');
  const bin = join(out, 'sarama-runner');
  const newest = Math.max(...readdirSync(src).map((f) => statSync(join(src, f)).mtimeMs));
  if (existsSync(bin) && statSync(bin).mtimeMs >= newest) return bin;
  mkdirSync(out, { recursive: true });
  await promisify(execFile)('go', ['build', '-o', bin, './tools/compat/sarama/'], {
    cwd: root,
    timeout: 300_000,
    env: {
      ...process.env, GOPATH: GO_SOURCES, GO111MODULE: 'off', GOFLAGS: '', GOPROXY: 'off',
      GOCACHE: join(out, 'go-cache'), CGO_CFLAGS: '-O2 -g -Wno-deprecated-declarations',
    },
  });
  return bin;
}

/** The command that runs one scenario with `client` (building the runner first when needed). */
export async function runnerFor(client: ClientName): Promise<RunnerCommand> {
  const python = (file: string) => ({ cmd: PYTHON, args: [join(repoRoot(), 'tools', 'compat', 'python', file)] });
  switch (client) {
    case 'kafkajs':
    case 'kcat':
      return { cmd: process.execPath, args: [join(repoRoot(), 'dist', 'tools', 'compat', `${client}-runner.js`)] };
    case 'sarama':
      return { cmd: await buildSarama(), args: [] };
    case 'kafka-python':
      return python('kafka_python_runner.py');
    case 'confluent-kafka':
      return python('confluent_kafka_runner.py');
  }
}
