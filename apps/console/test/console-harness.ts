// Helpers the console's integration and browser specs share: an HTTP client that keeps the session
// cookie and sends the CSRF header, and a real kafkajs consumer group that reads and commits.
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import type { TestCluster } from '@dms/testing';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

export function consoleUrl(tc: TestCluster): string {
  const url = tc.cluster.consoleUrl;
  if (!url) throw new Error('the test cluster runs no console');
  return url;
}

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
}

/** A browser-like API client: one cookie jar, the CSRF header on changes. */
export class ApiClient {
  private cookie = '';

  constructor(private readonly base: string) {}

  async call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.cookie) h.cookie = this.cookie;
    if (method !== 'GET' && !('x-dms-console' in h)) h['x-dms-console'] = '1';
    if (body !== undefined && !('content-type' in h)) h['content-type'] = 'application/json';
    const res = await fetch(new URL(`api${path}`, this.base), {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0];
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  get<T = any>(path: string) {
    return this.call<T>('GET', path);
  }

  post<T = any>(path: string, body: unknown = {}) {
    return this.call<T>('POST', path, body);
  }
}

/**
 * Joins `group` with a kafkajs consumer, reads until `count` records of `topic` have been seen,
 * commits, and leaves the group (so it is Empty afterwards). Bounded by `timeoutMs`.
 */
export async function consumeWithGroup(brokers: string[], topic: string, group: string, count: number, sasl?: SASLOptions, timeoutMs = 60_000): Promise<number> {
  const kafka = new Kafka({ clientId: 'console-test', brokers, sasl, logLevel: logLevel.NOTHING, retry: { retries: 10 } });
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  let seen = 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`group ${group} read ${seen} of ${count} records in ${timeoutMs} ms`)), timeoutMs);
      void consumer.run({
        autoCommit: true,
        autoCommitInterval: 100,
        eachMessage: async () => {
          seen++;
          if (seen >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      }).catch(reject);
    });
    await consumer.commitOffsets([]).catch(() => undefined);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** A kafkajs consumer that stays in the group until stop() (to see a group's members and a refused reset). */
export async function joinAndStay(brokers: string[], topic: string, group: string, sasl?: SASLOptions): Promise<{ stop: () => Promise<void> }> {
  const kafka = new Kafka({ clientId: 'console-test-member', brokers, sasl, logLevel: logLevel.NOTHING, retry: { retries: 10 } });
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let joined!: () => void;
  const ready = new Promise<void>((r) => (joined = r));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  void consumer.run({ eachMessage: async () => undefined });
  await Promise.race([ready, new Promise((_, reject) => setTimeout(() => reject(new Error(`no join of ${group} in 30 s`)), 30_000))]);
  return { stop: () => consumer.disconnect() };
}

/** Polls `check` until it returns a value (not undefined/false), or fails after timeoutMs. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
