/**
 * Temporal smoothing of successive alphas that adapts to motion. A per-cell motion map (8x8-pixel
 * cells, luma difference against the previous frame) decides how much of the previous alpha to
 * keep: a lot where the picture is still (no edge flicker), none where it moves (no trail). Large
 * per-pixel alpha jumps also pass straight through, so a real change is never smeared even when
 * the picture barely changes.
 */
import { badArgument } from '../../../shared/errors.js'
import { FrameGrid } from '../preprocess.js'
import type { Frame } from '../types.js'

export interface TemporalFilterOptions {
  /** Weight of the previous alpha where nothing moves, 0..0.95 (default 0.75). */
  strength?: number
  /** Cell luma change (0..255) below which a cell counts as still (default 3). */
  motionLow?: number
  /** Cell luma change at and above which a cell counts as moving (default 12). */
  motionHigh?: number
  /** Alpha change (0..255) up to which smoothing is full strength (default 32)... */
  jumpLow?: number
  /** ...and from which the new alpha passes unchanged (default 128). */
  jumpHigh?: number
}

const CELL_SHIFT = 3 // 8x8-pixel cells

export class TemporalFilter {
  private readonly strength: number
  private readonly motionLow: number
  private readonly motionHigh: number
  /** weight multiplier (0..256) by |Δalpha| */
  private readonly jumpLut = new Int32Array(256)
  /** jumpLow and jumpHigh as probabilities (0..1), for the mask variant */
  private readonly jumpLow01: number
  private readonly jumpHigh01: number
  private width = 0
  private height = 0
  private gw = 0
  private gh = 0
  private prevAlpha = new Uint8Array(0)
  private prevLuma = new Float32Array(0)
  private curLuma = new Float32Array(0)
  private motion = new Float32Array(0)
  /** per-cell weight of the previous alpha, 0..256 */
  private weight = new Int32Array(0)
  private hasPrev = false
  private readonly mask = {
    mw: 0,
    mh: 0,
    fw: 0,
    fh: 0,
    hasPrev: false,
    prev: new Float32Array(0),
    prevLuma: new Float32Array(0),
    /** horizontal 3-max of the luma change per mask cell (dense mode) */
    motion: new Float32Array(0),
    /** cells blended last frame: many (SINet's soft masks) → measure motion everywhere first */
    active: 0,
    grid: null as FrameGrid | null,
  }

  constructor(options: TemporalFilterOptions = {}) {
    const strength = options.strength ?? 0.75
    if (!(strength >= 0 && strength <= 0.95)) throw badArgument('TemporalFilter', 'strength', 'a number in 0..0.95', strength)
    this.strength = strength
    this.motionLow = options.motionLow ?? 3
    this.motionHigh = options.motionHigh ?? 12
    if (!(this.motionHigh > this.motionLow)) throw badArgument('TemporalFilter', 'motionHigh', `greater than motionLow (${this.motionLow})`, this.motionHigh)
    const jumpLow = options.jumpLow ?? 32
    const jumpHigh = options.jumpHigh ?? 128
    if (!(jumpHigh > jumpLow)) throw badArgument('TemporalFilter', 'jumpHigh', `greater than jumpLow (${jumpLow})`, jumpHigh)
    this.jumpLow01 = jumpLow / 255
    this.jumpHigh01 = jumpHigh / 255
    for (let d = 0; d < 256; d++) {
      const t = d <= jumpLow ? 1 : d >= jumpHigh ? 0 : (jumpHigh - d) / (jumpHigh - jumpLow)
      this.jumpLut[d] = Math.round(t * 256)
    }
  }

  /**
   * Smooths `alpha` (frame.width*frame.height bytes, the matte for `frame`) in place against the
   * previous call and returns it. A size change restarts the history.
   */
  apply(alpha: Uint8Array, frame: Frame): Uint8Array {
    const { width, height } = frame
    if (alpha.length !== width * height) {
      throw badArgument('TemporalFilter.apply', 'alpha.length', `frame.width*frame.height = ${width * height}`, alpha.length)
    }
    if (width !== this.width || height !== this.height) this.resize(width, height)
    this.measureLuma(frame, this.curLuma)
    if (!this.hasPrev) {
      this.remember(alpha)
      return alpha
    }
    this.computeWeights()
    this.blend(alpha)
    this.remember(alpha)
    return alpha
  }

  /** Forget the history (camera switch, scene cut, model change). */
  reset(): void {
    this.hasPrev = false
    this.mask.hasPrev = false
  }

  /**
   * The same motion-adaptive smoothing applied to the model's low-resolution probability mask
   * (in place) instead of the full-resolution alpha: ~25x fewer pixels at 1280x720, and the
   * guided upsampling that follows snaps edges to the current frame. Use either this (before
   * refineAlpha) or apply() (after it), not both. Motion is measured on the frame's mean luma per
   * mask cell (0..1); pass `guideLuma` when the caller already has it (the same plane refineAlpha
   * takes), or it is computed here.
   */
  applyToMask(mask: Float32Array, maskWidth: number, maskHeight: number, frame: Frame, guideLuma?: Float32Array): Float32Array {
    const n = maskWidth * maskHeight
    if (mask.length !== n) {
      throw badArgument('TemporalFilter.applyToMask', 'mask.length', `maskWidth*maskHeight = ${n}`, mask.length)
    }
    if (guideLuma !== undefined && guideLuma.length !== n) {
      throw badArgument('TemporalFilter.applyToMask', 'guideLuma.length', `maskWidth*maskHeight = ${n}`, guideLuma.length)
    }
    const m = this.mask
    if (maskWidth !== m.mw || maskHeight !== m.mh || frame.width !== m.fw || frame.height !== m.fh) {
      Object.assign(m, { mw: maskWidth, mh: maskHeight, fw: frame.width, fh: frame.height, hasPrev: false })
      m.prev = new Float32Array(n)
      m.prevLuma = new Float32Array(n)
      m.motion = new Float32Array(n)
    }
    let luma = guideLuma
    if (luma === undefined) {
      if (m.grid?.width !== maskWidth || m.grid.height !== maskHeight) m.grid = new FrameGrid(maskWidth, maskHeight)
      luma = m.grid.run(frame).luma
    }
    if (m.hasPrev) {
      const dense = m.active * 8 > n
      m.active = blendMask(mask, m.prev, luma, m.prevLuma, dense ? m.motion : null, maskWidth, maskHeight, this.motionLow + 1, this.motionHigh - this.motionLow + 2, this.strength, this.jumpLow01, this.jumpHigh01)
    } else {
      m.prev.set(mask)
    }
    m.prevLuma.set(luma)
    m.hasPrev = true
    return mask
  }

  private resize(width: number, height: number): void {
    this.width = width
    this.height = height
    this.gw = (width + (1 << CELL_SHIFT) - 1) >> CELL_SHIFT
    this.gh = (height + (1 << CELL_SHIFT) - 1) >> CELL_SHIFT
    const n = this.gw * this.gh
    this.prevAlpha = new Uint8Array(width * height)
    this.prevLuma = new Float32Array(n)
    this.curLuma = new Float32Array(n)
    this.motion = new Float32Array(n)
    this.weight = new Int32Array(n)
    this.hasPrev = false
  }

  private remember(alpha: Uint8Array): void {
    this.prevAlpha.set(alpha)
    const t = this.prevLuma
    this.prevLuma = this.curLuma
    this.curLuma = t
    this.hasPrev = true
  }

  /** Mean luma of each cell from a 2x2 sample grid (noise averages out; cost stays tiny). */
  private measureLuma(frame: Frame, out: Float32Array): void {
    const { width: W, height: H, data } = frame
    const bpp = frame.format === 'RGBA' ? 4 : 3
    const gw = this.gw
    const gh = this.gh
    for (let cy = 0; cy < gh; cy++) {
      const y0 = Math.min(H - 1, (cy << CELL_SHIFT) + 2)
      const y1 = Math.min(H - 1, (cy << CELL_SHIFT) + 5)
      for (let cx = 0; cx < gw; cx++) {
        const x0 = Math.min(W - 1, (cx << CELL_SHIFT) + 2)
        const x1 = Math.min(W - 1, (cx << CELL_SHIFT) + 5)
        const a = (y0 * W + x0) * bpp
        const b = (y0 * W + x1) * bpp
        const c = (y1 * W + x0) * bpp
        const d = (y1 * W + x1) * bpp
        // (R + 2G + B) / 4 per sample, averaged over 4 samples
        out[cy * gw + cx] =
          (data[a]! + 2 * data[a + 1]! + data[a + 2]! + data[b]! + 2 * data[b + 1]! + data[b + 2]! +
            data[c]! + 2 * data[c + 1]! + data[c + 2]! + data[d]! + 2 * data[d + 1]! + data[d + 2]!) * 0.0625
      }
    }
  }

  /** Motion = luma change, dilated by one cell (edges of moving things count as moving). */
  private computeWeights(): void {
    const gw = this.gw
    const gh = this.gh
    const cur = this.curLuma
    const prev = this.prevLuma
    const m = this.motion
    const n = gw * gh
    for (let k = 0; k < n; k++) m[k] = Math.abs(cur[k]! - prev[k]!)
    const lo = this.motionLow
    const span = this.motionHigh - this.motionLow
    const wMax = this.strength * 256
    for (let cy = 0; cy < gh; cy++) {
      const ya = Math.max(0, cy - 1)
      const yb = Math.min(gh - 1, cy + 1)
      for (let cx = 0; cx < gw; cx++) {
        const xa = Math.max(0, cx - 1)
        const xb = Math.min(gw - 1, cx + 1)
        let mm = 0
        for (let y = ya; y <= yb; y++) {
          for (let x = xa; x <= xb; x++) {
            const v = m[y * gw + x]!
            if (v > mm) mm = v
          }
        }
        const still = mm <= lo ? 1 : mm >= lo + span ? 0 : 1 - (mm - lo) / span
        this.weight[cy * gw + cx] = Math.round(wMax * still)
      }
    }
  }

  /** out = a + w·(prev − a), w = cell weight × jump factor, in 8-bit fixed point. */
  private blend(alpha: Uint8Array): void {
    const W = this.width
    const H = this.height
    const gw = this.gw
    const prev = this.prevAlpha
    const weight = this.weight
    const lut = this.jumpLut
    for (let y = 0; y < H; y++) {
      const row = y * W
      const wrow = (y >> CELL_SHIFT) * gw
      for (let cx = 0; cx < gw; cx++) {
        const wc = weight[wrow + cx]!
        const xs = row + (cx << CELL_SHIFT)
        const xe = Math.min(row + W, xs + (1 << CELL_SHIFT))
        if (wc === 0) continue
        for (let i = xs; i < xe; i++) {
          const a = alpha[i]!
          const d = prev[i]! - a
          if (d === 0) continue // unchanged (most of a still scene): nothing to blend
          const k = (wc * lut[d < 0 ? -d : d]!) >> 8
          alpha[i] = a + ((k * d + 128) >> 8)
        }
      }
    }
  }
}

/** Mask changes under a quarter of an output level are not blended (most cells of a frame). */
const SETTLED = 1 / 1024

/**
 * mask ← mask + w·(prev − mask) per mask cell, w = strength × stillness (3x3-dilated luma motion)
 * × jump factor; prev ← the result. Thresholds are a little looser than apply()'s: mask cells are
 * smaller, so noisier. Only cells whose mask changed by more than SETTLED and less than jumpHigh
 * are blended (the person's edges; MediaPipe's settled background and body are most of a frame);
 * their 3x3 motion is read from `motion`, a horizontal 3-max measured over the whole grid first,
 * when given (worth it when many cells blend), else measured per cell. Both give the same result.
 * Returns the number of blended cells.
 */
function blendMask(
  mask: Float32Array,
  prev: Float32Array,
  luma: Float32Array,
  prevLuma: Float32Array,
  motion: Float32Array | null,
  mw: number,
  mh: number,
  lo: number,
  span: number,
  strength: number,
  jumpLow: number,
  jumpHigh: number,
): number {
  if (motion) horizontalMotion(luma, prevLuma, motion, mw, mh)
  // luma is 0..1; the motion thresholds are in 0..255 levels
  const moving = (lo + span) / 255
  const low = lo / 255
  const invSpan = 255 / span
  const invJump = 1 / (jumpHigh - jumpLow)
  let active = 0
  for (let y = 0; y < mh; y++) {
    const row = y * mw
    const up = y > 0 ? row - mw : row
    const down = y + 1 < mh ? row + mw : row
    for (let x = 0; x < mw; x++) {
      const k = row + x
      const cur = mask[k]!
      const dp = prev[k]! - cur
      const ad = dp < 0 ? -dp : dp
      // settled, or a jump that passes through (and NaN, which fails the test)
      if (!(ad > SETTLED && ad < jumpHigh)) {
        prev[k] = cur
        continue
      }
      active++
      let mm: number
      if (motion) {
        mm = motion[k]!
        const a = motion[up + x]!
        const b = motion[down + x]!
        if (a > mm) mm = a
        if (b > mm) mm = b
      } else {
        mm = 0
        const xa = x > 0 ? x - 1 : x
        const xb = x + 1 < mw ? x + 1 : x
        for (let r = up; r <= down; r += mw) {
          for (let c = r + xa; c <= r + xb; c++) {
            const d = luma[c]! - prevLuma[c]!
            if (d > mm) mm = d
            else if (-d > mm) mm = -d
          }
        }
      }
      if (mm >= moving) {
        // moving: keep the new mask as it is
        prev[k] = cur
        continue
      }
      const still = mm <= low ? 1 : 1 - (mm - low) * invSpan
      // full strength up to jumpLow, fading to none at jumpHigh: a real change passes through
      const jump = ad <= jumpLow ? 1 : (jumpHigh - ad) * invJump
      const v = cur + strength * still * jump * dp
      mask[k] = v
      prev[k] = v
    }
  }
  return active
}

/** motion ← |luma − prevLuma| with its horizontal 3-max (borders clipped). */
function horizontalMotion(luma: Float32Array, prevLuma: Float32Array, motion: Float32Array, mw: number, mh: number): void {
  for (let y = 0; y < mh; y++) {
    const row = y * mw
    let left = 0
    let d = luma[row]! - prevLuma[row]!
    let mid = d < 0 ? -d : d
    for (let x = 0; x < mw; x++) {
      let right = 0
      if (x + 1 < mw) {
        d = luma[row + x + 1]! - prevLuma[row + x + 1]!
        right = d < 0 ? -d : d
      }
      let v = mid > left ? mid : left
      if (right > v) v = right
      motion[row + x] = v
      left = mid
      mid = right
    }
  }
}
