import {
  ApiKey,
  apiSchema,
  inRange,
  requestHeaderDescriptor,
  responseHeaderDescriptor,
} from '@dms/kafka-schema';
import { CodecError } from './codec-error';
import { decodeWith, encodeParts, messageCodec, Part } from './message-codec';
import { Reader } from './reader';
import { encodeProduceResponseFrame, type ProduceResponseBody } from './produce-response';

export interface RequestHeader {
  requestApiKey: number;
  requestApiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/**
 * Request header version for an API version: v2 for flexible versions, else v1
 * (ControlledShutdown v0: v0). Versions above the known maximum follow the open-ended
 * flexible range, as Kafka does, so a newer client's ApiVersions header still parses;
 * unknown keys read as v1 so the caller can answer with the correlation id.
 */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  const schema = apiSchema(apiKey);
  if (!schema) return 1;
  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return 0;
  return inRange(apiVersion, schema.flexibleVersions) ? 2 : 1;
}

/** Response header version: v1 for flexible versions, except ApiVersions which is always v0 (KIP-511). */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  const schema = apiSchema(apiKey);
  if (!schema || apiKey === ApiKey.ApiVersions) return 0;
  return inRange(apiVersion, schema.flexibleVersions) ? 1 : 0;
}

function schemaFor(apiKey: number, apiVersion: number) {
  const schema = apiSchema(apiKey);
  if (!schema) throw new CodecError(`unknown api key ${apiKey}`);
  if (!inRange(apiVersion, schema.validVersions)) throw new CodecError(`${schema.name} has no version ${apiVersion}`);
  return schema;
}

/** `frame` is what follows the 4-byte size prefix. */
export function decodeRequestHeader(frame: Buffer): { header: RequestHeader; bodyOffset: number } {
  if (frame.length < 8) throw new CodecError(`request frame of ${frame.length} bytes is shorter than a header`);
  const version = requestHeaderVersion(frame.readInt16BE(0), frame.readInt16BE(2));
  const reader = new Reader(frame);
  const header = decodeWith<RequestHeader>(messageCodec(requestHeaderDescriptor, version), reader, 'RequestHeader');
  return { header, bodyOffset: reader.pos };
}

export function decodeRequestBody<T = any>(apiKey: number, apiVersion: number, frame: Buffer, bodyOffset: number): T {
  const schema = schemaFor(apiKey, apiVersion);
  const what = `${schema.request.name} v${apiVersion}`;
  return decodeWith<T>(messageCodec(schema.request, apiVersion), new Reader(frame, bodyOffset), what);
}

/** A whole request frame, size prefix included. */
export function encodeRequest(header: RequestHeader, body: object): Buffer {
  const { requestApiKey: apiKey, requestApiVersion: version } = header;
  const schema = schemaFor(apiKey, version);
  const parts: Part[] = [
    { codec: messageCodec(requestHeaderDescriptor, requestHeaderVersion(apiKey, version)), value: header },
    { codec: messageCodec(schema.request, version), value: body },
  ];
  return encodeParts(parts, true, `${schema.request.name} v${version}`);
}

function responseParts(apiKey: number, apiVersion: number, correlationId: number, body: object): Part[] {
  const schema = schemaFor(apiKey, apiVersion);
  const headerCodec = messageCodec(responseHeaderDescriptor, responseHeaderVersion(apiKey, apiVersion));
  return [
    { codec: headerCodec, value: { correlationId } },
    { codec: messageCodec(schema.response, apiVersion), value: body },
  ];
}

/** A whole response frame, size prefix included. */
export function encodeResponse(apiKey: number, apiVersion: number, correlationId: number, body: object): Buffer {
  return encodeParts(responseParts(apiKey, apiVersion, correlationId, body), true, `response ${apiKey} v${apiVersion}`);
}

/**
 * The same bytes as encodeResponse, as a list for writev: byte and records values of at least
 * SPLICE_THRESHOLD bytes are referenced, never copied.
 */
export function encodeResponseChunks(apiKey: number, apiVersion: number, correlationId: number, body: object): Buffer[] {
  if (apiKey === ApiKey.Produce) {
    // The most frequent answer: written by hand (same bytes), see produce-response.ts.
    const frame = encodeProduceResponseFrame(apiVersion, correlationId, body as ProduceResponseBody);
    if (frame) return [frame];
  }
  const parts = responseParts(apiKey, apiVersion, correlationId, body);
  return encodeParts(parts, true, `response ${apiKey} v${apiVersion}`, true);
}

/** `frame` is what follows the 4-byte size prefix. */
export function decodeResponse<T = any>(apiKey: number, apiVersion: number, frame: Buffer): { correlationId: number; body: T } {
  const schema = schemaFor(apiKey, apiVersion);
  const reader = new Reader(frame);
  const headerCodec = messageCodec(responseHeaderDescriptor, responseHeaderVersion(apiKey, apiVersion));
  const { correlationId } = decodeWith<{ correlationId: number }>(headerCodec, reader, 'ResponseHeader');
  const body = decodeWith<T>(messageCodec(schema.response, apiVersion), reader, `${schema.response.name} v${apiVersion}`);
  return { correlationId, body };
}
