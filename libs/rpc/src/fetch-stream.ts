import type { Server } from '@grpc/grpc-js';
import type { FetchRequest, FetchResponse } from './generated/dms/storage/v1/storage';
import { frameCopy, framedOutput, frameOf } from './grpc-framing';
import type { LeanMethod, LeanSession, MessageStream } from './lean-stream-client';
import { serveLeanRoutes, type ServerMessageStream } from './lean-stream-server';
import { encodeFetchResponse } from './record-serializers';
import { StorageServiceService } from './storage-service-def';

/**
 * The consumer Fetch stream (gateway → leader broker) framed by us on Node's http2, as decision
 * 0033 does for ProduceBatch and ReplicaFetch. The broker encodes each answer once, straight
 * behind the 5-byte frame header; grpc-js serialised it into a scratch buffer and then copied it
 * again into a fresh frame. The gateway's side is grpc-js's framing without its call layers. The
 * wire is gRPC both ways, so either end may be grpc-js.
 */
const def = StorageServiceService.fetch;

export const FETCH_METHOD: LeanMethod<FetchRequest, FetchResponse> = {
  path: def.path,
  // Requests are small: the generated encoder, then one copy behind the header.
  encode: (m) => frameCopy(def.requestSerialize(m)),
  decode: def.responseDeserialize,
};

/** A Fetch stream on `session`; StreamMux multiplexes the gateway's fetches over it. */
export function openFetch(session: LeanSession): MessageStream<FetchRequest, FetchResponse> {
  return session.open(FETCH_METHOD);
}

/** The storage service's fetch handler (grpc-js's ServerDuplexStream has what it uses). */
export interface LeanFetchHandler {
  fetch(call: ServerMessageStream<FetchRequest, FetchResponse>): void;
}

/**
 * Serves Fetch with our framing on a bound grpc-js server (call after bindServer). Each answer's
 * record buffers go to `release` once the answer is encoded (the frame holds its own copy), as
 * storageServiceReleasingFetchRecords does on the grpc-js path.
 */
export function serveLeanFetch(
  server: Server,
  handlers: LeanFetchHandler,
  release?: (records: Uint8Array) => void,
): void {
  serveLeanRoutes(server, [
    {
      path: def.path,
      decode: def.requestDeserialize,
      encode: (m: FetchResponse) => {
        const frame = frameOf(encodeFetchResponse(m, framedOutput));
        if (release) for (const p of m.partitions) release(p.records);
        return frame;
      },
      handler: (call: ServerMessageStream<FetchRequest, FetchResponse>) => handlers.fetch(call),
    },
  ]);
}
