import { beforeAll, describe, expect, it } from 'vitest'
import { readY4m } from '../../../../src/main/engine/io/index.js'
import { maskGridLuma, refineAlpha, TemporalFilter } from '../../../../src/main/engine/postprocess/index.js'
import type { Frame } from '../../../../src/main/engine/types.js'
import { sharedFile } from '../../../support/paths.js'
import { openReferenceSegmenter } from './reference-segmenter.js'

/** Luma per 8x8 cell, to find the still parts of a clip. */
function cellLuma(f: Frame): Float32Array {
  const gw = Math.ceil(f.width / 8)
  const gh = Math.ceil(f.height / 8)
  const out = new Float32Array(gw * gh)
  const bpp = f.format === 'RGBA' ? 4 : 3
  for (let y = 0; y < f.height; y++) {
    for (let x = 0; x < f.width; x++) {
      const p = (y * f.width + x) * bpp
      out[(y >> 3) * gw + (x >> 3)]! += (f.data[p]! + 2 * f.data[p + 1]! + f.data[p + 2]!) / 256
    }
  }
  return out
}

describe('TemporalFilter on a real clip (s18, 60 frames)', () => {
  const raw: Uint8Array[] = []
  const filtered: Uint8Array[] = []
  const maskFiltered: Uint8Array[] = []
  const lumas: Float32Array[] = []
  let width = 0

  beforeAll(async () => {
    const seg = await openReferenceSegmenter('landscape')
    const tf = new TemporalFilter()
    const tfMask = new TemporalFilter()
    for await (const frame of readY4m(sharedFile('media', 'video', 's18_640x360_15fps_4s.y4m'), { format: 'RGBA' })) {
      const mask = await seg.run(frame)
      const a = refineAlpha(mask, seg.width, seg.height, frame)
      maskFiltered.push(refineAlpha(tfMask.applyToMask(new Float32Array(mask), seg.width, seg.height, frame), seg.width, seg.height, frame))
      raw.push(new Uint8Array(a))
      filtered.push(new Uint8Array(tf.apply(a, frame)))
      lumas.push(cellLuma(frame))
      width = frame.width
    }
  })

  /** mean |Δalpha| between consecutive frames over pixels whose 8x8 cell's luma is still. */
  function flicker(seq: Uint8Array[]): { value: number; pixels: number } {
    let sum = 0
    let n = 0
    const gw = Math.ceil(width / 8)
    for (let f = 1; f < seq.length; f++) {
      const a = seq[f]!
      const b = seq[f - 1]!
      const l0 = lumas[f - 1]!
      const l1 = lumas[f]!
      for (let i = 0; i < a.length; i++) {
        const x = i % width
        const y = (i / width) | 0
        const c = (y >> 3) * gw + (x >> 3)
        if (Math.abs(l1[c]! - l0[c]!) / 64 > 1.5) continue // moving cell (mean luma moved > 1.5 levels)
        // only where the matte is uncertain (edges); solid areas never flicker
        if ((a[i]! === 0 && b[i]! === 0) || (a[i]! === 255 && b[i]! === 255)) continue
        sum += Math.abs(a[i]! - b[i]!)
        n++
      }
    }
    return { value: sum / n, pixels: n }
  }

  it('reduces flicker in still regions', () => {
    expect(filtered).toHaveLength(60)
    const before = flicker(raw)
    const after = flicker(filtered)
    console.log(`s18 flicker (mean |Δα| at still edges): unfiltered ${before.value.toFixed(2)}, filtered ${after.value.toFixed(2)} over ${before.pixels} px`)
    expect(before.pixels).toBeGreaterThan(10_000)
    expect(after.value).toBeLessThan(0.8 * before.value)
  })

  it('the low-resolution variant (applyToMask before refineAlpha) reduces flicker too', () => {
    const before = flicker(raw)
    const after = flicker(maskFiltered)
    console.log(`s18 flicker with applyToMask: unfiltered ${before.value.toFixed(2)}, filtered ${after.value.toFixed(2)}`)
    expect(after.value).toBeLessThan(0.8 * before.value)
  })

  it('stays close to the per-frame matte (no drift): mean |filtered − raw| small', () => {
    let sum = 0
    let n = 0
    for (let f = 0; f < raw.length; f++) {
      for (let i = 0; i < raw[f]!.length; i += 7) {
        sum += Math.abs(raw[f]![i]! - filtered[f]![i]!)
        n++
      }
    }
    expect(sum / n).toBeLessThan(2)
  })
})

describe('TemporalFilter on synthetic motion', () => {
  const W = 160
  const H = 120
  /** A bright square at x on a dark, textured background; the matching hard mask. */
  function scene(x: number, seq: number, moveImage = true): { frame: Frame; alpha: Uint8Array } {
    const data = new Uint8Array(W * H * 3)
    const alpha = new Uint8Array(W * H)
    const ix = moveImage ? x : 40
    for (let y = 0; y < H; y++) {
      for (let xx = 0; xx < W; xx++) {
        const i = y * W + xx
        const inImg = xx >= ix && xx < ix + 40 && y >= 40 && y < 80
        const v = inImg ? 220 : 30 + ((xx * 7 + y * 13) % 11)
        data[i * 3] = v
        data[i * 3 + 1] = v
        data[i * 3 + 2] = v
        alpha[i] = xx >= x && xx < x + 40 && y >= 40 && y < 80 ? 255 : 0
      }
    }
    return { frame: { seq, captureTimeUs: seq * 33_333, width: W, height: H, format: 'RGB', data }, alpha }
  }

  function mad(a: Uint8Array, b: Uint8Array): number {
    let s = 0
    for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!)
    return s / a.length
  }

  it('a moving person leaves no trail: the output follows the moved matte on the same frame', () => {
    const tf = new TemporalFilter()
    for (let f = 0; f < 5; f++) tf.apply(scene(20, f).alpha, scene(20, f).frame) // settle while still
    for (let f = 5; f < 12; f++) {
      const s = scene(20 + (f - 4) * 12, f)
      const want = new Uint8Array(s.alpha)
      const got = tf.apply(s.alpha, s.frame)
      expect(mad(got, want)).toBeLessThan(0.5)
    }
  })

  it('a matte that jumps while the picture is still also passes through at once', () => {
    const tf = new TemporalFilter()
    for (let f = 0; f < 5; f++) tf.apply(scene(40, f, false).alpha, scene(40, f, false).frame)
    const s = scene(100, 5, false)
    const want = new Uint8Array(s.alpha)
    expect(mad(tf.apply(s.alpha, s.frame), want)).toBeLessThan(0.5)
  })

  it('a still scene with a noisy edge is smoothed; reset() and a size change restart the history', () => {
    const tf = new TemporalFilter()
    const base = scene(40, 0)
    let rawFlicker = 0
    let outFlicker = 0
    let prevRaw: Uint8Array | null = null
    let prevOut: Uint8Array | null = null
    for (let f = 0; f < 20; f++) {
      const a = new Uint8Array(base.alpha)
      // the left edge column wobbles by ±40 levels, as a segmenter's edges do
      for (let y = 40; y < 80; y++) a[y * W + 40] = f % 2 ? 215 : 255
      const r = new Uint8Array(a)
      const o = new Uint8Array(tf.apply(a, { ...base.frame, seq: f }))
      if (prevRaw && prevOut) {
        rawFlicker += mad(r, prevRaw)
        outFlicker += mad(o, prevOut)
      }
      prevRaw = r
      prevOut = o
    }
    expect(outFlicker).toBeLessThan(0.5 * rawFlicker)
    tf.reset()
    const after = new Uint8Array(base.alpha)
    after.fill(0)
    expect(tf.apply(after, base.frame).every((v) => v === 0)).toBe(true)
    const small = scene(0, 0)
    const frame2: Frame = { ...small.frame, width: 80, height: 60, data: small.frame.data.subarray(0, 80 * 60 * 3) }
    const a2 = new Uint8Array(80 * 60).fill(200)
    expect(tf.apply(a2, frame2).every((v) => v === 200)).toBe(true)
  })

  it('applyToMask: a moving person leaves no trail either', () => {
    const tf = new TemporalFilter()
    const lowMask = (alpha: Uint8Array): Float32Array => {
      // 40x30 mask from the 160x120 hard matte (4x4 block means), as a segmenter would give
      const m = new Float32Array(40 * 30)
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) m[(y >> 2) * 40 + (x >> 2)]! += alpha[y * W + x]! / 255 / 16
      return m
    }
    for (let f = 0; f < 5; f++) {
      const s = scene(20, f)
      refineAlpha(tf.applyToMask(lowMask(s.alpha), 40, 30, s.frame), 40, 30, s.frame)
    }
    for (let f = 5; f < 12; f++) {
      const s = scene(20 + (f - 4) * 12, f)
      const unfiltered = refineAlpha(lowMask(s.alpha), 40, 30, s.frame)
      const got = refineAlpha(tf.applyToMask(lowMask(s.alpha), 40, 30, s.frame), 40, 30, s.frame)
      expect(mad(got, unfiltered)).toBeLessThan(0.5)
    }
  })

  it('applyToMask: a caller-supplied guideLuma (the engine passes its resampler’s) gives the same masks', () => {
    const own = new TemporalFilter()
    const given = new TemporalFilter()
    for (let f = 0; f < 12; f++) {
      // still for a while, then moving: both the blending and the pass-through paths run
      const s = scene(f < 6 ? 40 : 40 + (f - 5) * 6, f)
      const m = new Float32Array(40 * 30)
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) m[(y >> 2) * 40 + (x >> 2)]! += s.alpha[y * W + x]! / 255 / 16
      // a noisy edge, as a segmenter's
      for (let k = f % 3; k < m.length; k += 3) m[k] = Math.min(1, m[k]! + 0.02 * (f % 2))
      const a = own.applyToMask(new Float32Array(m), 40, 30, s.frame)
      const b = given.applyToMask(new Float32Array(m), 40, 30, s.frame, new Float32Array(maskGridLuma(s.frame, 40, 30)))
      expect(Array.from(b)).toEqual(Array.from(a))
    }
  })

  it('checks its arguments', () => {
    expect(() => new TemporalFilter().applyToMask(new Float32Array(4), 2, 2, scene(0, 0).frame, new Float32Array(3))).toThrow(
      expect.objectContaining({ code: 'BAD_ARGUMENT', message: expect.stringContaining('guideLuma.length must be maskWidth*maskHeight = 4 (got 3)') }),
    )
    expect(() => new TemporalFilter({ strength: 1.5 })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }))
    expect(() => new TemporalFilter().apply(new Uint8Array(3), scene(0, 0).frame)).toThrow(/alpha.length must be frame.width\*frame.height = 19200 \(got 3\)/)
  })
})
