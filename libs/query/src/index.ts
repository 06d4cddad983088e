export { queryMessages, MessageQueryClient } from './query-messages';
export { renderBytes, parseTime } from './render';
export type {
  ClusterAccess,
  KeyQuery,
  MessageHeader,
  MessageQuery,
  MessageRecord,
  OffsetQuery,
  PartitionOutcome,
  QueryResult,
  QueryStats,
  TimeQuery,
  ValueFormat,
} from './types';
