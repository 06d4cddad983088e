import { ErrorCode } from '@dms/kafka-errors';
import { nextProducerIdBlock, PRODUCER_ID_BLOCK_SIZE } from './producer-id-manager';

describe('nextProducerIdBlock', () => {
  it('starts at 0 and continues right after the latest block', () => {
    expect(nextProducerIdBlock(undefined)).toEqual({ start: 0n, length: PRODUCER_ID_BLOCK_SIZE });
    expect(nextProducerIdBlock({ assignedTo: 3, blockStart: '2000', blockLen: 1000 })).toEqual({ start: 3000n, length: 1000 });
    expect(nextProducerIdBlock({ assignedTo: 3, blockStart: '2000', blockLen: 10 }, 50)).toEqual({ start: 2010n, length: 50 });
  });

  it('refuses to go past the int64 id space', () => {
    const last = { assignedTo: 1, blockStart: (0x7fffffffffffffffn - 1500n).toString(), blockLen: 1000 };
    expect(() => nextProducerIdBlock(last)).toThrow(expect.objectContaining({ code: ErrorCode.UNKNOWN_SERVER_ERROR }));
  });
});
