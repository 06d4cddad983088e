import { shareGroupsAction } from './share-groups';

describe('dms share-groups options (kafka-share-groups.sh shape)', () => {
  const base = { bootstrapServer: 'x:1' };

  it('needs exactly one action', () => {
    expect(() => shareGroupsAction(base)).toThrow(/exactly one/);
    expect(() => shareGroupsAction({ ...base, list: true, describe: true, group: 'g' })).toThrow(/exactly one/);
    expect(shareGroupsAction({ ...base, list: true })).toBe('list');
  });

  it('needs --group and --topic where kafka-share-groups.sh does', () => {
    expect(() => shareGroupsAction({ ...base, describe: true })).toThrow(/--group/);
    expect(() => shareGroupsAction({ ...base, deleteOffsets: true, group: 'g' })).toThrow(/--topic/);
    expect(shareGroupsAction({ ...base, delete: true, group: 'g' })).toBe('delete');
  });

  it('needs one reset target, and a date that parses', () => {
    const reset = { ...base, resetOffsets: true, group: 'g', topic: 't' };
    expect(() => shareGroupsAction(reset)).toThrow(/exactly one of --to-earliest/);
    expect(() => shareGroupsAction({ ...reset, toEarliest: true, toLatest: true })).toThrow(/exactly one of --to-earliest/);
    expect(() => shareGroupsAction({ ...reset, toDatetime: 'yesterday-ish' })).toThrow(/not a date/);
    expect(shareGroupsAction({ ...reset, toDatetime: '2026-01-01T00:00:00Z' })).toBe('reset-offsets');
  });
});
