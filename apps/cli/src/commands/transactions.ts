import { Command } from 'commander';
import { DEFAULT_BOOTSTRAP, KafkaClient, TransactionAdmin, describeError, processIo, type CliIo } from '@dms/kafka-client';

interface CommonOptions {
  bootstrapServer: string;
  json?: boolean;
}

interface ListOptions extends CommonOptions {
  state?: string[];
  producerId?: string[];
  durationFilter?: string;
}

interface DescribeOptions extends CommonOptions {
  transactionalId: string;
}

function withCommon(cmd: Command): Command {
  return cmd
    .option('--bootstrap-server <host:port>', 'Kafka address of the cluster', DEFAULT_BOOTSTRAP)
    .option('--json', 'print JSON');
}

async function withAdmin(io: CliIo, opts: CommonOptions, body: (admin: TransactionAdmin) => Promise<void>): Promise<void> {
  let client: KafkaClient | undefined;
  try {
    client = new KafkaClient({ bootstrapServers: opts.bootstrapServer, clientId: 'dms-cli' });
    await body(new TransactionAdmin(client));
  } catch (err) {
    io.err(`error: ${describeError(err)}\n`);
    process.exitCode = 1;
  } finally {
    client?.close();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n';
}

const jsonSafe = (o: unknown) => JSON.stringify(o, (_, v) => (typeof v === 'bigint' ? Number(v) : v));
const collect = (value: string, previous: string[] = []) => [...previous, value];

function integer(name: string, raw: string): bigint {
  if (!/^-?\d+$/.test(raw)) throw new Error(`${name} must be an integer, got '${raw}'`);
  return BigInt(raw);
}

/** `dms transactions list|describe`, shaped like kafka-transactions.sh. */
export function register(program: Command, io: CliIo = processIo): void {
  const txns = program.command('transactions').description('list and describe transactions (as kafka-transactions.sh)');

  withCommon(txns.command('list').description('transactions of every coordinator, with their producer id and state'))
    .option('--state <state>', 'only this state (Ongoing, PrepareCommit, ...); repeatable', collect)
    .option('--producer-id <id>', 'only this producer id; repeatable', collect)
    .option('--duration-filter <ms>', 'only transactions running longer than this many ms')
    .action(async (opts: ListOptions) => withAdmin(io, opts, async (admin) => {
      const list = await admin.listTransactions({
        states: opts.state,
        producerIds: (opts.producerId ?? []).map((p) => integer('--producer-id', p)),
        durationMs: opts.durationFilter === undefined ? undefined : integer('--duration-filter', opts.durationFilter),
      });
      list.sort((a, b) => a.transactionalId.localeCompare(b.transactionalId));
      const coordinators = await admin.coordinators(list.map((t) => t.transactionalId));
      const rows = list.map((t) => ({ ...t, coordinatorId: coordinators.get(t.transactionalId) ?? -1 }));
      if (opts.json) {
        io.out(jsonSafe(rows) + '\n');
        return;
      }
      io.out(table([
        ['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'],
        ...rows.map((t) => [t.transactionalId, String(t.coordinatorId), String(t.producerId), t.state]),
      ]));
    }));

  withCommon(txns.command('describe').description('the state of one transactional id on its coordinator'))
    .requiredOption('--transactional-id <id>', 'the transactional id')
    .action(async (opts: DescribeOptions) => withAdmin(io, opts, async (admin) => {
      const d = await admin.describeTransaction(opts.transactionalId);
      const now = BigInt(Date.now());
      const durationMs = d.startTimeMs >= 0n ? now - d.startTimeMs : null;
      if (opts.json) {
        io.out(jsonSafe({ ...d, durationMs }) + '\n');
        return;
      }
      io.out(table([
        ['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions'],
        [
          String(d.coordinatorId), d.transactionalId, String(d.producerId), String(d.producerEpoch), d.state, String(d.timeoutMs),
          d.startTimeMs >= 0n ? String(d.startTimeMs) : 'None', durationMs === null ? 'None' : String(durationMs),
          d.topicPartitions.map((tp) => `${tp.topic}-${tp.partition}`).join(','),
        ],
      ]));
    }));
}
