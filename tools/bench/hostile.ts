// What a working client sees while others misbehave. The latency of one 1 KiB acks=1 produce at a
// time (closed loop) is measured on a quiet gateway, then while N idle connections are held open,
// while connections announcing oversized first frames churn, while bad SASL logins flood in, and
// quiet again. The churn and the logins run in a child process, so they do not share the
// measuring client's event loop:
//
//   node dist/tools/bench/hostile.js --bootstrap 127.0.0.1:9092 --idle 10000 \
//     [--sasl-bootstrap 127.0.0.1:9094 --ca DATA/certs/ca.pem] [--phase-s 10]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { buildRecordBatch } from '@dms/kafka-codec';
import { KafkaClient } from '@dms/kafka-client';
import { LatencyRecorder } from './stats';

interface PhaseFigures {
  phase: string;
  requests: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  note: string;
}

const hostPort = (s: string) => {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
};

/** Closed-loop acks=1 produce latency for `seconds`. */
async function measure(client: KafkaClient, topic: string, seconds: number): Promise<LatencyRecorder> {
  const batch = await buildRecordBatch({ records: [{ value: Buffer.alloc(1024, 1) }] });
  const rec = new LatencyRecorder();
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const t = performance.now();
    await client.produceOnce(topic, 0, batch, 1, 10_000);
    rec.add(performance.now() - t);
  }
  return rec;
}

function open(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Holds `n` connections that never send a byte. */
async function idleConnections(host: string, port: number, n: number): Promise<{ sockets: Socket[]; failed: number }> {
  const sockets: Socket[] = [];
  let failed = 0;
  for (let i = 0; i < n; i += 500) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(500, n - i) }, () => open(host, port)));
    for (const r of batch) {
      if (r.status === 'fulfilled') {
        r.value.on('error', () => undefined);
        sockets.push(r.value);
      } else failed++;
    }
  }
  return { sockets, failed };
}

/** `workers` loops, each repeating `attempt` until `stop()`; returns the attempts made. */
function churn(workers: number, attempt: () => Promise<void>): { stop: () => Promise<number> } {
  let stopped = false;
  let count = 0;
  const loops = Array.from({ length: workers }, async () => {
    while (!stopped) {
      await attempt().catch(() => undefined);
      count++;
    }
  });
  return { stop: async () => { stopped = true; await Promise.all(loops); return count; } };
}

/** A connection whose first frame announces 600 KiB of junk (api key 0x7fff); resolves when closed. */
async function oversizedFrame(host: string, port: number): Promise<void> {
  const s = await open(host, port);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => s.destroy(), 5_000);
    s.once('close', () => { clearTimeout(timer); resolve(); });
    s.on('error', () => undefined);
    const head = Buffer.alloc(8);
    head.writeInt32BE(600 * 1024);
    head.writeInt16BE(0x7fff, 4);
    s.write(head);
  });
}

/** Runs `attack` in a child process (this script with --attack) until `stop()`; returns its count. */
function attacker(args: string[]): { stop: () => Promise<string> } {
  const child = spawn(process.execPath, [process.argv[1]!, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { stop: async () => { child.kill('SIGTERM'); await exited; return out.trim(); } };
}

/** The child's side: churn until SIGTERM, then print how many attempts were made. */
async function runAttack(kind: string, target: string, ca: string | undefined): Promise<void> {
  const { host, port } = hostPort(target);
  const tls = { ca: ca ? readFileSync(ca) : undefined, servername: 'localhost' };
  const attempt = kind === 'oversized'
    ? () => oversizedFrame(host, port)
    : async () => {
      const c = new KafkaClient({ bootstrapServers: [target], tls, sasl: { mechanism: 'SCRAM-SHA-512', username: 'admin', password: 'wrong' }, requestTimeoutMs: 10_000 });
      try {
        await c.metadata([]);
      } finally {
        c.close();
      }
    };
  const loops = churn(16, attempt);
  await new Promise<void>((r) => process.once('SIGTERM', () => r()));
  process.stdout.write(`${await loops.stop()}\n`);
  process.exit(0);
}

function summary(phase: string, rec: LatencyRecorder, note: string): PhaseFigures {
  const [p50, p99, max] = rec.percentiles([0.5, 0.99, 1]);
  return { phase, requests: rec.count, p50, p99, max, note };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bootstrap: { type: 'string', default: '127.0.0.1:9092' },
      'sasl-bootstrap': { type: 'string' },
      ca: { type: 'string' },
      idle: { type: 'string', default: '10000' },
      'phase-s': { type: 'string', default: '10' },
      topic: { type: 'string', default: 'hostile-bench' },
      attack: { type: 'string' },
      target: { type: 'string' },
    },
  });
  if (values.attack) return runAttack(values.attack, values.target!, values.ca);
  const { host, port } = hostPort(values.bootstrap!);
  const seconds = Number(values['phase-s']);
  const client = new KafkaClient({ bootstrapServers: [values.bootstrap!], requestTimeoutMs: 10_000 });
  await client.createTopics([{ name: values.topic!, numPartitions: 1, replicationFactor: 1 }]).catch(() => undefined);
  await measure(client, values.topic!, 1); // warm-up
  const rows: PhaseFigures[] = [];
  rows.push(summary('quiet', await measure(client, values.topic!, seconds), ''));

  const idle = await idleConnections(host, port, Number(values.idle));
  rows.push(summary(`${idle.sockets.length} idle connections`, await measure(client, values.topic!, seconds), `${idle.failed} failed to open`));
  for (const s of idle.sockets) s.destroy();

  const frames = attacker(['--attack', 'oversized', '--target', values.bootstrap!]);
  const during = await measure(client, values.topic!, seconds);
  rows.push(summary('oversized first frames', during, `${await frames.stop()} connections closed by the gateway`));

  if (values['sasl-bootstrap']) {
    const bad = attacker(['--attack', 'bad-logins', '--target', values['sasl-bootstrap']!, ...(values.ca ? ['--ca', values.ca] : [])]);
    const rec = await measure(client, values.topic!, seconds);
    rows.push(summary('bad SCRAM logins', rec, `${await bad.stop()} failed logins`));
  }
  rows.push(summary('quiet again', await measure(client, values.topic!, seconds), ''));
  client.close();

  const fmt = (v: number | null) => (v === null ? '-' : v.toFixed(2));
  process.stdout.write('| phase | requests | p50 ms | p99 ms | max ms | note |\n|---|---|---|---|---|---|\n');
  for (const r of rows) process.stdout.write(`| ${r.phase} | ${r.requests} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.note} |\n`);
}

main().catch((err) => {
  process.stderr.write(`hostile: ${(err as Error).message}\n`);
  process.exit(1);
});
