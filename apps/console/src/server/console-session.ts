import type { KafkaClient } from '@dms/kafka-client';
import { openClient, type KafkaTarget } from './kafka-connect';
import type { MessageQueryClient } from '@dms/query';
import { IndexedMessageSearch } from './indexed-key-search';
import { FetchMessageSearch, type MessageSearch } from './message-search';
import { Sampler } from './sampler';
import type { Credentials, SessionResources } from './sessions';

/** One user's Kafka client and what runs on it: the message search and the chart sampler. */
export interface ConsoleResources extends SessionResources {
  client: KafkaClient;
  search: MessageSearch;
  sampler: Sampler;
}

export interface ResourceSettings {
  keyScanMaxBytes: number;
  samplingIntervalMs: number;
  samplingPoints: number;
  /** The brokers' key index, shared by every session (undefined: find-by-key scans through Fetch). */
  keyIndex?: MessageQueryClient;
}

/**
 * Opens a session's resources. The first Metadata request makes the connection (and, with SASL,
 * the authentication), so bad credentials fail here, at login, with the broker's answer.
 */
export async function openConsoleResources(target: KafkaTarget, settings: ResourceSettings, user: Credentials | null): Promise<ConsoleResources> {
  const client = openClient(target, user ?? undefined);
  try {
    await client.metadata([]);
  } catch (e) {
    client.close();
    throw e;
  }
  const sampler = new Sampler(client, settings.samplingIntervalMs, settings.samplingPoints);
  sampler.start();
  return {
    client,
    search: settings.keyIndex ? new IndexedMessageSearch(client, settings.keyIndex, settings.keyScanMaxBytes) : new FetchMessageSearch(client, settings.keyScanMaxBytes),
    sampler,
    close() {
      sampler.stop();
      client.close();
    },
  };
}
