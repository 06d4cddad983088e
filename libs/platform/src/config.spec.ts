import { ConfigError, HelpRequested, commonConfig, defineConfig, envName, loadConfig, renderHelp } from './config';

const def = defineConfig({
  ...commonConfig,
  'broker.id': { type: 'int', required: true, doc: 'Unique broker id.' },
  'log.dirs': { type: 'string', default: './data', doc: 'Where partition logs live.' },
  'log.segment.bytes': { type: 'long', default: 1073741824n },
  'auto.create.topics.enable': { type: 'bool', default: true },
  'listener-name': { type: 'string' },
  'compression.type': { type: 'enum', values: ['none', 'gzip', 'zstd'], default: 'none' },
});

describe('loadConfig', () => {
  it('applies defaults and typed values', () => {
    const c = loadConfig(def, ['--broker.id', '3'], {});
    expect(c['broker.id']).toBe(3);
    expect(c['log.dirs']).toBe('./data');
    expect(c['log.segment.bytes']).toBe(1073741824n);
    expect(c['auto.create.topics.enable']).toBe(true);
    expect(c['etcd.endpoints']).toEqual(['127.0.0.1:2379']);
    expect(c['etcd.lease.ttl.ms']).toBe(6000);
    expect(c['cluster.name']).toBe('dms');
    expect(c['metrics.port']).toBe(0);
    expect(c['log.level']).toBe('info');
    expect(c['listener-name']).toBeUndefined();
    // Static types follow the declaration (checked by tsc).
    const typed: { id: number; seg: bigint; on: boolean; eps: string[]; comp: 'none' | 'gzip' | 'zstd'; ln?: string } = {
      id: c['broker.id'],
      seg: c['log.segment.bytes'],
      on: c['auto.create.topics.enable'],
      eps: c['etcd.endpoints'],
      comp: c['compression.type'],
      ln: c['listener-name'],
    };
    expect(typed.id).toBe(3);
  });

  it('reads env vars and lets flags win over them', () => {
    const env = {
      DMS_BROKER_ID: '7',
      DMS_LOG_DIRS: '/env/dir',
      DMS_ETCD_ENDPOINTS: 'a:1, b:2,,c:3',
      DMS_LISTENER_NAME: 'PLAINTEXT',
      DMS_LOG_SEGMENT_BYTES: '9223372036854775807',
    };
    const c = loadConfig(def, ['--log.dirs=/flag/dir', '--auto.create.topics.enable', '--compression.type', 'zstd'], env);
    expect(c['broker.id']).toBe(7);
    expect(c['log.dirs']).toBe('/flag/dir');
    expect(c['etcd.endpoints']).toEqual(['a:1', 'b:2', 'c:3']);
    expect(c['listener-name']).toBe('PLAINTEXT');
    expect(c['log.segment.bytes']).toBe(9223372036854775807n);
    expect(c['auto.create.topics.enable']).toBe(true);
    expect(c['compression.type']).toBe('zstd');
    expect(loadConfig(def, ['--auto.create.topics.enable=false'], env)['auto.create.topics.enable']).toBe(false);
  });

  it('maps key names to env names', () => {
    expect(envName('broker.id')).toBe('DMS_BROKER_ID');
    expect(envName('listener-name')).toBe('DMS_LISTENER_NAME');
  });

  it('rejects unknown flags, naming the valid keys', () => {
    const e = catchErr(() => loadConfig(def, ['--broker.id', '1', '--brokr.id', '2'], {}));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain("'--brokr.id'");
    expect(e.message).toContain('broker.id');
    expect(e.message).toContain('log.dirs');
  });

  it.each([
    [['--broker.id', 'x1'], 'broker.id', 'integer'],
    [['--broker.id', '1', '--metrics.port', '70000'], 'metrics.port', '<= 65535'],
    [['--broker.id', '1', '--compression.type', 'lz5'], 'compression.type', 'none, gzip, zstd'],
    [['--broker.id', '1', '--auto.create.topics.enable=maybe'], 'auto.create.topics.enable', 'true or false'],
    [['--broker.id', '1', '--log.segment.bytes', '9223372036854775808'], 'log.segment.bytes', 'int64'],
    [['--broker.id'], 'broker.id', 'needs a value'],
    [[], 'broker.id', 'missing required'],
  ])('rejects %j', (argv, key, text) => {
    const e = catchErr(() => loadConfig(def, argv, {}));
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).key).toBe(key);
    expect(e.message).toContain(text);
  });

  it('names the env var when an env value is bad', () => {
    const e = catchErr(() => loadConfig(def, [], { DMS_BROKER_ID: 'one' }));
    expect(e.message).toContain('DMS_BROKER_ID');
  });

  it('rejects positional arguments', () => {
    expect(() => loadConfig(def, ['broker.id'], {})).toThrow(ConfigError);
  });

  it('rejects a default that does not parse, at definition time', () => {
    expect(() => defineConfig({ 'a.b': { type: 'int', default: 1.5 } })).toThrow(ConfigError);
  });
});

describe('help', () => {
  it('renders every key with its env var, default and doc', () => {
    const text = renderHelp(def, { program: 'dms-broker' });
    expect(text).toContain('Usage: dms-broker');
    expect(text).toContain('--broker.id <int> (required)');
    expect(text).toContain('env DMS_BROKER_ID');
    expect(text).toContain('Unique broker id.');
    expect(text).toContain('--etcd.endpoints <list> (default: 127.0.0.1:2379)');
    expect(text).toContain('--compression.type <none|gzip|zstd> (default: none)');
    expect(text).toContain('env DMS_LOG_LEVEL');
  });

  it('is thrown as HelpRequested for --help', () => {
    const e = catchErr(() => loadConfig(def, ['--help'], {}));
    expect(e).toBeInstanceOf(HelpRequested);
    expect((e as HelpRequested).text).toContain('DMS_LOG_DIRS');
  });
});

function catchErr(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}
