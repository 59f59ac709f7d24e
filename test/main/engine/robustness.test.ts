import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { crashEngineWorkerForTest, openEngine, type Frame, type MatteResult, type MattingEngine } from '../../../src/main/engine/index.js'
import { sharedFile, WORKER_PATH } from '../../support/paths.js'
import { tinyRvmModelPath } from '../../support/tiny-rvm-model.js'

const MEDIAPIPE = (): string => sharedFile('models', 'reference-onnx', 'selfie_segmentation.onnx')

let portrait: Omit<Frame, 'seq' | 'captureTimeUs'>
beforeAll(async () => {
  const data = await sharp(sharedFile('media', 'portrait', 'portrait.jpg')).resize(320, 400).removeAlpha().raw().toBuffer()
  portrait = { width: 320, height: 400, format: 'RGB', data: new Uint8Array(data) }
})
const frame = (seq: number, extra: Partial<Frame> = {}): Frame => ({ ...portrait, data: portrait.data.slice(), seq, captureTimeUs: seq * 33_333, ...extra })

describe('openEngine refuses bad models and settings with clear errors', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'portseg-engine-'))

  it('MODEL_NOT_FOUND for a missing file', async () => {
    const missing = path.join(tmp, 'nope.onnx')
    await expect(openEngine({ modelPath: missing, workerPath: WORKER_PATH })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: `Model file not found: ${missing}.`,
    })
  })

  it('MODEL_CORRUPT for a truncated file', async () => {
    const cut = path.join(tmp, 'cut.onnx')
    writeFileSync(cut, readFileSync(MEDIAPIPE()).subarray(0, 100_000))
    await expect(openEngine({ modelPath: cut, workerPath: WORKER_PATH })).rejects.toMatchObject({
      code: 'MODEL_CORRUPT',
      message: expect.stringContaining(`Model ${cut} is not a valid ONNX file (100000 bytes)`),
    })
  })

  it('MODEL_CORRUPT for a text file renamed .onnx', async () => {
    const txt = path.join(tmp, 'readme.onnx')
    writeFileSync(txt, readFileSync(sharedFile('models', 'README.md')))
    await expect(openEngine({ modelPath: txt, workerPath: WORKER_PATH })).rejects.toMatchObject({ code: 'MODEL_CORRUPT' })
  })

  it('ENGINE_PROVIDER_UNAVAILABLE for an explicit provider this machine lacks, saying why and what to do', async () => {
    const other = process.platform === 'win32' ? 'coreml' : 'dml'
    const err = await openEngine({ modelPath: MEDIAPIPE(), workerPath: WORKER_PATH, provider: other }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ENGINE_PROVIDER_UNAVAILABLE', message: expect.stringMatching(new RegExp(`^The ${other} execution provider is not available on this machine: .+ exists only on`)) })
    expect((err as { hints: string[] }).hints.at(-1)).toBe("Choose provider 'auto' to fall back to the best available one (the CPU always works).")
    // The caller's stack, not the worker's event loop.
    expect((err as Error).stack).toContain('robustness.test.ts')
  })

  it('BAD_ARGUMENT for an unknown provider or a ratio outside (0, 1]; ENGINE_WORKER_FAILED for a missing worker', async () => {
    await expect(openEngine({ modelPath: MEDIAPIPE(), workerPath: WORKER_PATH, provider: 'tpu' as never })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' })
    await expect(openEngine({ modelPath: MEDIAPIPE(), workerPath: WORKER_PATH, downsampleRatio: 2 })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      message: "openEngine: downsampleRatio must be 'auto' or a number in (0, 1] (got 2)",
    })
    await expect(openEngine({ modelPath: MEDIAPIPE(), workerPath: path.join(tmp, 'no-worker.js') })).rejects.toMatchObject({
      code: 'ENGINE_WORKER_FAILED',
      hints: ['Build it with `npm run build:cli` (CLI, tests) or `npm run build` (app).'],
    })
  })
})

describe('bad frames get FRAME_INVALID and the engine keeps serving', () => {
  let engine: MattingEngine
  beforeAll(async () => {
    engine = await openEngine({ modelPath: MEDIAPIPE(), workerPath: WORKER_PATH, provider: 'cpu' })
  })
  afterAll(() => engine?.close())

  const bad: [string, () => Frame, RegExp][] = [
    ['zero size', () => frame(1, { width: 0, height: 0, data: new Uint8Array(0) }), /width and height must be positive integers \(got 0x0\)/],
    ['fractional size', () => frame(1, { width: 320.5 }), /must be positive integers \(got 320\.5x400\)/],
    ['a tiny frame', () => frame(1, { width: 4, height: 4, data: new Uint8Array(48) }), /4x4 is outside the supported size \(16\.\.8192 px per side\)/],
    ['a short buffer', () => frame(1, { data: new Uint8Array(320 * 400 * 3 - 1) }), /a 320x400 RGB frame needs 384000 bytes, the buffer has 383999/],
    ['RGB bytes labelled RGBA', () => frame(1, { format: 'RGBA' }), /a 320x400 RGBA frame needs 512000 bytes, the buffer has 384000/],
    ['an unknown format', () => frame(1, { format: 'NV12' as never }), /format must be 'RGBA' or 'RGB' \(got "NV12"\)/],
  ]

  it.each(bad)('process() rejects %s, then mattes the next good frame', async (_name, make, message) => {
    await expect(engine.process(make())).rejects.toMatchObject({ code: 'FRAME_INVALID', message: expect.stringMatching(message) })
    const ok = await engine.process(frame(2))
    expect(ok.alpha).toHaveLength(320 * 400)
  })

  it('submit() reports a bad frame as a failed result with its seq, and keeps serving', async () => {
    const results: MatteResult[] = []
    const off = engine.onResult((r) => results.push(r))
    engine.submit(frame(100, { data: new Uint8Array(10) }))
    engine.submit(frame(101))
    await waitFor(() => results.length === 2)
    off()
    expect(results[0]).toMatchObject({ status: 'failed', seq: 100, captureTimeUs: 100 * 33_333, error: { code: 'FRAME_INVALID' } })
    expect(results[1]).toMatchObject({ status: 'ok', seq: 101 })
  })

  it('explains a frame whose buffer was already transferred to the engine', async () => {
    const f = frame(200)
    await engine.process(f)
    expect(f.data.byteLength).toBe(0) // transferred, not copied
    await expect(engine.process({ ...f, seq: 201 })).rejects.toMatchObject({
      code: 'FRAME_INVALID',
      message: expect.stringContaining('it may have been transferred to the engine by an earlier call'),
    })
  })
})

describe('a worker crash', () => {
  it('fails in-flight frames with ENGINE_WORKER_FAILED, restarts the worker, and serves again from a fresh state', async () => {
    const engine = await openEngine({ modelPath: tinyRvmModelPath('fp32'), workerPath: WORKER_PATH, provider: 'cpu' })
    try {
      await engine.process(frame(0))
      const results: MatteResult[] = []
      engine.onResult((r) => results.push(r))
      const inFlight = engine.process(frame(1)).then(
        () => 'ok',
        (e: { code: string }) => e.code,
      )
      crashEngineWorkerForTest(engine)
      engine.submit(frame(2))
      engine.submit(frame(3))
      engine.submit(frame(4))
      expect(await inFlight).toMatch(/^(ok|ENGINE_WORKER_FAILED)$/) // frame 1 may finish before the crash message
      await waitFor(() => results.length === 3)
      // Every submitted frame got exactly one result; none was matted by a dead worker. Frame 2 was in
      // flight, 3 was superseded by 4 in the queue, 4 was queued when the worker died.
      expect(results.map((r) => r.seq).sort()).toEqual([2, 3, 4])
      expect(results.find((r) => r.seq === 3)).toMatchObject({ status: 'dropped', reason: 'superseded' })
      for (const r of results.filter((r) => r.seq !== 3)) {
        expect(r).toMatchObject({ status: 'failed', error: { code: 'ENGINE_WORKER_FAILED', message: expect.stringMatching(/^The inference worker stopped: it exited with code 70/) } })
      }
      // Back in service after the restart, from a fresh recurrent state.
      await waitFor(() => engine.status().failure === null)
      const again = await engine.process(frame(10))
      expect(again.stateReset).toBe('start')
      expect(engine.status()).toMatchObject({ workerRestarts: 1, failure: null })
    } finally {
      await engine.close()
      await engine.close() // idempotent
    }
  })

  it('stops restarting after 4 crashes within a minute and says so', async () => {
    const engine = await openEngine({ modelPath: tinyRvmModelPath('fp32'), workerPath: WORKER_PATH, provider: 'cpu' })
    try {
      for (let i = 0; i < 3; i++) {
        crashEngineWorkerForTest(engine)
        await waitFor(() => engine.status().workerRestarts === i + 1 && engine.status().failure === null)
      }
      crashEngineWorkerForTest(engine)
      await waitFor(() => engine.status().failure !== null)
      const err = await engine.process(frame(1)).catch((e: unknown) => e)
      expect(err).toMatchObject({
        code: 'ENGINE_WORKER_FAILED',
        message: 'The inference worker stopped: it exited with code 70, and it crashed 4 times within a minute; the engine stopped restarting it.',
      })
    } finally {
      await engine.close()
    }
  })
})

describe('close()', () => {
  it('lets the in-flight frame finish, drops the queued one, and refuses work afterwards', async () => {
    const engine = await openEngine({ modelPath: tinyRvmModelPath('fp32'), workerPath: WORKER_PATH, provider: 'cpu' })
    const results: MatteResult[] = []
    engine.onResult((r) => results.push(r))
    engine.submit(frame(1))
    engine.submit(frame(2))
    await engine.close()
    expect(results).toEqual([
      { status: 'dropped', seq: 2, captureTimeUs: 2 * 33_333, reason: 'closed' },
      expect.objectContaining({ status: 'ok', seq: 1 }),
    ])
    await expect(engine.process(frame(3))).rejects.toMatchObject({ code: 'ENGINE_CLOSED' })
  })
})

async function waitFor(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('waitFor: timed out')
    await new Promise((r) => setTimeout(r, 5))
  }
}
