// RGBA → YUV in C++ (vcam.node) against reference values computed here in floating point from
// the BT.601 / BT.709 definitions (limited range: Y 16..235, Cb/Cr 16..240 around 128).
import { describe, expect, it } from 'vitest'
import { convertRgba, frameBytes, type VcamColorSpace } from '../../../native/vcam/lib/index.js'

const K: Record<VcamColorSpace, { kr: number; kb: number }> = { bt601: { kr: 0.299, kb: 0.114 }, bt709: { kr: 0.2126, kb: 0.0722 } }

/** Unrounded limited-range Y, Cb, Cr of one RGB pixel. */
function refYuv([r, g, b]: readonly number[], cs: VcamColorSpace): [number, number, number] {
  const { kr, kb } = K[cs]
  const y = kr * r! + (1 - kr - kb) * g! + kb * b!
  return [16 + (219 * y) / 255, 128 + (224 * (b! - y)) / (255 * 2 * (1 - kb)), 128 + (224 * (r! - y)) / (255 * 2 * (1 - kr))]
}

function solid(width: number, height: number, rgb: readonly number[]): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(width * height * 4)
  for (let i = 0; i < width * height; i++) data.set([rgb[0]!, rgb[1]!, rgb[2]!, 255], i * 4)
  return { width, height, data }
}

// Known colours, rounded reference values (the classic tables: e.g. 601 red = 81/90/240).
const KNOWN: { name: string; rgb: number[]; bt601: number[]; bt709: number[] }[] = [
  { name: 'white', rgb: [255, 255, 255], bt601: [235, 128, 128], bt709: [235, 128, 128] },
  { name: 'black', rgb: [0, 0, 0], bt601: [16, 128, 128], bt709: [16, 128, 128] },
  { name: 'red', rgb: [255, 0, 0], bt601: [81, 90, 240], bt709: [63, 102, 240] },
  { name: 'green', rgb: [0, 255, 0], bt601: [145, 54, 34], bt709: [173, 42, 26] },
  { name: 'blue', rgb: [0, 0, 255], bt601: [41, 240, 110], bt709: [32, 240, 118] },
  { name: 'mid grey', rgb: [128, 128, 128], bt601: [126, 128, 128], bt709: [126, 128, 128] },
]

describe('convertRgba: known colours', () => {
  for (const cs of ['bt601', 'bt709'] as const) {
    for (const c of KNOWN) {
      it(`${c.name} ${cs} in YUYV, NV12 and I420`, () => {
        const [y, u, v] = c[cs] as [number, number, number]
        const f = solid(4, 2, c.rgb)
        expect(Array.from(convertRgba(f, 'YUYV', cs).subarray(0, 4))).toEqual([y, u, y, v])
        const nv12 = convertRgba(f, 'NV12', cs)
        expect(Array.from(nv12.subarray(0, 8))).toEqual(Array(8).fill(y))
        expect(Array.from(nv12.subarray(8))).toEqual([u, v, u, v])
        const i420 = convertRgba(f, 'I420', cs)
        expect(Array.from(i420.subarray(8))).toEqual([u, u, v, v])
      })
    }
  }

  it('every grey level maps to Cb = Cr = 128 and Y = round(16 + 219·g/255), in both matrices', () => {
    const width = 512
    const data = new Uint8Array(width * 2 * 4)
    for (let x = 0; x < width; x++) {
      const g = x >> 1 // each level on a 2-pixel pair, so chroma never mixes two levels
      for (const row of [0, 1]) data.set([g, g, g, 255], (row * width + x) * 4)
    }
    for (const cs of ['bt601', 'bt709'] as const) {
      const out = convertRgba({ width, height: 2, data }, 'YUYV', cs)
      for (let x = 0; x < width; x += 2) {
        const want = Math.round(16 + (219 * (x >> 1)) / 255)
        expect([out[x * 2], out[x * 2 + 1], out[x * 2 + 2], out[x * 2 + 3]]).toEqual([want, 128, want, 128])
      }
    }
  })
})

describe('convertRgba: chroma subsampling', () => {
  it('YUYV averages each horizontal pair exactly (one rounding)', () => {
    const row = [255, 0, 0, 255, 0, 0, 255, 255] // red | blue
    const f = { width: 2, height: 2, data: new Uint8Array([...row, ...row]) }
    const out = convertRgba(f, 'YUYV', 'bt601')
    const [r, b] = [refYuv([255, 0, 0], 'bt601'), refYuv([0, 0, 255], 'bt601')]
    const want = [Math.round(r[0]), Math.round((r[1] + b[1]) / 2), Math.round(b[0]), Math.round((r[2] + b[2]) / 2)]
    expect(Array.from(out)).toEqual([...want, ...want])
  })

  it('NV12 and I420 average each 2x2 block exactly, and only that block', () => {
    // 4x2: left block red/green over blue/white, right block black/grey over yellow/cyan
    const px = [[255, 0, 0], [0, 255, 0], [0, 0, 0], [128, 128, 128], [0, 0, 255], [255, 255, 255], [255, 255, 0], [0, 255, 255]]
    const data = new Uint8Array(4 * 2 * 4)
    px.forEach((p, i) => data.set([...p, 255], i * 4))
    const f = { width: 4, height: 2, data }
    for (const cs of ['bt601', 'bt709'] as const) {
      const ref = px.map((p) => refYuv(p, cs))
      const avg = (idx: number[], k: 1 | 2): number => Math.round(idx.reduce((s, i) => s + ref[i]![k], 0) / 4)
      const left = [0, 1, 4, 5]
      const right = [2, 3, 6, 7]
      const nv12 = convertRgba(f, 'NV12', cs)
      expect(Array.from(nv12.subarray(0, 8))).toEqual(ref.map((r) => Math.round(r[0])))
      expect(Array.from(nv12.subarray(8))).toEqual([avg(left, 1), avg(left, 2), avg(right, 1), avg(right, 2)])
      const i420 = convertRgba(f, 'I420', cs)
      expect(Array.from(i420.subarray(8))).toEqual([avg(left, 1), avg(right, 1), avg(left, 2), avg(right, 2)])
    }
  })

  it('a random 64x32 image matches the floating-point reference within 1 everywhere (and exactly almost everywhere)', () => {
    const width = 64
    const height = 32
    const data = new Uint8Array(width * height * 4)
    let seed = 12345
    for (let i = 0; i < data.length; i++) data[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24
    const f = { width, height, data }
    for (const cs of ['bt601', 'bt709'] as const) {
      const out = convertRgba(f, 'I420', cs)
      const rgb = (x: number, y: number): number[] => Array.from(data.subarray((y * width + x) * 4, (y * width + x) * 4 + 3))
      let exact = 0
      let total = 0
      const check = (got: number | undefined, want: number): void => {
        expect(Math.abs(got! - Math.round(want))).toBeLessThanOrEqual(1)
        if (got === Math.round(want)) exact++
        total++
      }
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) check(out[y * width + x], refYuv(rgb(x, y), cs)[0])
      const cw = width / 2
      for (let by = 0; by < height / 2; by++) {
        for (let bx = 0; bx < cw; bx++) {
          const block = [rgb(2 * bx, 2 * by), rgb(2 * bx + 1, 2 * by), rgb(2 * bx, 2 * by + 1), rgb(2 * bx + 1, 2 * by + 1)].map((p) => refYuv(p, cs))
          check(out[width * height + by * cw + bx], block.reduce((s, r) => s + r[1], 0) / 4)
          check(out[width * height + (height / 2) * cw + by * cw + bx], block.reduce((s, r) => s + r[2], 0) / 4)
        }
      }
      expect(exact / total).toBeGreaterThan(0.99)
    }
  })
})

describe('convertRgba: arguments', () => {
  it('rejects odd widths, odd heights for 4:2:0, wrong buffer sizes and unknown formats with BAD_ARGUMENT', () => {
    const bad = (fn: () => unknown): { code: string; message: string } => {
      try {
        fn()
      } catch (e) {
        return e as { code: string; message: string }
      }
      throw new Error('did not throw')
    }
    expect(bad(() => convertRgba(solid(3, 2, [0, 0, 0]), 'YUYV'))).toMatchObject({ code: 'BAD_ARGUMENT', message: 'convertRgba: width must be an even integer from 2 to 8192 (got 3)' })
    expect(bad(() => convertRgba(solid(4, 3, [0, 0, 0]), 'NV12'))).toMatchObject({ code: 'BAD_ARGUMENT', message: 'convertRgba: height must be an even integer from 2 to 8192 for NV12 (got 3)' })
    expect(convertRgba(solid(4, 3, [0, 0, 0]), 'YUYV').length).toBe(frameBytes('YUYV', 4, 3))
    expect(bad(() => convertRgba({ width: 4, height: 2, data: new Uint8Array(31) }))).toMatchObject({ code: 'BAD_ARGUMENT', message: 'convertRgba: frame.data.length must be width*height*4 = 32 for 4x2 RGBA (got 31)' })
    expect(bad(() => convertRgba(solid(4, 2, [0, 0, 0]), 'RGB3' as never))).toMatchObject({ code: 'BAD_ARGUMENT', message: 'convertRgba: format must be one of YUYV, NV12, I420 (got "RGB3")' })
    expect(bad(() => convertRgba(solid(4, 2, [0, 0, 0]), 'YUYV', 'bt601', new Uint8Array(3)))).toMatchObject({ code: 'BAD_ARGUMENT', message: 'convertRgba: out.length must be 16 for 4x2 YUYV (got 3)' })
  })
})
