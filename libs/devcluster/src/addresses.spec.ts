import { allAddresses, distinctAddresses, sharedAddresses } from './addresses';

describe('dev cluster addresses', () => {
  const counts = { controller: 3, broker: 3, gateway: 2 };

  it('gives etcd .2, then controllers, brokers and gateways one address each, in a /24 of 127/8', () => {
    const a = distinctAddresses(counts);
    expect(a.etcd).toBe('127.0.0.2');
    expect([1, 2, 3].map((id) => a.of('controller', id))).toEqual(['127.0.0.3', '127.0.0.4', '127.0.0.5']);
    expect([1, 2, 3].map((id) => a.of('broker', id))).toEqual(['127.0.0.6', '127.0.0.7', '127.0.0.8']);
    expect([1, 2].map((id) => a.of('gateway', id))).toEqual(['127.0.0.9', '127.0.0.10']);
    expect(allAddresses(a, counts)).toHaveLength(9);
    expect(distinctAddresses(counts, '127.9.40').of('broker', 1)).toBe('127.9.40.6');
  });

  it('refuses what does not exist, a subnet outside 127/8 and more processes than a /24 holds', () => {
    const a = distinctAddresses(counts);
    expect(() => a.of('broker', 4)).toThrow(/no broker 4/);
    expect(() => distinctAddresses(counts, '10.0.0')).toThrow(/127\.0\.0\.0\/8/);
    expect(() => distinctAddresses(counts, '127.0.300')).toThrow(/127\.0\.0\.0\/8/);
    expect(() => distinctAddresses({ controller: 9, broker: 200, gateway: 64 })).toThrow(/do not fit/);
  });

  it('puts everything on 127.0.0.1 by default', () => {
    expect([sharedAddresses.etcd, sharedAddresses.of('gateway', 7)]).toEqual(['127.0.0.1', '127.0.0.1']);
  });
});
