// Graceful shutdown: one registry of cleanup hooks, run once on SIGINT/SIGTERM within a deadline.
// A process that hits an uncaught error exits non-zero: a crash must be visible to supervisors,
// never papered over.

type Hook = () => unknown | Promise<unknown>;
interface LogLike {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ShutdownOptions {
  /** Total time the hooks get before the process exits anyway. */
  deadlineMs?: number;
  logger?: LogLike;
  /** Injected by tests; defaults to process.exit. */
  exit?: (code: number) => void;
  signals?: NodeJS.Signals[];
}

const hooks: { name: string; fn: Hook }[] = [];
let installed: { opts: Required<Omit<ShutdownOptions, 'logger'>> & { logger?: LogLike }; remove: () => void } | undefined;
let running: Promise<void> | undefined;

/**
 * Registers a cleanup hook. Hooks run in reverse registration order (last started, first
 * stopped), each awaited, so a server stops accepting before the log it writes is closed.
 * Returns a function that unregisters the hook.
 */
export function onShutdown(fn: Hook, name = fn.name || 'anonymous'): () => void {
  const entry = { name, fn };
  hooks.push(entry);
  return () => {
    const i = hooks.indexOf(entry);
    if (i >= 0) hooks.splice(i, 1);
  };
}

/** Installs the signal and crash handlers. Idempotent; the last options win. */
export function installShutdownHandlers(opts: ShutdownOptions = {}): () => void {
  installed?.remove();
  const resolved = {
    deadlineMs: opts.deadlineMs ?? 10_000,
    logger: opts.logger,
    exit: opts.exit ?? ((code: number) => process.exit(code)),
    signals: opts.signals ?? (['SIGINT', 'SIGTERM'] as NodeJS.Signals[]),
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (running) {
      // A second signal means the operator will not wait for a stuck hook.
      resolved.logger?.error({ signal }, 'second signal during shutdown, exiting now');
      resolved.exit(1);
      return;
    }
    resolved.logger?.info({ signal }, 'shutdown requested');
    void shutdown(0);
  };
  const onCrash = (err: unknown, origin: string) => {
    // Use the logger when there is one, and stderr regardless: the logger may be what broke.
    resolved.logger?.error({ err, origin }, 'fatal error, exiting');
    process.stderr.write(`fatal ${origin}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    resolved.exit(1);
  };
  const onUncaught = (err: Error) => onCrash(err, 'uncaughtException');
  const onUnhandled = (reason: unknown) => onCrash(reason, 'unhandledRejection');
  for (const s of resolved.signals) process.on(s, onSignal);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUnhandled);
  const remove = () => {
    for (const s of resolved.signals) process.off(s, onSignal);
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandled);
    if (installed?.remove === remove) installed = undefined;
  };
  installed = { opts: resolved, remove };
  return remove;
}

/**
 * Runs every hook once (later calls return the same promise), then exits with `code`
 * (or 1 if the deadline passed or a hook failed).
 */
export function shutdown(code = 0): Promise<void> {
  running ??= (async () => {
    const opts = installed?.opts;
    const deadlineMs = opts?.deadlineMs ?? 10_000;
    const exit = opts?.exit ?? ((c: number) => process.exit(c));
    let failed = false;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), deadlineMs);
      timer.unref?.();
    });
    const runAll = (async () => {
      for (const { name, fn } of [...hooks].reverse()) {
        try {
          await fn();
        } catch (err) {
          failed = true;
          opts?.logger?.error({ err, hook: name }, 'shutdown hook failed');
        }
      }
    })();
    const outcome = await Promise.race([runAll.then(() => 'done' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      opts?.logger?.error({ deadlineMs }, 'shutdown deadline passed, exiting');
      failed = true;
    }
    exit(failed && code === 0 ? 1 : code);
  })();
  return running;
}

/** Test-only: forget hooks and the run-once latch. */
export function resetShutdownForTests(): void {
  hooks.length = 0;
  running = undefined;
  installed?.remove();
}
