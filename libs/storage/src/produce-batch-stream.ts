import { ErrorCode } from '@dms/kafka-errors';
import type { Logger } from '@dms/platform';
import type { ServerMessageStream, ProduceBatchRequest, ProduceBatchResponse, ProducePartition, ProducePartitionResult, ProduceRequest, ProduceResponse } from '@dms/rpc';

/**
 * The broker side of ProduceBatch (produce coalescing): every request of a message is handled
 * exactly as if it had come alone on Produce (started in order, answered on its own, so acks=1
 * never waits for acks=all), and the answers that complete in one event-loop turn go back as one
 * message (the answer to the only request in progress goes at once). A request whose handling fails is answered UNKNOWN_SERVER_ERROR rather than left to
 * the gateway's deadline.
 */
export function serveProduceBatch(
  call: ServerMessageStream<ProduceBatchRequest, ProduceBatchResponse>,
  handle: (req: ProduceRequest) => Promise<ProduceResponse>,
  logger: Pick<Logger, 'error'>,
): void {
  let outbox: ProduceResponse[] = [];
  let inProgress = 0;
  const write = (responses: ProduceResponse[]) => {
    if (!call.cancelled && !call.destroyed && !call.writableEnded) call.write({ responses });
  };
  const flush = () => {
    const responses = outbox;
    outbox = [];
    write(responses);
  };
  const answer = (res: ProduceResponse) => {
    inProgress--;
    // The only request on the stream: answered at once, as Nagle would; else with its turn.
    if (inProgress === 0 && outbox.length === 0) write([res]);
    else if (outbox.push(res) === 1) setImmediate(flush);
  };
  call.on('data', (msg: ProduceBatchRequest) => {
    inProgress += msg.requests.length;
    for (const req of msg.requests) {
      handle(req).then(answer, (err: unknown) => {
        // Whether it was appended is unknown: not marked retry-safe, the client decides.
        logger.error({ err, stream: 'produce-batch' }, 'storage request failed');
        const message = err instanceof Error ? err.message : String(err);
        answer({ correlationId: req.correlationId, partitions: req.partitions.map((p) => failedPartition(p, ErrorCode.UNKNOWN_SERVER_ERROR, message)) });
      });
    }
  });
  call.on('end', () => call.end());
  call.on('error', () => undefined);
}

function failedPartition(p: ProducePartition, errorCode: number, errorMessage: string): ProducePartitionResult {
  return { topic: p.topic, partition: p.partition, errorCode, errorMessage, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], appended: false };
}
