import { describe, expect, it } from 'vitest'
import { float16BitsToFloat32 } from '../../../src/main/engine/onnx/onnx-proto.js'
import { floatToAlpha, frameToPlanarF16, frameToPlanarF32, halfToAlpha, SegmentationResampler } from '../../../src/main/engine/preprocess.js'
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
