import { ErrorCode, KafkaError } from '@dms/kafka-errors';

export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Kafka's topic name rules; throws INVALID_TOPIC_EXCEPTION (17). */
export function validateTopicName(name: string): void {
  const bad = (m: string): never => {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, m);
  };
  if (typeof name !== 'string' || name.length === 0) bad('Topic name is illegal, it can\'t be empty');
  if (name === '.' || name === '..') bad('Topic name cannot be "." or ".."');
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    bad(`Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`);
  }
  if (!LEGAL.test(name)) {
    bad(`Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`);
  }
}

// Topic config keys, their ranges and which DMS honours are declared once in @dms/configs.
export { validateTopicConfigs } from '@dms/configs';
