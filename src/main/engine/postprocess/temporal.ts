import type { Frame } from '../types.js'

export interface TemporalFilterOptions {
  /** Max weight of the previous alpha where nothing moves (0..1, default 0.7). */
  strength?: number
}

/**
 * Temporal smoothing of successive alphas that adapts to motion (placeholder: pass-through until
 * the motion-adaptive version lands). Filters in place and returns the same array.
 */
export class TemporalFilter {
  constructor(_options: TemporalFilterOptions = {}) {}

  apply(alpha: Uint8Array, _frame: Frame): Uint8Array {
    return alpha
  }

  reset(): void {}
}
