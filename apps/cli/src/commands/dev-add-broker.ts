// `dms dev add-broker [--rack R] [--data-dir DIR]`: one more storage broker in a running dev
// cluster. The `dms dev up` process that owns the cluster starts it (so Ctrl-C stops it with the
// rest) on a request file in DATA/control/; this command waits for the answer and prints the id.
import { resolve } from 'node:path';
import { readClusterJson, sendControlRequest } from '@dms/devcluster';

export interface AddBrokerOptions {
  dataDir: string;
  rack?: string;
  json?: boolean;
  timeout: string;
}

function pidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function addBroker(o: AddBrokerOptions): Promise<number> {
  const fail = (msg: string) => {
    process.stderr.write(`dms dev add-broker: ${msg}\n`);
    return 1;
  };
  const timeoutMs = Number(o.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) return fail(`--timeout must be a positive integer (ms), got '${o.timeout}'`);
  const dataDir = resolve(o.dataDir);
  const json = readClusterJson(dataDir);
  if (!json || json.state !== 'running') return fail(`no running dev cluster in ${dataDir} (start one with \`dms dev up --data-dir ${o.dataDir}\`)`);
  if (!pidAlive(json.controlPid)) return fail(`the \`dms dev up\` process of ${dataDir} is not running (or predates add-broker); restart the cluster`);
  try {
    const answer = await sendControlRequest(dataDir, { kind: 'add-broker', ...(o.rack !== undefined ? { rack: o.rack } : {}) }, timeoutMs);
    if (!answer.ok) return fail(answer.error);
    if (o.json) process.stdout.write(JSON.stringify({ id: answer.id, pid: answer.pid, grpcPort: answer.grpcPort, rack: o.rack ?? null }) + '\n');
    else process.stdout.write(`${answer.id}\n`);
    return 0;
  } catch (e) {
    return fail((e as Error).message);
  }
}
