/**
 * The one full-resolution pass of post-processing: alpha = A·L + B per frame pixel, where A and B
 * live on the mask's grid and are interpolated bilinearly (half-pixel centres, as ONNX Resize with
 * align_corners=false) and L = R + 2G + B is the pixel's luma (0..1020). With A = null it is plain
 * bilinear upsampling of B. Bilinear interpolation is linear in x between two grid columns, so a
 * row walks each grid segment with two running sums (no per-pixel table reads), reads each RGBA
 * pixel as one 32-bit word and stores the byte through a clamped view. Each grid node comes with a
 * kind (nodeKind): 1 where the output is at most a few levels for any luma, 2 where it is at
 * least 255 minus a few, else 0; segments whose four corners share kind 1 or 2 are not computed.
 * The output starts zeroed (one memset, or none for a fresh buffer) and full runs are one fill
 * each, so background and the inside of the person cost next to nothing. (Filling the zero runs
 * row by row instead cost more than the arithmetic it saved: ~10 fill calls a row.)
 */

const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** How output columns and rows map onto the grid; built once per (grid, frame) size. */
interface Plan {
  key: string
  /** per segment (a run of output columns between the same two grid columns) */
  segXs: Int32Array
  segXe: Int32Array
  segI0: Int32Array
  segI1: Int32Array
  /** weight of segI1 at segXs, and its step per output column (0 where clamped at a border) */
  segF0: Float64Array
  segDf: Float64Array
  segCount: number
  rowJ0: Int32Array
  rowJ1: Int32Array
  rowFy: Float64Array
}

function buildPlan(mw: number, mh: number, W: number, H: number): Plan {
  const segXs: number[] = []
  const segXe: number[] = []
  const segI0: number[] = []
  const segI1: number[] = []
  const segF0: number[] = []
  const segDf: number[] = []
  const sx = mw / W
  let cur = -1
  for (let x = 0; x < W; x++) {
    const raw = (x + 0.5) * sx - 0.5
    const clamped = raw <= 0 || raw >= mw - 1
    const s = raw <= 0 ? 0 : raw >= mw - 1 ? mw - 1 : raw
    const i0 = Math.min(Math.floor(s), Math.max(0, mw - 2))
    const i1 = Math.min(i0 + 1, mw - 1)
    // a new segment where the grid columns or the clamping change
    const id = i0 * 2 + (clamped ? 1 : 0)
    if (id !== cur || (clamped && segF0[segF0.length - 1] !== s - i0)) {
      if (segXs.length > 0) segXe[segXe.length - 1] = x
      segXs.push(x)
      segXe.push(W)
      segI0.push(i0)
      segI1.push(i1)
      segF0.push(s - i0)
      segDf.push(clamped ? 0 : sx)
      cur = id
    }
  }
  const rowJ0 = new Int32Array(H)
  const rowJ1 = new Int32Array(H)
  const rowFy = new Float64Array(H)
  const sy = mh / H
  for (let y = 0; y < H; y++) {
    const s = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), mh - 1)
    const j0 = Math.min(Math.floor(s), Math.max(0, mh - 2))
    rowJ0[y] = j0
    rowJ1[y] = Math.min(j0 + 1, mh - 1)
    rowFy[y] = s - j0
  }
  return {
    key: `${mw}x${mh}>${W}x${H}`,
    segXs: Int32Array.from(segXs),
    segXe: Int32Array.from(segXe),
    segI0: Int32Array.from(segI0),
    segI1: Int32Array.from(segI1),
    segF0: Float64Array.from(segF0),
    segDf: Float64Array.from(segDf),
    segCount: segXs.length,
    rowJ0,
    rowJ1,
    rowFy,
  }
}

/** Reused between frames while sizes stay the same. */
export class ExpandScratch {
  plan: Plan | null = null
  /** per grid node: see nodeKind() */
  kind = new Uint8Array(0)
  /** runs for the current grid-row pair: kind (0 compute, 1 zeros, 2 full), first and last segment */
  runKind = new Uint8Array(0)
  runS0 = new Int32Array(0)
  runS1 = new Int32Array(0)
  runCount = 0

  ensure(mw: number, mh: number, W: number, H: number): Plan {
    const key = `${mw}x${mh}>${W}x${H}`
    if (this.plan?.key !== key) {
      this.plan = buildPlan(mw, mh, W, H)
      const n = this.plan.segCount
      this.runKind = new Uint8Array(n)
      this.runS0 = new Int32Array(n)
      this.runS1 = new Int32Array(n)
    }
    if (this.kind.length !== mw * mh) this.kind = new Uint8Array(mw * mh)
    return this.plan
  }
}

export interface ExpandTarget {
  width: number
  height: number
  format: 'RGB' | 'RGBA'
  data: Uint8Array
}

/**
 * Kind of a node whose output is a·L + b for luma L in 0..1020 (a in levels per luma unit, b in
 * levels): 1 when it stays at or under zeroBelow, 2 when at or over fullAbove, else 0. NaN fails
 * both tests and is computed (a NaN output stores 0: fail closed).
 */
export function nodeKind(a: number, b: number, zeroBelow: number, fullAbove: number): number {
  const s = a * 1020
  const hi = s > 0 ? b + s : b
  const lo = s > 0 ? b : b + s
  return hi <= zeroBelow ? 1 : lo >= fullAbove ? 2 : 0
}

/**
 * out[y*W+x] = A(x,y)·L(x,y) + B(x,y), clamped and rounded; A null = B only. s.kind (filled by the
 * caller after s.ensure) marks the nodes whose segments are filled (0 / 255) rather than computed.
 * `outIsZero`: the caller guarantees out is all zeros (a fresh Uint8Array), so it is not cleared.
 */
export function expandAffine(
  A: Float32Array | null,
  B: Float32Array,
  mw: number,
  mh: number,
  frame: ExpandTarget,
  out: Uint8Array,
  s: ExpandScratch,
  outIsZero: boolean,
): void {
  if (!outIsZero) out.fill(0)
  const W = frame.width
  const H = frame.height
  const plan = s.ensure(mw, mh, W, H)
  const { segXs, segXe, segI0, segI1, segF0, segDf, segCount, rowJ0, rowJ1, rowFy } = plan
  const o = new Uint8ClampedArray(out.buffer, out.byteOffset, out.length)
  const data = frame.data
  const bpp = frame.format === 'RGBA' ? 4 : 3
  const px = A !== null && bpp === 4 && IS_LITTLE_ENDIAN && data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, W * H) : null
  const kind = s.kind
  const runKind = s.runKind
  const runS0 = s.runS0
  const runS1 = s.runS1
  let pair = -1
  for (let y = 0; y < H; y++) {
    const j0 = rowJ0[y]!
    const j1 = rowJ1[y]!
    if (pair !== j0 * 65536 + j1) {
      pair = j0 * 65536 + j1
      // group segments into runs: consecutive flat segments of one value, or one computed stretch
      const r0 = j0 * mw
      const r1 = j1 * mw
      let n = 0
      let prevKind = -1
      for (let k = 0; k < segCount; k++) {
        const i0 = segI0[k]!
        const i1 = segI1[k]!
        const c = kind[r0 + i0]!
        const segKind = c !== 0 && c === kind[r0 + i1] && c === kind[r1 + i0] && c === kind[r1 + i1] ? c : 0
        if (segKind === prevKind) {
          runS1[n - 1] = k
        } else {
          runKind[n] = segKind
          runS0[n] = k
          runS1[n] = k
          n++
          prevKind = segKind
        }
      }
      s.runCount = n
    }
    const fy = rowFy[y]!
    const row = y * W
    const r0 = j0 * mw
    const r1 = j1 * mw
    for (let r = 0; r < s.runCount; r++) {
      const rk = runKind[r]!
      const k0 = runS0[r]!
      const k1 = runS1[r]!
      if (rk === 1) continue
      if (rk === 2) {
        out.fill(255, row + segXs[k0]!, row + segXe[k1]!)
        continue
      }
      // node values at this row, carried from one segment's right column to the next one's left
      let node = -1
      let nodeA = 0
      let nodeB = 0
      for (let k = k0; k <= k1; k++) {
        const i0 = segI0[k]!
        const i1 = segI1[k]!
        let aL: number
        let bL: number
        if (i0 === node) {
          aL = nodeA
          bL = nodeB
        } else {
          const t0 = B[r0 + i0]!
          bL = t0 + (B[r1 + i0]! - t0) * fy
          if (A !== null) {
            const u0 = A[r0 + i0]!
            aL = u0 + (A[r1 + i0]! - u0) * fy
          } else aL = 0
        }
        const t1 = B[r0 + i1]!
        const bR = t1 + (B[r1 + i1]! - t1) * fy
        let aR = 0
        if (A !== null) {
          const u1 = A[r0 + i1]!
          aR = u1 + (A[r1 + i1]! - u1) * fy
        }
        node = i1
        nodeA = aR
        nodeB = bR
        const f0 = segF0[k]!
        const df = segDf[k]!
        const xs = row + segXs[k]!
        const xe = row + segXe[k]!
        let b = bL + (bR - bL) * f0
        const db = (bR - bL) * df
        if (A === null) {
          for (let x = xs; x < xe; x++) {
            o[x] = b
            b += db
          }
          continue
        }
        let a = aL + (aR - aL) * f0
        const da = (aR - aL) * df
        if (px !== null) {
          for (let x = xs; x < xe; x++) {
            const q = px[x]!
            // R + 2G + B from one little-endian RGBA word
            o[x] = a * ((q & 255) + ((q >>> 7) & 510) + ((q >>> 16) & 255)) + b
            a += da
            b += db
          }
        } else {
          let p = xs * bpp
          for (let x = xs; x < xe; x++) {
            o[x] = a * (data[p]! + 2 * data[p + 1]! + data[p + 2]!) + b
            a += da
            b += db
            p += bpp
          }
        }
      }
    }
  }
}
