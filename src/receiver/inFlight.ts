/**
 * One budget of request bytes in flight for the whole receiver, OTLP/HTTP and OTLP/gRPC alike:
 * bodies being read, decoded or waiting for the store. Without it, concurrent large exports (each
 * within maxBodyBytes) would be held in memory together, however many there are. HTTP refuses
 * past it (503 with Retry-After); gRPC calls wait in line for room, up to their deadline.
 */

/** Default budget; the receiver uses the larger of this and maxBodyBytes. */
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 64 * 1024 * 1024;

/** Read-only counters, for the status and for tests. */
export interface InFlightStats {
  /** Bytes held (or reserved for a message being read) now. */
  heldBytes: number;
  /** The most ever held at once. */
  peakBytes: number;
  limitBytes: number;
  /** gRPC calls waiting for room now. */
  waiting: number;
  /** gRPC calls that had to wait for room, since start. */
  waited: number;
}

/** A request's or call's part of the budget. */
export class BudgetShare {
  private mine = 0;
  /** Given back: a late chunk or message must not take bytes nobody would give back. */
  private released = false;

  constructor(private readonly budget: InFlightBudget) {}

  get bytes(): number {
    return this.mine;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** Takes `bytes` more; false when that passes the budget while others hold some. */
  take(bytes: number): boolean {
    if (this.released || !this.budget.fits(this.mine, bytes)) return false;
    this.add(bytes);
    return true;
  }

  /**
   * Makes the share exactly `bytes`, room or not: for bytes already in memory, which refusing to
   * count would not free (and waiting for room while holding them could wait forever on calls
   * doing the same).
   */
  settle(bytes: number): void {
    if (!this.released) this.add(bytes - this.mine);
  }

  /** Gives everything back, for good (idempotent). */
  release(): void {
    this.released = true;
    this.add(-this.mine);
  }

  /** @internal the budget's own bookkeeping */
  add(bytes: number): void {
    this.mine += bytes;
    this.budget.changed(bytes);
  }
}

interface Waiter {
  share: BudgetShare;
  bytes: () => number;
  resolve(ok: boolean): void;
}

export class InFlightBudget {
  private held = 0;
  private peak = 0;
  private waitedCount = 0;
  /** First come, first served: a large call is not passed over forever by a stream of small ones. */
  private readonly queue: Waiter[] = [];
  /** True while letting waiting calls in (they are not newcomers). */
  private serving = false;

  constructor(readonly limit: number) {}

  share(): BudgetShare {
    return new BudgetShare(this);
  }

  get stats(): InFlightStats {
    return { heldBytes: this.held, peakBytes: this.peak, limitBytes: this.limit, waiting: this.queue.length, waited: this.waitedCount };
  }

  describe(): string {
    return `${mb(this.held)} MB of request bodies are being received or stored, at most ${mb(this.limit)} MB at once`;
  }

  /**
   * Takes `bytes` for `share`, waiting in line for room until `giveUpAt` (epoch ms) or `signal`
   * aborts; false then, with nothing taken. A function is asked again at each turn (a guess of a
   * message's size gets better while the call waits).
   */
  takeWhenRoom(share: BudgetShare, size: number | (() => number), giveUpAt: number, signal?: AbortSignal): Promise<boolean> {
    const bytes = typeof size === 'number' ? () => size : size;
    if (!this.queue.length && share.take(bytes())) return Promise.resolve(true);
    if (signal?.aborted || giveUpAt <= Date.now()) return Promise.resolve(false);
    this.waitedCount++;
    return new Promise<boolean>((resolve) => {
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const waiter: Waiter = { share, bytes, resolve: finish };
      const leave = (): void => {
        const i = this.queue.indexOf(waiter);
        if (i < 0) return;
        this.queue.splice(i, 1);
        finish(false);
        // The one behind may fit where this one did not.
        this.serve();
      };
      const onAbort = (): void => leave();
      const timer = setTimeout(leave, giveUpAt - Date.now());
      signal?.addEventListener('abort', onAbort);
      this.queue.push(waiter);
    });
  }

  /** @internal whether `share`, holding `mine`, may take `bytes` more */
  fits(mine: number, bytes: number): boolean {
    // A newcomer does not pass the calls already waiting in line (they would wait forever).
    if (mine === 0 && this.queue.length && !this.serving) return false;
    // Alone, a request may pass the budget, so any body within maxBodyBytes is eventually accepted.
    return this.held + bytes <= this.limit || this.held === mine;
  }

  /** @internal */
  changed(bytes: number): void {
    this.held += bytes;
    if (this.held > this.peak) this.peak = this.held;
    if (bytes < 0) this.serve();
  }

  /** Lets waiting calls in, in order, while the first in line fits. */
  private serve(): void {
    if (this.serving) return;
    this.serving = true;
    try {
      while (this.queue.length) {
        const first = this.queue[0]!;
        const ok = !first.share.isReleased; // its call ended while in line
        if (ok && !first.share.take(first.bytes())) break;
        this.queue.shift();
        first.resolve(ok);
      }
    } finally {
      this.serving = false;
    }
  }
}

const mb = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(1);
