// `dms producers describe`: kafka-transactions.sh describe-producers, the producer state of one
// partition's leader (DescribeProducers).
import type { Command } from 'commander';
import { describeProducers, processIo, type CliIo, type ProducerState } from '@dms/kafka-client';
import { withAdminClient, withConnectOptions, type ConnectOptions } from './security-common';

const HEADERS = ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset'];

/** The table kafka-transactions.sh prints: one row per producer, columns padded to their widest cell. */
export function producersTable(producers: readonly ProducerState[]): string {
  const rows = [
    HEADERS,
    ...producers.map((p) => [p.producerId, p.producerEpoch, p.coordinatorEpoch, p.lastSequence, p.lastTimestamp, p.currentTxnStartOffset].map(String)),
  ];
  const widths = HEADERS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('\t').trimEnd()).join('\n') + '\n';
}

export function register(program: Command, io: CliIo = processIo): void {
  const producers = program.command('producers').description('inspect producer state, like kafka-transactions.sh describe-producers');
  withConnectOptions(producers.command('describe').description('the producers a partition leader holds state for (DescribeProducers)'))
    .requiredOption('--topic <topic>', 'topic name')
    .requiredOption('--partition <n>', 'partition number', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`--partition must be an integer >= 0, not ${v}`);
      return n;
    })
    .action((opts: ConnectOptions & { topic: string; partition: number }) =>
      withAdminClient(io, opts, async (client) => {
        const states = await describeProducers(client, opts.topic, opts.partition);
        if (opts.json) {
          const plain = states.map((s) => ({ ...s, producerId: Number(s.producerId), lastTimestamp: Number(s.lastTimestamp), currentTxnStartOffset: Number(s.currentTxnStartOffset) }));
          io.out(`${JSON.stringify(plain)}\n`);
        } else {
          io.out(producersTable(states));
        }
      }),
    );
}
