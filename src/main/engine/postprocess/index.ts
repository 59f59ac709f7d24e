/**
 * Post-processing for single-frame segmentation models (public entry of engine/postprocess):
 * low-res probability mask → full-res alpha guided by the camera frame, then temporal smoothing
 * that adapts to motion.
 */
import { badArgument } from '../../../shared/errors.js'
import { validateFrame } from '../io/frame.js'
import type { Frame } from '../types.js'
import { FrameGrid } from '../preprocess.js'
import { GuidedScratch, guidedUpsample, guidedUpsampleLuma, LumaGuidedScratch } from './guided.js'
import { BilinearScratch, bilinearUpsample } from './upsample.js'

export { TemporalFilter } from './temporal.js'
export type { TemporalFilterOptions } from './temporal.js'

export interface RefineOptions {
  /** Edge-aware (guided filter) upsampling; false = plain bilinear. Default true. */
  guided?: boolean
  /** Guided-filter window radius in mask pixels (default 1). */
  radius?: number
  /** Guided-filter regularisation, in (0..1 intensity)² (default 1e-4): smaller follows edges harder. */
  eps?: number
  /** Guide channel(s): 'luma' (default, fastest) or 'rgb' (colour guided filter, ~2.5x the cost). */
  guide?: 'luma' | 'rgb'
  /** Write into this buffer (frame.width*frame.height bytes) instead of allocating one. */
  out?: Uint8Array
  /**
   * The frame's mean luma per mask cell, 0..1 (`FrameGrid(maskWidth, maskHeight).run(frame).luma`),
   * when the caller already has it (the engine's input resampler does): saves a pass over the frame.
   */
  guideLuma?: Float32Array
}

// tuned on the P3M set with MediaPipe output (see test/main/engine/postprocess/refine.test.ts)
const DEFAULT_RADIUS = 1
const DEFAULT_EPS = 1e-4
const guidedScratch = new GuidedScratch()
const lumaScratch = new LumaGuidedScratch()
const bilinearScratch = new BilinearScratch()
let grid: FrameGrid | null = null

/** The frame's mean luma per mask cell (one grid, reused while the mask size stays the same). */
export function maskGridLuma(frame: Frame, maskWidth: number, maskHeight: number): Float32Array {
  if (grid?.width !== maskWidth || grid.height !== maskHeight) grid = new FrameGrid(maskWidth, maskHeight)
  return grid.run(frame).luma
}

/**
 * Upsamples a mask (maskWidth*maskHeight probabilities, 0..1, covering the whole frame stretched)
 * to the frame's size as 8-bit alpha (255 = person).
 */
export function refineAlpha(mask: Float32Array, maskWidth: number, maskHeight: number, frame: Frame, options: RefineOptions = {}): Uint8Array {
  validateFrame(frame, 'refineAlpha')
  if (!Number.isInteger(maskWidth) || maskWidth < 1 || !Number.isInteger(maskHeight) || maskHeight < 1) {
    throw badArgument('refineAlpha', 'maskWidth x maskHeight', 'positive integers', `${maskWidth}x${maskHeight}`)
  }
  if (mask.length !== maskWidth * maskHeight) {
    throw badArgument('refineAlpha', 'mask.length', `maskWidth*maskHeight = ${maskWidth * maskHeight}`, mask.length)
  }
  const { width, height } = frame
  const out = options.out ?? new Uint8Array(width * height)
  if (out.length !== width * height) throw badArgument('refineAlpha', 'options.out.length', `${width * height}`, out.length)
  if (options.guided === false) {
    bilinearUpsample(mask, maskWidth, maskHeight, out, width, height, bilinearScratch, options.out === undefined)
    return out
  }
  const radius = options.radius ?? DEFAULT_RADIUS
  const eps = options.eps ?? DEFAULT_EPS
  if (!(radius >= 1 && radius <= 64)) throw badArgument('refineAlpha', 'options.radius', 'a number in 1..64', radius)
  if (!(eps > 0 && eps < 1)) throw badArgument('refineAlpha', 'options.eps', 'a number in (0, 1)', eps)
  const bpp = frame.format === 'RGBA' ? 4 : 3
  if (options.guide === 'rgb') guidedUpsample(mask, maskWidth, maskHeight, frame.data, bpp, width, height, out, radius, eps, guidedScratch)
  else {
    const guide = options.guideLuma ?? maskGridLuma(frame, maskWidth, maskHeight)
    if (guide.length !== mask.length) throw badArgument('refineAlpha', 'options.guideLuma.length', `maskWidth*maskHeight = ${mask.length}`, guide.length)
    guidedUpsampleLuma(mask, maskWidth, maskHeight, guide, frame, out, radius, eps, lumaScratch, options.out === undefined)
  }
  return out
}
