import { Command, Option } from 'commander';
import {
  DEFAULT_BOOTSTRAP, describeError, KafkaClient, securityFromFile, parseAcks, parseCompression, parseIntOption, processIo, produceLines,
  type CliIo,
} from '@dms/kafka-client';
import type { CompressionType } from '@dms/kafka-codec';

interface ProduceCliOptions {
  bootstrapServer: string;
  partition?: number;
  keySeparator?: string;
  acks: number;
  compression: CompressionType;
  batchSize: number;
  idempotent?: boolean;
  transactionalId?: string;
  recordsPerTransaction?: number;
  transactionTimeoutMs?: number;
  json?: boolean;
}

export function register(program: Command, io: CliIo = processIo): void {
  program
    .command('produce <topic>')
    .description('produce lines of stdin as records (key<SEP>value with --key-separator)')
    .option('--bootstrap-server <host:port>', 'Kafka address of the cluster', DEFAULT_BOOTSTRAP)
    .option('--command-config <file>', 'Kafka client properties: security.protocol, sasl.mechanism, sasl.username/sasl.password or sasl.jaas.config, ssl.ca.location, ...')
    .addOption(new Option('--partition <p>', 'fixed partition (default: murmur2 of the key, round-robin without)').argParser(parseIntOption('--partition', 0)))
    .option('--key-separator <sep>', 'split each line at the first SEP into key and value')
    .addOption(new Option('--acks <acks>', '-1 (all), 0 or 1').argParser(parseAcks).default(-1))
    .addOption(new Option('--compression <codec>', 'none|gzip|snappy|lz4|zstd').argParser(parseCompression).default(parseCompression('none'), 'none'))
    .addOption(new Option('--batch-size <n>', 'records per batch').argParser(parseIntOption('--batch-size', 1)).default(1000))
    .option('--idempotent', 'idempotent producer (enable.idempotence): retries never duplicate or reorder a record; needs --acks -1')
    .option('--transactional-id <id>', 'transactional producer (transactional.id): records are committed in transactions; needs --acks -1')
    .addOption(new Option('--records-per-transaction <n>', 'with --transactional-id: commit every N records (default: the whole input is one transaction)')
      .argParser(parseIntOption('--records-per-transaction', 1)))
    .addOption(new Option('--transaction-timeout-ms <ms>', 'with --transactional-id: transaction.timeout.ms').argParser(parseIntOption('--transaction-timeout-ms', 1)).default(60_000))
    .option('--json', 'print the result as JSON')
    .action(async (topic: string, opts: ProduceCliOptions) => {
      if (opts.recordsPerTransaction !== undefined && opts.transactionalId === undefined) {
        io.err('error: --records-per-transaction needs --transactional-id\n');
        process.exitCode = 1;
        return;
      }
      const client = new KafkaClient({ bootstrapServers: opts.bootstrapServer, clientId: 'dms-cli', ...securityFromFile((opts as { commandConfig?: string }).commandConfig) });
      try {
        const produced = await produceLines(client, topic, io.lines(), {
          partition: opts.partition,
          keySeparator: opts.keySeparator,
          acks: opts.acks,
          compression: opts.compression,
          batchSize: opts.batchSize,
          allowAutoTopicCreation: true,
          idempotent: opts.idempotent === true,
          transactionalId: opts.transactionalId,
          recordsPerTransaction: opts.recordsPerTransaction,
          transactionTimeoutMs: opts.transactionTimeoutMs,
        });
        io.out(opts.json ? `${JSON.stringify({ topic, produced })}\n` : `Produced ${produced} records to ${topic}.\n`);
      } catch (err) {
        io.err(`error: ${describeError(err)}\n`);
        process.exitCode = 1;
      } finally {
        client.close();
      }
    });
}
