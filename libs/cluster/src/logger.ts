/** The slice of a pino logger this library uses; tests may pass a silent one. */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

export function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
