import { decodeResponse, encodeResponse, encodeResponseChunks } from './frames';
import { encodeProduceResponseFrame, type ProduceResponseBody } from './produce-response';

const partition = (over: Partial<ProduceResponseBody['responses'][0]['partitionResponses'][0]> = {}) => ({
  index: 3, errorCode: 0, baseOffset: 123_456n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null, ...over,
});

const bodies: Record<string, ProduceResponseBody> = {
  'one partition': { responses: [{ name: 'orders', topicId: '00000000-0000-0000-0000-000000000000', partitionResponses: [partition()] }], throttleTimeMs: 0 },
  'errors and messages': {
    responses: [
      {
        name: 'tópico-ü', topicId: '6e4a3c1d-1111-4000-8000-00000000abcd',
        partitionResponses: [
          partition({ errorCode: 87, baseOffset: -1n, logStartOffset: -1n, errorMessage: 'refused', recordErrors: [{ batchIndex: 0, batchIndexErrorMessage: 'no key' }, { batchIndex: 7, batchIndexErrorMessage: null }] }),
          partition({ index: 0, baseOffset: 2n ** 40n, logAppendTimeMs: 1_733_500_000_000n, logStartOffset: 17n }),
        ],
      },
      { name: '', topicId: '6e4a3c1d-2222-4000-8000-00000000abcd', partitionResponses: [] },
      { name: 'x'.repeat(300), topicId: '6e4a3c1d-3333-4000-8000-00000000abcd', partitionResponses: Array.from({ length: 130 }, (_, i) => partition({ index: i })) },
    ],
    throttleTimeMs: 25,
  },
  'fields left to their defaults': { responses: [{ name: 'd', partitionResponses: [{ index: 1, errorCode: 6, baseOffset: -1n }] }] },
  'no topics': { responses: [], throttleTimeMs: 0 },
};

describe('hand-written Produce response', () => {
  for (const [what, body] of Object.entries(bodies)) {
    it(`writes the generic encoder's bytes in every version: ${what}`, () => {
      for (let v = 3; v <= 13; v++) {
        const expected = encodeResponse(0, v, 0x01020304, body);
        expect([v, encodeProduceResponseFrame(v, 0x01020304, body)?.toString('hex')]).toEqual([v, expected.toString('hex')]);
        expect(Buffer.concat(encodeResponseChunks(0, v, 0x01020304, body)).equals(expected)).toBe(true);
      }
    });
  }

  it('decodes back to what was written', () => {
    const { correlationId, body } = decodeResponse(0, 9, encodeProduceResponseFrame(9, 77, bodies['errors and messages']!)!.subarray(4));
    expect(correlationId).toBe(77);
    expect(body.throttleTimeMs).toBe(25);
    expect(body.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 87, errorMessage: 'refused', recordErrors: [{ batchIndex: 0, batchIndexErrorMessage: 'no key' }, { batchIndex: 7, batchIndexErrorMessage: null }] });
  });

  it('leaves to the generic codec the versions and tagged fields it does not write', () => {
    const leader = { responses: [{ name: 't', partitionResponses: [partition({ errorCode: 6, currentLeader: { leaderId: 2, leaderEpoch: 5 } })] }], throttleTimeMs: 0 };
    expect(encodeProduceResponseFrame(10, 1, leader)).toBeUndefined();
    expect(Buffer.concat(encodeResponseChunks(0, 10, 1, leader)).equals(encodeResponse(0, 10, 1, leader))).toBe(true);
    const endpoints = { responses: [], throttleTimeMs: 0, nodeEndpoints: [{ nodeId: 2, host: 'h', port: 9092, rack: null }] };
    expect(encodeProduceResponseFrame(10, 1, endpoints)).toBeUndefined();
    expect(Buffer.concat(encodeResponseChunks(0, 10, 1, endpoints)).equals(encodeResponse(0, 10, 1, endpoints))).toBe(true);
    expect(encodeProduceResponseFrame(2, 1, bodies['one partition']!)).toBeUndefined();
  });

  it('refuses what the generic encoder refuses', () => {
    const bad = { responses: [{ name: 't', partitionResponses: [partition({ errorCode: 70_000 })] }], throttleTimeMs: 0 };
    expect(() => encodeResponse(0, 9, 1, bad)).toThrow();
    expect(() => encodeProduceResponseFrame(9, 1, bad)).toThrow();
  });
});
