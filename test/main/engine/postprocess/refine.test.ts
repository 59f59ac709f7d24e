import { readdirSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { guidedUpsampleLuma, LumaGuidedScratch } from '../../../../src/main/engine/postprocess/guided.js'
import { maskGridLuma, refineAlpha } from '../../../../src/main/engine/postprocess/index.js'
import type { Frame } from '../../../../src/main/engine/types.js'
import { sharedFile } from '../../../support/paths.js'
import { iou, loadChannel, loadFrame, openReferenceSegmenter, type Segmenter } from './reference-segmenter.js'

let seg: Segmenter
beforeAll(async () => {
  seg = await openReferenceSegmenter('general')
})

describe('refineAlpha on the golden portrait', () => {
  it('guided refinement keeps IoU ≥ 0.93 against the golden mask (and ≥ bilinear − 0.005)', async () => {
    const frame = await loadFrame(sharedFile('media', 'portrait', 'portrait.jpg'))
    const blue = await loadChannel(sharedFile('media', 'portrait', 'portrait_segmentation.png'), 2)
    const mask = await seg.run(frame)
    const guided = refineAlpha(mask, seg.width, seg.height, frame)
    const bilinear = refineAlpha(mask, seg.width, seg.height, frame, { guided: false })
    expect(guided.length).toBe(820 * 1024)
    const iouGuided = iou(guided, (i) => blue[i]! >= 255)
    const iouBilinear = iou(bilinear, (i) => blue[i]! >= 255)
    console.log(`portrait IoU: guided ${iouGuided.toFixed(4)}, bilinear ${iouBilinear.toFixed(4)}`)
    expect(iouGuided).toBeGreaterThanOrEqual(0.93)
    expect(iouGuided).toBeGreaterThanOrEqual(iouBilinear - 0.005)
  })

  it('RGB and RGBA frames give the same alpha; options.out is filled and returned', async () => {
    const rgb = await loadFrame(sharedFile('media', 'portrait', 'portrait.jpg'), 'RGB')
    const rgba = await loadFrame(sharedFile('media', 'portrait', 'portrait.jpg'), 'RGBA')
    const mask = await seg.run(rgb)
    const a = refineAlpha(mask, seg.width, seg.height, rgb)
    const out = new Uint8Array(rgb.width * rgb.height)
    const b = refineAlpha(mask, seg.width, seg.height, rgba, { out })
    expect(b).toBe(out)
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true)
  })
})

describe('refineAlpha on the P3M portraits (soft alphas)', () => {
  const names = readdirSync(sharedFile('media', 'p3m', 'original')).filter((f) => f.endsWith('.jpg')).sort()

  it('luma and colour guides are at least as good as bilinear by MAD, better in the edge band, and soft at edges', async () => {
    let madG = 0
    let madB = 0
    let edgeG = 0
    let edgeB = 0
    let edgeN = 0
    let edgeC = 0
    let madC = 0
    let fractionalG = 0
    let fractionalB = 0
    let pixels = 0
    for (const name of names) {
      const frame = await loadFrame(sharedFile('media', 'p3m', 'original', name))
      const truth = await loadChannel(sharedFile('media', 'p3m', 'alpha', name.replace(/\.jpg$/, '.png')), 0)
      expect(truth.length).toBe(frame.width * frame.height)
      const mask = await seg.run(frame)
      const g = refineAlpha(mask, seg.width, seg.height, frame)
      const b = refineAlpha(mask, seg.width, seg.height, frame, { guided: false })
      const c = refineAlpha(mask, seg.width, seg.height, frame, { guide: 'rgb', radius: 2, eps: 3e-4 })
      let sc = 0
      let sg = 0
      let sb = 0
      for (let i = 0; i < g.length; i++) {
        const t = truth[i]!
        const dg = Math.abs(g[i]! - t)
        const db = Math.abs(b[i]! - t)
        sg += dg
        sb += db
        const dc = Math.abs(c[i]! - t)
        sc += dc
        // the edge band: where the reference alpha is partial (hair, outline)
        if (t > 0 && t < 255) {
          edgeG += dg
          edgeB += db
          edgeC += dc
          edgeN++
        }
        if (g[i]! > 0 && g[i]! < 255) fractionalG++
        if (b[i]! > 0 && b[i]! < 255) fractionalB++
      }
      madG += sg / g.length
      madB += sb / b.length
      madC += sc / c.length
      pixels += g.length
    }
    madG /= names.length
    madB /= names.length
    madC /= names.length
    console.log(
      `p3m (${names.length} images) MAD: guided luma ${madG.toFixed(2)}, guided rgb ${madC.toFixed(2)}, bilinear ${madB.toFixed(2)}; ` +
        `edge-band MAD: luma ${(edgeG / edgeN).toFixed(1)}, rgb ${(edgeC / edgeN).toFixed(1)}, bilinear ${(edgeB / edgeN).toFixed(1)}; ` +
        `fractional pixels: guided ${((100 * fractionalG) / pixels).toFixed(1)} %, bilinear ${((100 * fractionalB) / pixels).toFixed(1)} %`,
    )
    expect(madG).toBeLessThanOrEqual(madB)
    expect(madC).toBeLessThanOrEqual(madB)
    expect(edgeG / edgeN).toBeLessThan(0.95 * (edgeB / edgeN))
    expect(edgeC / edgeN).toBeLessThan(0.9 * (edgeB / edgeN))
    // soft, not a hard cut-out: a real share of edge pixels stays fractional
    expect(fractionalG / pixels).toBeGreaterThan(0.01)
    expect(madG).toBeLessThan(20)
  })
})

describe('the fused full-resolution pass', () => {
  const W = 333
  const H = 201
  const mw = 40
  const mh = 24
  /** A textured frame with a brighter ellipse ("person"), and a soft, noisy mask of the ellipse. */
  function scene(format: 'RGB' | 'RGBA'): { frame: Frame; mask: Float32Array } {
    const bpp = format === 'RGBA' ? 4 : 3
    const data = new Uint8Array(W * H * bpp)
    const inside = (x: number, y: number): number => ((x - W / 2) / (W / 4)) ** 2 + ((y - H / 2) / (H / 3)) ** 2
    for (let y = 0, i = 0; y < H; y++) {
      for (let x = 0; x < W; x++, i += bpp) {
        const base = inside(x, y) < 1 ? 170 : 40
        data[i] = base + ((x * 13 + y * 7) % 40)
        data[i + 1] = base + ((x * 5 + y * 17) % 50)
        data[i + 2] = base + ((x * 29 + y * 3) % 30)
        if (bpp === 4) data[i + 3] = 255
      }
    }
    const mask = new Float32Array(mw * mh)
    for (let j = 0; j < mh; j++) {
      for (let i = 0; i < mw; i++) {
        const d = inside(((i + 0.5) * W) / mw, ((j + 0.5) * H) / mh)
        mask[j * mw + i] = Math.min(1, Math.max(0, 1.5 - d + (((i * 7 + j * 13) % 11) - 5) / 200))
      }
    }
    return { frame: { seq: 0, captureTimeUs: 0, width: W, height: H, format, data }, mask }
  }
  /** Bilinear value of a grid plane at output pixel (x, y), half-pixel centres. */
  function bilerp(plane: Float32Array, x: number, y: number): number {
    const sx = Math.min(Math.max((x + 0.5) * (mw / W) - 0.5, 0), mw - 1)
    const sy = Math.min(Math.max((y + 0.5) * (mh / H) - 0.5, 0), mh - 1)
    const i0 = Math.min(Math.floor(sx), mw - 2)
    const j0 = Math.min(Math.floor(sy), mh - 2)
    const fx = sx - i0
    const fy = sy - j0
    const at = (i: number, j: number): number => plane[j * mw + i]!
    const top = at(i0, j0) + (at(i0 + 1, j0) - at(i0, j0)) * fx
    const bottom = at(i0, j0 + 1) + (at(i0 + 1, j0 + 1) - at(i0, j0 + 1)) * fx
    return top + (bottom - top) * fy
  }

  it.each(['RGB', 'RGBA'] as const)('guided (%s): a·L + b per pixel with a, b bilinear, snapped to 0/255 only within 3 levels', (format) => {
    const { frame, mask } = scene(format)
    const s = new LumaGuidedScratch()
    const out = new Uint8Array(W * H)
    guidedUpsampleLuma(mask, mw, mh, maskGridLuma(frame, mw, mh), frame, out, 1, 1e-4, s, true)
    const bpp = format === 'RGBA' ? 4 : 3
    let computed = 0
    const wrong: string[] = []
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const p = (y * W + x) * bpp
        const v = bilerp(s.A, x, y) * (frame.data[p]! + 2 * frame.data[p + 1]! + frame.data[p + 2]!) + bilerp(s.B, x, y)
        const got = out[y * W + x]!
        const want = Math.min(255, Math.max(0, v))
        const ok = got === 0 && want > 0.5 ? v <= 3 : got === 255 && want < 254.5 ? v >= 252 : Math.abs(got - want) <= 0.51
        if (!ok) wrong.push(`(${x},${y}): got ${got}, a·L + b = ${v.toFixed(2)}`)
        if (got > 0 && got < 255) computed++
      }
    }
    expect(wrong.slice(0, 5)).toEqual([])
    // the soft edge band is really computed, not snapped away
    expect(computed).toBeGreaterThan(0.05 * W * H)
  })

  it('plain bilinear equals a direct evaluation, rounded (0 and 255 only where they round there)', () => {
    const { frame, mask } = scene('RGB')
    const levels = mask.map((v) => v * 255)
    const out = refineAlpha(mask, mw, mh, frame, { guided: false })
    let worst = 0
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) worst = Math.max(worst, Math.abs(out[y * W + x]! - bilerp(levels, x, y)))
    expect(worst).toBeLessThanOrEqual(0.51)
  })

  it('a caller-supplied guideLuma (the engine passes its resampler’s) gives the same alpha; one of the wrong size is BAD_ARGUMENT', () => {
    const { frame, mask } = scene('RGBA')
    const own = refineAlpha(mask, mw, mh, frame)
    const given = refineAlpha(mask, mw, mh, frame, { guideLuma: new Float32Array(maskGridLuma(frame, mw, mh)) })
    expect(Buffer.from(given).equals(Buffer.from(own))).toBe(true)
    expect(() => refineAlpha(mask, mw, mh, frame, { guideLuma: new Float32Array(7) })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }))
  })
})

describe('refineAlpha argument checks', () => {
  const frame = { seq: 0, captureTimeUs: 0, width: 4, height: 2, format: 'RGB' as const, data: new Uint8Array(24) }
  it('rejects a mask of the wrong length with BAD_ARGUMENT', () => {
    expect(() => refineAlpha(new Float32Array(5), 2, 2, frame)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT', message: 'refineAlpha: mask.length must be maskWidth*maskHeight = 4 (got 5)' }))
  })
  it('rejects a frame whose buffer does not match its size with FRAME_INVALID', () => {
    expect(() => refineAlpha(new Float32Array(4), 2, 2, { ...frame, data: new Uint8Array(10) })).toThrow(expect.objectContaining({ code: 'FRAME_INVALID', message: expect.stringContaining('needs 24') }))
  })
  it('handles masks larger than the frame and tiny frames', () => {
    const big = new Float32Array(16 * 16).fill(1)
    expect([...refineAlpha(big, 16, 16, frame)]).toEqual(new Array(8).fill(255))
    expect([...refineAlpha(new Float32Array(1), 1, 1, frame)]).toEqual(new Array(8).fill(0))
  })
})
