// `dms users`: SCRAM users through DescribeUserScramCredentials / AlterUserScramCredentials.
import { Command, Option } from 'commander';
import { deleteScramUser, describeScramUsers, parseIntOption, processIo, upsertScramUser, type CliIo } from '@dms/kafka-client';
import { MIN_ITERATIONS, type ScramMechanism } from '@dms/security';
import { withAdminClient, withConnectOptions, type ConnectOptions } from './security-common';

export function register(program: Command, io: CliIo = processIo): void {
  const users = program.command('users').description('SCRAM users (credentials stored as salt, stored key and server key, never the password)');
  withConnectOptions(users.command('create <name>').description('create a user or replace its credential for one mechanism'))
    .requiredOption('--password <password>', 'the password')
    .addOption(new Option('--mechanism <m>', 'SCRAM mechanism').choices(['SCRAM-SHA-256', 'SCRAM-SHA-512']).default('SCRAM-SHA-512'))
    .addOption(new Option('--iterations <n>', 'PBKDF2 iterations').argParser(parseIntOption('--iterations', MIN_ITERATIONS, 16384)).default(MIN_ITERATIONS))
    .action((name: string, opts: ConnectOptions & { password: string; mechanism: ScramMechanism; iterations: number }) =>
      withAdminClient(io, opts, async (client) => {
        await upsertScramUser(client, name, opts.password, opts.mechanism, opts.iterations);
        io.out(opts.json ? JSON.stringify({ user: name, mechanism: opts.mechanism, iterations: opts.iterations }) + '\n' : `Created user ${name} (${opts.mechanism}).\n`);
      }));
  withConnectOptions(users.command('list').description('users and their SCRAM mechanisms'))
    .action((opts: ConnectOptions) =>
      withAdminClient(io, opts, async (client) => {
        const list = await describeScramUsers(client);
        if (opts.json) return io.out(JSON.stringify(list) + '\n');
        for (const u of list) io.out(`${u.user}\t${u.credentials.map((c) => `${c.mechanism}(iterations=${c.iterations})`).join(',')}\n`);
      }));
  withConnectOptions(users.command('delete <name>').description('delete every credential of a user'))
    .addOption(new Option('--mechanism <m>', 'delete only this mechanism').choices(['SCRAM-SHA-256', 'SCRAM-SHA-512']))
    .action((name: string, opts: ConnectOptions & { mechanism?: ScramMechanism }) =>
      withAdminClient(io, opts, async (client) => {
        await deleteScramUser(client, name, opts.mechanism ? [opts.mechanism] : undefined);
        io.out(opts.json ? JSON.stringify({ user: name, deleted: true }) + '\n' : `Deleted user ${name}.\n`);
      }));
}
