import type { ChannelOptions } from '@grpc/grpc-js';

export const MiB = 1024 * 1024;
/** Record batches travel whole; Kafka's own message.max.bytes default is ~1 MiB but fetches batch many. */
export const MAX_MESSAGE_BYTES = 128 * MiB;
/**
 * HTTP/2 flow-control window for both connection and streams. With the 64 KiB default a bidi
 * stream of 1 MiB messages is window-bound; 16 MiB on both ends roughly triples throughput.
 */
export const FLOW_CONTROL_WINDOW_BYTES = 16 * MiB;
/**
 * Bytes a stream we frame ourselves may buffer unsent before its write() returns false (a
 * grpc-js call buffers 16 messages; Node's byte streams 16 KiB, less than one coalesced message).
 */
export const WRITE_BUFFER_BYTES = 1 * MiB;
export const KEEPALIVE_TIME_MS = 10_000;
export const KEEPALIVE_TIMEOUT_MS = 5_000;

export interface RpcTransportOptions {
  maxMessageBytes?: number;
  /** 0 keeps grpc-js/Node defaults (64 KiB). */
  flowControlWindowBytes?: number;
  keepaliveTimeMs?: number;
  keepaliveTimeoutMs?: number;
  /** Raw grpc-js channel options, applied last. */
  channelOptions?: ChannelOptions;
}

/** The grpc-js channel options shared by our clients and servers. */
export function channelOptions(opts: RpcTransportOptions = {}): ChannelOptions {
  const window = opts.flowControlWindowBytes ?? FLOW_CONTROL_WINDOW_BYTES;
  const out: ChannelOptions = {
    'grpc.max_send_message_length': opts.maxMessageBytes ?? MAX_MESSAGE_BYTES,
    'grpc.max_receive_message_length': opts.maxMessageBytes ?? MAX_MESSAGE_BYTES,
    'grpc.keepalive_time_ms': opts.keepaliveTimeMs ?? KEEPALIVE_TIME_MS,
    'grpc.keepalive_timeout_ms': opts.keepaliveTimeoutMs ?? KEEPALIVE_TIMEOUT_MS,
    // Idle gateway->broker streams must still notice a dead peer.
    'grpc.keepalive_permit_without_calls': 1,
    // Reconnect fast: a broker restart should cost a second, not grpc's 20 s default cap.
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 2_000,
  };
  // Client side only in grpc-js 1.14 (transport.ts): sets SETTINGS_INITIAL_WINDOW_SIZE and the
  // connection window. Servers get the same effect through applyServerFlowControl.
  if (window > 0) out['grpc-node.flow_control_window'] = window;
  return { ...out, ...opts.channelOptions };
}
