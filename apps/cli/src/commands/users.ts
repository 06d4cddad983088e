// `dms users`: SCRAM users through DescribeUserScramCredentials / AlterUserScramCredentials.
import { Command, Option } from 'commander';
import { deleteScramUser, describeScramUsers, parseIntOption, processIo, upsertScramUser, type CliIo } from '@dms/kafka-client';
import { MIN_ITERATIONS, type ScramMechanism } from '@dms/security';
import { withAdminClient, withConnectOptions, type ConnectOptions } from './security-common';
import { PasswordInputError, processPasswordInput, readPassword, type PasswordInput, type PasswordOptions } from './password-input';

export function register(program: Command, io: CliIo = processIo, passwordInput: PasswordInput = processPasswordInput): void {
  const users = program.command('users').description('SCRAM users (credentials stored as salt, stored key and server key, never the password)');
  withConnectOptions(users.command('create <name>').description('create a user or replace its credential for one mechanism'))
    .option('--password-file <file>', 'read the password from the first line of this file')
    .option('--password-stdin', 'read the password from the first line of standard input (also the default when stdin is not a terminal)')
    // Declared only to refuse it with a reason: argv is visible to every local user.
    .addOption(new Option('--password <password>').hideHelp())
    .addOption(new Option('--mechanism <m>', 'SCRAM mechanism').choices(['SCRAM-SHA-256', 'SCRAM-SHA-512']).default('SCRAM-SHA-512'))
    .addOption(new Option('--iterations <n>', 'PBKDF2 iterations').argParser(parseIntOption('--iterations', MIN_ITERATIONS, 16384)).default(MIN_ITERATIONS))
    .action(async (name: string, opts: ConnectOptions & PasswordOptions & { mechanism: ScramMechanism; iterations: number }) => {
      let password: string;
      try {
        password = await readPassword(opts, io, passwordInput);
      } catch (e) {
        if (!(e instanceof PasswordInputError)) throw e;
        io.err(`error: ${e.message}\n`);
        process.exitCode = 2;
        return;
      }
      await withAdminClient(io, opts, async (client) => {
        await upsertScramUser(client, name, password, opts.mechanism, opts.iterations);
        io.out(opts.json ? JSON.stringify({ user: name, mechanism: opts.mechanism, iterations: opts.iterations }) + '\n' : `Created user ${name} (${opts.mechanism}).\n`);
      });
    });
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
