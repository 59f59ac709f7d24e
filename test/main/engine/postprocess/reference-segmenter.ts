/**
 * The reference MediaPipe selfie-segmentation ONNX run directly with onnxruntime (no engine code),
 * so post-processing tests measure our refinement on real model output.
 */
import * as ort from 'onnxruntime-node'
import sharp from 'sharp'
import type { Frame } from '../../../../src/main/engine/types.js'
import { sharedFile } from '../../../support/paths.js'

export interface Segmenter {
  width: number
  height: number
  run(frame: Frame): Promise<Float32Array>
}

export async function openReferenceSegmenter(kind: 'general' | 'landscape' = 'general'): Promise<Segmenter> {
  const file = sharedFile('models', 'reference-onnx', kind === 'general' ? 'selfie_segmentation.onnx' : 'selfie_segmentation_landscape.onnx')
  const session = await ort.InferenceSession.create(file, { logSeverityLevel: 3 })
  const width = 256
  const height = kind === 'general' ? 256 : 144
  const input = new Float32Array(width * height * 3)
  return {
    width,
    height,
    async run(frame) {
      const channels = frame.format === 'RGBA' ? 4 : 3
      const small = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels } })
        .removeAlpha()
        .resize(width, height, { fit: 'fill' })
        .raw()
        .toBuffer()
      for (let i = 0; i < input.length; i++) input[i] = small[i]! / 255
      const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, [1, height, width, 3]) })
      return new Float32Array(out[session.outputNames[0]!]!.data as Float32Array)
    },
  }
}

/** Decodes an image to an RGB Frame (EXIF orientation applied). */
export async function loadFrame(file: string, format: 'RGB' | 'RGBA' = 'RGB'): Promise<Frame> {
  const img = sharp(file).rotate()
  const { data, info } = await (format === 'RGBA' ? img.ensureAlpha() : img.removeAlpha()).raw().toBuffer({ resolveWithObject: true })
  return { seq: 0, captureTimeUs: 0, width: info.width, height: info.height, format, data: new Uint8Array(data.buffer, data.byteOffset, data.length) }
}

/** One 8-bit channel of an image. */
export async function loadChannel(file: string, channel: 0 | 1 | 2): Promise<Uint8Array> {
  const buf = await sharp(file).extractChannel(channel).raw().toBuffer()
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length)
}

export function iou(alpha: Uint8Array, truth: (i: number) => boolean): number {
  let inter = 0
  let union = 0
  for (let i = 0; i < alpha.length; i++) {
    const a = alpha[i]! >= 128
    const t = truth(i)
    if (a && t) inter++
    if (a || t) union++
  }
  return inter / union
}
