import { chmodSync, renameSync, writeFileSync } from 'node:fs';

/**
 * Writes a file that holds a secret (a password, a SASL config) readable by its owner only:
 * mode 0600 on creation and re-chmodded when the file already existed (writeFileSync's mode
 * applies only to a new file). With `atomic`, a temp file beside it is renamed over it.
 */
export function writePrivateFile(path: string, content: string, opts: { atomic?: boolean } = {}): void {
  const target = opts.atomic ? `${path}.tmp` : path;
  writeFileSync(target, content, { mode: 0o600 });
  chmodSync(target, 0o600);
  if (opts.atomic) renameSync(target, path);
}
