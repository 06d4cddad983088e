// CreatePartitions at the gateway: duplicates and ACLs are answered here, the rest goes to the
// controller, and the answer waits for this gateway's view to show the grown topics.
import { ErrorCode } from '@dms/kafka-errors';
import { createPartitionsHandler } from './37-create-partitions';
import type { NewPartitionsSpec, RequestContext } from './ports';

function context(denied: string[]) {
  const sent: NewPartitionsSpec[][] = [];
  const awaited: [string, number][][] = [];
  const ctx = {
    clientId: 'spec',
    clientHost: '127.0.0.1',
    cluster: { awaitPartitionCounts: async (counts: Map<string, number>) => void awaited.push([...counts]) },
    controller: {
      createPartitions: async (specs: NewPartitionsSpec[]) => {
        sent.push(specs);
        return specs.map((s) => (s.name === 'small'
          ? { name: s.name, errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Topic already has 3 partition(s).' }
          : { name: s.name, errorCode: 0, errorMessage: null }));
      },
    },
    security: { authorizerEnabled: () => true, authorize: (_p: string, _h: string, op: number, _t: number, name: string) => op === 7 && !denied.includes(name) },
  } as unknown as RequestContext;
  return { ctx, sent, awaited };
}

it('answers duplicates and unauthorized topics itself and sends the rest to the controller', async () => {
  const { ctx, sent, awaited } = context(['secret']);
  const req = {
    timeoutMs: 5000, validateOnly: false,
    topics: [
      { name: 'a', count: 4, assignments: null },
      { name: 'dup', count: 2, assignments: null },
      { name: 'secret', count: 2, assignments: null },
      { name: 'dup', count: 3, assignments: null },
      { name: 'small', count: 3, assignments: [{ brokerIds: [1, 2] }] },
    ],
  };
  const res = await createPartitionsHandler.handle(ctx, req, 3);
  expect(res.results).toEqual([
    { name: 'a', errorCode: 0, errorMessage: null },
    { name: 'dup', errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' },
    { name: 'secret', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' },
    { name: 'dup', errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' },
    { name: 'small', errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Topic already has 3 partition(s).' },
  ]);
  expect(sent).toEqual([[{ name: 'a', count: 4, assignments: null }, { name: 'small', count: 3, assignments: [[1, 2]] }]]);
  // Only what grew is awaited in the view.
  expect(awaited).toEqual([[['a', 4]]]);
});

it('does not wait for the view after validate_only', async () => {
  const { ctx, awaited } = context([]);
  const res = await createPartitionsHandler.handle(ctx, { timeoutMs: 5000, validateOnly: true, topics: [{ name: 'a', count: 4, assignments: null }] }, 0);
  expect(res.results[0].errorCode).toBe(0);
  expect(awaited).toEqual([]);
});
