// SCRAM (RFC 5802) with SHA-256 / SHA-512 (RFC 7677), both sides. Pure: no I/O, credentials come
// from a lookup the caller provides. Only the "n,," GS2 header is accepted (no channel binding),
// as Kafka does.
import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** Kafka's ScramMechanism enum in DescribeUserScramCredentials / AlterUserScramCredentials. */
export const SCRAM_MECHANISM_CODE: Record<ScramMechanism, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };
export function scramMechanismByCode(code: number): ScramMechanism | undefined {
  return code === 1 ? 'SCRAM-SHA-256' : code === 2 ? 'SCRAM-SHA-512' : undefined;
}
export function isScramMechanism(m: string): m is ScramMechanism {
  return m === 'SCRAM-SHA-256' || m === 'SCRAM-SHA-512';
}

/** Kafka's bounds for SCRAM iterations. */
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;

/** What the server stores per user and mechanism: never the password. */
export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

const digest = (m: ScramMechanism): 'sha256' | 'sha512' => (m === 'SCRAM-SHA-256' ? 'sha256' : 'sha512');
const hashLen = (m: ScramMechanism): number => (m === 'SCRAM-SHA-256' ? 32 : 64);
const hmac = (m: ScramMechanism, key: Buffer, data: string | Buffer) => createHmac(digest(m), key).update(data).digest();
const hash = (m: ScramMechanism, data: Buffer) => createHash(digest(m)).update(data).digest();

export function saltedPassword(m: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, hashLen(m), digest(m));
}

/** StoredKey and ServerKey from a salted password (what AlterUserScramCredentials carries). */
export function credentialFromSalted(m: ScramMechanism, salted: Buffer, salt: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(m, salted, 'Client Key');
  return { salt, iterations, storedKey: hash(m, clientKey), serverKey: hmac(m, salted, 'Server Key') };
}

export function createCredential(m: ScramMechanism, password: string, iterations = MIN_ITERATIONS, salt: Buffer = randomBytes(24)): ScramCredential {
  return credentialFromSalted(m, saltedPassword(m, password, salt, iterations), salt, iterations);
}

/** Checks a clear password against a stored credential (used by SASL/PLAIN). Blocks: tests and tools only. */
export function verifyPassword(m: ScramMechanism, cred: ScramCredential, password: string): boolean {
  const c = createCredential(m, password, cred.iterations, cred.salt);
  return c.storedKey.length === cred.storedKey.length && timingSafeEqual(c.storedKey, cred.storedKey);
}

/** The salted password derived on the thread pool, off the event loop. */
export function saltedPasswordAsync(m: ScramMechanism, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, hashLen(m), digest(m), (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** verifyPassword off the event loop: what the gateway runs for every PLAIN login. */
export async function verifyPasswordAsync(m: ScramMechanism, cred: ScramCredential, password: string): Promise<boolean> {
  const c = credentialFromSalted(m, await saltedPasswordAsync(m, password, cred.salt, cred.iterations), cred.salt, cred.iterations);
  return c.storedKey.length === cred.storedKey.length && timingSafeEqual(c.storedKey, cred.storedKey);
}

/** The salt (and iteration count) told to a user that does not exist. */
export type UnknownUserSalt = (user: string, mechanism: ScramMechanism) => Buffer;

/**
 * Salts for unknown users derived from a server-side secret: stable per user name (a client
 * asking twice sees the same salt, as for a real user), and not computable without the secret,
 * so the first server message does not tell whether a user exists.
 */
export function unknownUserSaltFrom(secret: Buffer): UnknownUserSalt {
  return (user, m) => createHmac('sha256', secret).update(`scram-unknown-user\0${m}\0${user}`).digest().subarray(0, 24);
}

/** A per-process secret for callers that configure none (gateways share one kept in etcd). */
let processSecret: Buffer | undefined;
const defaultUnknownUserSalt: UnknownUserSalt = (user, m) => unknownUserSaltFrom((processSecret ??= randomBytes(32)))(user, m);
export const UNKNOWN_USER_ITERATIONS = MIN_ITERATIONS;

export class SaslAuthError extends Error {
  override readonly name = 'SaslAuthError';
}

/** RFC 5802 saslname: ',' and '=' are escaped as =2C and =3D. */
export function decodeSaslName(s: string): string {
  if (/=(?!2C|3D)/.test(s)) throw new SaslAuthError('invalid escape in SCRAM user name');
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}
export const encodeSaslName = (s: string): string => s.replace(/=/g, '=3D').replace(/,/g, '=2C');

function attributes(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of msg.split(',')) {
    // The offending text is not echoed: a confused client may have put a password there, and this message is logged.
    if (part.length < 2 || part[1] !== '=') throw new SaslAuthError('malformed SCRAM attribute');
    out.set(part[0], part.slice(2));
  }
  return out;
}

const PRINTABLE_NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

export type CredentialLookup = (user: string, mechanism: ScramMechanism) => ScramCredential | undefined;

/**
 * Server side of one SCRAM exchange: two client messages, two answers. An unknown user is
 * answered with a salt derived from a server-side secret (see unknownUserSaltFrom) so the
 * exchange fails only at the proof, like a wrong password (no user enumeration).
 */
export class ScramServer {
  private state: 'first' | 'final' | 'done' = 'first';
  private user = '';
  private cred: ScramCredential | undefined;
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private clientNonce = '';

  /** `serverNonce` only for tests (fixed vectors). */
  constructor(
    readonly mechanism: ScramMechanism,
    private readonly lookup: CredentialLookup,
    private readonly serverNonce?: string,
    private readonly unknownUserSalt: UnknownUserSalt = defaultUnknownUserSalt,
  ) {}

  /** Answers one client message; `principal` is set once the client proved itself. Throws SaslAuthError. */
  step(input: Buffer): { response: Buffer; principal?: string } {
    const msg = input.toString('utf8');
    if (this.state === 'first') return { response: Buffer.from(this.first(msg)) };
    if (this.state === 'final') {
      const response = this.final(msg);
      return { response: Buffer.from(response), principal: this.user };
    }
    throw new SaslAuthError('SCRAM exchange already complete');
  }

  private first(msg: string): string {
    if (!msg.startsWith('n,')) throw new SaslAuthError('SCRAM channel binding is not supported (expected GS2 header "n,,")');
    const second = msg.indexOf(',', 2);
    if (second < 0) throw new SaslAuthError('malformed SCRAM client-first message');
    const authzid = msg.slice(2, second);
    this.clientFirstBare = msg.slice(second + 1);
    const attrs = attributes(this.clientFirstBare);
    if (attrs.has('m')) throw new SaslAuthError('SCRAM mandatory extensions are not supported');
    const user = decodeSaslName(attrs.get('n') ?? '');
    const clientNonce = attrs.get('r') ?? '';
    if (!user || !PRINTABLE_NONCE.test(clientNonce)) throw new SaslAuthError('SCRAM client-first lacks a user or nonce');
    if (authzid && decodeSaslName(authzid.replace(/^a=/, '')) !== user) throw new SaslAuthError('authorization id must match the user');
    this.user = user;
    this.clientNonce = clientNonce;
    this.cred = this.lookup(user, this.mechanism);
    const salt = this.cred?.salt ?? this.unknownUserSalt(user, this.mechanism);
    const iterations = this.cred?.iterations ?? UNKNOWN_USER_ITERATIONS;
    this.nonce = clientNonce + (this.serverNonce ?? randomBytes(18).toString('base64').replace(/[+/=]/g, 'x'));
    this.serverFirst = `r=${this.nonce},s=${salt.toString('base64')},i=${iterations}`;
    this.state = 'final';
    return this.serverFirst;
  }

  private final(msg: string): string {
    this.state = 'done';
    const proofAt = msg.lastIndexOf(',p=');
    if (proofAt < 0) throw new SaslAuthError('SCRAM client-final lacks a proof');
    const withoutProof = msg.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    if (attrs.get('c') !== Buffer.from('n,,').toString('base64')) throw new SaslAuthError('SCRAM channel binding mismatch');
    // Kafka accepts any final nonce that starts with the client's and ends with the server's
    // part; librdkafka 2.0 sends the client nonce twice and relies on that.
    const finalNonce = attrs.get('r') ?? '';
    if (!finalNonce.startsWith(this.clientNonce) || !finalNonce.endsWith(this.nonce.slice(this.clientNonce.length))) {
      throw new SaslAuthError('SCRAM nonce mismatch');
    }
    const proof = Buffer.from(msg.slice(proofAt + 3), 'base64');
    const cred = this.cred;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    if (!cred || proof.length !== cred.storedKey.length) throw new SaslAuthError(`authentication failed for user '${this.user}'`);
    const signature = hmac(this.mechanism, cred.storedKey, authMessage);
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ signature[i];
    if (!timingSafeEqual(hash(this.mechanism, clientKey), cred.storedKey)) throw new SaslAuthError(`authentication failed for user '${this.user}'`);
    return `v=${hmac(this.mechanism, cred.serverKey, authMessage).toString('base64')}`;
  }
}

/** Client side of one SCRAM exchange (our client, tests). */
export class ScramClient {
  private clientFirstBare = '';
  private serverSignature: Buffer | undefined;

  /** `clientNonce` only for tests (fixed vectors). */
  constructor(
    readonly mechanism: ScramMechanism,
    private readonly user: string,
    private readonly password: string,
    private readonly clientNonce = randomBytes(18).toString('base64').replace(/[+/=]/g, 'y'),
  ) {}

  first(): Buffer {
    this.clientFirstBare = `n=${encodeSaslName(this.user)},r=${this.clientNonce}`;
    return Buffer.from(`n,,${this.clientFirstBare}`);
  }

  final(serverFirst: Buffer): Buffer {
    const sf = serverFirst.toString('utf8');
    const attrs = attributes(sf);
    const nonce = attrs.get('r') ?? '';
    const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
    const iterations = Number(attrs.get('i'));
    if (!nonce.startsWith(this.clientNonce) || !Number.isInteger(iterations) || iterations < 1 || iterations > 1_000_000) {
      throw new SaslAuthError('invalid SCRAM server-first message');
    }
    const salted = saltedPassword(this.mechanism, this.password, salt, iterations);
    const clientKey = hmac(this.mechanism, salted, 'Client Key');
    const storedKey = hash(this.mechanism, clientKey);
    const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${sf},${withoutProof}`;
    const signature = hmac(this.mechanism, storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i] ^ signature[i];
    this.serverSignature = hmac(this.mechanism, hmac(this.mechanism, salted, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** Verifies the server's final message (mutual authentication). */
  verify(serverFinal: Buffer): void {
    const attrs = attributes(serverFinal.toString('utf8'));
    if (attrs.has('e')) throw new SaslAuthError(`SCRAM server error: ${attrs.get('e')}`);
    const v = Buffer.from(attrs.get('v') ?? '', 'base64');
    if (!this.serverSignature || v.length !== this.serverSignature.length || !timingSafeEqual(v, this.serverSignature)) {
      throw new SaslAuthError('SCRAM server signature does not verify');
    }
  }
}
