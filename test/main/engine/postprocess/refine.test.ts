import { readdirSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { refineAlpha } from '../../../../src/main/engine/postprocess/index.js'
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
