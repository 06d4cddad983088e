// Many hostile connections (garbage, half frames, lying size prefixes, silence) against one
// gateway while a normal client keeps producing and fetching: the gateway stays up, the client
// never fails, idle connections are closed after connections.max.idle.ms and memory stays bounded.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { buildRecordBatch } from '@dms/kafka-codec';
import { KafkaClient } from '@dms/kafka-client';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(120_000);

let tc: TestCluster;

beforeAll(async () => {
  tc = await startTestCluster({ config: { gateway: { 'connections.max.idle.ms': 1500 } } });
});

afterAll(async () => {
  await cleanup();
});

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', () => undefined);
    s.once('error', reject);
  });
}

it('keeps serving a normal client through 300 hostile connections', async () => {
  const port = Number(tc.bootstrap.split(':')[1]);
  const gw = tc.cluster.service('gateway', 1);
  const client = new KafkaClient({ bootstrapServers: tc.bootstrap, retries: 0 });
  await client.createTopics([{ name: 'steady', numPartitions: 1 }]);
  const rssBefore = rssKiB(gw.pid!);

  let stop = false;
  let produced = 0;
  const normal = (async () => {
    while (!stop) {
      await client.produce('steady', 0, await buildRecordBatch({ records: [{ value: `m${produced}` }] }));
      produced++;
      await client.fetch('steady', 0, 0n, 1 << 16, 10);
    }
  })();

  const sockets: Socket[] = [];
  const closed: Promise<void>[] = [];
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < 300; i++) {
    const s = await open(port);
    sockets.push(s);
    closed.push(new Promise((r) => s.on('close', () => r())));
    const kind = i % 5;
    if (kind === 0) s.write(Buffer.from(Array.from({ length: 64 }, () => Math.floor(rnd() * 256)))); // garbage
    if (kind === 1) { const b = Buffer.alloc(4 + 50); b.writeInt32BE(100); s.write(b); } // half a frame, then silence
    if (kind === 2) { const b = Buffer.alloc(4); b.writeInt32BE(0x7fffffff); s.write(b); } // a lying size prefix
    if (kind === 3) { const b = Buffer.alloc(4 + 12); b.writeInt32BE(12); b.writeInt16BE(3, 4); b.writeInt16BE(12, 6); s.write(b); } // a header cut short
    // kind 4: connect and say nothing
  }
  // Every hostile connection is closed: at once for broken frames, after the idle timeout otherwise.
  await Promise.all(closed);
  stop = true;
  await normal;
  client.close();

  expect(produced).toBeGreaterThan(5);
  expect(tc.unexpectedExits).toEqual([]);
  expect(gw.running).toBe(true);
  expect(rssKiB(gw.pid!) - rssBefore).toBeLessThan(200 * 1024);
});
