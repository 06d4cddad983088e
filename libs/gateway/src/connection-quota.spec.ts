import { ConnectionQuota, parseIpOverrides } from './connection-quota';

describe('ConnectionQuota', () => {
  it('parses Kafka\'s host:count overrides, IPv6 in brackets included, and refuses garbage', () => {
    const m = parseIpOverrides(' 127.0.0.2:5, [::1]:0,localhost:7 ');
    expect([...m]).toEqual([['127.0.0.2', 5], ['::1', 0], ['localhost', 7]]);
    expect(parseIpOverrides('')).toEqual(new Map());
    for (const bad of ['127.0.0.1', '127.0.0.1:x', ':3', '127.0.0.1:-1']) expect(() => parseIpOverrides(bad)).toThrow(/max.connections.per.ip.overrides/);
  });

  it('enforces max.connections.per.ip with overrides and frees a slot on release', () => {
    const q = new ConnectionQuota({ maxConnections: 100, maxConnectionsPerIp: 2, perIpOverrides: parseIpOverrides('127.0.0.9:3,127.0.0.8:0') });
    expect(q.tryAcquire('127.0.0.1')).toBeNull();
    expect(q.tryAcquire('::ffff:127.0.0.1')).toBeNull();
    expect(q.tryAcquire('127.0.0.1')).toBe('max.connections.per.ip');
    expect(q.countFor('127.0.0.1')).toBe(2);
    for (let i = 0; i < 3; i++) expect(q.tryAcquire('127.0.0.9')).toBeNull();
    expect(q.tryAcquire('127.0.0.9')).toBe('max.connections.per.ip');
    expect(q.tryAcquire('127.0.0.8')).toBe('max.connections.per.ip');
    q.release('127.0.0.1');
    expect(q.tryAcquire('127.0.0.1')).toBeNull();
    expect(q.count).toBe(5);
  });

  it('enforces max.connections over every host and never goes negative on a stray release', () => {
    const q = new ConnectionQuota({ maxConnections: 2, maxConnectionsPerIp: 10 });
    expect(q.tryAcquire('127.0.0.1')).toBeNull();
    expect(q.tryAcquire('127.0.0.2')).toBeNull();
    expect(q.tryAcquire('127.0.0.3')).toBe('max.connections');
    q.release('127.0.0.7');
    expect(q.count).toBe(2);
    q.release('127.0.0.2');
    expect(q.tryAcquire('127.0.0.3')).toBeNull();
  });
});
