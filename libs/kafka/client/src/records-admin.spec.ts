import { parseOffsetJson } from './records-admin';

describe('parseOffsetJson (kafka-delete-records.sh --offset-json-file)', () => {
  it('reads the Kafka tool format', () => {
    expect(parseOffsetJson('{"partitions":[{"topic":"t","partition":0,"offset":3},{"topic":"t","partition":1,"offset":-1}],"version":1}')).toEqual([
      { topic: 't', partition: 0, offset: 3n },
      { topic: 't', partition: 1, offset: -1n },
    ]);
  });

  it('refuses what the Kafka tool refuses, saying why', () => {
    expect(() => parseOffsetJson('{')).toThrow(/not valid JSON/);
    expect(() => parseOffsetJson('{"version":1}')).toThrow(/"partitions"/);
    expect(() => parseOffsetJson('{"partitions":[],"version":2}')).toThrow(/version 2/);
    expect(() => parseOffsetJson('{"partitions":[{"partition":0,"offset":1}]}')).toThrow(/topic/);
    expect(() => parseOffsetJson('{"partitions":[{"topic":"t","partition":-1,"offset":1}]}')).toThrow(/partition/);
    expect(() => parseOffsetJson('{"partitions":[{"topic":"t","partition":0,"offset":-2}]}')).toThrow(/offset/);
    expect(() => parseOffsetJson('{"partitions":[{"topic":"t","partition":0,"offset":1},{"topic":"t","partition":0,"offset":2}]}')).toThrow(/duplicate.*t-0/);
  });
});
