// `dms records delete`: kafka-delete-records.sh over DeleteRecords.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { deleteRecords, errorName, parseOffsetJson, processIo, type CliIo } from '@dms/kafka-client';
import { withAdminClient, withConnectOptions, type ConnectOptions } from './security-common';

export function register(program: Command, io: CliIo = processIo): void {
  const records = program.command('records').description('delete records below an offset, like kafka-delete-records.sh');
  withConnectOptions(records.command('delete').description('move the log start offset of partitions forward'))
    .requiredOption('--offset-json-file <file>', 'JSON: {"partitions":[{"topic":"t","partition":0,"offset":10}],"version":1}; offset -1 is the high watermark')
    .action((o: ConnectOptions & { offsetJsonFile: string }) => withAdminClient(io, o, async (client) => {
      const specs = parseOffsetJson(readFileSync(o.offsetJsonFile, 'utf8'));
      if (!o.json) io.out('Executing records delete operation\n');
      const results = await deleteRecords(client, specs);
      if (o.json) {
        io.out(`${JSON.stringify(results.map((r) => ({ ...r, lowWatermark: String(r.lowWatermark), errorName: errorName(r.errorCode) })))}\n`);
      } else {
        io.out('Records delete operation completed:\n');
        for (const r of results) {
          io.out(r.errorCode === 0
            ? `partition: ${r.topic}-${r.partition}\tlow_watermark: ${r.lowWatermark}\n`
            : `partition: ${r.topic}-${r.partition}\terror: ${errorName(r.errorCode)}\n`);
        }
      }
      if (results.some((r) => r.errorCode !== 0)) process.exitCode = 1;
    }));
}
