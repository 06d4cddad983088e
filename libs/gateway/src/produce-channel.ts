import { status as GrpcStatus } from '@grpc/grpc-js';
import { StreamMux, type MessageStream, type ProduceBatchRequest, type ProduceBatchResponse, type ProduceRequest, type ProduceResponse } from '@dms/rpc';

/** What the gateway's produce path sends on. */
export type ProduceChannel = Pick<StreamMux<ProduceRequest, ProduceResponse, unknown, unknown>, 'request' | 'close'>;

/** Small requests of one turn share a message; once 64 KiB of records wait, they go out at once. */
const COALESCE_MAX_BYTES = 64 * 1024;
const COALESCE_MAX_REQUESTS = 256;

/**
 * Produce requests coalesced per event-loop turn on the broker's ProduceBatch stream (opened by
 * `openBatch`: grpc-js or our own framing, see internal.stream.transport). A broker
 * that does not know ProduceBatch (an older version, during a rolling upgrade) answers the
 * stream UNIMPLEMENTED, having handled nothing: the request is sent again on `plain` (the
 * Produce stream), which is used from then on.
 */
export function coalescingProduce(openBatch: () => MessageStream<ProduceBatchRequest, ProduceBatchResponse>, plain: ProduceChannel, name: string): ProduceChannel {
  const batch = new StreamMux<ProduceRequest, ProduceResponse, ProduceBatchRequest, ProduceBatchResponse>(openBatch, {
    name,
    coalesce: {
      pack: (requests) => ({ requests }),
      unpack: (message) => message.responses,
      maxRequests: COALESCE_MAX_REQUESTS,
      maxWeight: COALESCE_MAX_BYTES,
      weight: (req) => {
        let n = 0;
        for (const p of req.partitions) n += p.records.length;
        return n;
      },
    },
  });
  let supported = true;
  return {
    async request(body, opts) {
      if (!supported) return plain.request(body, opts);
      try {
        return await batch.request(body, opts);
      } catch (err) {
        if (!isUnimplemented(err)) throw err;
        supported = false;
        batch.close();
        return plain.request(body, opts);
      }
    },
    close() {
      batch.close();
    },
  };
}

function isUnimplemented(err: unknown): boolean {
  const e = err as { code?: number; cause?: { code?: number } } | null;
  return e?.code === GrpcStatus.UNIMPLEMENTED || e?.cause?.code === GrpcStatus.UNIMPLEMENTED;
}
