import { randomUUID } from 'node:crypto';

/** Kafka's cluster id form: a random UUID's 16 bytes in unpadded base64url (22 chars). */
export function newClusterId(): string {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
}
