/**
 * Plain bilinear upsampling of a low-resolution probability mask to a full-resolution 8-bit alpha
 * (half-pixel centres, as ONNX Resize with align_corners=false). The baseline the guided filter
 * must beat, and the path for `refine: false`.
 */

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

/**
 * mask (mw*mh probabilities 0..1) → out (w*h bytes, 255 = person). Separable: each needed source
 * row is widened once into a row cache, then output rows lerp between two cached rows.
 */
export function bilinearUpsample(
  mask: Float32Array,
  mw: number,
  mh: number,
  out: Uint8Array,
  w: number,
  h: number,
  rowA: Float32Array,
  rowB: Float32Array,
): void {
  const mx = axisMap(mw, w)
  const my = axisMap(mh, h)
  const o = new Uint8ClampedArray(out.buffer, out.byteOffset, out.length)
  let cachedA = -1
  let cachedB = -1
  let ra = rowA
  let rb = rowB
  for (let y = 0; y < h; y++) {
    const y0 = my.i0[y]!
    const y1 = my.i1[y]!
    if (y0 !== cachedA) {
      if (y0 === cachedB) {
        const t = ra
        ra = rb
        rb = t
        cachedA = cachedB
        cachedB = -1
      } else {
        widenScaled(mask, y0 * mw, ra, w, mx)
        cachedA = y0
      }
    }
    if (y1 !== cachedB) {
      widenScaled(mask, y1 * mw, rb, w, mx)
      cachedB = y1
    }
    lerpRow(ra, rb, my.w[y]! / 256, o, y * w, w)
  }
}

function widenScaled(mask: Float32Array, base: number, dst: Float32Array, w: number, mx: AxisMap): void {
  const i0 = mx.i0
  const i1 = mx.i1
  const wx = mx.w
  for (let x = 0; x < w; x++) {
    const p0 = mask[base + i0[x]!]!
    dst[x] = (p0 + (mask[base + i1[x]!]! - p0) * wx[x]! * 0.00390625) * 255
  }
}

function lerpRow(ra: Float32Array, rb: Float32Array, fy: number, o: Uint8ClampedArray, row: number, w: number): void {
  for (let x = 0; x < w; x++) {
    const a = ra[x]!
    o[row + x] = a + (rb[x]! - a) * fy
  }
}
