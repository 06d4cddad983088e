import { Command } from 'commander';
import type { CliIo } from '@dms/kafka-client';
import { PASSWORD_ON_COMMAND_LINE, PasswordInputError, readPassword, type PasswordInput } from './password-input';
import { register } from './users';

const ioWith = (stdin: string[]): CliIo => ({ lines: async function* () { yield* stdin; }, out: () => undefined, err: () => undefined });

function input(over: Partial<PasswordInput> = {}): PasswordInput & { prompts: string[] } {
  const prompts: string[] = [];
  return {
    prompts,
    stdinIsTTY: () => true,
    prompt: async (q) => { prompts.push(q); return 'typed-pw'; },
    readFile: () => { throw Object.assign(new Error('nope'), { code: 'ENOENT' }); },
    ...over,
  };
}

describe('reading the password of dms users create', () => {
  it('refuses --password, saying why and what to use instead', async () => {
    await expect(readPassword({ password: 'pw' }, ioWith([]), input())).rejects.toThrow(PASSWORD_ON_COMMAND_LINE);
    expect(PASSWORD_ON_COMMAND_LINE).toMatch(/process list/);
    expect(PASSWORD_ON_COMMAND_LINE).toMatch(/--password-file/);
    expect(PASSWORD_ON_COMMAND_LINE).toMatch(/--password-stdin/);
  });

  it('reads the first line of --password-file without its line end', async () => {
    const files: Record<string, string> = { '/pw': 's3cret\r\n' };
    expect(await readPassword({ passwordFile: '/pw' }, ioWith([]), input({ readFile: (p) => files[p] }))).toBe('s3cret');
    await expect(readPassword({ passwordFile: '/missing' }, ioWith([]), input())).rejects.toThrow(/cannot read --password-file \/missing: ENOENT/);
  });

  it('reads standard input with --password-stdin, or when stdin is not a terminal', async () => {
    expect(await readPassword({ passwordStdin: true }, ioWith(['from-stdin', 'ignored']), input())).toBe('from-stdin');
    expect(await readPassword({}, ioWith(['piped']), input({ stdinIsTTY: () => false }))).toBe('piped');
    await expect(readPassword({ passwordStdin: true }, ioWith([]), input())).rejects.toThrow(/empty/);
  });

  it('prompts twice on a terminal and refuses a mismatch', async () => {
    const i = input();
    expect(await readPassword({}, ioWith([]), i)).toBe('typed-pw');
    expect(i.prompts).toEqual(['Password: ', 'Retype password: ']);
    let n = 0;
    await expect(readPassword({}, ioWith([]), input({ prompt: async () => `pw${n++}` }))).rejects.toThrow(PasswordInputError);
  });

  it('dms users create --password exits 2 with the reason and never connects', async () => {
    const err: string[] = [];
    const io: CliIo = { lines: async function* () {}, out: () => undefined, err: (t) => err.push(t) };
    const program = new Command().exitOverride().configureOutput({ writeErr: (t) => err.push(t), writeOut: () => undefined });
    register(program, io, input());
    process.exitCode = 0;
    // Port 1 on loopback: a connection attempt would fail with a network error instead.
    await program.parseAsync(['users', 'create', 'dave', '--password', 'dave-pw', '--bootstrap-server', '127.0.0.1:1'], { from: 'user' });
    expect(process.exitCode).toBe(2);
    expect(err.join('')).toBe(`error: ${PASSWORD_ON_COMMAND_LINE}\n`);
    process.exitCode = 0;
  });
});
