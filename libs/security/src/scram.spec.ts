import { createHash } from 'node:crypto';
import { createCredential, MIN_ITERATIONS, ScramClient, ScramServer, SaslAuthError, unknownUserSaltFrom, verifyPassword, type ScramCredential, type UnknownUserSalt } from './scram';
import { createSaslServer } from './sasl-server';
import { plainMessage } from './plain';

// RFC 7677 section 3 (SCRAM-SHA-256, user "user", password "pencil").
const RFC = {
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

describe('SCRAM', () => {
  it('reproduces the RFC 7677 exchange on both sides', () => {
    const cred = createCredential('SCRAM-SHA-256', 'pencil', 4096, RFC.salt);
    const server = new ScramServer('SCRAM-SHA-256', (u) => (u === 'user' ? cred : undefined), RFC.serverNonce);
    const client = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', RFC.clientNonce);
    const first = client.first();
    expect(first.toString()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const serverFirst = server.step(first).response;
    expect(serverFirst.toString()).toBe(RFC.serverFirst);
    const final = client.final(serverFirst);
    expect(final.toString()).toBe(RFC.clientFinal);
    const done = server.step(final);
    expect(done.response.toString()).toBe(RFC.serverFinal);
    expect(done.principal).toBe('user');
    expect(() => client.verify(done.response)).not.toThrow();
  });

  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const)('%s accepts the right password and refuses a wrong one or an unknown user', async (m) => {
    const creds = new Map<string, ScramCredential>([['alice', createCredential(m, 'secret')]]);
    const run = async (user: string, password: string) => {
      const server = createSaslServer(m, (u) => creds.get(u));
      const client = new ScramClient(m, user, password);
      const sf = (await server.step(client.first())).response;
      const r = await server.step(client.final(sf));
      client.verify(r.response);
      return r.principal;
    };
    await expect(run('alice', 'secret')).resolves.toBe('User:alice');
    await expect(run('alice', 'wrong')).rejects.toThrow(SaslAuthError);
    await expect(run('bob', 'secret')).rejects.toThrow(SaslAuthError);
  });

  it('refuses channel binding, tampered nonces and replays', () => {
    const cred = createCredential('SCRAM-SHA-512', 'pw');
    const server = new ScramServer('SCRAM-SHA-512', () => cred);
    expect(() => server.step(Buffer.from('p=tls-unique,,n=a,r=abc'))).toThrow(SaslAuthError);
    const s2 = new ScramServer('SCRAM-SHA-512', () => cred);
    const client = new ScramClient('SCRAM-SHA-512', 'a', 'pw');
    const sf = s2.step(client.first()).response;
    const final = client.final(sf).toString().replace(/r=([^,]*)/, 'r=$1x');
    expect(() => s2.step(Buffer.from(final))).toThrow(SaslAuthError);
    expect(() => s2.step(Buffer.from(final))).toThrow(SaslAuthError);
  });

  it('never throws anything but SaslAuthError on garbage', async () => {
    for (let i = 0; i < 200; i++) {
      const server = createSaslServer(i % 2 ? 'SCRAM-SHA-256' : 'PLAIN', () => undefined);
      const junk = Buffer.from(Array.from({ length: i % 40 }, (_, k) => (k * 31 + i * 7) % 256));
      try {
        await server.step(junk);
        await server.step(junk);
      } catch (e) {
        expect(e).toBeInstanceOf(SaslAuthError);
      }
    }
  });

  it('PLAIN verifies a password against the SCRAM credentials', async () => {
    const cred = createCredential('SCRAM-SHA-256', 'pw');
    expect(verifyPassword('SCRAM-SHA-256', cred, 'pw')).toBe(true);
    const lookup = (u: string, m: string) => (u === 'a' && m === 'SCRAM-SHA-256' ? cred : undefined);
    expect((await createSaslServer('PLAIN', lookup).step(plainMessage('a', 'pw'))).principal).toBe('User:a');
    await expect(createSaslServer('PLAIN', lookup).step(plainMessage('a', 'nope'))).rejects.toThrow(SaslAuthError);
    await expect(createSaslServer('PLAIN', lookup).step(plainMessage('nobody', 'pw'))).rejects.toThrow(SaslAuthError);
  });

  it('answers an unknown user with a salt derived from the server secret: stable per name, unlike a keyless hash', () => {
    const serverFirst = (salt: UnknownUserSalt | undefined, user: string) => {
      const server = new ScramServer('SCRAM-SHA-256', () => undefined, 'srv', salt);
      const msg = server.step(new ScramClient('SCRAM-SHA-256', user, 'x', 'cli').first()).response.toString();
      return { salt: /s=([^,]+)/.exec(msg)![1], iterations: /i=(\d+)/.exec(msg)![1] };
    };
    const secretA = unknownUserSaltFrom(Buffer.from('a'.repeat(32)));
    const secretB = unknownUserSaltFrom(Buffer.from('b'.repeat(32)));
    // Stable per user name, as a real user's salt is, and as long as the salts DMS creates.
    expect(serverFirst(secretA, 'ghost')).toEqual(serverFirst(secretA, 'ghost'));
    expect(Buffer.from(serverFirst(secretA, 'ghost').salt, 'base64')).toHaveLength(24);
    expect(serverFirst(secretA, 'ghost').iterations).toBe(String(MIN_ITERATIONS));
    expect(serverFirst(secretA, 'ghost').salt).not.toBe(serverFirst(secretA, 'ghost2').salt);
    // Depends on the secret: nobody without it can compute the answer for a name offline.
    expect(serverFirst(secretA, 'ghost').salt).not.toBe(serverFirst(secretB, 'ghost').salt);
    const keyless = createHash('sha256').update('dms-unknown-user:ghost').digest().subarray(0, 24).toString('base64');
    expect(serverFirst(secretA, 'ghost').salt).not.toBe(keyless);
    expect(serverFirst(undefined, 'ghost').salt).not.toBe(keyless);
  });

  it('derives PLAIN keys off the event loop: timers keep firing during slow derivations', async () => {
    const iterations = 400_000;
    const cred = createCredential('SCRAM-SHA-512', 'pw', iterations);
    const syncStart = performance.now();
    verifyPassword('SCRAM-SHA-512', cred, 'pw');
    const syncMs = performance.now() - syncStart;
    let last = performance.now();
    let maxGap = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 2);
    try {
      const lookup = (_u: string, m: string) => (m === 'SCRAM-SHA-512' ? cred : undefined);
      const logins = [0, 1].map(() => createSaslServer('PLAIN', lookup).step(plainMessage('a', 'pw')));
      expect((await Promise.all(logins)).map((r) => r.principal)).toEqual(['User:a', 'User:a']);
      // Let the timer tick once more: a loop held by synchronous work shows as one long gap here.
      await new Promise((r) => setTimeout(r, 30));
    } finally {
      clearInterval(tick);
    }
    // A synchronous derivation would hold the loop for syncMs per login.
    expect(maxGap).toBeLessThan(syncMs / 2);
  });
});
