import { createCredential, ScramClient, ScramServer, SaslAuthError, verifyPassword, type ScramCredential } from './scram';
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

  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const)('%s accepts the right password and refuses a wrong one or an unknown user', (m) => {
    const creds = new Map<string, ScramCredential>([['alice', createCredential(m, 'secret')]]);
    const run = (user: string, password: string) => {
      const server = createSaslServer(m, (u) => creds.get(u));
      const client = new ScramClient(m, user, password);
      const sf = server.step(client.first()).response;
      const r = server.step(client.final(sf));
      client.verify(r.response);
      return r.principal;
    };
    expect(run('alice', 'secret')).toBe('User:alice');
    expect(() => run('alice', 'wrong')).toThrow(SaslAuthError);
    expect(() => run('bob', 'secret')).toThrow(SaslAuthError);
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

  it('never throws anything but SaslAuthError on garbage', () => {
    for (let i = 0; i < 200; i++) {
      const server = createSaslServer(i % 2 ? 'SCRAM-SHA-256' : 'PLAIN', () => undefined);
      const junk = Buffer.from(Array.from({ length: i % 40 }, (_, k) => (k * 31 + i * 7) % 256));
      try {
        server.step(junk);
        server.step(junk);
      } catch (e) {
        expect(e).toBeInstanceOf(SaslAuthError);
      }
    }
  });

  it('PLAIN verifies a password against the SCRAM credentials', () => {
    const cred = createCredential('SCRAM-SHA-256', 'pw');
    expect(verifyPassword('SCRAM-SHA-256', cred, 'pw')).toBe(true);
    const lookup = (u: string, m: string) => (u === 'a' && m === 'SCRAM-SHA-256' ? cred : undefined);
    expect(createSaslServer('PLAIN', lookup).step(plainMessage('a', 'pw')).principal).toBe('User:a');
    expect(() => createSaslServer('PLAIN', lookup).step(plainMessage('a', 'nope'))).toThrow(SaslAuthError);
  });
});
