/**
 * Captures the first request frames real Kafka clients send, as golden fixtures for the codec.
 * A dev tool, not part of the library (it does I/O). Re-run from the repo root with:
 *
 *   npx esbuild libs/kafka/codec/src/golden/capture.ts --bundle --platform=node --packages=external \
 *     --alias:@dms/kafka-schema=./libs/kafka/schema/src/index.ts --outfile=tmp/capture.js && node tmp/capture.js
 *
 * Needs kcat on PATH and the kafkajs dev dependency. Listens on 127.0.0.1 port 0 only.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { decodeRequestHeader, encodeResponse } from '../frames';
import { ApiKey } from '@dms/kafka-schema';

const OUT_DIR = path.join('libs', 'kafka', 'codec', 'src', 'golden');
const TIMEOUT_MS = 10_000;

type Answer = (frame: Buffer, socket: net.Socket) => boolean;

/** Collects whole frames (size prefix included) until `answer` says it has seen enough. */
async function captureFrames(client: (port: number) => { stop(): void }, answer: Answer): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  const server = net.createServer();
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  server.on('connection', (socket) => {
    let pending = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(0, 4 + pending.readInt32BE(0));
        pending = pending.subarray(frame.length);
        frames.push(frame);
        if (answer(frame.subarray(4), socket)) {
          socket.destroy();
          finish();
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const running = client(port);
  const timer = setTimeout(finish, TIMEOUT_MS);
  await done;
  clearTimeout(timer);
  running.stop();
  await new Promise((resolve) => server.close(resolve));
  return frames;
}

function kcat(port: number) {
  const child = spawn('kcat', ['-b', `127.0.0.1:${port}`, '-L', '-m', '3'], { stdio: 'ignore' });
  return { stop: () => child.exitCode === null && child.kill('SIGTERM') };
}

function kafkajs(port: number) {
  const admin = new Kafka({
    clientId: 'dms-golden',
    brokers: [`127.0.0.1:${port}`],
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  admin.connect().catch(() => undefined);
  return { stop: () => void admin.disconnect().catch(() => undefined) };
}

/** Answers ApiVersions with our own encoder, advertising Metadata v0-12 and ApiVersions v0-3. */
const answerApiVersions: Answer = (frame, socket) => {
  const { header } = decodeRequestHeader(frame);
  if (header.requestApiKey !== ApiKey.ApiVersions) return true;
  const body = {
    errorCode: 0,
    apiKeys: [
      { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 12 },
      { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 },
    ],
    throttleTimeMs: 0,
  };
  socket.write(encodeResponse(ApiKey.ApiVersions, header.requestApiVersion, header.correlationId, body));
  return false;
};

function save(name: string, frame: Buffer | undefined): void {
  if (!frame) throw new Error(`no frame captured for ${name}`);
  const lines = frame.toString('hex').match(/.{1,64}/g)!.join('\n');
  fs.writeFileSync(path.join(OUT_DIR, name), lines + '\n');
  console.log(`captured ${name}: ${frame.length} bytes`);
}

async function main(): Promise<void> {
  save('kcat-api-versions-v3.hex', (await captureFrames(kcat, () => true))[0]);
  save('kafkajs-api-versions-v2.hex', (await captureFrames(kafkajs, () => true))[0]);
  const exchange = await captureFrames(kcat, answerApiVersions);
  for (const f of exchange) console.log(`kcat sent api ${f.readInt16BE(4)} v${f.readInt16BE(6)}`);
  save('kcat-metadata.hex', exchange.find((f) => f.readInt16BE(4) === ApiKey.Metadata));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
