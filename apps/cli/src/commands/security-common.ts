import type { Command } from 'commander';
import { DEFAULT_BOOTSTRAP, describeError, KafkaClient, securityFromFile, type CliIo } from '@dms/kafka-client';

export interface ConnectOptions {
  bootstrapServer: string;
  commandConfig?: string;
  json?: boolean;
}

/** --bootstrap-server, --command-config and --json, as every Kafka-facing dms command takes them. */
export function withConnectOptions(cmd: Command): Command {
  return cmd
    .option('--bootstrap-server <host:port>', 'Kafka address of the cluster', DEFAULT_BOOTSTRAP)
    .option('--command-config <file>', 'Kafka client properties: security.protocol, sasl.mechanism, sasl.username/sasl.password or sasl.jaas.config, ssl.ca.location, ...')
    .option('--json', 'print JSON');
}

/** Runs one command with a client that is always closed; failures set exit code 1. */
export async function withAdminClient(io: CliIo, opts: ConnectOptions, body: (client: KafkaClient) => Promise<void>): Promise<void> {
  let client: KafkaClient | undefined;
  try {
    client = new KafkaClient({ bootstrapServers: opts.bootstrapServer, clientId: 'dms-cli', retries: 0, ...securityFromFile(opts.commandConfig) });
    await body(client);
  } catch (err) {
    io.err(`error: ${describeError(err)}\n`);
    process.exitCode = 1;
  } finally {
    client?.close();
  }
}
