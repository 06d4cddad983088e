const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Kafka's topic name rules: legal characters, at most 249 of them, not "." or "..". */
export function isValidTopicName(name: string): boolean {
  return name.length > 0 && name.length <= 249 && name !== '.' && name !== '..' && LEGAL.test(name);
}

const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);

/** Kafka's internal topics: written only by the coordinators, never by clients, never deleted. */
export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name);
}
