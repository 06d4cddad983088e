// The kcat runner of the compatibility suite (Debian kcat 1.7 on librdkafka 2.0), bundled to
// dist/tools/compat/kcat-runner.js: `node kcat-runner.js <scenario> <config-json>` runs one
// scenario of scenarios.ts with the kcat binary and prints one JSON object. kcat has no admin
// calls: the suite creates this client's topics with the dms CLI.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { runProcess } from '@dms/testing';
import { runConsumerGroup, type GroupClient, type RunnerConfig, runnerMain } from './runner-common';

function client(cfg: RunnerConfig): GroupClient & Record<string, unknown> {
  const sec = cfg.security;
  const base = ['-b', cfg.bootstrap, ...(sec ? [
    '-X', 'security.protocol=SASL_SSL', '-X', `sasl.mechanisms=${sec.mechanism}`, '-X', `sasl.username=${sec.username}`,
    '-X', `sasl.password=${sec.password}`, '-X', `ssl.ca.location=${sec.caFile}`,
  ] : [])];
  const kcat = async (args: string[], input?: string): Promise<string> => {
    const r = await runProcess('kcat', [...base, ...args], { input, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`kcat ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-1000)}`);
    return r.stdout;
  };
  const lines = (s: string) => s.split('\n').filter((l) => l !== '');
  /** -Q answers "<topic> [<p>] offset <o>" per query. */
  const queryOffset = async (topic: string, ts: number) => Number(/offset (-?\d+)/.exec(await kcat(['-Q', '-t', `${topic}:0:${ts}`]))![1]);

  return {
    createTopic: async () => undefined,
    producePhase: async (topic, phase, perPartition) => {
      for (const p of [0, 1, 2]) {
        await kcat(['-P', '-t', topic, '-p', String(p)], Array.from({ length: perPartition }, (_, i) => `${phase}-${p}-${i}\n`).join(''));
      }
    },
    groupMember(m) {
      const child = spawn('kcat', [...base, '-u', '-G', cfg.group, cfg.topic, '-f', '%s\n',
        '-X', 'auto.offset.reset=earliest', '-X', 'enable.auto.commit=true', '-X', 'auto.commit.interval.ms=200',
        '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=500'], { stdio: ['ignore', 'pipe', 'pipe'] });
      createInterface({ input: child.stdout }).on('line', (l) => m.add(l));
      // "% Group g rebalanced (memberid …): assigned: t [0], t [2]" / "… revoked: …"
      createInterface({ input: child.stderr }).on('line', (l) => {
        if (/rebalanced.*assigned:/.test(l)) m.claims = [...l.split('assigned:')[1].matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
        else if (/rebalanced.*revoked:/.test(l)) m.claims = [];
      });
      const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
      // SIGTERM: kcat closes the consumer, which commits and leaves the group.
      return async () => {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      };
    },

    metadata: async () => {
      const md = JSON.parse(await kcat(['-L', '-J', '-t', cfg.topic])) as { brokers: { id: number }[]; topics: { partitions: { leader: number }[] }[] };
      const brokers = md.brokers.map((b) => b.id);
      const parts = md.topics[0].partitions;
      return { brokers, partitions: parts.length, leadersListed: parts.every((p) => brokers.includes(p.leader)) };
    },
    codecs: async () => {
      const out: Record<string, number> = {};
      for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
        const topic = `${cfg.topic}-${codec}`;
        const input = Array.from({ length: 200 }, (_, i) => `${i}:${codec}-${i}-${'x'.repeat(i % 50)}\n`).join('');
        await kcat(['-P', '-t', topic, '-p', '0', '-K:', '-z', codec], input);
        const got = await kcat(['-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%k:%s\n']);
        if (got !== input) throw new Error(`${codec}: records read back differ`);
        out[codec] = lines(got).length;
      }
      return out;
    },
    'offsets-by-time': async () => {
      // kcat cannot set a record's timestamp: ten records produced one after another, then
      // the broker's offsets for the timestamps they got.
      for (let i = 0; i < 10; i++) await kcat(['-P', '-t', cfg.topic, '-p', '0'], `${i}\n`);
      const ts = lines(await kcat(['-C', '-t', cfg.topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%T\n'])).map(Number);
      if (ts.some((t, i) => i > 0 && t <= ts[i - 1])) throw new Error(`timestamps not increasing: ${ts.join(',')}`);
      return {
        at5s: await queryOffset(cfg.topic, ts[5]), between: await queryOffset(cfg.topic, ts[5] + 1), afterLast: await queryOffset(cfg.topic, ts[9] + 3_600_000),
        oldest: await queryOffset(cfg.topic, -2), newest: await queryOffset(cfg.topic, -1),
      };
    },
    'large-message': async () => {
      const value = '0123456789abcdef'.repeat((900 * 1024) / 16);
      await kcat(['-P', '-t', cfg.topic, '-p', '0'], `${value}\n`);
      const got = lines(await kcat(['-C', '-t', cfg.topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%s\n']));
      return { bytes: got[0].length, equal: got[0] === value };
    },
    'idempotent-producer': async () => {
      // One kcat producer, keyed records; librdkafka's partitioner spreads the keys.
      const input = Array.from({ length: 300 }, (_, i) => `k-${i}:${i}\n`).join('');
      await kcat(['-P', '-t', cfg.topic, '-K:', '-X', 'enable.idempotence=true', '-X', 'batch.num.messages=30'], input);
      const got = lines(await kcat(['-C', '-t', cfg.topic, '-o', 'beginning', '-e', '-f', '%p:%k:%s\n']))
        .map((l) => l.split(':')).map(([p, k, v]) => ({ partition: Number(p), key: k, value: Number(v) }));
      const byPartition = new Map<number, number[]>();
      for (const g of got) byPartition.set(g.partition, [...(byPartition.get(g.partition) ?? []), g.value]);
      const inOrder = [...byPartition.values()].every((vs) => vs.every((v, i) => i === 0 || v > vs[i - 1]))
        && got.every((g) => g.key === `k-${g.value}`);
      // kcat does not print the producer id; the suite checks it with DescribeProducers.
      return { produced: 300, read: got.length, distinct: new Set(got.map((g) => g.value)).size, inOrder, partitionsUsed: byPartition.size, producerId: 'not exposed' };
    },
    transactions: async () => {
      const txnId = ['-X', `transactional.id=${cfg.group}-txn`];
      const produce = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}\n`).join('');
      const end = async () => queryOffset(cfg.topic, -1);
      const read = async (isolation: string) =>
        lines(await kcat(['-C', '-t', cfg.topic, '-p', '0', '-o', 'beginning', '-e', '-X', `isolation.level=${isolation}`]));
      // kcat commits its transaction when the input ends...
      await kcat(['-P', '-t', cfg.topic, '-p', '0', ...txnId], produce('c1', 100));
      // ...and aborts it when terminated: once the 100 records are in the log, SIGINT.
      const child = spawn('kcat', [...base, '-P', '-t', cfg.topic, '-p', '0', ...txnId], { stdio: ['pipe', 'ignore', 'pipe'] });
      const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
      // kcat 1.7 reads stdin in 1024-byte blocks and produces nothing of a block before it is full
      // (fixed in kcat 1.8): lines of exactly 1024 bytes, so that all 100 go out.
      child.stdin.write(Array.from({ length: 100 }, (_, i) => `a-${i}-`.padEnd(1023, 'x') + '\n').join(''));
      const deadline = Date.now() + 30_000;
      const inLog = async () => (await read('read_uncommitted')).length;
      while ((await inLog()) < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if ((await inLog()) < 200) throw new Error(`the aborted transaction's records did not reach the log (${await inLog()} records, end ${await end()}): ${stderr}`);
      // kcat notices the signal only when its blocking read of stdin returns: SIGINT, then the
      // end of the input.
      let status = '';
      child.on('exit', (code, signal) => { status = `${code ?? signal}`; });
      child.kill('SIGINT');
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
      // The last stable offset past the abort marker: kcat ended the transaction itself (an open
      // one would hold it at 101 until the next producer's InitProducerId aborts it).
      const afterAbort = await end();
      await kcat(['-P', '-t', cfg.topic, '-p', '0', ...txnId], produce('c2', 50));
      const committed = await read('read_committed');
      const uncommitted = await read('read_uncommitted');
      return {
        readCommitted: committed.length, readUncommitted: uncommitted.length, abortedSeen: committed.filter((v) => v.startsWith('a-')).length,
        afterAbort, kcatExit: status, inputEnd: await end(), consumeTransformProduce: 'unsupported by the client',
      };
    },
    'sasl-ssl': async () => {
      await kcat(['-P', '-t', cfg.topic, '-p', '0'], Array.from({ length: 10 }, (_, i) => `${i}\n`).join(''));
      const got = lines(await kcat(['-C', '-t', cfg.topic, '-p', '0', '-o', 'beginning', '-e']));
      const md = JSON.parse(await kcat(['-L', '-J'])) as { brokers: unknown[] };
      return { produced: 10, consumed: got.length, brokers: md.brokers.length };
    },
  };
}

runnerMain((cfg) => {
  const c = client(cfg);
  return { ...c, 'consumer-group': () => runConsumerGroup(c, cfg) };
});
