// `dms records delete`: kafka-delete-records.sh, DeleteRecords from an --offset-json-file.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { deleteRecords, errorName, parseOffsetJson, processIo, type CliIo } from '@dms/kafka-client';
import { withAdminClient, withConnectOptions, type ConnectOptions } from './security-common';

export function register(program: Command, io: CliIo = processIo): void {
  const records = program.command('records').description('delete records below an offset, like kafka-delete-records.sh');
  withConnectOptions(records.command('delete').description('move partitions\' log start offsets (DeleteRecords); -1 deletes up to the high watermark'))
    .requiredOption('--offset-json-file <file>', 'JSON like {"partitions":[{"topic":"t","partition":0,"offset":3}],"version":1}')
    .action((opts: ConnectOptions & { offsetJsonFile: string }) => {
      let wanted;
      try {
        wanted = parseOffsetJson(readFileSync(opts.offsetJsonFile, 'utf8'));
      } catch (err) {
        io.err(`error: ${(err as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      return withAdminClient(io, opts, async (client) => {
        if (!opts.json) io.out('Executing records delete operation\n');
        const results = await deleteRecords(client, wanted);
        if (opts.json) {
          io.out(`${JSON.stringify(results.map((r) => ({ ...r, lowWatermark: Number(r.lowWatermark), errorName: errorName(r.errorCode) })))}\n`);
        } else {
          io.out('Records delete operation completed:\n');
          for (const r of results) {
            io.out(r.errorCode === 0
              ? `partition: ${r.topic}-${r.partition}\tlow_watermark: ${r.lowWatermark}\n`
              : `partition: ${r.topic}-${r.partition}\terror: ${errorName(r.errorCode)}\n`);
          }
        }
        if (results.some((r) => r.errorCode !== 0)) process.exitCode = 1;
      });
    });
}
