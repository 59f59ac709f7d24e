/**
 * `portseg bench`: per model and frame size, raw `session.run` time on our own onnxruntime session
 * (same model, provider, threading and input shape as the engine) against the engine's end-to-end
 * time per frame through openEngine().process() (pre-processing, inference, post-processing,
 * state and the worker round trip). Raw and engine runs alternate frame by frame, so a busy
 * machine slows both alike and the overhead ratio stays meaningful.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Command } from 'commander'
import * as ort from 'onnxruntime-node'
import sharp from 'sharp'
import { PortsegError, toErrorInfo } from '../../../shared/errors.js'
import {
  autoDownsampleRatio,
  createSessionWithFallback,
  defaultCpuTuning,
  findProjectRoot,
  frameToPlanarF16,
  frameToPlanarF32,
  openEngine,
  type Frame,
  type MattingEngine,
  type ModelInterface,
  type ProviderPreference,
} from '../../engine/index.js'
import { readY4m } from '../../engine/io/index.js'
import { listModels, resolveModel } from '../../engine/models/index.js'
import { readFile } from 'node:fs/promises'
import { bundledWorkerPath, describeProvider, fmtMs, median, parsePositiveInt, parseProvider, parseSize, quantile, round, table, type Size } from '../format.js'

interface BenchOptions {
  model: string[]
  size: string[]
  frames: string
  warmup: string
  provider: string
  soak?: string
  refine: boolean
  json?: boolean
}

export interface BenchResult {
  model: string
  modelPath: string
  interface: ModelInterface['kind']
  size: string
  provider: string
  frames: number
  frameSource: string
  rawMs: { median: number; p95: number }
  engineMs: { median: number; p95: number }
  overhead: number
  fps: number
  cpuMsPerFrame: number
  /** CPU time (all threads) per raw session.run; with cpuMsPerFrame, a contention-proof overhead. */
  rawCpuMsPerFrame: number
  /** cpuMsPerFrame / rawCpuMsPerFrame: the engine's extra work, robust on a busy machine. */
  cpuOverhead: number
  peakRssMb: number
  /** Medians of the engine's own per-stage timings (inside the worker). */
  stagesMs: { preprocess: number; inference: number; postprocess: number; workerTotal: number }
  downsampleRatio: number | null
  soak?: { frames: number; rssMb: { start: number; middle: number; end: number }; growthMb: number; heapUsedMb: { start: number; end: number } }
}

const collect = (v: string, prev: string[]): string[] => [...prev, v]

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('Measure raw inference vs the engine end to end, per model and frame size (median, p95, overhead, fps, CPU, RSS).')
    .option('-m, --model <id|path.onnx>', 'model to measure (repeatable; default: every installed built-in model)', collect, [])
    .option('-s, --size <WxH>', 'frame size (repeatable)', collect, [])
    .option('-n, --frames <n>', 'measured frames per model and size', '100')
    .option('-w, --warmup <n>', 'unmeasured frames first', '10')
    .option('-p, --provider <name>', 'auto | cpu | cuda | dml | coreml | webgpu', 'auto')
    .option('--soak <n>', 'after measuring, run n more frames through the engine and report RSS at start, middle and end')
    .option('--no-refine', 'segmentation models: no guided upsampling or temporal smoothing')
    .option('--json', 'print exactly one JSON object { "results": [...] } on stdout')
    .addHelpText('after', '\nExamples:\n  portseg bench --size 1280x720 --frames 200\n  portseg bench -m mediapipe-selfie-general -m rvm-mobilenetv3-fp32 --json\n  portseg bench -m mediapipe-selfie-landscape --soak 2000')
    .action(async (o: BenchOptions) => {
      try {
        await runBench(o)
      } catch (e) {
        if (o.json === true) process.stdout.write(JSON.stringify({ error: toErrorInfo(e) }, null, 2) + '\n')
        throw e
      }
    })
}

async function runBench(o: BenchOptions): Promise<void> {
  const where = 'portseg bench'
  const provider = parseProvider(where, o.provider)
  const frames = parsePositiveInt(where, '--frames', o.frames)
  const warmup = parsePositiveInt(where, '--warmup', o.warmup, 0)
  const soak = o.soak === undefined ? 0 : parsePositiveInt(where, '--soak', o.soak)
  const sizes = (o.size.length === 0 ? ['1280x720'] : o.size).map((s) => parseSize(where, s))
  const json = o.json === true
  const log = (s: string): void => {
    if (!json) process.stderr.write(s + '\n')
  }
  const refs = o.model.length > 0 ? o.model : await defaultModels()
  const results: BenchResult[] = []
  for (const ref of refs) {
    const model = await resolveModel(ref)
    for (const size of sizes) {
      log(`bench: ${model.id ?? model.name} at ${size.width}x${size.height} …`)
      const r = await benchOne(model.id ?? model.name, model.path, size, { provider, frames, warmup, soak, refine: o.refine, log })
      results.push(r)
    }
  }
  if (json) {
    process.stdout.write(JSON.stringify({ results }, null, 2) + '\n')
    return
  }
  printTable(results)
}

async function defaultModels(): Promise<string[]> {
  const installed = (await listModels()).filter((m) => m.origin === 'built-in' && m.installed)
  if (installed.length === 0) {
    throw new PortsegError('MODEL_NOT_FOUND', 'portseg bench: no built-in model is installed, so there is nothing to measure by default.', {
      hints: ['Pass --model <id|path.onnx>', 'or build the built-in models: npm run models'],
    })
  }
  return installed.map((m) => m.id)
}

interface BenchOneOptions {
  provider: ProviderPreference
  frames: number
  warmup: number
  soak: number
  refine: boolean
  log: (s: string) => void
}

async function benchOne(label: string, modelPath: string, size: Size, opts: BenchOneOptions): Promise<BenchResult> {
  const source = await benchFrames(size)
  const engine = await openEngine({
    modelPath,
    workerPath: bundledWorkerPath(),
    provider: opts.provider,
    refine: { guidedFilter: opts.refine, temporal: opts.refine },
  })
  try {
    for (const line of describeProvider(engine.provider)) opts.log(`  ${line}`)
    const raw = await RawRunner.open(modelPath, engine, size)
    try {
      const frameAt = (i: number): Frame => {
        const f = source.frames[i % source.frames.length]!
        // frames are transferred to the worker: hand over a copy each time
        return { ...f, seq: i, captureTimeUs: i * 33_333, data: new Uint8Array(f.data) }
      }
      let seq = 0
      for (let i = 0; i < opts.warmup; i++) {
        await engine.process(frameAt(seq++))
        await raw.run(source.frames[i % source.frames.length]!)
      }
      const rawMs: number[] = []
      const engineMs: number[] = []
      const stages = { preprocess: [] as number[], inference: [] as number[], postprocess: [] as number[], workerTotal: [] as number[] }
      let engineCpuUs = 0
      let rawCpuUs = 0
      for (let i = 0; i < opts.frames; i++) {
        const frame = frameAt(seq++)
        const c0 = process.cpuUsage()
        const t0 = performance.now()
        const matte = await engine.process(frame)
        const dt = performance.now() - t0
        const cu = process.cpuUsage(c0)
        engineCpuUs += cu.user + cu.system
        engineMs.push(dt)
        stages.preprocess.push(matte.timings.preprocessMs)
        stages.inference.push(matte.timings.inferenceMs)
        stages.postprocess.push(matte.timings.postprocessMs)
        stages.workerTotal.push(matte.timings.totalMs)
        const c1 = process.cpuUsage()
        rawMs.push(await raw.run(source.frames[i % source.frames.length]!))
        const cr = process.cpuUsage(c1)
        rawCpuUs += cr.user + cr.system
      }
      const result: BenchResult = {
        model: label,
        modelPath,
        interface: engine.modelInterface.kind,
        size: `${size.width}x${size.height}`,
        provider: engine.provider.selected,
        frames: opts.frames,
        frameSource: source.description,
        rawMs: { median: round(median(rawMs), 3), p95: round(quantile(rawMs, 0.95), 3) },
        engineMs: { median: round(median(engineMs), 3), p95: round(quantile(engineMs, 0.95), 3) },
        overhead: round(median(engineMs) / median(rawMs), 3),
        fps: round(1000 / median(engineMs), 1),
        cpuMsPerFrame: round(engineCpuUs / 1000 / opts.frames, 2),
        rawCpuMsPerFrame: round(rawCpuUs / 1000 / opts.frames, 2),
        cpuOverhead: round(engineCpuUs / Math.max(1, rawCpuUs), 3),
        peakRssMb: round(process.resourceUsage().maxRSS / 1024, 1),
        stagesMs: {
          preprocess: round(median(stages.preprocess), 3),
          inference: round(median(stages.inference), 3),
          postprocess: round(median(stages.postprocess), 3),
          workerTotal: round(median(stages.workerTotal), 3),
        },
        downsampleRatio: engine.status().downsampleRatio,
      }
      await raw.close()
      if (opts.soak > 0) result.soak = await soakRun(engine, frameAt, seq, opts.soak, opts.log)
      result.peakRssMb = round(process.resourceUsage().maxRSS / 1024, 1)
      return result
    } finally {
      await raw.close()
    }
  } finally {
    await engine.close()
  }
}

async function soakRun(
  engine: MattingEngine,
  frameAt: (i: number) => Frame,
  firstSeq: number,
  n: number,
  log: (s: string) => void,
): Promise<NonNullable<BenchResult['soak']>> {
  const mb = (b: number): number => round(b / 1024 / 1024, 1)
  // Settle the heap so "start" is a fair baseline, then sample while running.
  await new Promise((r) => setTimeout(r, 50))
  const start = process.memoryUsage()
  let middle = start.rss
  for (let i = 0; i < n; i++) {
    await engine.process(frameAt(firstSeq + i))
    if (i === Math.floor(n / 2)) middle = process.memoryUsage().rss
    if ((i + 1) % 500 === 0) log(`  soak: ${i + 1}/${n} frames, RSS ${mb(process.memoryUsage().rss)} MB`)
  }
  const end = process.memoryUsage()
  return {
    frames: n,
    rssMb: { start: mb(start.rss), middle: mb(middle), end: mb(end.rss) },
    growthMb: round(mb(end.rss) - mb(start.rss), 1),
    heapUsedMb: { start: mb(start.heapUsed), end: mb(end.heapUsed) },
  }
}

/** Our own session on the same model and provider, fed the input shape the engine feeds. */
class RawRunner {
  #closed = false
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly feed: (frame: Frame) => Record<string, ort.Tensor>,
    private readonly afterRun: (out: ort.InferenceSession.OnnxValueMapType) => void,
  ) {}

  static async open(modelPath: string, engine: MattingEngine, size: Size): Promise<RawRunner> {
    const bytes = new Uint8Array(await readFile(modelPath))
    const provider = engine.provider.selected
    const { session } = await createSessionWithFallback(bytes, provider, defaultCpuTuning(), modelPath)
    const iface = engine.modelInterface
    if (iface.kind === 'segmentation') {
      const { width, height, layout } = iface
      const data = new Float32Array(width * height * 3)
      const dims = layout === 'NHWC' ? [1, height, width, 3] : [1, 3, height, width]
      const tensor = new ort.Tensor('float32', data, dims)
      let filled = false
      return new RawRunner(
        session,
        (frame) => {
          // the input's values do not change the run time; fill once from a real frame
          if (!filled) {
            fillNetworkInput(frame, width, height, layout, data)
            filled = true
          }
          return { [iface.inputName]: tensor }
        },
        () => {},
      )
    }
    const half = iface.precision === 'fp16'
    const n = size.width * size.height * 3
    const src = half ? new Uint16Array(n) : new Float32Array(n)
    const srcTensor = half ? new ort.Tensor('float16', src as Uint16Array, [1, 3, size.height, size.width]) : new ort.Tensor('float32', src as Float32Array, [1, 3, size.height, size.width])
    const zero = half ? new ort.Tensor('float16', new Uint16Array(1), [1, 1, 1, 1]) : new ort.Tensor('float32', new Float32Array(1), [1, 1, 1, 1])
    // the ratio the engine uses (known after its first frame; 'auto' until then)
    const ratioData = new Float32Array([autoDownsampleRatio(size.width, size.height)])
    const ratio = new ort.Tensor('float32', ratioData, [1])
    let state: ort.Tensor[] = []
    const names = iface.inputNames
    const out = iface.outputNames
    return new RawRunner(
      session,
      (frame) => {
        // the engine converts every frame too, but that is its pre-processing, not session.run
        ratioData[0] = engine.status().downsampleRatio ?? ratioData[0]!
        if (half) frameToPlanarF16(frame, src as Uint16Array)
        else frameToPlanarF32(frame, src as Float32Array)
        return {
          [names.src]: srcTensor,
          [names.r1i]: state[0] ?? zero,
          [names.r2i]: state[1] ?? zero,
          [names.r3i]: state[2] ?? zero,
          [names.r4i]: state[3] ?? zero,
          [names.downsampleRatio]: ratio,
        }
      },
      (res) => {
        for (const t of state) t.dispose()
        state = [res[out.r1o]!, res[out.r2o]!, res[out.r3o]!, res[out.r4o]!]
        res[out.pha]?.dispose()
        res[out.fgr]?.dispose()
      },
    )
  }

  /** One session.run; returns its time in ms (feeds are prepared before the clock starts). */
  async run(frame: Frame): Promise<number> {
    const feeds = this.feed(frame)
    const t0 = performance.now()
    const out = await this.session.run(feeds)
    const dt = performance.now() - t0
    this.afterRun(out)
    return dt
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.session.release()
  }
}

/** Nearest-neighbour stretch of a frame into a network input in 0..1 RGB (timing input only). */
function fillNetworkInput(frame: Frame, w: number, h: number, layout: 'NHWC' | 'NCHW', out: Float32Array): void {
  const bpp = frame.format === 'RGBA' ? 4 : 3
  for (let y = 0; y < h; y++) {
    const sy = Math.min(frame.height - 1, Math.floor(((y + 0.5) * frame.height) / h))
    for (let x = 0; x < w; x++) {
      const sx = Math.min(frame.width - 1, Math.floor(((x + 0.5) * frame.width) / w))
      const p = (sy * frame.width + sx) * bpp
      for (let c = 0; c < 3; c++) {
        const v = frame.data[p + c]! / 255
        if (layout === 'NHWC') out[(y * w + x) * 3 + c] = v
        else out[c * w * h + y * w + x] = v
      }
    }
  }
}

const CLIP_FRAMES = 30

/** Real clip frames scaled to the size when ../shared is there; else a deterministic synthetic frame. */
async function benchFrames(size: Size): Promise<{ frames: Frame[]; description: string }> {
  const clip = findClip()
  if (clip !== null) {
    const frames: Frame[] = []
    for await (const f of readY4m(clip, { format: 'RGB', maxFrames: CLIP_FRAMES })) {
      const data = await sharp(f.data, { raw: { width: f.width, height: f.height, channels: 3 } })
        .resize(size.width, size.height, { fit: 'fill' })
        .raw()
        .toBuffer()
      frames.push({ ...f, width: size.width, height: size.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) })
    }
    return { frames, description: `${path.basename(clip)} (${frames.length} frames scaled to ${size.width}x${size.height})` }
  }
  return { frames: [syntheticFrame(size)], description: 'synthetic (gradient with a head-and-shoulders shape)' }
}

function findClip(): string | null {
  const name = path.join('media', 'video', 's18_640x360_15fps_4s.y4m')
  const candidates: string[] = []
  if (process.env.PORTSEG_SHARED) candidates.push(path.join(process.env.PORTSEG_SHARED, name))
  const root = findProjectRoot()
  if (root !== null) candidates.push(path.join(root, '..', 'shared', name))
  return candidates.find((c) => existsSync(c)) ?? null
}

function syntheticFrame({ width, height }: Size): Frame {
  const data = new Uint8Array(width * height * 3)
  const cx = width / 2
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3
      const head = (x - cx) ** 2 + (y - height * 0.35) ** 2 < (height * 0.18) ** 2
      const body = y > height * 0.55 && Math.abs(x - cx) < width * 0.25
      const person = head || body
      data[p] = person ? 200 : (x * 255) / width
      data[p + 1] = person ? 160 : (y * 255) / height
      data[p + 2] = person ? 140 : 90
    }
  }
  return { seq: 0, captureTimeUs: 0, width, height, format: 'RGB', data }
}

function printTable(results: readonly BenchResult[]): void {
  const rows: string[][] = [['model', 'size', 'provider', 'raw med', 'raw p95', 'engine med', 'engine p95', 'overhead', 'fps', 'cpu ms/f', 'raw cpu ms/f', 'cpu overhead', 'peak RSS MB']]
  for (const r of results) {
    rows.push([
      r.model,
      r.size,
      r.provider,
      fmtMs(r.rawMs.median),
      fmtMs(r.rawMs.p95),
      fmtMs(r.engineMs.median),
      fmtMs(r.engineMs.p95),
      `${r.overhead.toFixed(2)}x`,
      r.fps.toFixed(1),
      r.cpuMsPerFrame.toFixed(1),
      r.rawCpuMsPerFrame.toFixed(1),
      `${r.cpuOverhead.toFixed(2)}x`,
      r.peakRssMb.toFixed(0),
    ])
  }
  process.stdout.write(table(rows) + '\n')
  for (const r of results) {
    process.stdout.write(
      `  ${r.model} @ ${r.size}: engine stages (median, in worker) pre ${fmtMs(r.stagesMs.preprocess)} + inference ${fmtMs(r.stagesMs.inference)} + post ${fmtMs(r.stagesMs.postprocess)} ms = ${fmtMs(r.stagesMs.workerTotal)} ms; frames: ${r.frameSource}\n`,
    )
    if (r.soak) {
      process.stdout.write(`  soak ${r.soak.frames} frames: RSS ${r.soak.rssMb.start} → ${r.soak.rssMb.middle} → ${r.soak.rssMb.end} MB (growth ${r.soak.growthMb} MB)\n`)
    }
  }
  const worst = results.reduce((a, b) => (b.overhead > a.overhead ? b : a))
  process.stdout.write(
    `bench: ${results.length} run${results.length === 1 ? '' : 's'} on ${[...new Set(results.map((r) => r.provider))].join('/')}; worst overhead ${worst.overhead.toFixed(2)}x (${worst.model} @ ${worst.size}), engine ${fmtMs(worst.engineMs.median)} ms vs raw ${fmtMs(worst.rawMs.median)} ms median, CPU ${worst.cpuOverhead.toFixed(2)}x\n`,
  )
}
