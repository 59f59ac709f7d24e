/**
 * One entry point for every input the CLI takes: a still image, a directory of images (one
 * sequence in name order), a .y4m file, or a video decoded by ffmpeg.
 */
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { PortsegError } from '../../../shared/errors.js'
import type { Frame, PixelFormat } from '../types.js'
import { notFound } from './errors.js'
import { IMAGE_EXTENSIONS, isImageFile, listImages, readImage, readImageSequence } from './image.js'
import { probeVideo, readVideo, VIDEO_EXTENSIONS } from './video.js'
import { readY4m, readY4mHeader } from './y4m.js'

export type InputKind = 'image' | 'image-sequence' | 'y4m' | 'video'

export interface OpenedInput {
  kind: InputKind
  path: string
  /** Frames in the input when known up front (null for some videos). */
  frameCount: number | null
  /** Nominal frame rate (images: 30). */
  fps: number
  /** Frames in order; each owns its buffer. */
  frames(): AsyncGenerator<Frame, void, undefined>
}

export interface OpenInputOptions {
  format?: PixelFormat
  maxPixels?: number
  maxFrames?: number
}

/** Detects the input kind from the path (directory or extension) and opens it. */
export async function openInput(input: string, options: OpenInputOptions = {}): Promise<OpenedInput> {
  const format = options.format ?? 'RGB'
  const sourceId = path.resolve(input)
  let st
  try {
    st = await stat(input)
  } catch (e) {
    throw notFound(input, e)
  }
  const limit = (n: number): number => Math.min(n, options.maxFrames ?? Number.POSITIVE_INFINITY)
  if (st.isDirectory()) {
    const all = await listImages(input)
    const files = all.slice(0, limit(all.length))
    return {
      kind: 'image-sequence',
      path: input,
      frameCount: files.length,
      fps: 30,
      frames: () => readImageSequence(files, { format, maxPixels: options.maxPixels, sourceId }),
    }
  }
  const ext = path.extname(input).toLowerCase()
  if (isImageFile(input)) {
    return {
      kind: 'image',
      path: input,
      frameCount: 1,
      fps: 30,
      async *frames() {
        yield await readImage(input, { format, maxPixels: options.maxPixels, sourceId })
      },
    }
  }
  if (ext === '.y4m') {
    const h = await readY4mHeader(input)
    return {
      kind: 'y4m',
      path: input,
      frameCount: limit(h.frameCountEstimate),
      fps: h.fps,
      frames: () => readY4m(input, { format, sourceId, maxFrames: options.maxFrames }),
    }
  }
  if ((VIDEO_EXTENSIONS as readonly string[]).includes(ext)) {
    const info = await probeVideo(input)
    return {
      kind: 'video',
      path: input,
      frameCount: info.frameCount === null ? null : limit(info.frameCount),
      fps: info.fps,
      frames: () => readVideo(input, { format, sourceId, maxFrames: options.maxFrames }),
    }
  }
  throw new PortsegError('INPUT_UNSUPPORTED', `Cannot read ${input}: "${ext || '(no extension)'}" is not a supported input`, {
    hints: [
      `Images: ${IMAGE_EXTENSIONS.join(' ')}; a directory of images; .y4m`,
      `Video (needs ffmpeg): ${VIDEO_EXTENSIONS.join(' ')}`,
    ],
  })
}
