/** Still images (PNG/JPEG/WebP/TIFF) → Frames via sharp, and 8-bit alpha → grayscale PNG. */
import { randomBytes } from 'node:crypto'
import { readdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import sharp, { type OutputInfo } from 'sharp'
import { PortsegError } from '../../../shared/errors.js'
import type { Frame, PixelFormat } from '../types.js'
import { notFound } from './errors.js'
import { validateFrame } from './frame.js'

/** Refuse images above this many pixels (a 64 MP photo decodes to ~190 MB RGB). */
export const DEFAULT_MAX_PIXELS = 64_000_000

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff'] as const

export function isImageFile(file: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(file).toLowerCase())
}

export interface ReadImageOptions {
  format?: PixelFormat
  maxPixels?: number
  seq?: number
  captureTimeUs?: number
  sourceId?: string
}

function imageError(file: string, e: unknown, maxPixels: number): PortsegError {
  const msg = e instanceof Error ? e.message : String(e)
  if (/exceeds pixel limit/i.test(msg)) {
    return new PortsegError('INPUT_UNSUPPORTED', `Cannot read ${file}: the image has more than ${maxPixels.toLocaleString('en-US')} pixels, the limit for one frame`, {
      cause: e,
      hints: ['Scale it down first, e.g. to 4K (3840x2160) or less.'],
    })
  }
  if (/unsupported image format/i.test(msg)) {
    return new PortsegError('INPUT_CORRUPT', `Cannot read ${file}: it is not a valid image (its contents are not PNG, JPEG, WebP or TIFF)`, {
      cause: e,
      hints: ['Check that the file is not damaged or mis-named.'],
    })
  }
  if (/missing|no such file/i.test(msg)) return notFound(file, Object.assign(new Error(msg), { code: 'ENOENT' }))
  return new PortsegError('INPUT_CORRUPT', `Cannot read ${file}: the image is damaged (${msg.trim()})`, {
    cause: e,
    hints: ['Re-export or re-copy the image.'],
  })
}

/** Decodes one image, EXIF orientation applied, to a packed RGB/RGBA Frame. */
export async function readImage(file: string, options: ReadImageOptions = {}): Promise<Frame> {
  const format = options.format ?? 'RGB'
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS
  try {
    await stat(file)
  } catch (e) {
    throw notFound(file, e)
  }
  let decoded: { data: Buffer; info: OutputInfo }
  try {
    const img = sharp(file, { limitInputPixels: maxPixels, failOn: 'error' }).rotate()
    decoded = await (format === 'RGBA' ? img.ensureAlpha() : img.removeAlpha()).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
  } catch (e) {
    throw imageError(file, e, maxPixels)
  }
  const { data, info } = decoded
  const frame: Frame = {
    seq: options.seq ?? 0,
    captureTimeUs: options.captureTimeUs ?? 0,
    width: info.width,
    height: info.height,
    format,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  }
  if (options.sourceId !== undefined) frame.sourceId = options.sourceId
  validateFrame(frame, `readImage(${file})`)
  return frame
}

const natural = new Intl.Collator('en', { numeric: true, sensitivity: 'base' })

/** The images in a directory (not recursive), in natural name order (frame2 before frame10). */
export async function listImages(dir: string): Promise<string[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (e) {
    throw notFound(dir, e)
  }
  const files = names.filter((n) => !n.startsWith('.') && isImageFile(n)).sort(natural.compare)
  if (files.length === 0) {
    throw new PortsegError('INPUT_NOT_FOUND', `Cannot read ${dir}: the directory has no images (${IMAGE_EXTENSIONS.join(', ')})`, {
      hints: ['Point --input at a directory of PNG/JPEG frames, an image, a .y4m file or a video.'],
    })
  }
  return files.map((n) => path.join(dir, n))
}

export interface ReadSequenceOptions extends Omit<ReadImageOptions, 'seq' | 'captureTimeUs'> {
  /** Nominal frame rate for captureTimeUs (default 30). */
  fps?: number
  firstSeq?: number
}

/** A directory of images as one sequence: seq in name order, timestamps at `fps`. */
export async function* readImageSequence(files: readonly string[], options: ReadSequenceOptions = {}): AsyncGenerator<Frame, void, undefined> {
  const fps = options.fps ?? 30
  const first = options.firstSeq ?? 0
  for (let i = 0; i < files.length; i++) {
    yield await readImage(files[i]!, { ...options, seq: first + i, captureTimeUs: Math.round((i * 1e6) / fps) })
  }
}

/**
 * Writes an 8-bit grayscale PNG (255 = person) atomically: a temporary file in the same folder,
 * renamed over the target, so a crash never leaves a half-written alpha.
 */
export async function writeAlphaPng(file: string, alpha: Uint8Array, width: number, height: number): Promise<void> {
  if (alpha.length !== width * height) {
    throw new PortsegError('BAD_ARGUMENT', `writeAlphaPng: alpha.length must be width*height = ${width * height} (got ${alpha.length})`)
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    // b-w keeps it one channel (PNG colour type 0); sharp would otherwise widen it to RGB
    await sharp(alpha, { raw: { width, height, channels: 1 } })
      .toColourspace('b-w')
      .png({ compressionLevel: 6, adaptiveFiltering: false })
      .toFile(tmp)
    await rename(tmp, file)
  } catch (e) {
    await rm(tmp, { force: true })
    throw new PortsegError('OUTPUT_NOT_WRITABLE', `Cannot write ${file}: ${(e as Error).message}`, {
      cause: e,
      hints: ['Check that the output folder exists, is writable and has free space.'],
    })
  }
}
