/**
 * MediaPipe's flow limiter: one frame in flight, the newest one queued. A frame that arrives while
 * one is queued replaces it, and the replaced frame is reported as dropped ('superseded'), never
 * silently lost. Latency and memory stay bounded however fast frames arrive.
 */
export interface FlowLimiterCallbacks<T> {
  /** Start work on an item; call limiter.done() when its result is out. */
  start(item: T): void
  /** An item that will never start. */
  drop(item: T, reason: 'superseded' | 'closed'): void
}

export class FlowLimiter<T> {
  readonly #cb: FlowLimiterCallbacks<T>
  #inFlight = false
  #queued: T | null = null
  #closed = false

  constructor(callbacks: FlowLimiterCallbacks<T>) {
    this.#cb = callbacks
  }

  get isBusy(): boolean {
    return this.#inFlight
  }

  get hasQueued(): boolean {
    return this.#queued !== null
  }

  push(item: T): void {
    if (this.#closed) {
      this.#cb.drop(item, 'closed')
      return
    }
    if (!this.#inFlight) {
      this.#inFlight = true
      this.#cb.start(item)
      return
    }
    const old = this.#queued
    this.#queued = item
    if (old !== null) this.#cb.drop(old, 'superseded')
  }

  /** The in-flight item finished (whatever its outcome); starts the queued one if any. */
  done(): void {
    this.#inFlight = false
    const next = this.#queued
    if (next !== null && !this.#closed) {
      this.#queued = null
      this.#inFlight = true
      this.#cb.start(next)
    }
  }

  /** Drops the queued item; the in-flight one still finishes through its owner. */
  close(): void {
    this.#closed = true
    const old = this.#queued
    this.#queued = null
    if (old !== null) this.#cb.drop(old, 'closed')
  }
}
