import type { Http2Server, ServerHttp2Session } from 'node:http2';
import { Server, ServerCredentials, type ServerOptions } from '@grpc/grpc-js';
import { channelOptions, FLOW_CONTROL_WINDOW_BYTES, type RpcTransportOptions } from './options';
import { serverCredentials } from './tls';
import { enforceMethodPolicies, logRefusedConnection } from './authorize';

export interface GrpcServerOptions extends RpcTransportOptions {
  serverOptions?: ServerOptions;
}

const WINDOW = Symbol('dms.flowControlWindow');
type WindowedServer = Server & { [WINDOW]?: number };

/**
 * A grpc-js Server with our message limits, keepalive and large HTTP/2 windows. Every service
 * added to it is served only to the callers method-roles.ts names (checked over mutual TLS).
 */
export function createGrpcServer(opts: GrpcServerOptions = {}): Server {
  const server: WindowedServer = new Server({ ...channelOptions(opts), ...opts.serverOptions });
  enforceMethodPolicies(server);
  const window = opts.flowControlWindowBytes ?? FLOW_CONTROL_WINDOW_BYTES;
  if (window > 0) applyServerFlowControl(server, window);
  return server;
}

/**
 * grpc-js 1.14 honours 'grpc-node.flow_control_window' only on clients. Its server builds every
 * http2 server from a private `commonServerOptions`, so we add SETTINGS_INITIAL_WINDOW_SIZE (the
 * per-stream window peers may send into) there, and raise each session's connection window in
 * bindServer. If a grpc-js upgrade renames the field, this degrades to default windows, and the
 * spec in server.spec.ts fails rather than silently losing throughput.
 */
function applyServerFlowControl(server: WindowedServer, window: number): void {
  const internals = server as unknown as { commonServerOptions?: { settings?: Record<string, unknown> } };
  if (!internals.commonServerOptions) return;
  internals.commonServerOptions.settings = { ...internals.commonServerOptions.settings, initialWindowSize: window };
  server[WINDOW] = window;
}

/** Binds on host:port (mutual TLS when the process configured it, else plaintext); port 0 picks a free port. */
export async function bindServer(server: Server, host: string, port: number): Promise<number> {
  const addr = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(addr, serverCredentials(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  watchRefusedHandshakes(server);
  const window = (server as WindowedServer)[WINDOW];
  if (window) {
    const internals = server as unknown as { http2Servers?: Map<Http2Server, unknown> };
    for (const http2Server of internals.http2Servers?.keys() ?? []) {
      if ((http2Server as unknown as Record<symbol, boolean>)[WINDOW]) continue;
      (http2Server as unknown as Record<symbol, boolean>)[WINDOW] = true;
      http2Server.on('session', (session: ServerHttp2Session) => raiseConnectionWindow(session, window));
    }
  }
  return bound;
}

const WATCHED = Symbol('dms.refusedHandshakes');

/** Logs TLS handshakes the server refuses (grpc-js drops them silently); same private field as above. */
function watchRefusedHandshakes(server: Server): void {
  const internals = server as unknown as { http2Servers?: Map<Http2Server, unknown> };
  for (const http2Server of internals.http2Servers?.keys() ?? []) {
    const marked = http2Server as unknown as Record<symbol, boolean>;
    if (marked[WATCHED]) continue;
    marked[WATCHED] = true;
    http2Server.on('tlsClientError', (err: Error, socket: { remoteAddress?: string; remotePort?: number }) => logRefusedConnection(err, socket));
  }
}

function raiseConnectionWindow(session: ServerHttp2Session, window: number): void {
  const raise = () => {
    try {
      session.setLocalWindowSize(window);
    } catch {
      // Session already closing; nothing to tune.
    }
  };
  // setLocalWindowSize needs the session handshake to be done.
  if (session.connecting) session.once('connect', raise);
  else raise();
}

/** Stops accepting calls and waits for running ones up to graceMs, then cancels the rest. */
export function stopServer(server: Server, graceMs = 5_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
