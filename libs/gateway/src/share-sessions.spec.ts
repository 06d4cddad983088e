import { ErrorCode } from '@dms/kafka-errors';
import { ShareSessions } from './share-sessions';

describe('ShareSessions (share fetch sessions at the gateway)', () => {
  let now = 0;
  const sessions = () => new ShareSessions({ maxSessions: 2, idleMs: 1_000, now: () => now });

  beforeEach(() => {
    now = 0;
  });

  it('epoch 0 opens a session; each request must carry the next epoch', () => {
    const s = sessions();
    const open = s.advance('g', 'm', 0);
    expect(open).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(open.session!.epoch).toBe(1);
    expect(s.advance('g', 'm', 1).errorCode).toBe(ErrorCode.NONE);
    expect(s.advance('g', 'm', 1).errorCode).toBe(ErrorCode.INVALID_SHARE_SESSION_EPOCH);
    expect(s.advance('g', 'm', 2).errorCode).toBe(ErrorCode.NONE);
  });

  it('answers SHARE_SESSION_NOT_FOUND without a session, and -1 finds the session to close', () => {
    const s = sessions();
    expect(s.advance('g', 'm', 3).errorCode).toBe(ErrorCode.SHARE_SESSION_NOT_FOUND);
    expect(s.advance('g', 'm', -1).errorCode).toBe(ErrorCode.SHARE_SESSION_NOT_FOUND);
    s.advance('g', 'm', 0);
    expect(s.advance('g', 'm', -1).session).toBeDefined();
    expect(s.close('g', 'm')).toBeDefined();
    expect(s.size).toBe(0);
  });

  it('a new epoch 0 replaces the session (the caller releases what the old one held)', () => {
    const s = sessions();
    const first = s.advance('g', 'm', 0).session!;
    first.partitions.set('t:0', { topic: 't', topicId: 't', partition: 0 });
    const again = s.advance('g', 'm', 0);
    expect(again.replaced).toBe(first);
    expect(again.session!.partitions.size).toBe(0);
  });

  it('limits the number of sessions and evicts idle ones', () => {
    const s = sessions();
    s.advance('g', 'a', 0);
    s.advance('g', 'b', 0);
    expect(s.advance('g', 'c', 0).errorCode).toBe(ErrorCode.SHARE_SESSION_LIMIT_REACHED);
    now = 2_000;
    expect(s.advance('g', 'c', 0).errorCode).toBe(ErrorCode.NONE);
    expect(s.advance('g', 'a', 1).errorCode).toBe(ErrorCode.SHARE_SESSION_NOT_FOUND);
  });
});
