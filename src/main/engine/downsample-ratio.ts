/**
 * RVM's downsample ratio: the recurrent network runs on the frame scaled by this factor, then a
 * refiner brings the matte back to full resolution. RVM's published table (portrait shots) keeps
 * the downsampled short side near 270 px: 0.375 at 1280x720, 0.25 at 1920x1080, 0.125 at 4K, and
 * 1 (no downsampling) up to 512x512.
 */
import { badArgument } from '../../shared/errors.js'
import type { DownsampleRatio } from './types.js'

const TARGET_SHORT_SIDE_PX = 270

/** The ratio 'auto' resolves to for a frame size. */
export function autoDownsampleRatio(width: number, height: number): number {
  if (Math.max(width, height) <= 512) return 1
  const ratio = TARGET_SHORT_SIDE_PX / Math.min(width, height)
  // Rounded to 1/1000 so the same size always gives the same value (and the same state shapes).
  return Math.min(1, Math.round(ratio * 1000) / 1000)
}

/** Validates a user-supplied ratio: 'auto' or a number in (0, 1]. */
export function checkDownsampleRatio(where: string, ratio: unknown): DownsampleRatio {
  if (ratio === 'auto') return ratio
  if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio <= 0 || ratio > 1) {
    throw badArgument(where, 'downsampleRatio', "'auto' or a number in (0, 1]", ratio)
  }
  return ratio
}

export function resolveDownsampleRatio(ratio: DownsampleRatio, width: number, height: number): number {
  return ratio === 'auto' ? autoDownsampleRatio(width, height) : ratio
}
