// Versions Kafka 4.0 removed (KIP-896) that DMS keeps serving, sent by kafka-python 2.0.2's own
// protocol classes the way a Kafka 2.x-era tool sends them (Burrow's loop: Metadata v0,
// ListOffsets v0, OffsetCommit/OffsetFetch v0-v1), against a real cluster; and Produce v2, which
// stays refused: the gateway closes the connection, as Kafka 4 does.
import { join } from 'node:path';
import { cleanup, repoRoot, runCli, runProcess, startTestCluster, type TestCluster } from '@dms/testing';

const PYTHON = process.env.DMS_COMPAT_PYTHON ?? '/usr/bin/python3';
const TOPIC = 'legacy-versions';
let tc: TestCluster;

beforeAll(async () => {
  tc = await startTestCluster({ brokers: 1, controllers: 1, gateways: 1 });
  const created = await runCli(['topics', 'create', TOPIC, '--partitions', '2', '--bootstrap-server', tc.bootstrap]);
  if (created.code !== 0) throw new Error(`dms topics create: ${created.stderr}`);
  const lines = Array.from({ length: 5 }, (_, i) => `record-${i}`).join('\n') + '\n';
  const produced = await runCli(['produce', TOPIC, '--partition', '0', '--bootstrap-server', tc.bootstrap], { input: lines });
  if (produced.code !== 0) throw new Error(`dms produce: ${produced.stderr}`);
}, 240_000);

afterAll(() => cleanup());

it('answers Metadata v0, ListOffsets v0, OffsetCommit v0-v1, OffsetFetch v0, CreateTopics v0, DeleteTopics v0; refuses Produce v2', async () => {
  const script = join(repoRoot(), 'tools', 'compat', 'python', 'legacy_versions.py');
  const res = await runProcess(PYTHON, [script, tc.bootstrap, TOPIC], { timeoutMs: 90_000 });
  if (res.code !== 0) throw new Error(`legacy_versions.py exited ${res.code}: ${res.stderr.slice(-2000)}`);
  const out = JSON.parse(res.stdout.trim().split('\n').pop()!);
  expect(out.metadata_partitions).toEqual([2]);
  // [partition, error, old-style offsets]: latest of p0 is 5, earliest of p1 is 0, max_num_offsets 0 asks for none.
  expect(out.list_offsets_v0).toEqual([[0, 0, []], [0, 0, [5]], [1, 0, [0]]]);
  expect(out.find_coordinator_v0).toBe(0);
  expect(out.offset_commit_v0).toEqual([0]);
  expect(out.offset_commit_v1).toEqual([0]);
  // [partition, offset, metadata, error]
  expect(out.offset_fetch_v0).toEqual([[0, 3, 'burrow', 0], [1, 1, 'v1', 0]]);
  expect(out.create_topics_v0).toEqual([[`${TOPIC}-v0`, 0]]);
  expect(out.delete_topics_v0).toEqual([[`${TOPIC}-v0`, 0]]);
  expect(out.produce_v2).toEqual({ failed: expect.stringMatching(/Error/) });
  expect(out.produce_v2_disconnected).toBe(true);
  expect(tc.unexpectedExits).toEqual([]);
}, 120_000);
