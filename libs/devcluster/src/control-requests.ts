// Requests to a running `dms dev up` from other commands (`dms dev add-broker`), as files in
// DATA/control/: the requester writes <name>.req.json (atomically, by rename), the dev-up process,
// which owns every child of the cluster, acts and answers in <name>.res.json, which the requester
// reads and removes. Files rather than a socket: nothing to bind, and the data dir already is the
// cluster's address for every dev command.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, watch, type FSWatcher } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { writePrivateFile } from './private-file';

export interface AddBrokerRequest {
  kind: 'add-broker';
  rack?: string;
}

export type ControlRequest = AddBrokerRequest;

export type ControlAnswer = { ok: true; id: number; pid: number | null; grpcPort?: number } | { ok: false; error: string };

export const controlDir = (dataDir: string): string => join(dataDir, 'control');

const REQ = /^([a-z-]+-[0-9a-f]{16})\.req\.json$/;

/** Serves requests in DATA/control/ one at a time until closed; returns the closer. */
export function serveControlRequests(dataDir: string, handle: (req: ControlRequest) => Promise<ControlAnswer>): () => void {
  const dir = controlDir(dataDir);
  mkdirSync(dir, { recursive: true });
  let closed = false;
  let busy = false;
  let again = false;
  const seen = new Set<string>();
  const scan = async (): Promise<void> => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        for (const f of readdirSync(dir)) {
          const m = REQ.exec(f);
          if (!m || seen.has(m[1]) || closed) continue;
          seen.add(m[1]);
          let answer: ControlAnswer;
          try {
            const req = JSON.parse(readFileSync(join(dir, f), 'utf8')) as ControlRequest;
            answer = req?.kind === 'add-broker' ? await handle(req) : { ok: false, error: `unknown request '${String((req as { kind?: unknown })?.kind)}'` };
          } catch (e) {
            answer = { ok: false, error: (e as Error).message };
          }
          rmSync(join(dir, f), { force: true });
          writeAnswer(dir, m[1], answer);
        }
      } while (again && !closed);
    } finally {
      busy = false;
    }
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, () => void scan());
  } catch {
    watcher = undefined;
  }
  // fs.watch may miss events on some file systems: a slow sweep as a backstop.
  const sweep = setInterval(() => void scan(), 1_000);
  sweep.unref();
  void scan();
  return () => {
    closed = true;
    watcher?.close();
    clearInterval(sweep);
  };
}

function writeAnswer(dir: string, name: string, answer: ControlAnswer): void {
  const tmp = join(dir, `${name}.res.tmp`);
  writePrivateFile(tmp, JSON.stringify(answer) + '\n');
  renameSync(tmp, join(dir, `${name}.res.json`));
}

/** Sends one request to the dev-up process of DATA and waits (bounded) for its answer. */
export function sendControlRequest(dataDir: string, req: ControlRequest, timeoutMs: number): Promise<ControlAnswer> {
  const dir = controlDir(dataDir);
  if (!existsSync(dir)) return Promise.reject(new Error(`no running \`dms dev up\` serves ${dataDir} (no control directory)`));
  const name = `${req.kind}-${randomBytes(8).toString('hex')}`;
  const answerFile = join(dir, `${name}.res.json`);
  const tmp = join(dir, `${name}.req.tmp`);
  writePrivateFile(tmp, JSON.stringify(req) + '\n');
  renameSync(tmp, join(dir, `${name}.req.json`));
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err: Error | undefined, answer?: ControlAnswer) => {
      if (done) return;
      done = true;
      watcher?.close();
      clearInterval(sweep);
      clearTimeout(timer);
      if (err) {
        // Withdraw an unanswered request so a later dev-up does not act on it.
        rmSync(join(dir, `${name}.req.json`), { force: true });
        reject(err);
      } else resolve(answer!);
    };
    const check = () => {
      if (!existsSync(answerFile)) return;
      try {
        const answer = JSON.parse(readFileSync(answerFile, 'utf8')) as ControlAnswer;
        rmSync(answerFile, { force: true });
        finish(undefined, answer);
      } catch (e) {
        finish(e as Error);
      }
    };
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(dir, check);
    } catch {
      watcher = undefined;
    }
    const sweep = setInterval(check, 250);
    const timer = setTimeout(() => finish(new Error(`no answer from \`dms dev up\` within ${timeoutMs} ms (is it running for ${dataDir}?)`)), timeoutMs);
    check();
  });
}
