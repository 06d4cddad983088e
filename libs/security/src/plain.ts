// SASL/PLAIN (RFC 4616): one message "authzid NUL authcid NUL password". Passwords are checked
// against the user's SCRAM credentials, so one credential store serves every mechanism.
import { SaslAuthError } from './scram';

export function parsePlain(input: Buffer): { user: string; password: string } {
  const parts = input.toString('utf8').split('\0');
  if (parts.length !== 3) throw new SaslAuthError('malformed SASL/PLAIN message');
  const [authzid, user, password] = parts;
  if (!user || !password) throw new SaslAuthError('SASL/PLAIN needs a user and a password');
  if (authzid && authzid !== user) throw new SaslAuthError('authorization id must match the user');
  return { user, password };
}

export const plainMessage = (user: string, password: string): Buffer => Buffer.from(`\0${user}\0${password}`);
