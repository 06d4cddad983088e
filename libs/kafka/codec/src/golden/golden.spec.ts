import * as fs from 'fs';
import * as path from 'path';
import { ApiKey, decodeRequestBody, decodeRequestHeader, encodeRequest } from '../index';

/** Frames captured from real clients by capture.ts (size prefix included). */
function fixture(name: string): Buffer {
  return Buffer.from(fs.readFileSync(path.join(__dirname, name), 'utf8').replace(/\s+/g, ''), 'hex');
}

function decode(name: string) {
  const frame = fixture(name);
  expect(frame.readInt32BE(0)).toBe(frame.length - 4);
  const { header, bodyOffset } = decodeRequestHeader(frame.subarray(4));
  const body = decodeRequestBody(header.requestApiKey, header.requestApiVersion, frame.subarray(4), bodyOffset);
  // Our encoder must produce exactly the client's bytes from the decoded values.
  expect(encodeRequest(header, body)).toEqual(frame);
  return { header, body };
}

describe('golden request frames from real clients', () => {
  it('kcat (librdkafka) ApiVersions v3: flexible body, classic client id', () => {
    expect(decode('kcat-api-versions-v3.hex')).toStrictEqual({
      header: { requestApiKey: ApiKey.ApiVersions, requestApiVersion: 3, correlationId: 1, clientId: 'rdkafka' },
      body: { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' },
    });
  });

  it('kafkajs ApiVersions v2: empty body, defaults filled in', () => {
    expect(decode('kafkajs-api-versions-v2.hex')).toStrictEqual({
      header: { requestApiKey: ApiKey.ApiVersions, requestApiVersion: 2, correlationId: 0, clientId: 'dms-golden' },
      body: { clientSoftwareName: '', clientSoftwareVersion: '' },
    });
  });

  it('kcat Metadata v4, sent after it accepted our encoded ApiVersions v3 response', () => {
    expect(decode('kcat-metadata.hex')).toStrictEqual({
      header: { requestApiKey: ApiKey.Metadata, requestApiVersion: 4, correlationId: 2, clientId: 'rdkafka' },
      body: {
        topics: [],
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      },
    });
  });
});
