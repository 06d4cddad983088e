import { isIP, Socket } from 'node:net';

/**
 * Gives every outgoing TCP connection of this process to a loopback address the source address
 * `address` (`client.local.address`). A loopback client socket otherwise leaves from 127.0.0.1
 * whatever address its peer listens on, so packet filters could not tell which process sent it;
 * with this, a dev cluster whose processes each own a loopback address (127.0.0.2, 127.0.0.3, ...)
 * can be cut apart pair by pair. grpc-js (service calls and the etcd client) offers no local-address
 * channel option and opens its sockets with `net.connect`, so the hook sits on `Socket#connect`,
 * the one call every TCP client (net, tls, http2) goes through.
 *
 * Only IPv4 loopback destinations are touched and only when the caller chose no local address.
 * Returns a function that removes the hook. An empty `address` installs nothing.
 */
export function bindOutgoingConnections(address: string): () => void {
  if (!address) return () => undefined;
  if (!isLoopbackV4(address)) throw new Error(`client.local.address must be an IPv4 loopback address (127.x.y.z), not '${address}'`);
  const original = Socket.prototype.connect;
  // net.connect and tls.connect pass their already normalised [options, callback] array (tagged
  // with a private symbol) as the one argument; a direct socket.connect(options) passes options.
  const hooked = function (this: Socket, ...args: any[]): Socket {
    const normalised = Array.isArray(args[0]);
    const holder: unknown[] = normalised ? args[0] : args;
    const opts = holder[0] as { host?: unknown; path?: unknown; localAddress?: unknown } | undefined;
    if (opts && typeof opts === 'object' && opts.localAddress === undefined && opts.path === undefined) {
      const host = typeof opts.host === 'string' ? opts.host : 'localhost';
      if (isLoopbackV4(host)) holder[0] = { ...opts, localAddress: address };
    }
    return (original as (...a: unknown[]) => Socket).apply(this, args);
  };
  Socket.prototype.connect = hooked as typeof Socket.prototype.connect;
  return () => {
    if (Socket.prototype.connect === hooked) Socket.prototype.connect = original;
  };
}

function isLoopbackV4(host: string): boolean {
  return isIP(host) === 4 && host.startsWith('127.');
}
