import { ConsecutiveBreaker, ExponentialBackoff, handleWhen, retry, circuitBreaker } from 'cockatiel';
import { Etcd3, isRecoverableError, type IOptions } from 'etcd3';

export interface EtcdClientOptions {
  dialTimeoutMs?: number;
  /** TLS credentials, auth and https hosts (see etcdClientOptions); endpoints come from here when given. */
  base?: IOptions;
}

/**
 * The one way services build their etcd client. etcd3's default circuit breaker keeps a host
 * "open" (every call refused) for seconds after a handful of failures, which turns a short
 * etcd restart into a much longer outage for us; we re-probe after one second instead.
 */
export function createEtcdClient(endpoints: readonly string[], opts: EtcdClientOptions = {}): Etcd3 {
  return new Etcd3({
    hosts: endpoints.map((e) => (e.includes('://') ? e : `http://${e}`)),
    ...opts.base,
    dialTimeout: opts.dialTimeoutMs ?? 3000,
    faultHandling: {
      host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(3) }),
      global: retry(handleWhen(isRecoverableError), { maxAttempts: 2, backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 500 }) }),
    },
  });
}
