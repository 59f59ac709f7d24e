import { describe, expect, it } from 'vitest'
import { convertRgba, decodeTestPatternRgba, drawTestPattern, patternGeometry, PATTERN_BARS } from '../../../native/vcam/lib/index.js'

describe('test pattern', () => {
  it('encodes the frame counter so it decodes back exactly, at several sizes', () => {
    for (const [w, h] of [[640, 480], [1280, 720], [1920, 1080], [320, 240]] as const) {
      for (const n of [0, 1, 2, 255, 256, 65535, 123456789, 0xffffffff]) expect(decodeTestPatternRgba(drawTestPattern(w, h, n))).toBe(n)
    }
  })
  it('rotates the colour bars with the counter, with edges on even columns (no chroma pair straddles two colours)', () => {
    const g = patternGeometry(1280, 720)
    expect(g.blockWidth % 2).toBe(0)
    expect(g.barWidth % 2).toBe(0)
    expect(g.bandHeight % 2).toBe(0)
    const at = (n: number, bar: number): number[] => {
      const f = drawTestPattern(1280, 720, n)
      const i = (400 * 1280 + bar * g.barWidth + g.barWidth / 2) * 4
      return Array.from(f.data.subarray(i, i + 3))
    }
    expect(at(0, 0)).toEqual([...PATTERN_BARS[0]!])
    expect(at(3, 0)).toEqual([...PATTERN_BARS[3]!])
    expect(at(3, 7)).toEqual([...PATTERN_BARS[2]!])
    // every YUYV pair in a bar row has the same chroma as the bar centre
    const yuyv = convertRgba(drawTestPattern(1280, 720, 5), 'YUYV')
    const row = yuyv.subarray(400 * 1280 * 2, 401 * 1280 * 2)
    for (let bar = 0; bar < 8; bar++) {
      const first = bar * g.barWidth * 2
      for (let x = first; x < first + g.barWidth * 2; x += 4) expect([row[x + 1], row[x + 3]]).toEqual([row[first + 1], row[first + 3]])
    }
  })
})
