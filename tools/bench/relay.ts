import { writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { trace } from '@opentelemetry/api';
import { parseIntOption } from '@dms/kafka-client';
import { KafkaServer } from '@dms/gateway';
import { relayPorts } from './relay-ports';
import { RelayStore } from './relay-store';

/**
 * The distance-to-hardware baseline: one Node process that speaks the Kafka protocol through the
 * gateway's own listener (KafkaServer, KafkaConnection: framing, pipelining, the codec) and the
 * gateway's Kafka handlers, with every port answered from memory (relay-ports.ts). Produce is
 * acknowledged as soon as its batches sit in the partition's ring; Fetch reads the ring. The same
 * bench cases against it show what one Node process relaying the bytes costs on this machine.
 */
export interface RelayOptions {
  host: string;
  port: number;
  /** Bytes each partition's ring keeps before its oldest batches fall out. */
  ringBytes: number;
  /** Writes a cluster.json-shaped file naming this process (role relay), for the bench's --cluster-file. */
  clusterFile?: string;
}

export interface Relay {
  port: number;
  bootstrap: string;
  close(): Promise<void>;
}

export async function startRelay(o: RelayOptions): Promise<Relay> {
  const store = new RelayStore(o.ringBytes);
  let port = o.port;
  const ports = relayPorts(store, () => ({ host: o.host, port }));
  const log = (level: string) => (obj: object, msg: string) => process.stderr.write(`relay ${level}: ${msg} ${JSON.stringify(obj)}\n`);
  const server = new KafkaServer({
    maxFrameBytes: 100 * 1024 * 1024,
    maxInFlight: 1000,
    tracer: trace.getTracer('dms-relay'),
    logger: { info: () => undefined, warn: log('warn'), error: log('error') },
    makeContext: (clientId, session) => ({ clientId, clientHost: `/${session.host}`, ...ports, session }),
  });
  port = await server.listen(o.host, o.port);
  const bootstrap = `${o.host}:${port}`;
  if (o.clusterFile) {
    const record = { role: 'relay', id: 0, pid: process.pid, state: 'running', ports: { kafka: port }, command: process.argv, env: {}, cwd: process.cwd(), logFile: '' };
    writeFileSync(o.clusterFile, `${JSON.stringify({ clusterName: 'dms-relay', bootstrap, state: 'running', processes: [record] }, null, 2)}\n`);
  }
  return { port, bootstrap, close: () => server.close() };
}

export function parseRelayArgs(argv: readonly string[]): RelayOptions {
  let result: RelayOptions | undefined;
  new Command('relay')
    .exitOverride()
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addOption(new Option('--port <port>', 'port to listen on (0: a free one)').argParser(parseIntOption('--port', 0, 65535)).default(0))
    .addOption(new Option('--ring-mb <mb>', 'MiB of batches kept per partition').argParser(parseIntOption('--ring-mb', 1, 65536)).default(64))
    .option('--cluster-file <file>', 'write a cluster.json naming this process, for the bench\'s --cluster-file')
    .action((o) => {
      result = { host: o.host, port: o.port, ringBytes: o.ringMb * 1024 * 1024, clusterFile: o.clusterFile };
    })
    .parse(argv as string[], { from: 'user' });
  return result!;
}

async function main(argv: string[]): Promise<number> {
  let o: RelayOptions;
  try {
    o = parseRelayArgs(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  const relay = await startRelay(o);
  process.stdout.write(`${JSON.stringify({ event: 'listening', bootstrap: relay.bootstrap, pid: process.pid })}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await relay.close();
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: Error) => {
    process.stderr.write(`relay: ${err.message}\n`);
    process.exitCode = 1;
  });
}
