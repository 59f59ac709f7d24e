/**
 * Streaming YUV4MPEG2 (.y4m) reader: the format Chromium's fake webcam and `ffmpeg -f yuv4mpegpipe`
 * use. Reads one frame at a time (constant memory) and converts to packed RGB/RGBA.
 */
import { open, type FileHandle } from 'node:fs/promises'
import { PortsegError } from '../../../shared/errors.js'
import type { Frame, PixelFormat } from '../types.js'

export type Y4mChroma = '420' | '422' | '444' | 'mono'
export type YuvRange = 'limited' | 'full'
export type YuvMatrix = 'bt601' | 'bt709'

export interface Y4mHeader {
  width: number
  height: number
  /** Frame rate as a fraction; `fpsFromHeader` is false when F was absent and 30 was assumed. */
  fpsNum: number
  fpsDen: number
  fps: number
  fpsFromHeader: boolean
  /** The raw C token (e.g. 'C420mpeg2'); 'C420jpeg' when absent, as the spec says. */
  colorspace: string
  chroma: Y4mChroma
  /** 4:4:4 with an alpha plane (C444alpha); the alpha plane is skipped. */
  hasAlphaPlane: boolean
  range: YuvRange
  interlace: string
  /** Bytes of the stream header line, including its newline. */
  headerBytes: number
  /** Bytes of one frame's planes (without the FRAME line). */
  frameBytes: number
  /** Frames in the file when every frame line is the plain 'FRAME\n' (exact for common files). */
  frameCountEstimate: number
}

export interface ReadY4mOptions {
  format?: PixelFormat
  /** Override the header's colour range (default: XCOLORRANGE, else limited). */
  range?: YuvRange
  /** Colour matrix (Y4M does not record it; BT.601 is what ffmpeg and Chromium assume for SD). */
  matrix?: YuvMatrix
  /** seq of the first frame (default 0). */
  firstSeq?: number
  /** Stop after this many frames. */
  maxFrames?: number
  /** Stamped on every frame. */
  sourceId?: string
}

const MAGIC = 'YUV4MPEG2'
const MAX_HEADER_BYTES = 4096
const MAX_DIMENSION = 16384

function corrupt(file: string, what: string, hint?: string): PortsegError {
  return new PortsegError('INPUT_CORRUPT', `Cannot read ${file}: ${what}`, {
    hints: [hint ?? 'Re-create the file, e.g. ffmpeg -i in.mp4 -pix_fmt yuv420p -f yuv4mpegpipe out.y4m'],
  })
}

/** Parses the stream header line (without its newline). Exported for tests. */
export function parseY4mHeader(line: string, file = 'y4m stream', fileBytes?: number): Y4mHeader {
  const tokens = line.split(' ').filter((t) => t.length > 0)
  if (tokens[0] !== MAGIC) {
    throw corrupt(file, `it does not start with "${MAGIC}" (found ${JSON.stringify(line.slice(0, 16))}), so it is not a YUV4MPEG2 file`)
  }
  let width = 0
  let height = 0
  let fpsNum = 30
  let fpsDen = 1
  let fpsFromHeader = false
  let colorspace = 'C420jpeg'
  let interlace = '?'
  let range: YuvRange = 'limited'
  for (const t of tokens.slice(1)) {
    const v = t.slice(1)
    switch (t[0]) {
      case 'W':
        width = Number(v)
        break
      case 'H':
        height = Number(v)
        break
      case 'F': {
        const [n, d] = v.split(':').map(Number)
        if (n === undefined || d === undefined || !(n > 0) || !(d > 0)) throw corrupt(file, `invalid frame rate "${t}" in the header`)
        fpsNum = n
        fpsDen = d
        fpsFromHeader = true
        break
      }
      case 'C':
        colorspace = t
        break
      case 'I':
        interlace = v
        break
      case 'X':
        if (/^COLORRANGE=FULL$/i.test(v)) range = 'full'
        else if (/^COLORRANGE=LIMITED$/i.test(v)) range = 'limited'
        break
      default:
        // A (aspect) and unknown tokens do not affect decoding.
        break
    }
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > MAX_DIMENSION || height > MAX_DIMENSION) {
    throw corrupt(file, `the header gives an invalid size W${width} H${height} (expected 1..${MAX_DIMENSION} for each)`)
  }
  let chroma: Y4mChroma
  let hasAlphaPlane = false
  switch (colorspace) {
    case 'C420':
    case 'C420jpeg':
    case 'C420mpeg2':
    case 'C420paldv':
      chroma = '420'
      break
    case 'C422':
      chroma = '422'
      break
    case 'C444':
      chroma = '444'
      break
    case 'C444alpha':
      chroma = '444'
      hasAlphaPlane = true
      break
    case 'Cmono':
      chroma = 'mono'
      break
    default:
      throw new PortsegError('INPUT_UNSUPPORTED', `Cannot read ${file}: colourspace ${colorspace} is not supported (8-bit C420*, C422, C444, C444alpha and Cmono are)`, {
        hints: ['Convert it to 8-bit 4:2:0: ffmpeg -i in.y4m -pix_fmt yuv420p -f yuv4mpegpipe out.y4m'],
      })
  }
  const cw = chroma === '444' ? width : Math.ceil(width / 2)
  const ch = chroma === '420' ? Math.ceil(height / 2) : height
  const chromaBytes = chroma === 'mono' ? 0 : 2 * cw * ch
  const frameBytes = width * height * (hasAlphaPlane ? 2 : 1) + chromaBytes
  const headerBytes = Buffer.byteLength(line) + 1
  const frameCountEstimate = fileBytes === undefined ? 0 : Math.floor((fileBytes - headerBytes) / (frameBytes + 6))
  return {
    width,
    height,
    fpsNum,
    fpsDen,
    fps: fpsNum / fpsDen,
    fpsFromHeader,
    colorspace,
    chroma,
    hasAlphaPlane,
    range,
    interlace,
    headerBytes,
    frameBytes,
    frameCountEstimate,
  }
}

async function openInput(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new PortsegError('INPUT_NOT_FOUND', `Cannot read ${file}: the file does not exist`, { cause: e })
    throw new PortsegError('INPUT_NOT_FOUND', `Cannot read ${file}: ${(e as Error).message}`, { cause: e })
  }
}

async function readHeaderFrom(fh: FileHandle, file: string): Promise<Y4mHeader> {
  const { size } = await fh.stat()
  const buf = Buffer.alloc(Math.min(MAX_HEADER_BYTES, size))
  const { bytesRead } = await fh.read(buf, 0, buf.length, 0)
  const nl = buf.subarray(0, bytesRead).indexOf(0x0a)
  if (nl < 0) {
    if (bytesRead === 0) throw corrupt(file, 'the file is empty')
    if (!buf.subarray(0, bytesRead).toString('latin1').startsWith(MAGIC)) {
      throw corrupt(file, `it does not start with "${MAGIC}", so it is not a YUV4MPEG2 file`)
    }
    throw corrupt(file, `the header line has no end within ${MAX_HEADER_BYTES} bytes`)
  }
  return parseY4mHeader(buf.subarray(0, nl).toString('latin1'), file, size)
}

/** Reads only the header (size, frame rate, colourspace, frame count). */
export async function readY4mHeader(file: string): Promise<Y4mHeader> {
  const fh = await openInput(file)
  try {
    return await readHeaderFrom(fh, file)
  } finally {
    await fh.close()
  }
}

/** Fixed-point (16.16) lookup tables for YUV → RGB, rounding bias folded into the Y table. */
interface YuvTables {
  y: Int32Array
  rv: Int32Array
  gu: Int32Array
  gv: Int32Array
  bu: Int32Array
}

const tableCache = new Map<string, YuvTables>()

function yuvTables(range: YuvRange, matrix: YuvMatrix): YuvTables {
  const key = `${range}/${matrix}`
  const hit = tableCache.get(key)
  if (hit) return hit
  // Kr/Kb per matrix; full-range coefficients, then scaled for limited range.
  const [kr, kb] = matrix === 'bt709' ? [0.2126, 0.0722] : [0.299, 0.114]
  const kg = 1 - kr - kb
  const ys = range === 'limited' ? 255 / 219 : 1
  const cs = range === 'limited' ? 255 / 224 : 1
  const y0 = range === 'limited' ? 16 : 0
  const crR = 2 * (1 - kr) * cs
  const cbB = 2 * (1 - kb) * cs
  const cbG = (-2 * (1 - kb) * kb) / kg * cs
  const crG = (-2 * (1 - kr) * kr) / kg * cs
  const S = 65536
  const t: YuvTables = {
    y: new Int32Array(256),
    rv: new Int32Array(256),
    gu: new Int32Array(256),
    gv: new Int32Array(256),
    bu: new Int32Array(256),
  }
  for (let i = 0; i < 256; i++) {
    t.y[i] = Math.round((i - y0) * ys * S) + S / 2
    const c = i - 128
    t.rv[i] = Math.round(c * crR * S)
    t.gu[i] = Math.round(c * cbG * S)
    t.gv[i] = Math.round(c * crG * S)
    t.bu[i] = Math.round(c * cbB * S)
  }
  tableCache.set(key, t)
  return t
}

/**
 * Converts one planar 8-bit YUV frame to packed RGB/RGBA. Chroma is sampled nearest (each chroma
 * sample covers its 2x2 / 2x1 block), which is what the model needs and keeps this one pass.
 */
export function yuvToRgb(
  planes: Uint8Array,
  width: number,
  height: number,
  chroma: Y4mChroma,
  out: Uint8Array,
  format: PixelFormat,
  range: YuvRange = 'limited',
  matrix: YuvMatrix = 'bt601',
): void {
  const t = yuvTables(range, matrix)
  const ty = t.y
  const trv = t.rv
  const tgu = t.gu
  const tgv = t.gv
  const tbu = t.bu
  const bpp = format === 'RGBA' ? 4 : 3
  // Clamped view: stores saturate to 0..255 for free.
  const o = new Uint8ClampedArray(out.buffer, out.byteOffset, out.length)
  const cw = chroma === '444' ? width : Math.ceil(width / 2)
  const ch = chroma === '420' ? Math.ceil(height / 2) : height
  const uOff = width * height
  const vOff = uOff + cw * ch
  const xs = chroma === '444' ? 0 : 1
  const ys = chroma === '420' ? 1 : 0
  let p = 0
  for (let yy = 0; yy < height; yy++) {
    const yRow = yy * width
    const cRow = (yy >> ys) * cw
    for (let x = 0; x < width; x++) {
      const Y = ty[planes[yRow + x]!]!
      if (chroma === 'mono') {
        const g = Y >> 16
        o[p] = g
        o[p + 1] = g
        o[p + 2] = g
      } else {
        const ci = cRow + (x >> xs)
        const U = planes[uOff + ci]!
        const V = planes[vOff + ci]!
        o[p] = (Y + trv[V]!) >> 16
        o[p + 1] = (Y + tgu[U]! + tgv[V]!) >> 16
        o[p + 2] = (Y + tbu[U]!) >> 16
      }
      if (bpp === 4) o[p + 3] = 255
      p += bpp
    }
  }
}

/**
 * Yields the frames of a .y4m file in order, as packed RGB (default) or RGBA. seq counts from
 * `firstSeq`; captureTimeUs follows the header's frame rate (frame i at i·den/num seconds).
 * Each frame owns its data buffer (safe to keep or transfer).
 */
export async function* readY4m(file: string, options: ReadY4mOptions = {}): AsyncGenerator<Frame, void, undefined> {
  const format = options.format ?? 'RGB'
  const fh = await openInput(file)
  try {
    const header = await readHeaderFrom(fh, file)
    const range = options.range ?? header.range
    const matrix = options.matrix ?? 'bt601'
    const { width, height, frameBytes } = header
    const firstSeq = options.firstSeq ?? 0
    const maxFrames = options.maxFrames ?? Number.POSITIVE_INFINITY
    // Optimistic single read per frame: "FRAME\n" + planes; frame lines with parameters fall back.
    const buf = Buffer.alloc(frameBytes + 6)
    let pos = header.headerBytes
    for (let i = 0; i < maxFrames; i++) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos)
      if (bytesRead === 0) return
      if (bytesRead < 6 || buf.toString('latin1', 0, 5) !== 'FRAME') {
        throw corrupt(file, `frame ${i} at byte ${pos} does not start with "FRAME" (the file is damaged or its header's size/colourspace is wrong)`)
      }
      let planes: Uint8Array
      if (buf[5] === 0x0a) {
        if (bytesRead < buf.length) {
          throw corrupt(file, `frame ${i} is truncated: ${bytesRead - 6} of ${frameBytes} bytes present (the file was cut short)`, 'Re-copy or re-create the file; the frames before this one are fine.')
        }
        planes = buf.subarray(6)
        pos += buf.length
      } else {
        // FRAME line with parameters: find its end, then read the planes after it.
        const nl = buf.subarray(0, Math.min(bytesRead, MAX_HEADER_BYTES)).indexOf(0x0a)
        if (nl < 0) throw corrupt(file, `frame ${i} at byte ${pos} has a FRAME line with no end`)
        const start = pos + nl + 1
        const planesBuf = Buffer.alloc(frameBytes)
        const r = await fh.read(planesBuf, 0, frameBytes, start)
        if (r.bytesRead < frameBytes) {
          throw corrupt(file, `frame ${i} is truncated: ${r.bytesRead} of ${frameBytes} bytes present (the file was cut short)`, 'Re-copy or re-create the file; the frames before this one are fine.')
        }
        planes = planesBuf
        pos = start + frameBytes
      }
      const data = new Uint8Array(width * height * (format === 'RGBA' ? 4 : 3))
      yuvToRgb(planes, width, height, header.chroma, data, format, range, matrix)
      const seq = firstSeq + i
      const frame: Frame = {
        seq,
        captureTimeUs: Math.round((i * 1e6 * header.fpsDen) / header.fpsNum),
        width,
        height,
        format,
        data,
      }
      if (options.sourceId !== undefined) frame.sourceId = options.sourceId
      yield frame
    }
  } finally {
    await fh.close()
  }
}
