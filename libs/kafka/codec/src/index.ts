export { CodecError } from './codec-error';
export { Reader } from './reader';
export { Writer, sizeOfUvarint, sizeOfVarint, sizeOfVarlong } from './writer';
export type { Splice } from './writer';
export { SPLICE_THRESHOLD } from './struct-codec';
export type { StructCodec, ValueCodec } from './struct-codec';
export { messageCodec, encodeMessage, decodeMessage } from './message-codec';
export {
  decodeRequestHeader,
  decodeRequestBody,
  encodeRequest,
  encodeResponse,
  encodeResponseChunks,
  decodeResponse,
  requestHeaderVersion,
  responseHeaderVersion,
} from './frames';
export type { RequestHeader } from './frames';
export { ApiKey, apiSchema } from '@dms/kafka-schema';
export type { ApiKeyName, ApiSchema, MessageDescriptor, FieldDescriptor, VersionRange } from '@dms/kafka-schema';
export * from './records';
