import { describe, expect, it } from 'vitest'
import { float16BitsToFloat32 } from '../../../src/main/engine/onnx/onnx-proto.js'
import { FrameGrid, floatToAlpha, frameToPlanarF16, frameToPlanarF32, halfToAlpha, SegmentationResampler } from '../../../src/main/engine/preprocess.js'
import type { Frame, SegmentationInterface } from '../../../src/main/engine/types.js'

function frame(format: 'RGB' | 'RGBA', width: number, height: number, px: (x: number, y: number) => [number, number, number]): Frame {
  const bpp = format === 'RGBA' ? 4 : 3
  const data = new Uint8Array(width * height * bpp)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = px(x, y)
      const i = (y * width + x) * bpp
      data.set([r, g, b], i)
      if (bpp === 4) data[i + 3] = 255
    }
  }
  return { seq: 0, captureTimeUs: 0, width, height, format, data }
}

describe('frame → planar RVM input', () => {
  it.each(['RGB', 'RGBA'] as const)('writes NCHW RGB 0..1 from %s, float32 and float16', (format) => {
    const f = frame(format, 3, 2, (x, y) => [x * 100, y * 255, 51])
    const out = new Float32Array(18)
    frameToPlanarF32(f, out)
    expect(Array.from(out.subarray(0, 6), (v) => Math.round(v * 255))).toEqual([0, 100, 200, 0, 100, 200])
    expect(Array.from(out.subarray(6, 12), (v) => Math.round(v * 255))).toEqual([0, 0, 0, 255, 255, 255])
    expect(out[12]).toBeCloseTo(0.2, 6)
    const half = new Uint16Array(18)
    frameToPlanarF16(f, half)
    const back = float16BitsToFloat32(half)
    for (let i = 0; i < 18; i++) expect(back[i]).toBeCloseTo(out[i]!, 3)
  })
})

describe('SegmentationResampler', () => {
  const spec = (over: Partial<SegmentationInterface>): SegmentationInterface => ({
    kind: 'segmentation', layout: 'NHWC', width: 4, height: 2, preprocess: 'rgb01', output: 'probability', inputName: 'in', outputName: 'out', ...over,
  })

  it('stretches the whole frame (no letterbox) into NHWC RGB 0..1', () => {
    // Left half red, right half blue: the left two output columns must be red, the right two blue.
    const f = frame('RGBA', 8, 4, (x) => (x < 4 ? [255, 0, 0] : [0, 0, 255]))
    const out = new SegmentationResampler(spec({})).run(f)
    expect(Array.from(out.subarray(0, 12))).toEqual([1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1])
  })

  it("applies SINet's BGR mean/std normalisation in NCHW", () => {
    const f = frame('RGB', 8, 4, () => [126.91212, 111.25247, 102.890434].map(Math.round) as [number, number, number])
    const out = new SegmentationResampler(spec({ layout: 'NCHW', preprocess: 'sinet', output: 'softmax2' })).run(f)
    // Plane 0 is B, plane 2 is R; values at the mean give ~0.
    for (const v of out) expect(Math.abs(v)).toBeLessThan(0.001)
    const white = new SegmentationResampler(spec({ layout: 'NCHW', preprocess: 'sinet', output: 'softmax2' })).run(frame('RGB', 8, 4, () => [255, 255, 255]))
    expect(white[0]).toBeCloseTo((255 - 102.890434) / (62.93292 * 255), 5) // B
    expect(white[16]).toBeCloseTo((255 - 126.91212) / (66.355705 * 255), 5) // R
  })
})

describe('alpha conversion', () => {
  it('clamps, rounds and maps NaN to 0 (fail closed)', () => {
    const out = new Uint8Array(6)
    floatToAlpha(Float32Array.of(-1, 0, 0.5, 1, 2, Number.NaN), out)
    expect(Array.from(out)).toEqual([0, 0, 128, 255, 255, 0])
    halfToAlpha(Uint16Array.of(0xbc00, 0x0000, 0x3800, 0x3c00, 0x4000, 0x7e00), out)
    expect(Array.from(out)).toEqual([0, 0, 128, 255, 255, 0])
  })
})

describe('FrameGrid (the one pass over the frame for the network input and the guide)', () => {
  /** Reference bilinear sample (align_corners = false) of channel c, and (R+2G+B)/4 of a pixel. */
  function bilinear(f: Frame, gw: number, gh: number, i: number, j: number, c: number): number {
    const bpp = f.format === 'RGBA' ? 4 : 3
    const at = (x: number, y: number): number => f.data[(y * f.width + x) * bpp + c]!
    const sx = Math.min(Math.max((i + 0.5) * (f.width / gw) - 0.5, 0), f.width - 1)
    const sy = Math.min(Math.max((j + 0.5) * (f.height / gh) - 0.5, 0), f.height - 1)
    const x0 = Math.floor(sx), y0 = Math.floor(sy), x1 = Math.min(x0 + 1, f.width - 1), y1 = Math.min(y0 + 1, f.height - 1)
    const fx = sx - x0, fy = sy - y0
    const top = at(x0, y0) + (at(x1, y0) - at(x0, y0)) * fx
    const bottom = at(x0, y1) + (at(x1, y1) - at(x0, y1)) * fx
    return top + (bottom - top) * fy
  }
  function noisy(format: 'RGB' | 'RGBA', w: number, h: number): Frame {
    const bpp = format === 'RGBA' ? 4 : 3
    const data = new Uint8Array(w * h * bpp)
    for (let y = 0, i = 0; y < h; y++) {
      for (let x = 0; x < w; x++, i += bpp) {
        data[i] = (x * 37 + y * 11) % 256
        data[i + 1] = (x * 7 + y * 53 + 90) % 256
        data[i + 2] = (x * x + y * 3) % 256
        if (bpp === 4) data[i + 3] = 255
      }
    }
    return { seq: 0, captureTimeUs: 0, width: w, height: h, format, data }
  }

  it.each([
    ['1280x720 → 256x144 (one pixel per cell)', 1280, 720, 256, 144],
    ['820x1024 → 256x256', 820, 1024, 256, 256],
    ['200x150 → 320x320 (enlarged)', 200, 150, 320, 320],
  ])('writes the bilinear sample into the network input, from RGB and RGBA alike: %s', (_name, w, h, gw, gh) => {
    const spec: SegmentationInterface = { kind: 'segmentation', layout: 'NHWC', width: gw, height: gh, preprocess: 'rgb01', output: 'probability', inputName: 'in', outputName: 'out' }
    const rgb = noisy('RGB', w, h)
    const a = new SegmentationResampler(spec)
    const b = new SegmentationResampler(spec)
    const inRgb = a.run(rgb)
    const inRgba = b.run(noisy('RGBA', w, h))
    let worst = 0
    for (let j = 0; j < gh; j += 7) {
      for (let i = 0; i < gw; i += 5) {
        for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(inRgb[(j * gw + i) * 3 + c]! * 255 - bilinear(rgb, gw, gh, i, j, c)))
      }
    }
    expect(worst).toBeLessThan(1e-3)
    const maxDiff = (x: Float32Array, y: Float32Array): number => x.reduce((m, v, k) => Math.max(m, Math.abs(v - y[k]!)), 0)
    expect(maxDiff(inRgba, inRgb)).toBeLessThan(1e-6)
    expect(maxDiff(b.luma, a.luma)).toBeLessThan(1e-6)
  })

  it('measures each cell’s luma as the mean of a 2x2 spread over the cell (at 1/4 and 3/4), the same with or without an input', () => {
    const f = noisy('RGBA', 8, 4)
    const grid = new FrameGrid(2, 1).run(f)
    const L = (x: number, y: number): number => {
      const p = (y * 8 + x) * 4
      return (f.data[p]! + 2 * f.data[p + 1]! + f.data[p + 2]!) / 1020
    }
    // cell 0 spans x 0..3 and y 0..3: samples at x 1, 3 and y 1, 3
    expect(grid.luma[0]).toBeCloseTo((L(1, 1) + L(3, 1) + L(1, 3) + L(3, 3)) / 4, 6)
    expect(grid.luma[1]).toBeCloseTo((L(5, 1) + L(7, 1) + L(5, 3) + L(7, 3)) / 4, 6)
    const resampler = new SegmentationResampler({ kind: 'segmentation', layout: 'NCHW', width: 2, height: 1, preprocess: 'sinet', output: 'softmax2', inputName: 'in', outputName: 'out' })
    resampler.run(f)
    expect(Array.from(resampler.luma)).toEqual(Array.from(grid.luma))
  })
})
