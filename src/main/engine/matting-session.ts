/**
 * One model, one session, one recurrent state: turns frames into mattes, in order. Lives inside the
 * inference worker (it blocks while onnxruntime runs). Owns every per-frame buffer and reuses them
 * while the frame size stays the same; only the matte it hands out is new (it is transferred).
 */
import { readFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import * as ort from 'onnxruntime-node'
import { PortsegError } from '../../shared/errors.js'
import { checkDownsampleRatio, resolveDownsampleRatio } from './downsample-ratio.js'
import { checkFrame } from './frame-check.js'
import { detectModelInterface } from './model-interface.js'
import { refineAlpha, TemporalFilter } from './postprocess/index.js'
import { floatToAlpha, frameToPlanarF16, frameToPlanarF32, halfToAlpha, planarToRgb, SegmentationResampler } from './preprocess.js'
import { createSessionWithFallback, defaultCpuTuning } from './providers.js'
import { DEFAULT_SCENE_CUT_THRESHOLD, SceneCutDetector } from './scene-cut.js'
import type {
  DownsampleRatio,
  Frame,
  Matte,
  ModelInterface,
  ProviderPreference,
  ProviderReport,
  RecurrentMattingInterface,
  RefineOptions,
  ResetReason,
  SegmentationInterface,
} from './types.js'

export interface MattingSessionOptions {
  modelPath: string
  provider?: ProviderPreference
  downsampleRatio?: DownsampleRatio
  cpuThreads?: number
  cpuSpinning?: boolean
  refine?: RefineOptions
  /** Return RVM's foreground colour with each matte. */
  foreground?: boolean
  /** Scene-cut sensitivity (mean block-luma change 0..255); 0 disables. */
  sceneCutThreshold?: number
  /** A gap in captureTimeUs longer than this resets the state. */
  pauseResetMs?: number
}

type Stepper = {
  run(frame: Frame, reset: ResetReason | null): Promise<Matte>
  /** Ratio in use for the last frame (RVM), null for segmentation. */
  readonly ratio: number | null
  setRatio(ratio: DownsampleRatio): boolean
  release(): Promise<void>
}

export class MattingSession {
  readonly modelInterface: ModelInterface
  readonly provider: ProviderReport
  readonly #stepper: Stepper
  readonly #sceneCut: SceneCutDetector | null
  readonly #pauseUs: number
  #pendingReset: ResetReason | null = 'start'
  #last: { width: number; height: number; sourceId: string | undefined; captureTimeUs: number } | null = null
  #closed = false

  private constructor(iface: ModelInterface, provider: ProviderReport, stepper: Stepper, options: MattingSessionOptions) {
    this.modelInterface = iface
    this.provider = provider
    this.#stepper = stepper
    const threshold = options.sceneCutThreshold ?? DEFAULT_SCENE_CUT_THRESHOLD
    this.#sceneCut = threshold > 0 ? new SceneCutDetector({ threshold }) : null
    this.#pauseUs = (options.pauseResetMs ?? 1000) * 1000
  }

  static async open(options: MattingSessionOptions): Promise<MattingSession> {
    const label = `Model ${options.modelPath}`
    let bytes: Uint8Array
    try {
      bytes = await readFile(options.modelPath)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') {
        throw new PortsegError('MODEL_NOT_FOUND', `Model file not found: ${options.modelPath}.`, {
          cause: e,
          hints: ['Check the path, or pass a model id from `portseg models list`.'],
        })
      }
      throw new PortsegError('MODEL_NOT_FOUND', `Cannot read model file ${options.modelPath}: ${(e as Error).message}.`, { cause: e })
    }
    const iface = detectModelInterface(bytes, label)
    const ratio = checkDownsampleRatio('openEngine', options.downsampleRatio ?? 'auto')
    const tuning = defaultCpuTuning()
    if (options.cpuThreads !== undefined) tuning.intraOpNumThreads = options.cpuThreads
    if (options.cpuSpinning !== undefined) tuning.allowSpinning = options.cpuSpinning
    const { session, report } = await createSessionWithFallback(bytes, options.provider ?? 'auto', tuning, label)
    const stepper =
      iface.kind === 'recurrent-matting'
        ? new RecurrentStepper(session, iface, ratio, options.foreground ?? false)
        : new SegmentationStepper(session, iface, options.refine ?? {})
    return new MattingSession(iface, report, stepper, options)
  }

  get downsampleRatio(): number | null {
    return this.#stepper.ratio
  }

  resetState(reason: ResetReason): void {
    this.#pendingReset = reason
  }

  setDownsampleRatio(ratio: DownsampleRatio): void {
    checkDownsampleRatio('MattingEngine.setDownsampleRatio', ratio)
    if (this.#stepper.setRatio(ratio)) this.#pendingReset ??= 'ratio-changed'
  }

  /** Frames must come in order; throws FRAME_INVALID / ENGINE_INFERENCE_FAILED, the session stays usable. */
  async step(frame: Frame): Promise<Matte> {
    if (this.#closed) throw new PortsegError('ENGINE_CLOSED', 'The matting session is closed; open a new engine.')
    checkFrame(frame)
    const reset = this.#resetReason(frame)
    try {
      return await this.#stepper.run(frame, reset)
    } catch (e) {
      // The state may be half-updated; start clean on the next frame.
      this.#pendingReset = 'requested'
      if (e instanceof PortsegError) throw e
      throw new PortsegError('ENGINE_INFERENCE_FAILED', `Inference failed on frame ${frame.seq} (${frame.width}x${frame.height}): ${(e as Error).message}`, {
        cause: e,
        hints: ['The engine keeps running and resets its state; if every frame fails, try another model or provider.'],
      })
    }
  }

  #resetReason(frame: Frame): ResetReason | null {
    const last = this.#last
    let reason = this.#pendingReset
    this.#pendingReset = null
    // Every frame feeds the detector so its reference is always the previous frame.
    const isCut = this.#sceneCut?.update(frame) ?? false
    if (reason === null && last !== null) {
      if (frame.width !== last.width || frame.height !== last.height) reason = 'resolution-changed'
      else if (frame.sourceId !== last.sourceId) reason = 'source-changed'
      else if (Math.abs(frame.captureTimeUs - last.captureTimeUs) > this.#pauseUs) reason = 'pause'
      else if (isCut) reason = 'scene-cut'
    }
    this.#last = { width: frame.width, height: frame.height, sourceId: frame.sourceId, captureTimeUs: frame.captureTimeUs }
    return reason
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#stepper.release()
  }
}

/** Per frame size: the src input and the pha/fgr outputs, which onnxruntime writes in place every frame. */
interface RvmBuffers {
  width: number
  height: number
  src: Float32Array | Uint16Array
  srcTensor: ort.Tensor
  pha: Float32Array | Uint16Array
  fgr: Float32Array | Uint16Array | null
  fetches: Record<string, ort.Tensor | null>
}

class RecurrentStepper implements Stepper {
  readonly #session: ort.InferenceSession
  readonly #io: RecurrentMattingInterface
  readonly #isHalf: boolean
  readonly #zero: ort.Tensor
  readonly #ratioData = new Float32Array(1)
  readonly #ratioTensor: ort.Tensor
  readonly #hasForeground: boolean
  #setting: DownsampleRatio
  #ratio: number | null = null
  #state: ort.Tensor[] | null = null
  #buffers: RvmBuffers | null = null

  constructor(session: ort.InferenceSession, io: RecurrentMattingInterface, ratio: DownsampleRatio, foreground: boolean) {
    this.#session = session
    this.#io = io
    this.#isHalf = io.precision === 'fp16'
    this.#setting = ratio
    // RVM's documented initial state: a [1,1,1,1] zero tensor per ConvGRU (broadcast by the model).
    this.#zero = this.#isHalf ? new ort.Tensor('float16', new Uint16Array(1), [1, 1, 1, 1]) : new ort.Tensor('float32', new Float32Array(1), [1, 1, 1, 1])
    this.#ratioTensor = new ort.Tensor('float32', this.#ratioData, [1])
    this.#hasForeground = foreground
  }

  #tensor(data: Float32Array | Uint16Array, dims: number[]): ort.Tensor {
    return data instanceof Uint16Array ? new ort.Tensor('float16', data, dims) : new ort.Tensor('float32', data, dims)
  }

  #buffersFor(width: number, height: number): RvmBuffers {
    const b = this.#buffers
    if (b && b.width === width && b.height === height) return b
    const n = width * height
    const alloc = (len: number): Float32Array | Uint16Array => (this.#isHalf ? new Uint16Array(len) : new Float32Array(len))
    const src = alloc(3 * n)
    const pha = alloc(n)
    const fgr = this.#hasForeground ? alloc(3 * n) : null
    const o = this.#io.outputNames
    // Pre-allocated outputs: onnxruntime writes pha/fgr into our buffers (no per-frame allocation);
    // the states (null) are allocated by onnxruntime because they come back in as inputs.
    const fetches: Record<string, ort.Tensor | null> = { [o.pha]: this.#tensor(pha, [1, 1, height, width]), [o.r1o]: null, [o.r2o]: null, [o.r3o]: null, [o.r4o]: null }
    if (fgr) fetches[o.fgr] = this.#tensor(fgr, [1, 3, height, width])
    this.#buffers = { width, height, src, srcTensor: this.#tensor(src, [1, 3, height, width]), pha, fgr, fetches }
    return this.#buffers
  }

  get ratio(): number | null {
    return this.#ratio
  }

  setRatio(ratio: DownsampleRatio): boolean {
    const changed = ratio !== this.#setting
    this.#setting = ratio
    return changed
  }

  async run(frame: Frame, reset: ResetReason | null): Promise<Matte> {
    const t0 = performance.now()
    const { width, height } = frame
    const buf = this.#buffersFor(width, height)
    if (buf.src instanceof Uint16Array) frameToPlanarF16(frame, buf.src)
    else frameToPlanarF32(frame, buf.src)
    const ratio = resolveDownsampleRatio(this.#setting, width, height)
    if (reset !== null || this.#state === null) this.#dropState()
    this.#ratio = ratio
    this.#ratioData[0] = ratio
    const state = this.#state
    const n = this.#io.inputNames
    const feeds: Record<string, ort.Tensor> = {
      [n.src]: buf.srcTensor,
      [n.r1i]: state?.[0] ?? this.#zero,
      [n.r2i]: state?.[1] ?? this.#zero,
      [n.r3i]: state?.[2] ?? this.#zero,
      [n.r4i]: state?.[3] ?? this.#zero,
      [n.downsampleRatio]: this.#ratioTensor,
    }
    const t1 = performance.now()
    const out = await this.#session.run(feeds, buf.fetches)
    const t2 = performance.now()
    const o = this.#io.outputNames
    this.#dropState()
    this.#state = [out[o.r1o]!, out[o.r2o]!, out[o.r3o]!, out[o.r4o]!]
    const pha = out[o.pha]!
    const n2 = width * height
    if (pha.size !== n2) {
      throw new PortsegError('ENGINE_INFERENCE_FAILED', `The model returned pha [${pha.dims.join(',')}] for a ${width}x${height} frame (expected [1,1,${height},${width}]).`)
    }
    const alpha = new Uint8Array(n2)
    if (buf.pha instanceof Uint16Array) halfToAlpha(buf.pha, alpha)
    else floatToAlpha(buf.pha, alpha)
    let foreground: Uint8Array | undefined
    if (buf.fgr) {
      foreground = new Uint8Array(n2 * 3)
      planarToRgb(buf.fgr, foreground)
    }
    const t3 = performance.now()
    const matte: Matte = {
      seq: frame.seq,
      captureTimeUs: frame.captureTimeUs,
      width,
      height,
      alpha,
      timings: { preprocessMs: t1 - t0, inferenceMs: t2 - t1, postprocessMs: t3 - t2, totalMs: t3 - t0 },
    }
    if (foreground) matte.foreground = foreground
    if (reset !== null) matte.stateReset = reset
    return matte
  }

  #dropState(): void {
    // The previous state is freed before the next is swapped in (RVM's TF.js demo does the same).
    for (const t of this.#state ?? []) t.dispose()
    this.#state = null
  }

  async release(): Promise<void> {
    this.#dropState()
    await this.#session.release()
  }
}

class SegmentationStepper implements Stepper {
  readonly #session: ort.InferenceSession
  readonly #io: SegmentationInterface
  readonly #resampler: SegmentationResampler
  readonly #inputTensor: ort.Tensor
  readonly #maskWidth: number
  readonly #maskHeight: number
  readonly #channels: number
  /** The model's output, written in place by onnxruntime every frame. */
  readonly #output: Float32Array
  readonly #fetches: Record<string, ort.Tensor>
  /** Person plane for NHWC two-channel outputs (interleaved), otherwise unused. */
  readonly #mask: Float32Array
  readonly #guided: boolean
  readonly #temporal: TemporalFilter | null

  constructor(session: ort.InferenceSession, io: SegmentationInterface, refine: RefineOptions) {
    this.#session = session
    this.#io = io
    this.#resampler = new SegmentationResampler(io)
    const dims = io.layout === 'NHWC' ? [1, io.height, io.width, 3] : [1, 3, io.height, io.width]
    this.#inputTensor = new ort.Tensor('float32', this.#resampler.input, dims)
    this.#maskWidth = io.maskWidth ?? io.width
    this.#maskHeight = io.maskHeight ?? io.height
    this.#channels = io.output === 'softmax2' ? 2 : 1
    const plane = this.#maskWidth * this.#maskHeight
    this.#output = new Float32Array(plane * this.#channels)
    const outDims = io.layout === 'NHWC' ? [1, this.#maskHeight, this.#maskWidth, this.#channels] : [1, this.#channels, this.#maskHeight, this.#maskWidth]
    this.#fetches = { [io.outputName]: new ort.Tensor('float32', this.#output, outDims) }
    this.#mask = new Float32Array(plane)
    this.#guided = refine.guidedFilter ?? true
    this.#temporal = refine.temporal === false ? null : new TemporalFilter()
  }

  get ratio(): number | null {
    return null
  }

  setRatio(): boolean {
    return false
  }

  async run(frame: Frame, reset: ResetReason | null): Promise<Matte> {
    const t0 = performance.now()
    this.#resampler.run(frame)
    const t1 = performance.now()
    await this.#session.run({ [this.#io.inputName]: this.#inputTensor }, this.#fetches)
    const t2 = performance.now()
    const mask = this.#personMask()
    const mw = this.#maskWidth
    const mh = this.#maskHeight
    if (reset !== null) this.#temporal?.reset()
    // Temporal smoothing on the low-res mask (~25x fewer pixels than the alpha at 720p); the guided
    // upsampling that follows snaps edges to the current frame.
    // the input resampler's per-cell luma is the guide whenever the mask has the input's grid
    const guideLuma = mw === this.#io.width && mh === this.#io.height ? this.#resampler.luma : undefined
    this.#temporal?.applyToMask(mask, mw, mh, frame, guideLuma)
    const alpha = refineAlpha(mask, mw, mh, frame, { guided: this.#guided, guideLuma })
    const t3 = performance.now()
    const matte: Matte = {
      seq: frame.seq,
      captureTimeUs: frame.captureTimeUs,
      width: frame.width,
      height: frame.height,
      alpha,
      timings: { preprocessMs: t1 - t0, inferenceMs: t2 - t1, postprocessMs: t3 - t2, totalMs: t3 - t0 },
    }
    if (reset !== null) matte.stateReset = reset
    return matte
  }

  /** The person-probability plane, without copying when the layout allows it. */
  #personMask(): Float32Array {
    const data = this.#output
    const plane = this.#maskWidth * this.#maskHeight
    if (this.#channels === 1) return data
    if (this.#io.layout === 'NCHW') return data.subarray(plane, 2 * plane)
    const m = this.#mask
    for (let i = 0; i < plane; i++) m[i] = data[2 * i + 1]!
    return m
  }

  async release(): Promise<void> {
    await this.#session.release()
  }
}
