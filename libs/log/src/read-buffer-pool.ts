// The pool lives in @dms/rpc since the gateway leases its Fetch answer buffers from one too.
export { ReadBufferPool } from '@dms/rpc';
