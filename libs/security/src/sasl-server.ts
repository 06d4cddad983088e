import { parsePlain } from './plain';
import {
  isScramMechanism,
  SaslAuthError,
  SCRAM_MECHANISMS,
  ScramServer,
  UNKNOWN_USER_ITERATIONS,
  unknownUserSaltFrom,
  verifyPasswordAsync,
  type CredentialLookup,
  type UnknownUserSalt,
} from './scram';
import { randomBytes } from 'node:crypto';

export const SASL_MECHANISMS = ['PLAIN', ...SCRAM_MECHANISMS] as const;

/** One server-side SASL exchange; `principal` ("User:name") is set on the step that completes it. */
export interface SaslServer {
  readonly mechanism: string;
  /** Key derivation runs on the thread pool, never on the event loop. Rejects with SaslAuthError. */
  step(input: Buffer): Promise<{ response: Buffer; principal?: string }>;
}

export interface SaslServerOptions {
  /** Salts told to unknown users (SCRAM) and used for PLAIN's equal-cost check of an unknown user. */
  unknownUserSalt?: UnknownUserSalt;
}

let fallbackSalt: UnknownUserSalt | undefined;

export function createSaslServer(mechanism: string, lookup: CredentialLookup, opts: SaslServerOptions = {}): SaslServer {
  const unknownUserSalt = opts.unknownUserSalt ?? (fallbackSalt ??= unknownUserSaltFrom(randomBytes(32)));
  if (isScramMechanism(mechanism)) {
    // SCRAM's server side is a few HMACs: the key derivation is the client's.
    const scram = new ScramServer(mechanism, lookup, undefined, unknownUserSalt);
    return {
      mechanism,
      async step(input) {
        const r = scram.step(input);
        return r.principal ? { response: r.response, principal: `User:${r.principal}` } : r;
      },
    };
  }
  if (mechanism === 'PLAIN') {
    let done = false;
    return {
      mechanism,
      async step(input) {
        if (done) throw new SaslAuthError('SASL/PLAIN exchange already complete');
        done = true;
        const { user, password } = parsePlain(input);
        let ok = false;
        let derived = false;
        for (const m of SCRAM_MECHANISMS) {
          const cred = lookup(user, m);
          if (!cred) continue;
          derived = true;
          if (await verifyPasswordAsync(m, cred, password)) {
            ok = true;
            break;
          }
        }
        if (!derived) {
          // An unknown user costs the same derivation as a wrong password: timing tells nothing.
          const m = SCRAM_MECHANISMS[0];
          const salt = unknownUserSalt(user, m);
          await verifyPasswordAsync(m, { salt, iterations: UNKNOWN_USER_ITERATIONS, storedKey: Buffer.alloc(32), serverKey: Buffer.alloc(32) }, password);
        }
        if (!ok) throw new SaslAuthError(`authentication failed for user '${user}'`);
        return { response: Buffer.alloc(0), principal: `User:${user}` };
      },
    };
  }
  throw new SaslAuthError(`unsupported SASL mechanism ${mechanism}`);
}
