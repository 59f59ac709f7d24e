import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openEngine, type Frame, type Matte, type MattingEngine } from '../../../src/main/engine/index.js'
import { sharedFile, WORKER_PATH } from '../../support/paths.js'
import { rvmModelPath } from '../../support/rvm-model.js'

// The real Robust Video Matting MobileNetV3 weights (../shared/models/rvm-tfjs, converted to ONNX
// by our importer), driven through the engine's recurrent path.

type Image = Omit<Frame, 'seq' | 'captureTimeUs'>

async function image(parts: string[], width: number, height: number): Promise<Image> {
  const data = await sharp(sharedFile(...parts)).removeAlpha().resize(width, height, { fit: 'fill' }).raw().toBuffer()
  return { width, height, format: 'RGB', data: new Uint8Array(data) }
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!)
  return s / a.length
}

describe.each(['fp32', 'fp16'] as const)('real RVM MobileNetV3 (%s) through the engine', (precision) => {
  let engine: MattingEngine
  let portrait: Image
  let gold: Uint8Array
  let seq = 0
  const step = (img: Image, extra: Partial<Frame> = {}): Promise<Matte> =>
    engine.process({ ...img, data: img.data.slice(), seq: seq, captureTimeUs: 33_333 * seq++, ...extra })

  beforeAll(async () => {
    engine = await openEngine({ modelPath: await rvmModelPath(precision), workerPath: WORKER_PATH, provider: 'cpu', downsampleRatio: 0.5 })
    portrait = await image(['media', 'portrait', 'portrait.jpg'], 410, 512)
    const g = await sharp(sharedFile('media', 'portrait', 'portrait_segmentation.png')).resize(410, 512, { fit: 'fill' }).removeAlpha().raw().toBuffer()
    gold = Uint8Array.from({ length: 410 * 512 }, (_, i) => (g[i * 3 + 2]! >= 128 && g[i * 3]! < 128 ? 1 : 0))
  })
  afterAll(() => engine?.close())

  it(`is detected as recurrent matting, ${precision}`, () => {
    expect(engine.modelInterface).toMatchObject({ kind: 'recurrent-matting', precision })
  })

  it('mattes the portrait (IoU >= 0.93 against the golden mask at 410x512, ratio 0.5), carrying state', async () => {
    const first = await step(portrait)
    expect(first.stateReset).toBe('start')
    let inter = 0
    let union = 0
    for (let i = 0; i < gold.length; i++) {
      const a = first.alpha[i]! >= 128
      if (a && gold[i]) inter++
      if (a || gold[i]) union++
    }
    expect(inter / union).toBeGreaterThanOrEqual(0.93)
    const second = await step(portrait)
    expect(second.stateReset).toBeUndefined()
    // Same pixels, slightly different matte: the ConvGRU state from frame 1 was used.
    expect(meanAbsDiff(first.alpha, second.alpha)).toBeGreaterThan(0.05)
    engine.resetState('requested')
    const fresh = await step(portrait)
    expect(fresh.stateReset).toBe('requested')
    expect(meanAbsDiff(first.alpha, fresh.alpha)).toBeLessThan(0.05)
  })

  it('keeps working across a resolution change and a ratio change (state shapes follow)', async () => {
    const small = await image(['media', 'portrait', 'portrait.jpg'], 256, 320)
    expect((await step(small)).stateReset).toBe('resolution-changed')
    engine.setDownsampleRatio(0.25)
    const m = await step(small)
    expect(m.stateReset).toBe('ratio-changed')
    expect(engine.status().downsampleRatio).toBe(0.25)
    const next = await step(small)
    expect(next.stateReset).toBeUndefined()
    expect(next.alpha).toHaveLength(256 * 320)
  })
})
