/**
 * The client software a connection named in its ApiVersions v3+ request (KIP-511), as labels for
 * metrics and logs. Kafka accepts a name or version of letters, digits, '.' and '-' that starts
 * and ends with a letter or digit; anything else, or nothing yet, is "unknown". Label sets are
 * bounded: past `MAX_PAIRS` distinct pairs, new ones count as "other", so no client can grow the
 * metric without limit.
 */
export interface ClientSoftware {
  name: string;
  version: string;
}

export const UNKNOWN_SOFTWARE: ClientSoftware = Object.freeze({ name: 'unknown', version: 'unknown' });
const VALID = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;
const MAX_LENGTH = 128;

/** The software an ApiVersions v3+ body names, or `UNKNOWN_SOFTWARE` when the fields are invalid. */
export function clientSoftware(body: { clientSoftwareName?: unknown; clientSoftwareVersion?: unknown }): ClientSoftware {
  const ok = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_LENGTH && VALID.test(v);
  return ok(body.clientSoftwareName) && ok(body.clientSoftwareVersion)
    ? { name: body.clientSoftwareName, version: body.clientSoftwareVersion }
    : UNKNOWN_SOFTWARE;
}

/** Bounds distinct (name, version) label pairs per process. */
export class SoftwareLabels {
  private readonly seen = new Set<string>();

  constructor(private readonly maxPairs = 100) {}

  labels(s: ClientSoftware): ClientSoftware {
    const key = `${s.name}\0${s.version}`;
    if (this.seen.has(key)) return s;
    if (this.seen.size >= this.maxPairs) return { name: 'other', version: 'other' };
    this.seen.add(key);
    return s;
  }
}
