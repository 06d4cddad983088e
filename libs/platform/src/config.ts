// A declarative config loader: each service declares its keys once (Kafka-style dotted names),
// and the same declaration drives parsing, validation, env-var names and --help output.

export type ConfigType = 'int' | 'long' | 'bool' | 'string' | 'list' | 'enum';

interface KeyBase {
  doc?: string;
  required?: boolean;
}
export interface IntKey extends KeyBase { type: 'int'; default?: number; min?: number; max?: number }
export interface LongKey extends KeyBase { type: 'long'; default?: bigint }
export interface BoolKey extends KeyBase { type: 'bool'; default?: boolean }
export interface StringKey extends KeyBase { type: 'string'; default?: string }
export interface ListKey extends KeyBase { type: 'list'; default?: readonly string[] | string }
export interface EnumKey<V extends string = string> extends KeyBase {
  type: 'enum';
  values: readonly V[];
  default?: V;
}

export type KeySpec = IntKey | LongKey | BoolKey | StringKey | ListKey | EnumKey;
export type ConfigDef = Record<string, KeySpec>;

type ValueOf<S extends KeySpec> = S extends IntKey
  ? number
  : S extends LongKey
    ? bigint
    : S extends BoolKey
      ? boolean
      : S extends StringKey
        ? string
        : S extends ListKey
          ? string[]
          : S extends EnumKey<infer V>
            ? V
            : never;

// A key without default and not required may be absent.
type IsPresent<S extends KeySpec> = S extends { required: true } ? true : S extends { default: unknown } ? true : false;

export type ConfigOf<D extends ConfigDef> = {
  readonly [K in keyof D]: IsPresent<D[K]> extends true ? ValueOf<D[K]> : ValueOf<D[K]> | undefined;
};

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly key?: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Thrown by loadConfig when --help/-h is given; `message` is the rendered help text. */
export class HelpRequested extends Error {
  constructor(readonly text: string) {
    super(text);
    this.name = 'HelpRequested';
  }
}

/** Identity function that keeps literal types (enum values, `required: true`) for ConfigOf. */
export function defineConfig<const D extends ConfigDef>(def: D): D {
  for (const [key, spec] of Object.entries(def)) {
    if (!/^[a-z][a-z0-9]*([.-][a-z0-9]+)*$/.test(key)) throw new ConfigError(`invalid config key name '${key}'`, key);
    if (spec.default !== undefined) parseValue(key, spec, String(spec.default), 'default');
  }
  return def;
}

/** Keys every DMS service shares. Spread into a service's own definition. */
export const commonConfig = defineConfig({
  'cluster.name': { type: 'string', default: 'dms', doc: 'Cluster name; prefixes every etcd key.' },
  'etcd.endpoints': { type: 'list', default: '127.0.0.1:2379', doc: 'Comma-separated etcd endpoints (host:port).' },
  'etcd.lease.ttl.ms': { type: 'int', default: 6000, min: 1000, doc: 'TTL of this process\'s etcd session lease.' },
  'etcd.tls.ca.location': { type: 'string', default: '', doc: 'PEM CA of the etcd servers; set to reach etcd over TLS.' },
  'etcd.tls.certificate.location': { type: 'string', default: '', doc: 'PEM client certificate for etcd (mutual TLS).' },
  'etcd.tls.key.location': { type: 'string', default: '', doc: 'PEM client key for etcd (mutual TLS).' },
  'etcd.username': { type: 'string', default: '', doc: 'etcd user (etcd authentication).' },
  'etcd.password': { type: 'string', default: '', doc: 'etcd password.' },
  'internal.security.protocol': {
    type: 'enum',
    values: ['SSL', 'PLAINTEXT'],
    default: 'SSL',
    doc: 'gRPC between DMS services: SSL (mutual TLS with role certificates, internal.ssl.*) or PLAINTEXT (unauthenticated; warned at every start).',
  },
  'internal.ssl.ca.location': { type: 'string', default: '', doc: 'PEM internal CA for gRPC between DMS services (required unless internal.security.protocol=PLAINTEXT).' },
  'internal.ssl.certificate.location': { type: 'string', default: '', doc: 'PEM certificate this service presents to other services; its SAN URI dms://<role>/<id> names this service.' },
  'internal.ssl.key.location': { type: 'string', default: '', doc: 'PEM key of internal.ssl.certificate.location.' },
  'client.local.address': { type: 'string', default: '', doc: 'Source address of this service\'s connections to loopback peers (etcd, other services); the dev cluster\'s distinct-address mode sets it to the process\'s own 127.x address.' },
  'metrics.port': { type: 'int', default: 0, min: 0, max: 65535, doc: 'Prometheus metrics port; 0 disables it.' },
  'metrics.host': { type: 'string', default: '127.0.0.1', doc: 'Address the metrics endpoint binds.' },
  'health.port': { type: 'int', default: 0, min: 0, max: 65535, doc: 'HTTP health endpoint port (GET /livez, GET /readyz); 0 disables it.' },
  'health.host': { type: 'string', default: '127.0.0.1', doc: 'Address the health endpoint binds.' },
  'log.level': {
    type: 'enum',
    values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
    default: 'info',
    doc: 'Minimum log level.',
  },
});

export function envName(key: string, prefix = 'DMS_'): string {
  return prefix + key.toUpperCase().replace(/[.-]/g, '_');
}

export interface LoadOptions {
  envPrefix?: string;
  /** Program name used in errors/help. */
  program?: string;
}

export function loadConfig<const D extends ConfigDef>(
  def: D,
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
  opts: LoadOptions = {},
): ConfigOf<D> {
  const prefix = opts.envPrefix ?? 'DMS_';
  const fromFlags = parseArgv(def, argv, opts);
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(def)) {
    const name = envName(key, prefix);
    let raw: string | undefined;
    let source: string;
    if (fromFlags.has(key)) {
      raw = fromFlags.get(key);
      source = `flag --${key}`;
    } else if (env[name] !== undefined && env[name] !== '') {
      raw = env[name];
      source = `env ${name}`;
    } else if (spec.default !== undefined) {
      raw = Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default);
      source = 'default';
    } else {
      source = '';
    }
    if (raw === undefined) {
      if (spec.required) {
        throw new ConfigError(`missing required config '${key}' (flag --${key} or env ${name})`, key);
      }
      out[key] = undefined;
      continue;
    }
    out[key] = parseValue(key, spec, raw, source);
  }
  return Object.freeze(out) as ConfigOf<D>;
}

function parseArgv(def: ConfigDef, argv: readonly string[], opts: LoadOptions): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') throw new HelpRequested(renderHelp(def, opts));
    if (!arg.startsWith('--')) {
      throw new ConfigError(`unexpected argument '${arg}'; flags look like --key value or --key=value`);
    }
    const eq = arg.indexOf('=');
    const key = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = def[key];
    if (!spec) {
      throw new ConfigError(`unknown flag '--${key}'. Valid keys: ${Object.keys(def).sort().join(', ')}`, key);
    }
    let value: string;
    if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else if (spec.type === 'bool' && (i + 1 >= argv.length || argv[i + 1].startsWith('--'))) {
      // A bare boolean flag means true.
      value = 'true';
    } else {
      if (i + 1 >= argv.length) throw new ConfigError(`flag '--${key}' needs a value`, key);
      value = argv[++i];
    }
    values.set(key, value);
  }
  return values;
}

function parseValue(key: string, spec: KeySpec, raw: string, source: string): unknown {
  const bad = (why: string): never => {
    throw new ConfigError(`invalid value '${raw}' for config '${key}' (from ${source}): ${why}`, key);
  };
  switch (spec.type) {
    case 'int': {
      const t = raw.trim();
      if (!/^-?\d+$/.test(t)) bad('expected an integer');
      const n = Number(t);
      if (!Number.isSafeInteger(n)) bad('integer out of range');
      if (spec.min !== undefined && n < spec.min) bad(`must be >= ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) bad(`must be <= ${spec.max}`);
      return n;
    }
    case 'long': {
      const t = raw.trim();
      if (!/^-?\d+$/.test(t)) bad('expected an integer');
      const n = BigInt(t);
      if (n < -(2n ** 63n) || n >= 2n ** 63n) bad('out of int64 range');
      return n;
    }
    case 'bool': {
      const t = raw.trim().toLowerCase();
      if (t === 'true' || t === '1' || t === 'yes') return true;
      if (t === 'false' || t === '0' || t === 'no') return false;
      return bad('expected true or false');
    }
    case 'string':
      return raw;
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    case 'enum':
      if (!spec.values.includes(raw)) bad(`expected one of ${spec.values.join(', ')}`);
      return raw;
  }
}

/** Renders --help text: one block per key with flag, env variable, type, default and doc. */
export function renderHelp(def: ConfigDef, opts: LoadOptions = {}): string {
  const prefix = opts.envPrefix ?? 'DMS_';
  const lines: string[] = [];
  lines.push(`Usage: ${opts.program ?? 'dms'} [--key value | --key=value]...`);
  lines.push('');
  lines.push('Every key can also be set through its environment variable; flags win over the environment.');
  lines.push('');
  for (const key of Object.keys(def).sort()) {
    const spec = def[key];
    const type = spec.type === 'enum' ? spec.values.join('|') : spec.type;
    const dflt =
      spec.default === undefined
        ? spec.required
          ? ' (required)'
          : ''
        : ` (default: ${Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default)})`;
    lines.push(`  --${key} <${type}>${dflt}`);
    lines.push(`      env ${envName(key, prefix)}`);
    if (spec.doc) lines.push(`      ${spec.doc}`);
  }
  return lines.join('\n') + '\n';
}
