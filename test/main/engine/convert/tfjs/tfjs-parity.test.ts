/**
 * The converted ONNX against the original, TF.js running the same model.json on the same frames,
 * states carried in both.
 *
 * TF.js's pure JS CPU backend (the reference the issue names) takes ~18 s a frame at 640x360 on
 * this machine, so it anchors the comparison on a short run; its WebAssembly backend (same graph
 * executor, XNNPACK kernels, ~2 s a frame) is first checked against it, then carries the full
 * 30-frame runs at 640x360 for every downsample_ratio.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { HAS_SHARED, sharedFile } from '../../../../support/paths.js'
import { rvmModelPath, rvmTfjsModelJson } from '../../../../support/rvm-model.js'
import { OnnxRvm, TfjsRvm, diffStats, downscale, loadTfjsModel, readClip, type RgbFrame, type RvmOutputs, type TfjsBackend } from './rvm-harness.js'

const FRAMES = Number(process.env.PORTSEG_RVM_PARITY_FRAMES ?? 30)
/** frames of the pure JS CPU anchor, at 320x180 */
const ANCHOR_FRAMES = 4
/** per test; TF.js takes seconds per frame, more when the machine is busy */
const TIMEOUT_MS = 1_800_000

interface Parity {
  meanPha: number
  maxPha: number
  maxFgr: number
  maxState: number
}

function compare(ref: RvmOutputs[], got: RvmOutputs[]): Parity {
  let sum = 0
  let count = 0
  const p: Parity = { meanPha: 0, maxPha: 0, maxFgr: 0, maxState: 0 }
  ref.forEach((r, i) => {
    const g = got[i]!
    expect(g.stateDims).toEqual(r.stateDims)
    const d = diffStats(r.pha, g.pha)
    sum += d.mean * r.pha.length
    count += r.pha.length
    p.maxPha = Math.max(p.maxPha, d.max)
    p.maxFgr = Math.max(p.maxFgr, diffStats(r.fgr, g.fgr).max)
    p.maxState = Math.max(p.maxState, ...r.states.map((s, k) => diffStats(s, g.states[k]!).max))
  })
  p.meanPha = sum / count
  return p
}

function expectWithinLimits(p: Parity): void {
  expect(p.meanPha).toBeLessThanOrEqual(1e-3)
  expect(p.maxPha).toBeLessThanOrEqual(0.05)
  expect(p.maxFgr).toBeLessThanOrEqual(0.05)
  expect(p.maxState).toBeLessThanOrEqual(0.05)
}

describe.skipIf(!HAS_SHARED)('RVM TF.js import: converted ONNX matches TF.js on a real clip', () => {
  let model: Awaited<ReturnType<typeof loadTfjsModel>>
  let onnxPath: string
  let full: RgbFrame[]
  let small: RgbFrame[]

  beforeAll(async () => {
    ;[model, onnxPath, full] = await Promise.all([loadTfjsModel(rvmTfjsModelJson()), rvmModelPath('fp32'), readClip(sharedFile('media', 'video', 's18_640x360_15fps_4s.y4m'), FRAMES)])
    small = full.slice(0, ANCHOR_FRAMES).map((f) => downscale(f, 2))
  })

  // fresh runners per sequence: a timed-out test must not share state with the next
  async function tfjs(backend: TfjsBackend, frames: RgbFrame[], ratio: number): Promise<RvmOutputs[]> {
    const runner = new TfjsRvm(model, backend)
    const out: RvmOutputs[] = []
    for (const f of frames) out.push(await runner.step(f, ratio))
    runner.reset()
    return out
  }
  async function onnx(frames: RgbFrame[], ratio: number): Promise<RvmOutputs[]> {
    const runner = await OnnxRvm.open(onnxPath)
    const out: RvmOutputs[] = []
    for (const f of frames) {
      const { raw: _raw, ...o } = await runner.step(f, ratio)
      out.push(o)
    }
    await runner.session.release()
    return out
  }
  function report(label: string, frames: RgbFrame[], ratio: number, p: Parity): void {
    console.info(`[rvm-tfjs] ${label} ${frames[0]!.width}x${frames[0]!.height} ratio ${ratio}, ${frames.length} frames: ${JSON.stringify(p)}`)
  }

  it(`anchor: TF.js pure JS CPU vs the ONNX and vs TF.js WASM (${ANCHOR_FRAMES} frames at 320x180, ratio 0.5, states carried)`, async () => {
    const cpu = await tfjs('cpu', small, 0.5)
    const onnxVsCpu = compare(cpu, await onnx(small, 0.5))
    const wasmVsCpu = compare(cpu, await tfjs('wasm', small, 0.5))
    report('onnx vs tfjs-cpu', small, 0.5, onnxVsCpu)
    report('tfjs-wasm vs tfjs-cpu', small, 0.5, wasmVsCpu)
    expectWithinLimits(onnxVsCpu)
    // the stand-in must agree with the reference far more closely than the limits it is used for
    expect(wasmVsCpu.meanPha).toBeLessThanOrEqual(1e-4)
    expect(wasmVsCpu.maxPha).toBeLessThanOrEqual(5e-3)
  }, TIMEOUT_MS)

  it.each([0.25, 0.375, 0.5, 1])(
    `${FRAMES} frames at 640x360, downsample_ratio %s, states carried: mean |Δ pha| ≤ 1e-3, max ≤ 0.05 (TF.js WASM)`,
    async (ratio) => {
      const p = compare(await tfjs('wasm', full, ratio), await onnx(full, ratio))
      report('onnx vs tfjs-wasm', full, ratio, p)
      expectWithinLimits(p)
    },
    TIMEOUT_MS,
  )
})
