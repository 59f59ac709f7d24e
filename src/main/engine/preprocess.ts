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
 * Where a grid cell samples the frame along one axis, for two purposes:
 * - the network's input: bilinear at the cell's centre, pixel centres aligned (align_corners =
 *   false), as before; a model's output is unchanged by this pass;
 * - the luma guide (guided filter, temporal motion): when a cell is 2 or more pixels wide, the
 *   mean of two pixels at 1/4 and 3/4 of it, so with the other axis a 2x2 average spread over the
 *   cell: it stands for the cell's mean luma, which is what the guided filter's full-resolution
 *   pass compares each pixel against, with 4 reads per cell at any frame size. Smaller cells use
 *   the bilinear taps.
 * (Measured through the engine on P3M and the s18 clip: feeding the networks a 2x2 or denser
 * average instead of the bilinear sample blurred their input and raised MediaPipe general's P3M
 * MAD from 7.42 to 7.6–8.2, so the networks keep the bilinear sample.)
 */
interface AxisTaps {
  /** bilinear taps of the network input and the weight of the second */
  b0: Int32Array
  b1: Int32Array
  bw: Float32Array
  /** every bw is 0 (odd integer ratios, e.g. 1280 → 256): the input is one pixel per cell */
  point: boolean
  /** luma taps and the weight of the second (0.5 for the spread pair) */
  l0: Int32Array
  l1: Int32Array
  lw: Float32Array
}

function axisTaps(src: number, cells: number): AxisTaps {
  const scale = src / cells
  const t: AxisTaps = {
    b0: new Int32Array(cells),
    b1: new Int32Array(cells),
    bw: new Float32Array(cells),
    l0: new Int32Array(cells),
    l1: new Int32Array(cells),
    lw: new Float32Array(cells),
    point: true,
  }
  for (let i = 0; i < cells; i++) {
    const s = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), src - 1)
    const a = Math.floor(s)
    t.b0[i] = a
    t.b1[i] = Math.min(a + 1, src - 1)
    t.bw[i] = s - a
    if (s !== a) t.point = false
    if (scale >= 2) {
      t.l0[i] = Math.min(src - 1, Math.floor((i + 0.25) * scale))
      t.l1[i] = Math.min(src - 1, Math.floor((i + 0.75) * scale))
      t.lw[i] = 0.5
    } else {
      t.l0[i] = t.b0[i]!
      t.l1[i] = t.b1[i]!
      t.lw[i] = t.bw[i]!
    }
  }
  return t
}

/**
 * Where and how a network input is written: channel c of cell p goes to out[base[c] + p*stride]
 * as value*scale[c] + offset[c], with value the bilinear R, G or B in 0..255. Covers NHWC (stride
 * 3) and NCHW (stride 1, planes in RGB or BGR order) with any per-channel normalisation.
 */
export interface GridInputTarget {
  out: Float32Array
  stride: number
  baseR: number
  baseG: number
  baseB: number
  scaleR: number
  scaleG: number
  scaleB: number
  offsetR: number
  offsetG: number
  offsetB: number
}

/**
 * The frame reduced to a gw x gh grid (the whole frame stretched) in one pass: the luma
 * (R+2G+B)/4 of each cell, 0..1, that the guided filter uses as its guide and the temporal filter
 * as its motion signal, and, when a target is given, the network's input from the bilinear
 * samples, written straight into its layout. Index tables are built once per frame size.
 */
export class FrameGrid {
  readonly width: number
  readonly height: number
  /** (R+2G+B)/1020 per cell, 0..1 */
  readonly luma: Float32Array
  #srcW = 0
  #srcH = 0
  #x: AxisTaps | null = null
  #y: AxisTaps | null = null

  constructor(width: number, height: number) {
    this.width = width
    this.height = height
    this.luma = new Float32Array(width * height)
  }

  run(frame: Frame, input?: GridInputTarget): this {
    const { width: W, height: H, data } = frame
    if (W !== this.#srcW || H !== this.#srcH || !this.#x || !this.#y) {
      this.#x = axisTaps(W, this.width)
      this.#y = axisTaps(H, this.height)
      this.#srcW = W
      this.#srcH = H
    }
    const words = frame.format === 'RGBA' && IS_LITTLE_ENDIAN && data.byteOffset % 4 === 0
    const bpp = frame.format === 'RGBA' ? 4 : 3
    if (words) lumaWords(new Uint32Array(data.buffer, data.byteOffset, W * H), W, this.#x, this.#y, this.width, this.height, this.luma)
    else lumaBytes(data, W, bpp, this.#x, this.#y, this.width, this.height, this.luma)
    if (input && this.#x.point && this.#y.point) pointInput(data, W, bpp, this.#x, this.#y, this.width, this.height, input)
    else if (input) {
      if (words) inputWords(new Uint32Array(data.buffer, data.byteOffset, W * H), W, this.#x, this.#y, this.width, this.height, input)
      else inputBytes(data, W, bpp, this.#x, this.#y, this.width, this.height, input)
    }
    return this
  }
}

/** Luma per cell from RGBA read as little-endian 32-bit words (R in the low byte): R + 2G + B per word. */
function lumaWords(px: Uint32Array, W: number, tx: AxisTaps, ty: AxisTaps, gw: number, gh: number, luma: Float32Array): void {
  const { l0: x0, l1: x1, lw: wx } = tx
  for (let j = 0; j < gh; j++) {
    const r0 = ty.l0[j]! * W
    const r1 = ty.l1[j]! * W
    const fy = ty.lw[j]!
    const row = j * gw
    for (let i = 0; i < gw; i++) {
      const a = x0[i]!
      const c = x1[i]!
      const fx = wx[i]!
      let p = px[r0 + a]!
      const L00 = (p & 255) + ((p >>> 7) & 510) + ((p >>> 16) & 255)
      p = px[r0 + c]!
      const L01 = (p & 255) + ((p >>> 7) & 510) + ((p >>> 16) & 255)
      p = px[r1 + a]!
      const L10 = (p & 255) + ((p >>> 7) & 510) + ((p >>> 16) & 255)
      p = px[r1 + c]!
      const L11 = (p & 255) + ((p >>> 7) & 510) + ((p >>> 16) & 255)
      const u = L00 + (L01 - L00) * fx
      const v = L10 + (L11 - L10) * fx
      luma[row + i] = (u + (v - u) * fy) * (1 / 1020)
    }
  }
}

function lumaBytes(data: Uint8Array, W: number, bpp: number, tx: AxisTaps, ty: AxisTaps, gw: number, gh: number, luma: Float32Array): void {
  const { l0: x0, l1: x1, lw: wx } = tx
  for (let j = 0; j < gh; j++) {
    const r0 = ty.l0[j]! * W
    const r1 = ty.l1[j]! * W
    const fy = ty.lw[j]!
    const row = j * gw
    for (let i = 0; i < gw; i++) {
      const fx = wx[i]!
      let p = (r0 + x0[i]!) * bpp
      const L00 = data[p]! + 2 * data[p + 1]! + data[p + 2]!
      p = (r0 + x1[i]!) * bpp
      const L01 = data[p]! + 2 * data[p + 1]! + data[p + 2]!
      p = (r1 + x0[i]!) * bpp
      const L10 = data[p]! + 2 * data[p + 1]! + data[p + 2]!
      p = (r1 + x1[i]!) * bpp
      const L11 = data[p]! + 2 * data[p + 1]! + data[p + 2]!
      const u = L00 + (L01 - L00) * fx
      const v = L10 + (L11 - L10) * fx
      luma[row + i] = (u + (v - u) * fy) * (1 / 1020)
    }
  }
}

/** The input where every bilinear weight is 0: one pixel per cell. */
function pointInput(data: Uint8Array, W: number, bpp: number, tx: AxisTaps, ty: AxisTaps, gw: number, gh: number, t: GridInputTarget): void {
  const x0 = tx.b0
  const { out, stride, baseR, baseG, baseB, scaleR, scaleG, scaleB, offsetR, offsetG, offsetB } = t
  for (let j = 0; j < gh; j++) {
    const r0 = ty.b0[j]! * W
    let o = j * gw * stride
    for (let i = 0; i < gw; i++, o += stride) {
      const p = (r0 + x0[i]!) * bpp
      out[baseR + o] = data[p]! * scaleR + offsetR
      out[baseG + o] = data[p + 1]! * scaleG + offsetG
      out[baseB + o] = data[p + 2]! * scaleB + offsetB
    }
  }
}

/** Bilinear R, G, B per cell from RGBA words, normalised into the network's layout. */
function inputWords(px: Uint32Array, W: number, tx: AxisTaps, ty: AxisTaps, gw: number, gh: number, t: GridInputTarget): void {
  const { b0: x0, b1: x1, bw: wx } = tx
  const { out, stride, baseR, baseG, baseB, scaleR, scaleG, scaleB, offsetR, offsetG, offsetB } = t
  for (let j = 0; j < gh; j++) {
    const r0 = ty.b0[j]! * W
    const r1 = ty.b1[j]! * W
    const fy = ty.bw[j]!
    let o = j * gw * stride
    for (let i = 0; i < gw; i++, o += stride) {
      const a = x0[i]!
      const c = x1[i]!
      const fx = wx[i]!
      const q00 = px[r0 + a]!
      const q01 = px[r0 + c]!
      const q10 = px[r1 + a]!
      const q11 = px[r1 + c]!
      let u = q00 & 255
      let v = q10 & 255
      u += ((q01 & 255) - u) * fx
      v += ((q11 & 255) - v) * fx
      out[baseR + o] = (u + (v - u) * fy) * scaleR + offsetR
      u = (q00 >>> 8) & 255
      v = (q10 >>> 8) & 255
      u += (((q01 >>> 8) & 255) - u) * fx
      v += (((q11 >>> 8) & 255) - v) * fx
      out[baseG + o] = (u + (v - u) * fy) * scaleG + offsetG
      u = (q00 >>> 16) & 255
      v = (q10 >>> 16) & 255
      u += (((q01 >>> 16) & 255) - u) * fx
      v += (((q11 >>> 16) & 255) - v) * fx
      out[baseB + o] = (u + (v - u) * fy) * scaleB + offsetB
    }
  }
}

function inputBytes(data: Uint8Array, W: number, bpp: number, tx: AxisTaps, ty: AxisTaps, gw: number, gh: number, t: GridInputTarget): void {
  const { b0: x0, b1: x1, bw: wx } = tx
  const { out, stride, baseR, baseG, baseB, scaleR, scaleG, scaleB, offsetR, offsetG, offsetB } = t
  for (let j = 0; j < gh; j++) {
    const r0 = ty.b0[j]! * W
    const r1 = ty.b1[j]! * W
    const fy = ty.bw[j]!
    let o = j * gw * stride
    for (let i = 0; i < gw; i++, o += stride) {
      const fx = wx[i]!
      const p00 = (r0 + x0[i]!) * bpp
      const p01 = (r0 + x1[i]!) * bpp
      const p10 = (r1 + x0[i]!) * bpp
      const p11 = (r1 + x1[i]!) * bpp
      let u = data[p00]!
      let v = data[p10]!
      u += (data[p01]! - u) * fx
      v += (data[p11]! - v) * fx
      out[baseR + o] = (u + (v - u) * fy) * scaleR + offsetR
      u = data[p00 + 1]!
      v = data[p10 + 1]!
      u += (data[p01 + 1]! - u) * fx
      v += (data[p11 + 1]! - v) * fx
      out[baseG + o] = (u + (v - u) * fy) * scaleG + offsetG
      u = data[p00 + 2]!
      v = data[p10 + 2]!
      u += (data[p01 + 2]! - u) * fx
      v += (data[p11 + 2]! - v) * fx
      out[baseB + o] = (u + (v - u) * fy) * scaleB + offsetB
    }
  }
}

/**
 * Frame → a segmentation network's input: the whole frame stretched to the input size (bilinear),
 * in the network's layout and normalisation, written by the same FrameGrid pass that measures the
 * per-cell luma (`luma`) post-processing uses as its guide.
 */
export class SegmentationResampler {
  readonly input: Float32Array
  readonly #grid: FrameGrid
  readonly #target: GridInputTarget

  constructor(spec: SegmentationInterface) {
    const { width: dw, height: dh, layout, preprocess } = spec
    this.input = new Float32Array(dw * dh * 3)
    this.#grid = new FrameGrid(dw, dh)
    const plane = dw * dh
    // Per-channel affine map from 0..255: out = v * scale + offset.
    let sR = 1 / 255, sG = 1 / 255, sB = 1 / 255, oR = 0, oG = 0, oB = 0
    if (preprocess === 'sinet') {
      sB = 1 / (SINET_STD_BGR[0] * 255); oB = -SINET_MEAN_BGR[0] * sB
      sG = 1 / (SINET_STD_BGR[1] * 255); oG = -SINET_MEAN_BGR[1] * sG
      sR = 1 / (SINET_STD_BGR[2] * 255); oR = -SINET_MEAN_BGR[2] * sR
    }
    const nhwc = layout === 'NHWC'
    // NHWC interleaves RGB; NCHW has one plane per channel, BGR order for SINet.
    const bgr = !nhwc && preprocess === 'sinet'
    this.#target = {
      out: this.input,
      stride: nhwc ? 3 : 1,
      baseR: nhwc ? 0 : bgr ? 2 * plane : 0,
      baseG: nhwc ? 1 : plane,
      baseB: nhwc ? 2 : bgr ? 0 : 2 * plane,
      scaleR: sR, scaleG: sG, scaleB: sB,
      offsetR: oR, offsetG: oG, offsetB: oB,
    }
  }

  /** Mean luma (0..1) per input cell of the last frame run: the guide when the mask has the input's size. */
  get luma(): Float32Array {
    return this.#grid.luma
  }

  /** Fills this.input (and luma) from the frame. */
  run(frame: Frame): Float32Array {
    this.#grid.run(frame, this.#target)
    return this.input
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
