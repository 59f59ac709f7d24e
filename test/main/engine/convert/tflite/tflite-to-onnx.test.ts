import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { convertTflite, type TfliteConversion } from '../../../../../src/main/engine/convert/tflite/index.js'
import { decodeModel } from '../../../../../src/main/engine/onnx/onnx-proto.js'
import { sharedFile } from '../../../../support/paths.js'

const NPM_DIR = path.dirname(createRequire(import.meta.url).resolve('@mediapipe/selfie_segmentation/package.json'))

const MODELS = [
  { key: 'general', file: 'selfie_segmentation', width: 256, height: 256, input: 'input_1', output: 'activation_10' },
  { key: 'landscape', file: 'selfie_segmentation_landscape', width: 256, height: 144, input: 'input_1', output: 'segment_back' },
] as const

const IMAGES = [
  ['portrait', 'portrait.jpg'],
  ['portrait', 'three_people.jpg'],
  ['portrait', 'pose.jpg'],
  ['p3m/original', 'p_07141906.jpg'],
  ['p3m/original', 'p_09ba26b4.jpg'],
  ['p3m/original', 'p_22fc0130.jpg'],
] as const

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** The models' preprocessing: whole frame stretched to the input size, RGB, 0..1, NHWC. */
async function loadInput(file: string, width: number, height: number): Promise<Float32Array> {
  const rgb = await sharp(file).removeAlpha().resize(width, height, { fit: 'fill' }).raw().toBuffer()
  return Float32Array.from(rgb, (v) => v / 255)
}

async function run(session: ort.InferenceSession, input: Float32Array, width: number, height: number): Promise<Float32Array> {
  const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, [1, height, width, 3]) })
  return out[session.outputNames[0]!]!.data as Float32Array
}

/** Bilinear upsampling with half-pixel centres (as tf.image.resize), single channel. */
function resizeBilinear(src: Float32Array, sw: number, sh: number, dw: number, dh: number): Float32Array {
  const out = new Float32Array(dw * dh)
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(Math.max((y + 0.5) * (sh / dh) - 0.5, 0), sh - 1)
    const y0 = Math.floor(fy)
    const y1 = Math.min(y0 + 1, sh - 1)
    const wy = fy - y0
    for (let x = 0; x < dw; x++) {
      const fx = Math.min(Math.max((x + 0.5) * (sw / dw) - 0.5, 0), sw - 1)
      const x0 = Math.floor(fx)
      const x1 = Math.min(x0 + 1, sw - 1)
      const wx = fx - x0
      const top = src[y0 * sw + x0]! * (1 - wx) + src[y0 * sw + x1]! * wx
      const bottom = src[y1 * sw + x0]! * (1 - wx) + src[y1 * sw + x1]! * wx
      out[y * dw + x] = top * (1 - wy) + bottom * wy
    }
  }
  return out
}

const conversions = new Map<string, TfliteConversion>()
const ms = new Map<string, number>()
const report: string[] = []

beforeAll(() => {
  for (const m of MODELS) {
    const bytes = readFileSync(path.join(NPM_DIR, `${m.file}.tflite`))
    const t0 = performance.now()
    conversions.set(m.key, convertTflite(bytes, { label: `${m.file}.tflite` }))
    ms.set(m.key, performance.now() - t0)
  }
})

afterAll(() => {
  // Measured numbers for the closing note (rough: the test machine is shared).
  if (report.length > 0) console.log(`TFLite → ONNX parity\n${report.join('\n')}`)
})

describe.each(MODELS)('convertTflite: MediaPipe selfie $key', (m) => {
  it('converts the npm package file, which is byte-identical to the official TFLite in ../shared', () => {
    const npm = readFileSync(path.join(NPM_DIR, `${m.file}.tflite`))
    const shared = readFileSync(sharedFile('models', 'reference-onnx', `${m.file}.tflite`))
    expect(sha256(npm)).toBe(sha256(shared))
    report.push(`${m.key}: converted in ${ms.get(m.key)!.toFixed(0)} ms`)
  })

  it('keeps the TFLite interface: names, NHWC shapes, float32', async () => {
    const c = conversions.get(m.key)!
    expect(c.inputs).toEqual([{ name: m.input, shape: [1, m.height, m.width, 3] }])
    expect(c.outputs).toEqual([{ name: m.output, shape: [1, m.height, m.width, 1] }])
    const session = await ort.InferenceSession.create(c.onnx)
    try {
      expect(session.inputNames).toEqual([m.input])
      expect(session.outputNames).toEqual([m.output])
    } finally {
      await session.release()
    }
  })

  it('folds the fp16 weights: float32 initializers, no Dequantize/Cast left, opset 17', () => {
    const model = decodeModel(conversions.get(m.key)!.onnx)
    const ops = new Set(model.graph!.node!.map((n) => n.opType))
    expect([...ops].sort()).toEqual(
      ['Add', 'Conv', 'ConvTranspose', 'HardSwish', 'Mul', 'Relu', 'Resize', 'Sigmoid', 'Transpose', m.key === 'general' ? 'GlobalAveragePool' : 'ReduceMean'].sort(),
    )
    expect(model.graph!.initializer!.every((t) => t.dataType === 1 || t.dataType === 7)).toBe(true)
    expect(model.opsetImport).toEqual([{ domain: '', version: 17 }])
    // One Transpose in, one out: everything between runs in NCHW.
    expect(model.graph!.node!.filter((n) => n.opType === 'Transpose')).toHaveLength(2)
  })

  it('produces the same bytes every time', () => {
    const again = convertTflite(readFileSync(path.join(NPM_DIR, `${m.file}.tflite`)), { label: `${m.file}.tflite` })
    expect(sha256(again.onnx)).toBe(sha256(conversions.get(m.key)!.onnx))
  })

  it('matches the reference ONNX conversion on real images within 1e-4', async () => {
    const ours = await ort.InferenceSession.create(conversions.get(m.key)!.onnx)
    const ref = await ort.InferenceSession.create(sharedFile('models', 'reference-onnx', `${m.file}.onnx`))
    try {
      let maxAll = 0
      let sum = 0
      let count = 0
      for (const [dir, name] of IMAGES) {
        const input = await loadInput(sharedFile('media', ...dir.split('/'), name), m.width, m.height)
        const a = await run(ours, input, m.width, m.height)
        const b = await run(ref, input, m.width, m.height)
        expect(a.length).toBe(m.width * m.height)
        let max = 0
        for (let i = 0; i < a.length; i++) {
          const d = Math.abs(a[i]! - b[i]!)
          max = Math.max(max, d)
          sum += d
        }
        count += a.length
        expect(max, `${name}: max |Δ|`).toBeLessThanOrEqual(1e-4)
        // The images are real portraits: the output must not be flat.
        expect(Math.max(...a) - Math.min(...a), name).toBeGreaterThan(0.9)
        maxAll = Math.max(maxAll, max)
      }
      report.push(`${m.key}: vs ${m.file}.onnx over ${IMAGES.length} images: max |Δ| ${maxAll.toExponential(2)}, mean |Δ| ${(sum / count).toExponential(2)}`)
    } finally {
      await ours.release()
      await ref.release()
    }
  })

  it('segments portrait.jpg like the golden mask: IoU ≥ 0.93', async () => {
    const session = await ort.InferenceSession.create(conversions.get(m.key)!.onnx)
    try {
      const input = await loadInput(sharedFile('media', 'portrait', 'portrait.jpg'), m.width, m.height)
      const out = await run(session, input, m.width, m.height)
      const golden = await sharp(sharedFile('media', 'portrait', 'portrait_segmentation.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true })
      const { width, height } = golden.info
      expect([width, height]).toEqual([820, 1024])
      const prob = resizeBilinear(out, m.width, m.height, width, height)
      let inter = 0
      let union = 0
      for (let i = 0; i < width * height; i++) {
        const person = golden.data[i * 3 + 2]! >= 255 && golden.data[i * 3]! === 0
        const predicted = prob[i]! > 0.5
        if (person && predicted) inter++
        if (person || predicted) union++
      }
      const iou = inter / union
      report.push(`${m.key}: IoU vs portrait_segmentation.png ${iou.toFixed(4)}`)
      expect(iou).toBeGreaterThanOrEqual(0.93)
    } finally {
      await session.release()
    }
  })
})
