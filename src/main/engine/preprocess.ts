/**
 * Frame → network input, single pass, into buffers that are reused while the size stays the same.
 * RVM: full-resolution NCHW RGB 0..1 (float32, or float16 bits). Segmentation: a stretched bilinear
 * resize straight into the network's layout and normalisation (rgb01 or SINet's BGR mean/std).
 */
import { float32ToFloat16Bits } from './onnx/onnx-proto.js'
import type { Frame, SegmentationInterface } from './types.js'

const U8_TO_F32 = new Float32Array(256)
for (let i = 0; i < 256; i++) U8_TO_F32[i] = i / 255
const U8_TO_F16 = float32ToFloat16Bits(U8_TO_F32)
const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** Writes a frame into planar [3,H,W] RGB 0..1. */
export function frameToPlanarF32(frame: Frame, out: Float32Array): void {
  const { data, width, height } = frame
  const n = width * height
  const bpp = frame.format === 'RGBA' ? 4 : 3
  if (bpp === 4 && IS_LITTLE_ENDIAN && data.byteOffset % 4 === 0) {
    // One 32-bit read per RGBA pixel (little-endian: R in the low byte) — measurably faster than 3 byte reads.
    const px = new Uint32Array(data.buffer, data.byteOffset, n)
    const k = 1 / 255
    for (let i = 0; i < n; i++) {
      const p = px[i]!
      out[i] = (p & 255) * k
      out[n + i] = ((p >>> 8) & 255) * k
      out[2 * n + i] = ((p >>> 16) & 255) * k
    }
    return
  }
  const lut = U8_TO_F32
  for (let i = 0, j = 0; i < n; i++, j += bpp) {
    out[i] = lut[data[j]!]!
    out[n + i] = lut[data[j + 1]!]!
    out[2 * n + i] = lut[data[j + 2]!]!
  }
}

/** As frameToPlanarF32 but float16 bits (what onnxruntime's 'float16' tensors hold). */
export function frameToPlanarF16(frame: Frame, out: Uint16Array): void {
  const { data, width, height } = frame
  const n = width * height
  const bpp = frame.format === 'RGBA' ? 4 : 3
  const lut = U8_TO_F16
  for (let i = 0, j = 0; i < n; i++, j += bpp) {
    out[i] = lut[data[j]!]!
    out[n + i] = lut[data[j + 1]!]!
    out[2 * n + i] = lut[data[j + 2]!]!
  }
}

// SINet (../shared/models/README.md): BGR, 0..255, x' = (x - mean) / (std * 255).
const SINET_MEAN_BGR = [102.890434, 111.25247, 126.91212] as const
const SINET_STD_BGR = [62.93292, 62.82138, 66.355705] as const

/**
 * Stretched bilinear resize of a frame into a segmentation network's input. Index and weight tables
 * are built once per source size, so a frame costs 4 reads per output channel.
 */
export class SegmentationResampler {
  readonly input: Float32Array
  readonly #spec: SegmentationInterface
  #srcW = 0
  #srcH = 0
  #x0: Int32Array = new Int32Array(0)
  #x1: Int32Array = new Int32Array(0)
  #fx: Float32Array = new Float32Array(0)
  #y0: Int32Array = new Int32Array(0)
  #y1: Int32Array = new Int32Array(0)
  #fy: Float32Array = new Float32Array(0)

  constructor(spec: SegmentationInterface) {
    this.#spec = spec
    this.input = new Float32Array(spec.width * spec.height * 3)
  }

  #tables(srcW: number, srcH: number): void {
    if (srcW === this.#srcW && srcH === this.#srcH) return
    const { width: dw, height: dh } = this.#spec
    const axis = (src: number, dst: number): [Int32Array, Int32Array, Float32Array] => {
      const i0 = new Int32Array(dst)
      const i1 = new Int32Array(dst)
      const f = new Float32Array(dst)
      const scale = src / dst
      for (let d = 0; d < dst; d++) {
        // Pixel centres aligned (align_corners = false), as image resizers do.
        const s = Math.min(Math.max((d + 0.5) * scale - 0.5, 0), src - 1)
        const a = Math.floor(s)
        i0[d] = a
        i1[d] = Math.min(a + 1, src - 1)
        f[d] = s - a
      }
      return [i0, i1, f]
    }
    ;[this.#x0, this.#x1, this.#fx] = axis(srcW, dw)
    ;[this.#y0, this.#y1, this.#fy] = axis(srcH, dh)
    this.#srcW = srcW
    this.#srcH = srcH
  }

  /** Fills this.input from the frame. */
  run(frame: Frame): Float32Array {
    this.#tables(frame.width, frame.height)
    const { width: dw, height: dh, layout, preprocess } = this.#spec
    const { data, width } = frame
    const bpp = frame.format === 'RGBA' ? 4 : 3
    const out = this.input
    const x0 = this.#x0, x1 = this.#x1, fx = this.#fx
    const plane = dw * dh
    // Per-channel affine map from 0..255: out = v * scale[c] + offset[c], c in RGB order.
    let sR = 1 / 255, sG = 1 / 255, sB = 1 / 255, oR = 0, oG = 0, oB = 0
    if (preprocess === 'sinet') {
      sB = 1 / (SINET_STD_BGR[0] * 255); oB = -SINET_MEAN_BGR[0] * sB
      sG = 1 / (SINET_STD_BGR[1] * 255); oG = -SINET_MEAN_BGR[1] * sG
      sR = 1 / (SINET_STD_BGR[2] * 255); oR = -SINET_MEAN_BGR[2] * sR
    }
    // SINet wants BGR planes; rgb01 NCHW keeps RGB.
    const isBgr = preprocess === 'sinet'
    for (let y = 0; y < dh; y++) {
      const r0 = this.#y0[y]! * width
      const r1 = this.#y1[y]! * width
      const wy = this.#fy[y]!
      for (let x = 0; x < dw; x++) {
        const a = (r0 + x0[x]!) * bpp
        const b = (r0 + x1[x]!) * bpp
        const c = (r1 + x0[x]!) * bpp
        const d = (r1 + x1[x]!) * bpp
        const wx = fx[x]!
        const w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy, w11 = wx * wy
        const R = data[a]! * w00 + data[b]! * w01 + data[c]! * w10 + data[d]! * w11
        const G = data[a + 1]! * w00 + data[b + 1]! * w01 + data[c + 1]! * w10 + data[d + 1]! * w11
        const B = data[a + 2]! * w00 + data[b + 2]! * w01 + data[c + 2]! * w10 + data[d + 2]! * w11
        const p = y * dw + x
        if (layout === 'NHWC') {
          const o = p * 3
          out[o] = R * sR + oR
          out[o + 1] = G * sG + oG
          out[o + 2] = B * sB + oB
        } else if (isBgr) {
          out[p] = B * sB + oB
          out[plane + p] = G * sG + oG
          out[2 * plane + p] = R * sR + oR
        } else {
          out[p] = R * sR + oR
          out[plane + p] = G * sG + oG
          out[2 * plane + p] = B * sB + oB
        }
      }
    }
    return out
  }
}

const F16_TO_U8 = (() => {
  // Every half-float bit pattern → alpha byte (clamped 0..1, rounded): one table lookup per pixel.
  const lut = new Uint8Array(65536)
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1
    const e = (h >>> 10) & 0x1f
    const m = h & 0x3ff
    const v = e === 0 ? s * m * 2 ** -24 : e === 0x1f ? (m ? 0 : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15)
    lut[h] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255)
  }
  return lut
})()

/** float 0..1 → byte, clamped and rounded. */
export function floatToAlpha(src: Float32Array, out: Uint8Array, offset = 0): void {
  const n = out.length
  for (let i = 0; i < n; i++) {
    const v = src[offset + i]!
    // NaN fails both tests and becomes 0: fail closed.
    out[i] = v > 0 ? (v < 1 ? (v * 255 + 0.5) | 0 : 255) : 0
  }
}

export function halfToAlpha(src: Uint16Array, out: Uint8Array, offset = 0): void {
  const n = out.length
  const lut = F16_TO_U8
  for (let i = 0; i < n; i++) out[i] = lut[src[offset + i]!]!
}

/** Planar [3,H,W] 0..1 → interleaved RGB bytes. */
export function planarToRgb(src: Float32Array | Uint16Array, out: Uint8Array): void {
  const n = out.length / 3
  if (src instanceof Uint16Array) {
    const lut = F16_TO_U8
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      out[j] = lut[src[i]!]!
      out[j + 1] = lut[src[n + i]!]!
      out[j + 2] = lut[src[2 * n + i]!]!
    }
    return
  }
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const r = src[i]!, g = src[n + i]!, b = src[2 * n + i]!
    out[j] = r > 0 ? (r < 1 ? (r * 255 + 0.5) | 0 : 255) : 0
    out[j + 1] = g > 0 ? (g < 1 ? (g * 255 + 0.5) | 0 : 255) : 0
    out[j + 2] = b > 0 ? (b < 1 ? (b * 255 + 0.5) | 0 : 255) : 0
  }
}
