// Burrow (LinkedIn's lag monitor; Debian's 1.2.1 on sarama 1.22) and the ZooKeeper it needs for
// its own coordination, as child processes of a spec: each in its own directory, on free loopback
// ports, stopped by PID. Burrow reads the cluster with its `kafka` cluster module (Metadata and
// ListOffsets for every partition's end offset) and its `kafka` consumer module (it consumes
// __consumer_offsets and decodes the group records itself); its HTTP API answers what it computed.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitFor, waitForTcp } from '@dms/devcluster';

export const BURROW_BIN = process.env.DMS_COMPAT_BURROW ?? '/usr/bin/Burrow';
const ZOOKEEPER_CLASSPATH = process.env.DMS_COMPAT_ZOOKEEPER_CLASSPATH ?? '/usr/share/java/zookeeper.jar:/etc/zookeeper/conf';

interface Child {
  child: ChildProcess;
  exited: Promise<void>;
}

function startChild(cmd: string, args: string[], cwd: string, logFile: string): Child {
  const log = createWriteStream(logFile);
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<void>((resolve) => child.once('close', () => { log.end(); resolve(); }));
  return { child, exited };
}

/** SIGTERM to the one PID, SIGKILL when it has not exited within `graceMs`. */
async function stopChild({ child, exited }: Child, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export interface ZooKeeper {
  /** host:port of its client listener (127.0.0.1 only). */
  address: string;
  pid: number;
  stop(): Promise<void>;
}

/** A standalone ZooKeeper (Debian's, Java) in `dir`, listening on 127.0.0.1 only, admin server off. */
export async function startZooKeeper(dir: string): Promise<ZooKeeper> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const port = await freePort();
  writeFileSync(join(dir, 'zoo.cfg'), [
    'tickTime=500',
    `dataDir=${join(dir, 'data')}`,
    `clientPort=${port}`,
    'clientPortAddress=127.0.0.1',
    'admin.enableServer=false',
    'maxClientCnxns=20',
    '',
  ].join('\n'));
  const proc = startChild('java', [
    '-Xmx96m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
    '-cp', ZOOKEEPER_CLASSPATH, 'org.apache.zookeeper.server.ZooKeeperServerMain', join(dir, 'zoo.cfg'),
  ], dir, join(dir, 'zookeeper.log'));
  const stop = () => stopChild(proc);
  try {
    await Promise.race([
      waitForTcp('127.0.0.1', port, 60_000),
      proc.exited.then(() => { throw new Error(`zookeeper exited at start: ${readFileSync(join(dir, 'zookeeper.log'), 'utf8').slice(-2000)}`); }),
    ]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { address: `127.0.0.1:${port}`, pid: proc.child.pid!, stop };
}

export interface BurrowOptions {
  /** Burrow's working directory: its config, pid file and log. */
  dir: string;
  /** The gateway addresses Burrow bootstraps from. */
  servers: string[];
  zookeeper: string;
  /** The client-profile's kafka-version (what sarama believes the broker is). */
  kafkaVersion: string;
  /** Burrow's name for the cluster (the `<cluster>` of its HTTP paths). */
  cluster?: string;
}

export interface BurrowPartitionLag {
  topic: string;
  partition: number;
  status: string;
  /** The last committed offset Burrow decoded from __consumer_offsets. */
  end: { offset: number } | null;
  current_lag: number;
}

export interface BurrowLag {
  status: string;
  partitions: BurrowPartitionLag[];
  totallag: number;
}

export interface Burrow {
  cluster: string;
  httpAddress: string;
  pid: number;
  /** GET /v3/kafka/<cluster>/consumer: the groups Burrow has seen. */
  consumers(): Promise<string[]>;
  /** GET /v3/kafka/<cluster>/consumer/<group>/lag. */
  lag(group: string): Promise<BurrowLag>;
  /** GET /v3/kafka/<cluster>/topic/<topic>: the end offsets Burrow read with ListOffsets. */
  topicOffsets(topic: string): Promise<number[]>;
  /** Burrow's own log (JSON lines). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Burrow's TOML: one client profile, a `kafka` cluster module refreshing topics and end offsets
 * every second, a `kafka` consumer module reading __consumer_offsets from the beginning, the
 * in-memory storage, the caching evaluator and the HTTP server on 127.0.0.1.
 */
export function burrowConfig(o: Required<BurrowOptions> & { httpPort: number }): string {
  const servers = `[${o.servers.map((s) => JSON.stringify(s)).join(', ')}]`;
  return `[general]
pidfile=${JSON.stringify(join(o.dir, 'burrow.pid'))}

[logging]
level="info"

[zookeeper]
servers=[${JSON.stringify(o.zookeeper)}]
timeout=6
root-path="/burrow-${o.cluster}"

[client-profile.dms]
client-id="burrow-${o.cluster}"
kafka-version=${JSON.stringify(o.kafkaVersion)}

[cluster.${o.cluster}]
class-name="kafka"
servers=${servers}
client-profile="dms"
topic-refresh=1
offset-refresh=1

[consumer.${o.cluster}]
class-name="kafka"
cluster=${JSON.stringify(o.cluster)}
servers=${servers}
client-profile="dms"
offsets-topic="__consumer_offsets"
start-latest=false

[storage.default]
class-name="inmemory"
workers=4
intervals=10
expire-group=604800
min-distance=1

[evaluator.default]
class-name="caching"
expire-cache=1

[httpserver.default]
address="127.0.0.1:${o.httpPort}"
`;
}

export async function startBurrow(opts: BurrowOptions): Promise<Burrow> {
  const o = { cluster: 'dms', ...opts };
  mkdirSync(o.dir, { recursive: true });
  const httpPort = await freePort();
  writeFileSync(join(o.dir, 'burrow.toml'), burrowConfig({ ...o, httpPort }));
  const logFile = join(o.dir, 'burrow.log');
  const proc = startChild(BURROW_BIN, ['-config-dir', o.dir], o.dir, logFile);
  const base = `http://127.0.0.1:${httpPort}/v3/kafka/${o.cluster}`;
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5_000) });
    const body = (await res.json()) as T & { error: boolean; message: string };
    if (body.error) throw new Error(`Burrow ${path}: ${body.message}`);
    return body;
  };
  const stop = () => stopChild(proc);
  try {
    await Promise.race([
      waitForTcp('127.0.0.1', httpPort, 60_000),
      proc.exited.then(() => { throw new Error(`Burrow exited at start: ${readFileSync(logFile, 'utf8').slice(-2000)}`); }),
    ]);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    cluster: o.cluster,
    httpAddress: `127.0.0.1:${httpPort}`,
    pid: proc.child.pid!,
    consumers: async () => (await get<{ consumers: string[] }>('/consumer')).consumers,
    lag: async (group) => (await get<{ status: BurrowLag }>(`/consumer/${encodeURIComponent(group)}/lag`)).status,
    topicOffsets: async (topic) => (await get<{ offsets: number[] }>(`/topic/${encodeURIComponent(topic)}`)).offsets,
    log: () => readFileSync(logFile, 'utf8'),
    stop,
  };
}

/**
 * Waits until Burrow reports, for every partition of `expected`, exactly that committed offset and
 * lag (partition → [committed, lag]); answers the last report. Bounded by `timeoutMs`.
 */
export async function waitForLag(burrow: Burrow, group: string, expected: Record<number, [number, number]>, timeoutMs = 60_000): Promise<BurrowLag> {
  let last: BurrowLag | undefined;
  try {
    return await waitFor(`Burrow (${burrow.cluster}) to report ${JSON.stringify(expected)} for ${group}`, async () => {
      last = await burrow.lag(group);
      const got = new Map(last.partitions.map((p) => [p.partition, [p.end?.offset, p.current_lag]]));
      const ok = Object.entries(expected).every(([p, [offset, lag]]) => got.get(Number(p))?.[0] === offset && got.get(Number(p))?.[1] === lag);
      return ok && last;
    }, timeoutMs, 500);
  } catch (e) {
    const seen = last?.partitions.map((p) => [p.partition, p.end?.offset, p.current_lag]);
    throw new Error(`${(e as Error).message}; last report [partition, committed, lag]: ${JSON.stringify(seen)}`);
  }
}
