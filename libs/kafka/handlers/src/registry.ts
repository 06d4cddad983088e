import { produceHandler } from './00-produce';
import { fetchHandler } from './01-fetch';
import { listOffsetsHandler } from './02-list-offsets';
import { metadataHandler } from './03-metadata';
import { apiVersionsHandler } from './18-api-versions';
import { createTopicsHandler } from './19-create-topics';
import { deleteTopicsHandler } from './20-delete-topics';
import { offsetForLeaderEpochHandler } from './23-offset-for-leader-epoch';
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
  offsetForLeaderEpochHandler,
];

const byKey = new Map<number, KafkaHandler>(handlers.map((h) => [h.apiKey, h]));

export function handlerFor(apiKey: number): KafkaHandler | undefined {
  return byKey.get(apiKey);
}
