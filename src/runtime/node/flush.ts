/**
 * Flushes the spans still buffered when the program ends: when its event loop empties, on an
 * uncaught exception and on SIGINT/SIGTERM. Node's own behaviour (message, exit code, dying by
 * the signal) is kept whenever the program has no handler of its own.
 */
import { inspect } from 'node:util';

const FLUSH_TIMEOUT_MS = 2000;

function withTimeout(p: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
    timer.unref();
  });
  return Promise.race([p.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

export function installExitFlush(flush: () => Promise<void>): void {
  let flushedAtEnd = false;
  // Work started here keeps the loop alive; the flag keeps beforeExit from looping.
  process.on('beforeExit', () => {
    if (flushedAtEnd) return;
    flushedAtEnd = true;
    void withTimeout(flush());
  });

  const onUncaught = (err: unknown): void => {
    // Another handler means the program decided to live on: flush only.
    if (process.listenerCount('uncaughtException') > 1) {
      void withTimeout(flush());
      return;
    }
    process.stderr.write(`${err instanceof Error && err.stack ? err.stack : `Uncaught ${inspect(err)}`}\n`);
    process.exitCode = 1;
    void withTimeout(flush()).finally(() => process.exit(1));
  };
  process.on('uncaughtException', onUncaught);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    let handling = false;
    const onSignal = (): void => {
      if (process.listenerCount(signal) > 1) {
        void withTimeout(flush());
        return;
      }
      if (handling) return;
      handling = true;
      void withTimeout(flush()).finally(() => {
        // Die by the signal, as Node would have, so the parent sees it.
        process.removeListener(signal, onSignal);
        // Signal delivery is asynchronous: without this timer an idle loop would exit with 0 first.
        setTimeout(() => process.exit(1), 1000);
        process.kill(process.pid, signal);
      });
    };
    process.on(signal, onSignal);
  }
}
