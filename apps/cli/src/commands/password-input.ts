// Where `dms users create` takes a password from: a prompt without echo on a terminal, standard
// input (--password-stdin, or whenever stdin is not a terminal) or --password-file. Never the
// command line, where every local user can read it in the process list and it stays in shell history.
import { readFileSync } from 'node:fs';
import type { CliIo } from '@dms/kafka-client';

export interface PasswordOptions {
  password?: string;
  passwordStdin?: boolean;
  passwordFile?: string;
}

export interface PasswordInput {
  stdinIsTTY: () => boolean;
  /** Asks on the terminal without echo; resolves with what was typed. */
  prompt: (question: string) => Promise<string>;
  readFile: (path: string) => string;
}

export const PASSWORD_ON_COMMAND_LINE =
  '--password is refused: a password on the command line can be read by every local user in the process list ' +
  'and stays in shell history. Use --password-file <file>, --password-stdin (e.g. printf %s "$PW" | dms users create NAME --password-stdin), ' +
  'or type it at the prompt.';

export class PasswordInputError extends Error {}

/** The first line, without its line end (a password file or a pipe usually ends with one). */
const firstLine = (text: string): string => text.split(/\r?\n/, 1)[0];

export async function readPassword(opts: PasswordOptions, io: CliIo, input: PasswordInput): Promise<string> {
  if (opts.password !== undefined) throw new PasswordInputError(PASSWORD_ON_COMMAND_LINE);
  if (opts.passwordFile !== undefined && opts.passwordStdin) throw new PasswordInputError('give either --password-file or --password-stdin, not both');
  let password: string;
  if (opts.passwordFile !== undefined) {
    try {
      password = firstLine(input.readFile(opts.passwordFile));
    } catch (e) {
      throw new PasswordInputError(`cannot read --password-file ${opts.passwordFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  } else if (opts.passwordStdin || !input.stdinIsTTY()) {
    password = '';
    for await (const line of io.lines()) {
      password = line.replace(/\r$/, '');
      break;
    }
  } else {
    password = await input.prompt('Password: ');
    const again = await input.prompt('Retype password: ');
    if (again !== password) throw new PasswordInputError('the passwords do not match');
  }
  if (password.length === 0) throw new PasswordInputError('the password is empty');
  return password;
}

/** A terminal prompt that does not echo what is typed (raw mode; Ctrl-C and Ctrl-D abort). */
export function ttyPrompt(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (err?: Error) => {
      stdin.setRawMode?.(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new PasswordInputError('aborted'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.setRawMode?.(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

export const processPasswordInput: PasswordInput = {
  stdinIsTTY: () => Boolean(process.stdin.isTTY),
  prompt: ttyPrompt,
  readFile: (path) => readFileSync(path, 'utf8'),
};
