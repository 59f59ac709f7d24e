/**
 * The engine's public API. Pure Node: no Electron. The Electron main process, the `portseg` CLI and
 * the tests all use it. Inference runs in a worker thread (inference.worker.ts) whose built path
 * the caller passes in; this side validates, schedules (flow limiter) and keeps the counters.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { fromErrorInfo, PortsegError, type ErrorInfo } from '../../shared/errors.js'
import { checkDownsampleRatio } from './downsample-ratio.js'
import { FlowLimiter } from './flow-limiter.js'
import { checkFrame } from './frame-check.js'
import type {
  DownsampleRatio,
  EngineOptions,
  EngineStatus,
  Frame,
  Matte,
  MatteResult,
  ModelInterface,
  ProviderName,
  ProviderReport,
  ResetReason,
} from './types.js'
import type { FromWorker, ToWorker, WorkerOpenOptions } from './worker-protocol.js'

export * from './types.js'
export { autoDownsampleRatio } from './downsample-ratio.js'
export { detectInterface, detectModelInterface, readModelIO, type TensorIO } from './model-interface.js'
// For `portseg bench`: its raw session.run baseline must use the engine's own session setup and
// preprocessing, or the overhead ratio would compare different things.
export { createSessionWithFallback, defaultCpuTuning, type CpuTuning } from './providers.js'
export { frameToPlanarF16, frameToPlanarF32 } from './preprocess.js'
export { findProjectRoot } from './paths.js'

export interface OpenEngineOptions extends EngineOptions {
  /** Built inference worker (out/cli/inference.worker.js for the CLI/tests, out/main/… for the app). */
  workerPath: string
}

export interface MattingEngine {
  readonly modelInterface: ModelInterface
  readonly provider: ProviderReport
  /** Sequential use (CLI, tests): every frame is processed, in order; never drops. */
  process(frame: Frame): Promise<Matte>
  /** Real-time use: flow-limited (1 in flight, newest 1 queued, older ones dropped); never throws. */
  submit(frame: Frame): void
  /** Every submitted frame produces exactly one result: ok, dropped or failed. Returns an unsubscribe. */
  onResult(listener: (result: MatteResult) => void): () => void
  resetState(reason: ResetReason): void
  setDownsampleRatio(ratio: DownsampleRatio): void
  status(): EngineStatus
  /** Idempotent. */
  close(): Promise<void>
}

const PROVIDERS: readonly (ProviderName | 'auto')[] = ['auto', 'cuda', 'dml', 'coreml', 'webgpu', 'cpu']

/** Starts the worker, loads the model on the best provider and resolves when it is ready to run. */
export async function openEngine(options: OpenEngineOptions): Promise<MattingEngine> {
  const where = 'openEngine'
  if (options === null || typeof options !== 'object') throw new PortsegError('BAD_ARGUMENT', `${where}: options must be an object (got ${String(options)})`)
  if (typeof options.modelPath !== 'string' || options.modelPath === '') {
    throw new PortsegError('BAD_ARGUMENT', `${where}: modelPath must be a path to an .onnx file (got ${JSON.stringify(options.modelPath)})`)
  }
  if (typeof options.workerPath !== 'string' || !existsSync(options.workerPath)) {
    throw new PortsegError('ENGINE_WORKER_FAILED', `The inference worker was not found at ${String(options.workerPath)}.`, {
      hints: ['Build it with `npm run build:cli` (CLI, tests) or `npm run build` (app).'],
    })
  }
  const provider = options.provider ?? 'auto'
  if (!PROVIDERS.includes(provider)) {
    throw new PortsegError('BAD_ARGUMENT', `${where}: provider must be one of ${PROVIDERS.join(', ')} (got ${JSON.stringify(provider)})`)
  }
  const ratio = checkDownsampleRatio(where, options.downsampleRatio ?? 'auto')
  if (options.cpuThreads !== undefined && (!Number.isInteger(options.cpuThreads) || options.cpuThreads < 1)) {
    throw new PortsegError('BAD_ARGUMENT', `${where}: cpuThreads must be a positive integer (got ${String(options.cpuThreads)})`)
  }
  const open: WorkerOpenOptions = {
    modelPath: options.modelPath,
    provider,
    downsampleRatio: ratio,
    refine: options.refine ?? {},
    foreground: options.foreground ?? false,
    pauseResetMs: options.pauseResetMs ?? 1000,
  }
  if (options.cpuThreads !== undefined) open.cpuThreads = options.cpuThreads
  if (options.cpuSpinning !== undefined) open.cpuSpinning = options.cpuSpinning
  if (options.sceneCutThreshold !== undefined) open.sceneCutThreshold = options.sceneCutThreshold

  const callerStack = new Error('openEngine')
  const { worker, ready } = await startWorker(options.workerPath, open, callerStack)
  return new Engine(worker, options.workerPath, open, ready.modelInterface, ready.provider)
}

type Ready = Extract<FromWorker, { type: 'ready' }>

/** Starts a worker and loads the model in it; rejects with the worker's error (caller's stack attached). */
async function startWorker(workerPath: string, open: WorkerOpenOptions, callerStack: Error): Promise<{ worker: Worker; ready: Ready }> {
  const worker = new Worker(path.resolve(workerPath))
  const ready = await new Promise<Ready>((resolve, reject) => {
    const fail = (e: Error): void => {
      cleanup()
      void worker.terminate()
      reject(e)
    }
    const onMessage = (msg: FromWorker): void => {
      if (msg.type === 'ready') {
        cleanup()
        resolve(msg)
      } else if (msg.type === 'open-failed') {
        fail(withStack(fromErrorInfo(msg.error), callerStack))
      }
    }
    const onError = (e: Error): void => fail(workerFailed(`the worker failed while loading the model: ${e.message}`, e))
    const onExit = (code: number): void =>
      fail(workerFailed(`${workerPath} exited with code ${code} before the model was loaded (an empty or partly written build?); rebuild it`))
    const cleanup = (): void => {
      worker.off('message', onMessage)
      worker.off('error', onError)
      worker.off('exit', onExit)
    }
    worker.on('message', onMessage)
    worker.on('error', onError)
    worker.on('exit', onExit)
    post(worker, { type: 'open', options: open })
  })
  return { worker, ready }
}

/** Test hook: makes the worker exit abruptly, as a native crash in onnxruntime would. */
export function crashEngineWorkerForTest(engine: MattingEngine): void {
  if (engine instanceof Engine) engine.crashWorker()
}

function post(worker: Worker, msg: ToWorker): void {
  if (msg.type === 'frame') {
    const data = msg.frame.data
    // Transfer when the view owns its whole buffer; copy when it is a slice of a larger one (pooled Buffers).
    const isWhole = data.byteOffset === 0 && data.buffer instanceof ArrayBuffer && data.byteLength === data.buffer.byteLength
    if (isWhole) {
      worker.postMessage(msg, [data.buffer as ArrayBuffer])
      return
    }
    worker.postMessage({ ...msg, frame: { ...msg.frame, data: data.slice() } })
    return
  }
  worker.postMessage(msg)
}

function workerFailed(why: string, cause?: unknown): PortsegError {
  return new PortsegError('ENGINE_WORKER_FAILED', `The inference worker stopped: ${why}.`, {
    cause,
    hints: ['The engine restarts its worker by itself (up to 3 times a minute); if it keeps failing, try another model or the cpu provider.'],
  })
}

/** Puts the caller's stack under an error that crossed from the worker. */
function withStack<E extends Error>(e: E, caller: Error): E {
  const frames = (caller.stack ?? '').split('\n').slice(1).join('\n')
  e.stack = `${e.name}: ${e.message}\n${frames}`
  return e
}

interface Pending {
  seq: number
  captureTimeUs: number
  kind: 'process' | 'submit'
  submittedAt: number
  resolve?: (m: Matte) => void
  reject?: (e: Error) => void
  caller?: Error
}

/** A crashed worker is restarted this many times per minute at most; then the engine stays failed. */
const MAX_RESTARTS_PER_MINUTE = 3

class Engine implements MattingEngine {
  readonly modelInterface: ModelInterface
  readonly provider: ProviderReport
  readonly #workerPath: string
  readonly #open: WorkerOpenOptions
  readonly #pending = new Map<number, Pending>()
  readonly #listeners = new Set<(r: MatteResult) => void>()
  #worker: Worker
  #limiter: FlowLimiter<Frame>
  #nextId = 1
  /** The engine stopped for good (worker crashed too often or could not restart). */
  #failure: PortsegError | null = null
  /** The worker is being restarted after a crash; frames meanwhile fail with this. */
  #down: PortsegError | null = null
  #restarting: Promise<void> | null = null
  #crashTimes: number[] = []
  #restarts = 0
  #closing: Promise<void> | null = null
  #isClosed = false
  #ratio: number | null
  #counts = { submitted: 0, processed: 0, dropped: 0, failed: 0 }
  #last: { inferenceMs: number; totalMs: number } | null = null
  #lastReset: ResetReason | null = null

  constructor(worker: Worker, workerPath: string, open: WorkerOpenOptions, iface: ModelInterface, provider: ProviderReport) {
    this.#worker = worker
    this.#workerPath = workerPath
    this.#open = open
    this.modelInterface = iface
    this.provider = provider
    this.#ratio = iface.kind === 'recurrent-matting' && typeof open.downsampleRatio === 'number' ? open.downsampleRatio : null
    this.#limiter = this.#newLimiter()
    this.#attach(worker)
  }

  #newLimiter(): FlowLimiter<Frame> {
    return new FlowLimiter<Frame>({
      start: (frame) => this.#send(frame, 'submit'),
      drop: (frame, reason) => {
        const down = this.#failure ?? this.#down
        if (down) this.#emit({ status: 'failed', seq: frame.seq, captureTimeUs: frame.captureTimeUs, error: { code: down.code, message: down.message } })
        else this.#emit({ status: 'dropped', seq: frame.seq, captureTimeUs: frame.captureTimeUs, reason })
      },
    })
  }

  #attach(worker: Worker): void {
    worker.on('message', (msg: FromWorker) => {
      if (worker === this.#worker) this.#onMessage(msg)
    })
    worker.on('error', (e) => this.#onWorkerGone(worker, workerFailed(e.message, e)))
    worker.on('exit', (code) => this.#onWorkerGone(worker, workerFailed(`it exited with code ${code}`)))
  }

  process(frame: Frame): Promise<Matte> {
    const caller = new Error('process')
    this.#counts.submitted++
    try {
      this.#checkUsable()
      checkFrame(frame)
    } catch (e) {
      this.#counts.failed++
      return Promise.reject(withStack(e as Error, caller))
    }
    return new Promise<Matte>((resolve, reject) => {
      this.#send(frame, 'process', { resolve, reject, caller })
    })
  }

  submit(frame: Frame): void {
    this.#counts.submitted++
    const seq = typeof frame?.seq === 'number' ? frame.seq : -1
    const captureTimeUs = typeof frame?.captureTimeUs === 'number' ? frame.captureTimeUs : -1
    try {
      this.#checkUsable()
      checkFrame(frame)
    } catch (e) {
      const info = e as PortsegError
      // Reported asynchronously, like every other result, so listeners never run inside submit().
      queueMicrotask(() => this.#emit({ status: 'failed', seq, captureTimeUs, error: { code: info.code, message: info.message } }))
      return
    }
    this.#limiter.push(frame)
  }

  onResult(listener: (result: MatteResult) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  resetState(reason: ResetReason): void {
    if (this.#isUsable()) post(this.#worker, { type: 'reset', reason })
  }

  setDownsampleRatio(ratio: DownsampleRatio): void {
    checkDownsampleRatio('MattingEngine.setDownsampleRatio', ratio)
    // Kept for a restarted worker too.
    this.#open.downsampleRatio = ratio
    if (this.#isUsable()) post(this.#worker, { type: 'set-ratio', ratio })
  }

  status(): EngineStatus {
    const down = this.#failure ?? this.#down
    return {
      modelPath: this.#open.modelPath,
      modelInterface: this.modelInterface.kind,
      provider: this.provider,
      downsampleRatio: this.#ratio,
      framesSubmitted: this.#counts.submitted,
      framesProcessed: this.#counts.processed,
      framesDropped: this.#counts.dropped,
      framesFailed: this.#counts.failed,
      lastInferenceMs: this.#last?.inferenceMs ?? null,
      lastTotalMs: this.#last?.totalMs ?? null,
      lastReset: this.#lastReset,
      failure: down ? { code: down.code, message: down.message } : null,
      workerRestarts: this.#restarts,
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  crashWorker(): void {
    post(this.#worker, { type: 'crash' })
  }

  async #close(): Promise<void> {
    this.#limiter.close()
    await this.#restarting
    if (this.#failure === null) {
      const worker = this.#worker
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
      post(worker, { type: 'close' })
      // In-flight frames finish first (the worker handles messages in order); then it exits.
      const timer = setTimeout(() => void worker.terminate(), 5000)
      await exited
      clearTimeout(timer)
    }
    this.#isClosed = true
    this.#failPending(new PortsegError('ENGINE_CLOSED', 'The engine was closed before this frame was matted.'), 'closed')
  }

  #isUsable(): boolean {
    return this.#failure === null && this.#down === null && this.#closing === null
  }

  #checkUsable(): void {
    if (this.#failure) throw this.#failure
    if (this.#closing || this.#isClosed) throw new PortsegError('ENGINE_CLOSED', 'The engine is closed; open a new one to matte more frames.')
    if (this.#down) throw this.#down
  }

  #send(frame: Frame, kind: Pending['kind'], extra: Partial<Pending> = {}): void {
    const id = this.#nextId++
    this.#pending.set(id, { seq: frame.seq, captureTimeUs: frame.captureTimeUs, kind, submittedAt: performance.now(), ...extra })
    post(this.#worker, { type: 'frame', id, frame })
  }

  #onMessage(msg: FromWorker): void {
    if (msg.type !== 'result') return
    const p = this.#pending.get(msg.id)
    if (!p) return
    this.#pending.delete(msg.id)
    if (msg.ok) {
      const matte = msg.matte
      matte.timings.roundTripMs = performance.now() - p.submittedAt
      this.#counts.processed++
      this.#last = { inferenceMs: matte.timings.inferenceMs, totalMs: matte.timings.totalMs }
      this.#ratio = msg.downsampleRatio
      if (matte.stateReset) this.#lastReset = matte.stateReset
      if (p.kind === 'process') p.resolve!(matte)
      else this.#emit({ status: 'ok', seq: p.seq, matte })
    } else {
      const err = fromErrorInfo(msg.error)
      if (p.kind === 'process') {
        this.#counts.failed++
        p.reject!(withStack(err, p.caller!))
      } else {
        this.#emit({ status: 'failed', seq: p.seq, captureTimeUs: p.captureTimeUs, error: { code: msg.error.code, message: msg.error.message } })
      }
    }
    if (p.kind === 'submit') this.#limiter.done()
  }

  #emit(result: MatteResult): void {
    if (result.status === 'dropped') this.#counts.dropped++
    else if (result.status === 'failed') this.#counts.failed++
    for (const l of this.#listeners) {
      try {
        l(result)
      } catch {
        // A listener's bug must not stop the others or the engine.
      }
    }
  }

  /** The worker died (a native crash, out of memory): fail its frames, then restart it within a budget. */
  #onWorkerGone(worker: Worker, error: PortsegError): void {
    if (worker !== this.#worker || this.#down || this.#failure || this.#closing || this.#isClosed) return
    this.#down = error
    this.#failPending(error, null)
    this.#limiter.close()
    const now = Date.now()
    this.#crashTimes = [...this.#crashTimes.filter((t) => now - t < 60_000), now]
    if (this.#crashTimes.length > MAX_RESTARTS_PER_MINUTE) {
      this.#failure = new PortsegError(
        'ENGINE_WORKER_FAILED',
        `${error.message.replace(/\.$/, '')}, and it crashed ${this.#crashTimes.length} times within a minute; the engine stopped restarting it.`,
        { cause: error, hints: ['Try another model or the cpu provider; if it keeps happening, report it with the log.'] },
      )
      this.#down = null
      return
    }
    this.#down = new PortsegError('ENGINE_WORKER_FAILED', `${error.message.replace(/\.$/, '')}; the engine is restarting it, this frame was not matted.`, {
      cause: error,
      hints: [...error.hints],
    })
    this.#restarting = this.#restart().finally(() => {
      this.#restarting = null
    })
  }

  async #restart(): Promise<void> {
    try {
      const { worker } = await startWorker(this.#workerPath, this.#open, new Error('restart'))
      if (this.#closing) {
        this.#worker = worker
        this.#attach(worker)
        this.#down = null
        return
      }
      this.#worker = worker
      this.#attach(worker)
      this.#restarts++
      this.#limiter = this.#newLimiter()
      this.#down = null
    } catch (e) {
      this.#failure = new PortsegError('ENGINE_WORKER_FAILED', `The inference worker crashed and could not be restarted: ${(e as Error).message}`, {
        cause: e,
        hints: ['Reopen the engine, or try another model or the cpu provider.'],
      })
      this.#down = null
    }
  }

  /** Every frame still waiting gets its one result: failed (worker gone) or dropped (closed). */
  #failPending(error: PortsegError, dropReason: 'closed' | null): void {
    const info: ErrorInfo = { code: error.code, message: error.message }
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id)
      if (p.kind === 'process') {
        this.#counts.failed++
        p.reject!(withStack(new PortsegError(error.code, error.message, { hints: [...error.hints] }), p.caller!))
      } else if (dropReason) {
        this.#emit({ status: 'dropped', seq: p.seq, captureTimeUs: p.captureTimeUs, reason: dropReason })
      } else {
        this.#emit({ status: 'failed', seq: p.seq, captureTimeUs: p.captureTimeUs, error: { code: info.code, message: info.message } })
      }
    }
  }
}
