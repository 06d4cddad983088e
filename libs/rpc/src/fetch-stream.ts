import type { Server } from '@grpc/grpc-js';
import type { FetchRequest, FetchResponse } from './generated/dms/storage/v1/storage';
import { FRAME_HEADER_BYTES } from './grpc-framing';
import { serveLeanRoutes, type ServerMessageStream } from './lean-stream-server';
import { encodeFetchResponse } from './record-serializers';
import { StorageServiceService } from './storage-service-def';

/**
 * Consumer Fetch answers served by our own gRPC framing on the broker's http2 connections (the
 * route mechanism of decision 0033; the gateway's grpc-js client is answered unchanged). Each
 * answer is encoded once, behind its frame header, into a buffer leased from `frames` and
 * returned there once http2 has sent it: no buffer is allocated per answer. grpc-js's path
 * allocated a fresh frame per answer and copied the encoded message into it; the fresh
 * allocation, not the copy, is what cost (page faults, and external memory that drives V8 into
 * major collections).
 */
const def = StorageServiceService.fetch;

/** The storage service's fetch handler (grpc-js's ServerDuplexStream has what it uses). */
export interface LeanFetchHandler {
  fetch(call: ServerMessageStream<FetchRequest, FetchResponse>): void;
}

/** Where answer frames come from and go back to (the broker's ReadBufferPool). */
export interface FrameBuffers {
  acquire(length: number): Buffer;
  release(view: Uint8Array): boolean;
}

/**
 * Serves Fetch on a bound grpc-js server (call after bindServer). `frames` leases the answer
 * frames; each answer's record buffers go back to `frames` as soon as they are encoded.
 */
export function serveLeanFetch(server: Server, handlers: LeanFetchHandler, frames: FrameBuffers): void {
  serveLeanRoutes(server, [
    {
      path: def.path,
      decode: def.requestDeserialize,
      encode: (m: FetchResponse) => {
        let frame: Buffer | undefined;
        const message = encodeFetchResponse(m, (size) => {
          frame = frames.acquire(size + FRAME_HEADER_BYTES);
          frame[0] = 0;
          frame.writeUInt32BE(size, 1);
          return frame.subarray(FRAME_HEADER_BYTES);
        });
        for (const p of m.partitions) frames.release(p.records);
        return frame!.subarray(0, FRAME_HEADER_BYTES + message.length);
      },
      written: (frame) => frames.release(frame),
      handler: (call: ServerMessageStream<FetchRequest, FetchResponse>) => handlers.fetch(call),
    },
  ]);
}
