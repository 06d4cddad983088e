/**
 * A frame that cannot be decoded (truncated, absurd length, bad varint) or a value that cannot be
 * encoded. The network layer answers or closes that one connection; it never crashes the process.
 */
export class CodecError extends Error {
  override readonly name = 'CodecError';
}
