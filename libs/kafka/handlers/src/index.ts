export * from './ports';
export * from './handler';
export * from './registry';
export { apiVersionsBody } from './18-api-versions';
export { checkRecords } from './00-produce';
export { isInternalTopic, isValidTopicName } from './topic-names';
export * from './authorize';
export * from './share-port';
