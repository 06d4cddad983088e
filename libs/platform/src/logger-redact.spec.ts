import { Writable } from 'node:stream';
import { createLogger } from './logger';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  return { lines, log: createLogger({ service: 'test', destination }) };
}

describe('logger redaction', () => {
  it('never writes the value of a secret field, top level or one object down', () => {
    const { lines, log } = capture();
    log.info({
      password: 'p1',
      'sasl.jaas.config': 'ScramLoginModule required username="a" password="p2";',
      config: { 'ssl.key.password': 'p3', 'etcd.password': 'p4', 'sasl.password': 'p5', user: 'alice' },
      request: { authBytes: Buffer.from('\0alice\0p6'), saltedPassword: 'p7' },
    }, 'dump');
    const text = lines.join('');
    for (const secret of ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']) expect(text).not.toContain(secret);
    expect(text).toContain('alice');
    expect(text).toContain('[redacted]');
  });
});
