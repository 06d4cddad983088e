#!/usr/bin/env node
/*
 * Regenerates the kafkajs golden fixtures: record batches written by kafkajs's own Produce v3
 * request encoder (the bytes a kafkajs producer puts on the wire), saved as hex. kafkajs
 * ships only the gzip codec, so the fixtures cover none and gzip. Run from the repo root:
 *   node libs/kafka/codec/src/records/golden/generate-kafkajs-golden.js
 * The inputs here are mirrored by kafkajs-golden.spec.ts: change both together.
 */
const fs = require('node:fs');
const path = require('node:path');
const ProduceV3 = require('kafkajs/src/protocol/requests/produce/v3/request');
const { Types } = require('kafkajs/src/protocol/message/compression');
const Long = require('kafkajs/src/utils/long');

const T = 1700000000000;

const basicMessages = [
  { key: 'key-0', value: 'value-0', headers: { 'trace-id': 'abc', multi: ['one', 'two'] }, timestamp: T + 5 },
  { key: null, value: Buffer.from([0, 1, 2, 255]), timestamp: T },
  { key: 'k2', value: null, timestamp: T + 3 },
  { key: Buffer.from('k3'), value: Buffer.alloc(0), headers: { empty: Buffer.alloc(0) }, timestamp: T + 9 },
];

const manyMessages = Array.from({ length: 200 }, (_, i) => ({
  key: `key-${i}`,
  value: `value-${i}-`.repeat(1 + (i % 7)),
  timestamp: T + i,
}));

const fixtures = [
  { name: 'kafkajs-none-basic', compression: Types.None, messages: basicMessages },
  { name: 'kafkajs-gzip-basic', compression: Types.GZIP, messages: basicMessages },
  { name: 'kafkajs-gzip-many', compression: Types.GZIP, messages: manyMessages },
  {
    name: 'kafkajs-none-transactional',
    compression: Types.None,
    messages: basicMessages.slice(0, 2),
    transactionalId: 'tx-1',
    producerId: Long.fromNumber(4242),
    producerEpoch: 3,
    firstSequence: 17,
  },
];

/** Pulls the single record batch out of an encoded Produce v3 request body. */
function batchFromRequest(buf) {
  let pos = 0;
  const txLen = buf.readInt16BE(pos);
  pos += 2 + Math.max(txLen, 0);
  pos += 2 + 4; // acks, timeout
  if (buf.readInt32BE(pos) !== 1) throw new Error('expected one topic');
  pos += 4;
  pos += 2 + buf.readInt16BE(pos);
  if (buf.readInt32BE(pos) !== 1) throw new Error('expected one partition');
  pos += 4 + 4; // count, partition index
  const size = buf.readInt32BE(pos);
  pos += 4;
  if (pos + size !== buf.length) throw new Error('unexpected trailing bytes');
  return buf.subarray(pos, pos + size);
}

async function main() {
  for (const f of fixtures) {
    const request = ProduceV3({
      acks: -1,
      timeout: 30000,
      transactionalId: f.transactionalId ?? null,
      producerId: f.producerId,
      producerEpoch: f.producerEpoch,
      compression: f.compression,
      topicData: [{ topic: 'golden', partitions: [{ partition: 0, firstSequence: f.firstSequence, messages: f.messages }] }],
    });
    const encoded = await request.encode();
    const batch = batchFromRequest(encoded.buffer);
    const hex = batch.toString('hex').replace(/(.{64})/g, '$1\n');
    fs.writeFileSync(path.join(__dirname, `${f.name}.hex`), hex.endsWith('\n') ? hex : `${hex}\n`);
    console.log(`${f.name}: ${batch.length} bytes`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
