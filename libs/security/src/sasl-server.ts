import { parsePlain } from './plain';
import { isScramMechanism, SaslAuthError, SCRAM_MECHANISMS, ScramServer, verifyPassword, type CredentialLookup } from './scram';

export const SASL_MECHANISMS = ['PLAIN', ...SCRAM_MECHANISMS] as const;

/** One server-side SASL exchange; `principal` ("User:name") is set on the step that completes it. */
export interface SaslServer {
  readonly mechanism: string;
  step(input: Buffer): { response: Buffer; principal?: string };
}

export function createSaslServer(mechanism: string, lookup: CredentialLookup): SaslServer {
  if (isScramMechanism(mechanism)) {
    const scram = new ScramServer(mechanism, lookup);
    return {
      mechanism,
      step(input) {
        const r = scram.step(input);
        return r.principal ? { response: r.response, principal: `User:${r.principal}` } : r;
      },
    };
  }
  if (mechanism === 'PLAIN') {
    let done = false;
    return {
      mechanism,
      step(input) {
        if (done) throw new SaslAuthError('SASL/PLAIN exchange already complete');
        done = true;
        const { user, password } = parsePlain(input);
        const ok = SCRAM_MECHANISMS.some((m) => {
          const cred = lookup(user, m);
          return cred !== undefined && verifyPassword(m, cred, password);
        });
        if (!ok) throw new SaslAuthError(`authentication failed for user '${user}'`);
        return { response: Buffer.alloc(0), principal: `User:${user}` };
      },
    };
  }
  throw new SaslAuthError(`unsupported SASL mechanism ${mechanism}`);
}
