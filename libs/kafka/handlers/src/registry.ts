import { produceHandler } from './00-produce';
import { fetchHandler } from './01-fetch';
import { listOffsetsHandler } from './02-list-offsets';
import { metadataHandler } from './03-metadata';
import { apiVersionsHandler } from './18-api-versions';
import { createTopicsHandler } from './19-create-topics';
import { deleteTopicsHandler } from './20-delete-topics';
import { saslHandshakeHandler } from './17-sasl-handshake';
import { describeAclsHandler } from './29-describe-acls';
import { createAclsHandler } from './30-create-acls';
import { deleteAclsHandler } from './31-delete-acls';
import { saslAuthenticateHandler } from './36-sasl-authenticate';
import { describeUserScramCredentialsHandler } from './50-describe-user-scram-credentials';
import { alterUserScramCredentialsHandler } from './51-alter-user-scram-credentials';
import type { KafkaHandler } from './handler';

/** Every Kafka API the gateway serves. ApiVersions is derived from this list. */
export const handlers: readonly KafkaHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  apiVersionsHandler(() => handlers),
  createTopicsHandler,
  deleteTopicsHandler,
  saslHandshakeHandler,
  describeAclsHandler,
  createAclsHandler,
  deleteAclsHandler,
  saslAuthenticateHandler,
  describeUserScramCredentialsHandler,
  alterUserScramCredentialsHandler,
];

const byKey = new Map<number, KafkaHandler>(handlers.map((h) => [h.apiKey, h]));

export function handlerFor(apiKey: number): KafkaHandler | undefined {
  return byKey.get(apiKey);
}
