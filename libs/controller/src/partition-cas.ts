import type { Etcd3, IOperation, IRequestOp } from 'etcd3';
import { controllerLeaderKey, errMessage, fencedTxn, NotLeaderError, partitionKey, partitionState, type PartitionState } from '@dms/cluster';

/** What a decision makes of the partition's current state: write a new one, or answer without writing. */
export type CasStep<R> =
  | { write: PartitionState; ops?: Array<IRequestOp | IOperation>; answer: R }
  | { answer: R };

export type CasOutcome<R> =
  /** The decision's answer; `written` when its state was committed. */
  | { kind: 'answered'; answer: R; written: boolean }
  | { kind: 'unknown-partition' }
  | { kind: 'not-controller' }
  | { kind: 'store-error'; message: string }
  /** The state changed under every attempt. */
  | { kind: 'contended' };

export interface PartitionCasOptions {
  client: Etcd3;
  clusterName: string;
  fence: () => string | undefined;
}

/**
 * The controller's way to change one partition: read its state fresh from etcd, let a pure
 * `decide(state, modRevision)` say what it becomes, write that as a fenced compare-and-set on the
 * key's modRevision (with any extra ops in the same transaction), and decide again on the new
 * state when someone else wrote first, up to `attempts` times.
 */
export async function casPartitionState<R>(
  opts: PartitionCasOptions,
  topic: string,
  partition: number,
  decide: (state: PartitionState, modRevision: bigint) => CasStep<R>,
  attempts = 3,
): Promise<CasOutcome<R>> {
  const { client, clusterName } = opts;
  let key: string;
  try {
    key = partitionKey(clusterName, topic, partition);
  } catch {
    return { kind: 'unknown-partition' };
  }
  for (let attempt = 0; attempt < attempts; attempt++) {
    const fence = opts.fence();
    if (fence === undefined) return { kind: 'not-controller' };
    try {
      const kv = (await client.get(key).exec()).kvs[0];
      const state = kv && partitionState.decode(kv.value);
      if (!kv || !state) return { kind: 'unknown-partition' };
      const step = decide(state, BigInt(kv.mod_revision));
      if (!('write' in step)) return { kind: 'answered', answer: step.answer, written: false };
      const res = await fencedTxn(client, controllerLeaderKey(clusterName), fence)
        .and(key, 'Mod', '==', kv.mod_revision)
        .then(client.put(key).value(partitionState.encode(step.write)), ...(step.ops ?? []))
        .commit();
      if (res.succeeded) return { kind: 'answered', answer: step.answer, written: true };
    } catch (e) {
      if (e instanceof NotLeaderError) return { kind: 'not-controller' };
      return { kind: 'store-error', message: `metadata store error: ${errMessage(e)}` };
    }
  }
  return { kind: 'contended' };
}
