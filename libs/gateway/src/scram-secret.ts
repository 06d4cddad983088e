import { randomBytes } from 'node:crypto';
import type { Etcd3 } from 'etcd3';
import { scramUnknownUserSecretKey } from '@dms/cluster';

/**
 * The cluster's secret for unknown-user SCRAM salts, kept in etcd beside the credentials it
 * protects: the first gateway creates it (create-if-absent), every gateway reads the same one,
 * so the answer for a name is stable across gateways and restarts, as a real user's is.
 */
export async function loadScramSecret(etcd: Etcd3, clusterName: string): Promise<Buffer> {
  const key = scramUnknownUserSecretKey(clusterName);
  const fresh = randomBytes(32).toString('base64');
  const res = await etcd.if(key, 'Create', '==', 0).then(etcd.put(key).value(fresh)).else(etcd.get(key)).commit();
  if (res.succeeded) return Buffer.from(fresh, 'base64');
  const stored = res.responses[0]?.response_range?.kvs[0]?.value?.toString() ?? '';
  const secret = Buffer.from(stored, 'base64');
  if (secret.length < 16) throw new Error(`etcd key ${key} holds no usable secret (expected 32 base64 bytes)`);
  return secret;
}
