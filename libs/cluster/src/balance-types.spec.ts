import { balanceStatusRecord, brokerDecommissionRecord, brokerLoadRecord, type BalanceStatusRecord } from './balance-types';

describe('self-balancer etcd records', () => {
  it('round-trips a status record and refuses a malformed one', () => {
    const s: BalanceStatusRecord = {
      updatedAtMs: 1, controllerId: 2, state: 'in_progress', reason: 'x', absentSince: { '3': 5 },
      inFlight: [{ topic: 't', partition: 0, target: [1, 4, 2], reason: 'replicas', bytes: 10, startedAtMs: 1 }],
      pendingMoves: 1, pendingBytes: 2, movesCompleted: 3, bytesMoved: 4, imbalance: { replicas: 50, leaders: 0, disk: 12.5 },
      brokers: [{ id: 1, rack: null, state: 'live', replicas: 3, leaders: 1, bytes: 7 }],
    };
    expect(balanceStatusRecord.decode(balanceStatusRecord.encode(s))).toEqual(s);
    expect(balanceStatusRecord.decode(JSON.stringify({ ...s, inFlight: [{ topic: 't' }] }))).toBeUndefined();
    expect(balanceStatusRecord.decode('{')).toBeUndefined();
    const withRates: BalanceStatusRecord = { ...s, imbalance: { ...s.imbalance, networkIn: 33.3 }, brokers: [{ ...s.brokers[0]!, bytesIn: 2048 }] };
    expect(balanceStatusRecord.decode(balanceStatusRecord.encode(withRates))).toEqual(withRates);
    expect(balanceStatusRecord.decode(JSON.stringify({ ...s, brokers: [{ ...s.brokers[0]!, bytesIn: -1 }] }))).toBeUndefined();
  });

  it('validates broker loads and decommissions', () => {
    const load = { brokerId: 1, updatedAtMs: 2, sizes: { t: { '0': 100, '7': 0 } } };
    expect(brokerLoadRecord.decode(brokerLoadRecord.encode(load))).toEqual(load);
    expect(brokerLoadRecord.decode(JSON.stringify({ ...load, sizes: { t: { x: 1 } } }))).toBeUndefined();
    expect(brokerLoadRecord.decode(JSON.stringify({ ...load, sizes: { t: { '0': -1 } } }))).toBeUndefined();
    const rates = { ...load, bytesIn: { t: { '0': 5000 } } };
    expect(brokerLoadRecord.decode(brokerLoadRecord.encode(rates))).toEqual(rates);
    expect(brokerLoadRecord.decode(JSON.stringify({ ...load, bytesIn: { t: { '0': 1.5 } } }))).toBeUndefined();
    expect(brokerDecommissionRecord.decode(brokerDecommissionRecord.encode({ brokerId: 3, requestedAtMs: 9 }))).toEqual({ brokerId: 3, requestedAtMs: 9 });
    expect(brokerDecommissionRecord.decode('{"brokerId":-1,"requestedAtMs":9}')).toBeUndefined();
  });
});
