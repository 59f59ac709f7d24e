/** RGBA → YUV conversion (in C++), validated here. Used by VirtualCamera and by `portseg vcam --bench`. */
import { loadBinding, type RawFormat, type RawMatrix } from './binding.js'
import { badArgument } from './errors.js'

export type VcamFormat = 'YUYV' | 'NV12' | 'I420'
export type VcamColorSpace = 'bt601' | 'bt709'
export const VCAM_FORMATS: readonly VcamFormat[] = ['YUYV', 'NV12', 'I420']
export const VCAM_COLOR_SPACES: readonly VcamColorSpace[] = ['bt601', 'bt709']

/** A tightly packed RGBA image (alpha is ignored). */
export interface RgbaFrame {
  width: number
  height: number
  data: Uint8Array
}

export const RAW_FORMAT: Record<VcamFormat, RawFormat> = { YUYV: 0, NV12: 1, I420: 2 }
export const RAW_MATRIX: Record<VcamColorSpace, RawMatrix> = { bt601: 0, bt709: 1 }

export function frameBytes(format: VcamFormat, width: number, height: number): number {
  return format === 'YUYV' ? width * height * 2 : width * height + 2 * (width / 2) * (height / 2)
}

/** Checks a size for a format: even width always, even height for the 4:2:0 formats. */
export function checkSize(where: string, width: unknown, height: unknown, format: VcamFormat): void {
  if (typeof width !== 'number' || !Number.isInteger(width) || width < 2 || width > 8192 || width % 2 !== 0)
    throw badArgument(where, 'width', 'an even integer from 2 to 8192', width)
  const needEven = format !== 'YUYV'
  if (typeof height !== 'number' || !Number.isInteger(height) || height < 2 || height > 8192 || (needEven && height % 2 !== 0))
    throw badArgument(where, 'height', needEven ? `an even integer from 2 to 8192 for ${format}` : 'an integer from 2 to 8192', height)
}

export function checkRgbaFrame(where: string, frame: unknown): asserts frame is RgbaFrame {
  if (typeof frame !== 'object' || frame === null) throw badArgument(where, 'frame', 'an object { width, height, data }', frame)
  const f = frame as Partial<RgbaFrame>
  if (!(f.data instanceof Uint8Array)) throw badArgument(where, 'frame.data', 'a Uint8Array of RGBA pixels', f.data)
  if (typeof f.width !== 'number' || !Number.isInteger(f.width) || f.width < 1) throw badArgument(where, 'frame.width', 'a positive integer', f.width)
  if (typeof f.height !== 'number' || !Number.isInteger(f.height) || f.height < 1) throw badArgument(where, 'frame.height', 'a positive integer', f.height)
  if (f.data.length !== f.width * f.height * 4)
    throw badArgument(where, 'frame.data.length', `width*height*4 = ${f.width * f.height * 4} for ${f.width}x${f.height} RGBA`, f.data.length)
}

/**
 * Converts an RGBA frame into `format` (limited range, chroma averaged over 2x1 or 2x2 pixels).
 * Writes into `out` when given (it must hold frameBytes(...)), else allocates.
 */
export function convertRgba(frame: RgbaFrame, format: VcamFormat = 'YUYV', colorSpace: VcamColorSpace = 'bt601', out?: Uint8Array): Uint8Array {
  const where = 'convertRgba'
  checkRgbaFrame(where, frame)
  if (!VCAM_FORMATS.includes(format)) throw badArgument(where, 'format', `one of ${VCAM_FORMATS.join(', ')}`, format)
  if (!VCAM_COLOR_SPACES.includes(colorSpace)) throw badArgument(where, 'colorSpace', `one of ${VCAM_COLOR_SPACES.join(', ')}`, colorSpace)
  checkSize(where, frame.width, frame.height, format)
  const bytes = frameBytes(format, frame.width, frame.height)
  const dst = out ?? new Uint8Array(bytes)
  if (dst.length !== bytes) throw badArgument(where, 'out.length', `${bytes} for ${frame.width}x${frame.height} ${format}`, dst.length)
  loadBinding().convert(frame.data, frame.width, frame.height, RAW_FORMAT[format], RAW_MATRIX[colorSpace], dst)
  return dst
}

/** Same as convertRgba, on a libuv worker thread (the buffers must not be touched until it resolves). */
export async function convertRgbaAsync(frame: RgbaFrame, format: VcamFormat, colorSpace: VcamColorSpace, out: Uint8Array): Promise<Uint8Array> {
  const where = 'convertRgbaAsync'
  checkRgbaFrame(where, frame)
  checkSize(where, frame.width, frame.height, format)
  const bytes = frameBytes(format, frame.width, frame.height)
  if (out.length !== bytes) throw badArgument(where, 'out.length', `${bytes}`, out.length)
  await loadBinding().convertAsync(frame.data, frame.width, frame.height, RAW_FORMAT[format], RAW_MATRIX[colorSpace], out)
  return out
}
