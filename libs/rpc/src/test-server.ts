// Spec helper: a real grpc-js StorageService on 127.0.0.1 with handlers supplied per test.
import type { Server, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { StorageServiceServer } from './generated/dms/storage/v1/storage';
import { StorageServiceClient, StorageServiceService } from './storage-service-def';
import { createClient, type GrpcClientOptions } from './client';
import { bindServer, createGrpcServer, stopServer, type GrpcServerOptions } from './server';

export interface TestStorage {
  server: Server;
  port: number;
  client: StorageServiceClient;
  stop(): Promise<void>;
}

const unimplemented = () => {
  throw new Error('not implemented in this test');
};

export async function startTestStorage(
  impl: Partial<StorageServiceServer>,
  opts: { server?: GrpcServerOptions; client?: GrpcClientOptions } = {},
): Promise<TestStorage> {
  const server = createGrpcServer(opts.server);
  const full = { produce: unimplemented, fetch: unimplemented, listOffsets: unimplemented, ...impl };
  server.addService(StorageServiceService, full as unknown as UntypedServiceImplementation);
  const port = await bindServer(server, '127.0.0.1', 0);
  const client = createClient(StorageServiceClient, `127.0.0.1:${port}`, opts.client);
  return {
    server,
    port,
    client,
    async stop() {
      client.close();
      await stopServer(server, 1000);
    },
  };
}
