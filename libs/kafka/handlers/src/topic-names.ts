const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Kafka's topic name rules: legal characters, at most 249 of them, not "." or "..". */
export function isValidTopicName(name: string): boolean {
  return name.length > 0 && name.length <= 249 && name !== '.' && name !== '..' && LEGAL.test(name);
}
