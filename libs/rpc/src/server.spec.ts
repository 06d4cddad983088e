import type { Http2Server, ServerHttp2Session } from 'node:http2';
import type { Server, ServerDuplexStream } from '@grpc/grpc-js';
import type { FetchRequest, FetchResponse } from './generated/dms/storage/v1/storage';
import { FLOW_CONTROL_WINDOW_BYTES, MiB } from './options';
import { kafkaErrorCodeFromGrpc } from './status';
import { StreamMux } from './stream-mux';
import { startTestStorage } from './test-server';

/** Fetch echo that returns `maxBytes` bytes of records. */
function fetchEcho(call: ServerDuplexStream<FetchRequest, FetchResponse>) {
  call.on('data', (req: FetchRequest) => {
    call.write({
      correlationId: req.correlationId,
      partitions: [
        { topic: 't', partition: 0, errorCode: 0, highWatermark: 0n, lastStableOffset: 0n, logStartOffset: 0n, records: Buffer.alloc(req.maxBytes, 7), abortedTransactions: [] },
      ],
    });
  });
  call.on('end', () => call.end());
  call.on('error', () => undefined);
}

function serverSessions(server: Server): ServerHttp2Session[] {
  const internals = server as unknown as { http2Servers: Map<Http2Server, { sessions: Set<ServerHttp2Session> }> };
  return [...internals.http2Servers.values()].flatMap((v) => [...v.sessions]);
}

const fetchReq = (maxBytes: number) => ({
  maxWaitMs: 0, minBytes: 0, maxBytes, isolationLevel: 0, partitions: [], traceContext: {}, wakeCorrelationId: 0n,
});

describe('createGrpcServer / bindServer', () => {
  it('binds port 0, carries 8 MiB messages and opens large HTTP/2 windows on the server', async () => {
    const s = await startTestStorage({ fetch: fetchEcho });
    try {
      expect(s.port).toBeGreaterThan(0);
      const mux = new StreamMux<FetchRequest, FetchResponse>(() => s.client.fetch(), { requestTimeoutMs: 10_000 });
      const res = await mux.request(fetchReq(8 * MiB)); // over grpc's 4 MiB default limit
      expect(res.partitions[0].records.length).toBe(8 * MiB);
      mux.close();
      const sessions = serverSessions(s.server);
      expect(sessions.length).toBeGreaterThan(0);
      // Connection-level receive window raised by bindServer; per-stream window sent in SETTINGS.
      expect(sessions[0].state.localWindowSize).toBeGreaterThanOrEqual(FLOW_CONTROL_WINDOW_BYTES - MiB);
      expect(sessions[0].localSettings.initialWindowSize).toBe(FLOW_CONTROL_WINDOW_BYTES);
      expect(sessions[0].remoteSettings.initialWindowSize).toBe(FLOW_CONTROL_WINDOW_BYTES);
    } finally {
      await s.stop();
    }
  });

  it('maps an over-limit message to MESSAGE_TOO_LARGE', async () => {
    const s = await startTestStorage({ fetch: fetchEcho }, { client: { maxMessageBytes: 1 * MiB } });
    try {
      const mux = new StreamMux<FetchRequest, FetchResponse>(() => s.client.fetch(), { requestTimeoutMs: 10_000 });
      const err = await mux.request(fetchReq(2 * MiB)).catch((e: unknown) => e);
      // The mux reports a failed stream as UNAVAILABLE; the cause keeps grpc's own status.
      expect((err as { code: number }).code).toBe(14);
      const cause = (err as Error).cause;
      expect((cause as { code: number }).code).toBe(8); // RESOURCE_EXHAUSTED
      expect(kafkaErrorCodeFromGrpc(cause)).toBe(10);
      mux.close();
    } finally {
      await s.stop();
    }
  });
});
