import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openEngine, type Frame, type MattingEngine } from '../../../src/main/engine/index.js'
import { sharedFile, WORKER_PATH } from '../../support/paths.js'

async function rgbFrame(file: string, seq = 0): Promise<Frame> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  return { seq, captureTimeUs: seq * 33_333, width: info.width, height: info.height, format: 'RGB', data: new Uint8Array(data) }
}

/** Person pixels of a golden mask decoded to RGB. */
async function goldenMask(file: string, isPerson: (r: number, g: number, b: number) => boolean): Promise<Uint8Array> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  const out = new Uint8Array(info.width * info.height)
  for (let i = 0; i < out.length; i++) out[i] = isPerson(data[i * 3]!, data[i * 3 + 1]!, data[i * 3 + 2]!) ? 1 : 0
  return out
}

function iou(alpha: Uint8Array, gold: Uint8Array, threshold = 128): number {
  let inter = 0
  let union = 0
  for (let i = 0; i < gold.length; i++) {
    const a = alpha[i]! >= threshold
    const g = gold[i] === 1
    if (a && g) inter++
    if (a || g) union++
  }
  return inter / union
}

const PORTRAIT = (): string => sharedFile('media', 'portrait', 'portrait.jpg')
const PORTRAIT_MASK = (): Promise<Uint8Array> =>
  goldenMask(sharedFile('media', 'portrait', 'portrait_segmentation.png'), (r, _g, b) => b >= 255 && r < 128)

describe('MediaPipe selfie segmentation (general) through the engine', () => {
  let engine: MattingEngine
  beforeAll(async () => {
    engine = await openEngine({ modelPath: sharedFile('models', 'reference-onnx', 'selfie_segmentation.onnx'), workerPath: WORKER_PATH })
  })
  afterAll(() => engine?.close())

  it('runs on the CPU and reports why each faster provider was skipped', () => {
    const report = engine.provider
    expect(report.selected).toBe('cpu')
    expect(report.attempts.map((a) => a.provider)).toEqual(['cuda', 'dml', 'coreml', 'webgpu', 'cpu'])
    expect(report.attempts.at(-1)).toMatchObject({ provider: 'cpu', ok: true })
    for (const a of report.attempts.slice(0, -1)) {
      expect(a.ok).toBe(false)
      expect(a.reason.length).toBeGreaterThan(10)
    }
    if (process.platform === 'linux') expect(report.attempts[1]!.reason).toBe('DirectML exists only on Windows')
  })

  it('mattes portrait.jpg at full resolution with IoU >= 0.93 against the golden mask', async () => {
    const frame = await rgbFrame(PORTRAIT(), 7)
    const matte = await engine.process(frame)
    expect(matte).toMatchObject({ seq: 7, captureTimeUs: 7 * 33_333, width: 820, height: 1024, stateReset: 'start' })
    expect(matte.alpha).toHaveLength(820 * 1024)
    expect(iou(matte.alpha, await PORTRAIT_MASK())).toBeGreaterThanOrEqual(0.93)
    expect(matte.timings.inferenceMs).toBeGreaterThan(0)
    expect(matte.timings.totalMs).toBeGreaterThanOrEqual(matte.timings.inferenceMs)
  })

  it('accepts RGBA frames and gives the same matte as RGB', async () => {
    const rgb = await rgbFrame(PORTRAIT(), 8)
    const rgba = new Uint8Array(rgb.width * rgb.height * 4)
    for (let i = 0, j = 0; i < rgb.data.length; i += 3, j += 4) {
      rgba[j] = rgb.data[i]!
      rgba[j + 1] = rgb.data[i + 1]!
      rgba[j + 2] = rgb.data[i + 2]!
      rgba[j + 3] = 255
    }
    engine.resetState('requested')
    const a = await engine.process({ ...rgb, seq: 9 })
    engine.resetState('requested')
    const b = await engine.process({ ...rgb, seq: 10, format: 'RGBA', data: rgba })
    expect(b.stateReset).toBe('requested')
    expect(iou(b.alpha, Uint8Array.from(a.alpha, (v) => (v >= 128 ? 1 : 0)))).toBeGreaterThan(0.999)
  })

  it('gives sensible alphas on P3M portraits (IoU >= 0.85 against the P3M matte at 128)', async () => {
    for (const id of ['p_07141906', 'p_09ba26b4']) {
      engine.resetState('source-changed')
      const matte = await engine.process(await rgbFrame(sharedFile('media', 'p3m', 'original', `${id}.jpg`), 20))
      const { data } = await sharp(sharedFile('media', 'p3m', 'alpha', `${id}.png`)).greyscale().raw().toBuffer({ resolveWithObject: true })
      const gold = Uint8Array.from(data, (v) => (v >= 128 ? 1 : 0))
      expect(iou(matte.alpha, gold), id).toBeGreaterThanOrEqual(0.85)
    }
  })
})

describe.each([
  ['MediaPipe selfie landscape', ['models', 'reference-onnx', 'selfie_segmentation_landscape.onnx']],
  ['SINet', ['models', 'sinet', 'SINet_Softmax.onnx']],
])('%s through the engine', (_name, modelParts) => {
  it('mattes portrait.jpg with IoU >= 0.93 against the golden mask', async () => {
    const engine = await openEngine({ modelPath: sharedFile(...modelParts), workerPath: WORKER_PATH, provider: 'cpu' })
    try {
      expect(engine.provider).toEqual({ selected: 'cpu', attempts: [{ provider: 'cpu', ok: true, reason: expect.stringMatching(/^CPU, \d+ intra-op threads$/) }] })
      const matte = await engine.process(await rgbFrame(PORTRAIT()))
      expect(iou(matte.alpha, await PORTRAIT_MASK())).toBeGreaterThanOrEqual(0.93)
    } finally {
      await engine.close()
    }
  })
})
