import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { autoDownsampleRatio, openEngine, type Frame, type Matte, type MattingEngine } from '../../../src/main/engine/index.js'
import { sharedFile, WORKER_PATH } from '../../support/paths.js'
import { tinyRvmModelPath, type TinyPrecision } from '../../support/tiny-rvm-model.js'

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

/** Feeds frames 33 ms apart with fresh copies of the pixels (frames are transferred to the worker). */
class Feeder {
  seq = 0
  timeUs = 0
  constructor(readonly engine: MattingEngine) {}
  step(img: Image, extra: Partial<Frame> = {}, gapUs = 33_333): Promise<Matte> {
    this.timeUs += gapUs
    return this.engine.process({ ...img, data: img.data.slice(), seq: this.seq++, captureTimeUs: this.timeUs, ...extra })
  }
}

describe.each(['fp32', 'fp16'] as TinyPrecision[])('recurrent path (tiny RVM-interface model, %s)', (precision) => {
  let engine: MattingEngine
  let feed: Feeder
  let portrait: Image
  let pose: Image
  beforeAll(async () => {
    engine = await openEngine({ modelPath: tinyRvmModelPath(precision), workerPath: WORKER_PATH, provider: 'cpu', foreground: true })
    feed = new Feeder(engine)
    portrait = await image(['media', 'portrait', 'portrait.jpg'], 320, 400)
    pose = await image(['media', 'portrait', 'pose.jpg'], 320, 400)
  })
  afterAll(() => engine?.close())

  it(`is detected as recurrent matting, ${precision}`, () => {
    expect(engine.modelInterface).toMatchObject({ kind: 'recurrent-matting', precision })
    expect(engine.status()).toMatchObject({ modelInterface: 'recurrent-matting', lastReset: null })
  })

  it('carries the state from frame to frame and resets it on request', async () => {
    const first = await feed.step(portrait)
    expect(first.stateReset).toBe('start')
    expect(first).toMatchObject({ width: 320, height: 400 })
    expect(first.foreground).toHaveLength(320 * 400 * 3)
    const second = await feed.step(portrait)
    expect(second.stateReset).toBeUndefined()
    // Same pixels, different output: the second frame saw the first frame's state.
    expect(meanAbsDiff(first.alpha, second.alpha)).toBeGreaterThan(5)
    engine.resetState('requested')
    const fresh = await feed.step(portrait)
    expect(fresh.stateReset).toBe('requested')
    // After a reset the model starts from zeros again, exactly like the first frame.
    expect(meanAbsDiff(first.alpha, fresh.alpha)).toBeLessThan(0.01)
    expect(engine.status().lastReset).toBe('requested')
  })

  it('resets on a resolution change (the old state would not even fit)', async () => {
    await feed.step(portrait)
    const small = await image(['media', 'portrait', 'portrait.jpg'], 160, 200)
    const m = await feed.step(small)
    expect(m.stateReset).toBe('resolution-changed')
    expect(m.alpha).toHaveLength(160 * 200)
    expect((await feed.step(portrait)).stateReset).toBe('resolution-changed')
  })

  it('resets when the source changes', async () => {
    await feed.step(portrait, { sourceId: 'cam-a' })
    const m = await feed.step(portrait, { sourceId: 'cam-b' })
    expect(m.stateReset).toBe('source-changed')
    expect((await feed.step(portrait, { sourceId: 'cam-b' })).stateReset).toBeUndefined()
  })

  it('resets after a pause (gap in captureTimeUs over 1 s) but not after a normal gap', async () => {
    await feed.step(portrait, { sourceId: 'cam-b' })
    expect((await feed.step(portrait, { sourceId: 'cam-b' }, 900_000)).stateReset).toBeUndefined()
    expect((await feed.step(portrait, { sourceId: 'cam-b' }, 1_500_000)).stateReset).toBe('pause')
  })

  it('resets on a scene cut and not on an unchanged scene', async () => {
    await feed.step(portrait, { sourceId: 'cam-b' })
    expect((await feed.step(portrait, { sourceId: 'cam-b' })).stateReset).toBeUndefined()
    const cut = await feed.step(pose, { sourceId: 'cam-b' })
    expect(cut.stateReset).toBe('scene-cut')
  })

  it('resets when the downsample ratio changes, and the state then follows the new ratio', async () => {
    await feed.step(portrait, { sourceId: 'cam-b' })
    expect(engine.status().downsampleRatio).toBe(1) // 'auto' keeps 320x400 whole (<= 512)
    engine.setDownsampleRatio(0.5)
    const m = await feed.step(portrait, { sourceId: 'cam-b' })
    expect(m.stateReset).toBe('ratio-changed')
    expect(engine.status().downsampleRatio).toBe(0.5)
    // A second frame at the new ratio reuses the state: shapes match the 0.5 pyramid, no error.
    const next = await feed.step(portrait, { sourceId: 'cam-b' })
    expect(next.stateReset).toBeUndefined()
    engine.setDownsampleRatio('auto')
    expect((await feed.step(portrait, { sourceId: 'cam-b' })).stateReset).toBe('ratio-changed')
  })

  it("follows RVM's table for 'auto': 0.375 at 1280x720", async () => {
    const hd = await image(['media', 'p3m', 'original', 'p_09ba26b4.jpg'], 1280, 720)
    const m = await feed.step(hd)
    expect(m.alpha).toHaveLength(1280 * 720)
    expect(engine.status().downsampleRatio).toBe(0.375)
  })

  it('rejects a ratio outside (0, 1] with BAD_ARGUMENT', () => {
    for (const bad of [0, -0.5, 1.5, Number.NaN]) {
      expect(() => engine.setDownsampleRatio(bad)).toThrowError(
        expect.objectContaining({
          code: 'BAD_ARGUMENT',
          message: `MattingEngine.setDownsampleRatio: downsampleRatio must be 'auto' or a number in (0, 1] (got ${String(bad)})`,
        }),
      )
    }
  })
})

describe('fp16 and fp32 variants agree', () => {
  it('gives the same alphas (within fp16 rounding) over a short sequence', async () => {
    const img = await image(['media', 'portrait', 'portrait.jpg'], 200, 256)
    const run = async (p: TinyPrecision): Promise<Uint8Array[]> => {
      const engine = await openEngine({ modelPath: tinyRvmModelPath(p), workerPath: WORKER_PATH, provider: 'cpu', downsampleRatio: 0.5 })
      try {
        const f = new Feeder(engine)
        return [(await f.step(img)).alpha, (await f.step(img)).alpha, (await f.step(img)).alpha]
      } finally {
        await engine.close()
      }
    }
    const [a, b] = [await run('fp32'), await run('fp16')]
    for (let i = 0; i < 3; i++) expect(meanAbsDiff(a[i]!, b[i]!)).toBeLessThan(1)
  })
})

describe('autoDownsampleRatio', () => {
  it("matches RVM's published table and keeps small frames whole", () => {
    expect(autoDownsampleRatio(1280, 720)).toBe(0.375)
    expect(autoDownsampleRatio(720, 1280)).toBe(0.375)
    expect(autoDownsampleRatio(1920, 1080)).toBe(0.25)
    expect(autoDownsampleRatio(3840, 2160)).toBe(0.125)
    expect(autoDownsampleRatio(512, 480)).toBe(1)
    expect(autoDownsampleRatio(640, 480)).toBeCloseTo(0.5625, 3)
  })
})

describe('reset rules on a real talking-to-camera clip', () => {
  it('carries the state through the whole clip (no false scene cut or pause) and cuts on a new scene', async () => {
    const { readY4m } = await import('../../../src/main/engine/io/index.js')
    const engine = await openEngine({ modelPath: tinyRvmModelPath('fp32'), workerPath: WORKER_PATH, provider: 'cpu' })
    try {
      const resets: (string | undefined)[] = []
      let last: Frame | null = null
      for await (const frame of readY4m(sharedFile('media', 'video', 's18_640x360_15fps_4s.y4m'), { format: 'RGB' })) {
        last = frame
        resets.push((await engine.process({ ...frame, sourceId: 'webcam' })).stateReset)
      }
      expect(resets).toHaveLength(60)
      expect(resets[0]).toBe('start')
      expect(resets.slice(1).filter((r) => r !== undefined)).toEqual([])
      const other = await image(['media', 'portrait', 'three_people.jpg'], 640, 360)
      const cut = await engine.process({ ...other, seq: last!.seq + 1, captureTimeUs: last!.captureTimeUs + 66_666, sourceId: 'webcam' })
      expect(cut.stateReset).toBe('scene-cut')
    } finally {
      await engine.close()
    }
  })
})
