/**
 * Plain bilinear upsampling of a low-resolution probability mask to a full-resolution 8-bit alpha
 * (half-pixel centres, as ONNX Resize with align_corners=false). The baseline the guided filter
 * must beat, and the path for `refine: false`.
 */
import { ExpandScratch, expandAffine, nodeKind } from './expand.js'

/** Per output column: left source index and 8-bit weight of the right one; cached by size. */
export interface AxisMap {
  i0: Int32Array
  i1: Int32Array
  /** weight of i1 in 0..256 */
  w: Int32Array
}

const axisCache = new Map<string, AxisMap>()

export function axisMap(srcSize: number, dstSize: number): AxisMap {
  const key = `${srcSize}>${dstSize}`
  const hit = axisCache.get(key)
  if (hit) return hit
  const i0 = new Int32Array(dstSize)
  const i1 = new Int32Array(dstSize)
  const w = new Int32Array(dstSize)
  const scale = srcSize / dstSize
  for (let x = 0; x < dstSize; x++) {
    let s = (x + 0.5) * scale - 0.5
    if (s < 0) s = 0
    let a = Math.floor(s)
    if (a > srcSize - 1) a = srcSize - 1
    const b = Math.min(a + 1, srcSize - 1)
    i0[x] = a
    i1[x] = b
    w[x] = Math.round((s - a) * 256)
  }
  const m = { i0, i1, w }
  if (axisCache.size > 64) axisCache.clear()
  axisCache.set(key, m)
  return m
}

/** Scratch for bilinearUpsample, reused while sizes stay the same. */
export class BilinearScratch {
  levels = new Float32Array(0)
  readonly expand = new ExpandScratch()
}

/**
 * mask (mw*mh probabilities 0..1) → out (w*h bytes, 255 = person), through the same full-resolution
 * pass as the guided filter with no slope. Lossless flat runs: a segment is filled only where every
 * output would round to 0 or 255 anyway.
 */
export function bilinearUpsample(mask: Float32Array, mw: number, mh: number, out: Uint8Array, w: number, h: number, s: BilinearScratch, outIsZero: boolean): void {
  const n = mw * mh
  if (s.levels.length !== n) s.levels = new Float32Array(n)
  const levels = s.levels
  s.expand.ensure(mw, mh, w, h)
  const kind = s.expand.kind
  for (let k = 0; k < n; k++) {
    const v = mask[k]! * 255
    levels[k] = v
    // Uint8ClampedArray rounds half to even: under 0.5 stores 0, over 254.5 stores 255
    kind[k] = nodeKind(0, v, 0.4999, 254.5001)
  }
  expandAffine(null, levels, mw, mh, { width: w, height: h, format: 'RGB', data: EMPTY }, out, s.expand, outIsZero)
}

const EMPTY = new Uint8Array(0)
