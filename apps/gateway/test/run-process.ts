// Moved to @dms/testing (the compatibility suite in tools/compat uses it too).
export { runProcess, type ProcessResult } from '@dms/testing';
