/**
 * The converted ONNX against the original: @tensorflow/tfjs (pure JS CPU backend) runs the same
 * model.json on the same frames, states carried in both. TF.js's CPU backend is slow (seconds per
 * frame), so the 30-frame run uses the clip at 320x180 and the other ratios use fewer frames.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { HAS_SHARED, sharedFile } from '../../../../support/paths.js'
import { rvmModelPath, rvmTfjsModelJson } from '../../../../support/rvm-model.js'
import { OnnxRvm, TfjsRvm, diffStats, downscale, loadTfjsModel, readClip, type RgbFrame } from './rvm-harness.js'

const FRAMES = Number(process.env.PORTSEG_RVM_PARITY_FRAMES ?? 30)
const EXTRA_FRAMES = 3
/** per test; TF.js's CPU backend takes seconds per frame, more when the machine is busy */
const TIMEOUT_MS = 1_800_000

interface Parity {
  meanPha: number
  maxPha: number
  maxFgr: number
  maxState: number
}

describe.skipIf(!HAS_SHARED)('RVM TF.js import: converted ONNX matches TF.js on a real clip', () => {
  let model: Awaited<ReturnType<typeof loadTfjsModel>>
  let onnxPath: string
  let clip: RgbFrame[]
  let full: RgbFrame[]

  beforeAll(async () => {
    let frames: RgbFrame[]
    ;[model, onnxPath, frames] = await Promise.all([
      loadTfjsModel(rvmTfjsModelJson()),
      rvmModelPath('fp32'),
      readClip(sharedFile('media', 'video', 's18_640x360_15fps_4s.y4m'), FRAMES),
    ])
    full = frames.slice(0, 2)
    clip = frames.map((f) => downscale(f, 2))
  })

  async function run(frames: RgbFrame[], ratio: number): Promise<Parity> {
    // fresh runners per test: a timed-out test must not share state with the next
    const tfjs = new TfjsRvm(model)
    const onnx = await OnnxRvm.open(onnxPath)
    let sum = 0
    let count = 0
    const p: Parity = { meanPha: 0, maxPha: 0, maxFgr: 0, maxState: 0 }
    for (const f of frames) {
      const ref = await tfjs.step(f, ratio)
      const got = await onnx.step(f, ratio)
      expect(got.stateDims).toEqual(ref.stateDims)
      const d = diffStats(ref.pha, got.pha)
      sum += d.mean * ref.pha.length
      count += ref.pha.length
      p.maxPha = Math.max(p.maxPha, d.max)
      p.maxFgr = Math.max(p.maxFgr, diffStats(ref.fgr, got.fgr).max)
      p.maxState = Math.max(p.maxState, ...ref.states.map((s, i) => diffStats(s, got.states[i]!).max))
    }
    tfjs.reset()
    await onnx.session.release()
    p.meanPha = sum / count
    console.info(`[rvm-tfjs] parity ${frames[0]!.width}x${frames[0]!.height} ratio ${ratio}, ${frames.length} frames: ${JSON.stringify(p)}`)
    return p
  }

  it(`${FRAMES} frames at 320x180, downsample_ratio 0.5, states carried: mean |Δ pha| ≤ 1e-3, max ≤ 0.05`, async () => {
    const p = await run(clip, 0.5)
    expect(p.meanPha).toBeLessThanOrEqual(1e-3)
    expect(p.maxPha).toBeLessThanOrEqual(0.05)
    expect(p.maxFgr).toBeLessThanOrEqual(0.05)
    expect(p.maxState).toBeLessThanOrEqual(0.05)
  }, TIMEOUT_MS)

  it.each([0.25, 0.375, 1])(
    `downsample_ratio %s (${EXTRA_FRAMES} frames, 2 at ratio 1, at 320x180, states carried; 1 = no downsample, no refiner)`,
    async (ratio) => {
      // ratio 1 runs the whole network at 320x180 in TF.js: two frames (fresh + carried state) keep it short
      const p = await run(clip.slice(0, ratio === 1 ? 2 : EXTRA_FRAMES), ratio)
      expect(p.meanPha).toBeLessThanOrEqual(1e-3)
      expect(p.maxPha).toBeLessThanOrEqual(0.05)
      expect(p.maxState).toBeLessThanOrEqual(0.05)
    },
    TIMEOUT_MS,
  )

  it('full 640x360 at downsample_ratio 0.375 (2 frames; the refiner works at full resolution)', async () => {
    const p = await run(full, 0.375)
    expect(p.meanPha).toBeLessThanOrEqual(1e-3)
    expect(p.maxPha).toBeLessThanOrEqual(0.05)
    expect(p.maxFgr).toBeLessThanOrEqual(0.05)
  }, TIMEOUT_MS)
})
