import type { Etcd3, IOperation, IRequestOp, ITxnResponse } from 'etcd3';

/** The leader guard of a fenced transaction failed: the caller is no longer (or never was) the leader. */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
  constructor(
    readonly leaderKey: string,
    readonly myRevision: string,
    readonly currentRevision: string | undefined,
  ) {
    super(
      `not the leader: ${leaderKey} has createRevision ${currentRevision ?? '(absent)'}, this leader holds ${myRevision}`,
    );
  }
}

type Column = 'Version' | 'Create' | 'Mod' | 'Value' | 'Lease';
type Cmp = '==' | '===' | '>' | '<' | '!=' | '!==';
type Op = IRequestOp | IOperation;

/**
 * A transaction guarded by compare(createRevision(leaderKey) == myRevision): only the leader
 * that created the election key can commit, however late it learns it was deposed. Extra guards
 * and the then/else branches are added as on an etcd3 txn; `commit()` throws NotLeaderError when
 * the leader guard is what failed, and otherwise returns the response with the else branch's
 * results as the caller added them.
 */
export class FencedTxn {
  private readonly guards: Array<[string | Buffer, Column, Cmp, string | Buffer | number]> = [];
  private thenOps: Op[] = [];
  private elseOps: Op[] = [];

  constructor(
    private readonly client: Etcd3,
    readonly leaderKey: string,
    readonly myRevision: string,
  ) {}

  and(key: string | Buffer, column: Column, cmp: Cmp, value: string | Buffer | number): this {
    this.guards.push([key, column, cmp, value]);
    return this;
  }

  then(...ops: Op[]): this {
    this.thenOps.push(...ops);
    return this;
  }

  else(...ops: Op[]): this {
    this.elseOps.push(...ops);
    return this;
  }

  async commit(): Promise<ITxnResponse> {
    let txn = this.client.if(this.leaderKey, 'Create', '==', this.myRevision);
    for (const [k, c, op, v] of this.guards) txn = txn.and(k, c, op, v);
    // The first else op reads the leader key so a failure can be attributed to the fence or to
    // the caller's own guards without another round trip.
    const res = await txn.then(...this.thenOps).else(this.client.get(this.leaderKey), ...this.elseOps).commit();
    if (res.succeeded) return res;
    const current = res.responses[0]?.response_range?.kvs?.[0]?.create_revision;
    if (current === undefined || String(current) !== this.myRevision) {
      throw new NotLeaderError(this.leaderKey, this.myRevision, current === undefined ? undefined : String(current));
    }
    return { ...res, responses: res.responses.slice(1) };
  }
}

export function fencedTxn(client: Etcd3, leaderKey: string, myRevision: string | bigint | number): FencedTxn {
  return new FencedTxn(client, leaderKey, String(myRevision));
}
