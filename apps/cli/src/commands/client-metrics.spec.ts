import { alterations, checkArgs } from './client-metrics';
import { describeText } from './features';

describe('dms client-metrics arguments', () => {
  it('needs exactly one action and the name rules of kafka-client-metrics.sh', () => {
    expect(() => checkArgs({ bootstrapServer: 'x' })).toThrow(/exactly one action/);
    expect(() => checkArgs({ bootstrapServer: 'x', list: true, describe: true })).toThrow(/exactly one action/);
    expect(checkArgs({ bootstrapServer: 'x', list: true })).toBe('list');
    expect(() => checkArgs({ bootstrapServer: 'x', list: true, name: 'a' })).toThrow(/--list takes no --name/);
    expect(() => checkArgs({ bootstrapServer: 'x', alter: true, metrics: 'a' })).toThrow(/One of --name or --generate-name/);
    expect(() => checkArgs({ bootstrapServer: 'x', alter: true, name: 'a', generateName: true })).toThrow(/One of --name or --generate-name/);
    expect(() => checkArgs({ bootstrapServer: 'x', delete: true })).toThrow(/--delete/);
    expect(() => checkArgs({ bootstrapServer: 'x', describe: true, interval: '5' })).toThrow(/--describe takes none/);
    expect(() => checkArgs({ bootstrapServer: 'x', alter: true, name: 'a', interval: 'soon' })).toThrow(/--interval/);
  });

  it('sets what is given and deletes what is given empty', () => {
    expect(alterations({ bootstrapServer: 'x', metrics: 'a., b.', interval: '', match: 'client_id=x' }))
      .toEqual({ set: { metrics: 'a.,b.', match: 'client_id=x' }, remove: ['interval.ms'] });
  });
});

describe('dms features describe', () => {
  it('prints kafka-features.sh\'s lines', () => {
    expect(describeText([{ name: 'group.version', supportedMinVersion: 0, supportedMaxVersion: 1, finalizedVersionLevel: 1, epoch: 7n }]))
      .toBe('Feature: group.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 1\tFinalizedVersionLevel: 1\tEpoch: 7\n');
  });
});
