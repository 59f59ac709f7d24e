/**
 * The engine's lifecycle in the app (Electron-free): open with the selected model and provider,
 * reopen on a model or provider change, reset recurrent state on a camera change, fall back to
 * the built-in model when the chosen one can't open. The frame link talks to `relay`, which
 * stays the same object across reopens.
 */
import { toErrorInfo, type ErrorInfo } from '../../shared/errors.js'
import type { EngineState, EngineStatusInfo } from '../../shared/ipc.js'
import { DEFAULT_MODEL_ID, type Settings } from '../../shared/settings.js'
import type { FrameLinkEngine } from '../engine/frame-link.js'
import type { Frame, MatteResult, MattingEngine, OpenEngineOptions, ResetReason } from '../engine/index.js'

export interface ResolvedModelRef {
  id: string | null
  name: string
  path: string
}

export interface EngineControllerOptions {
  workerPath: string
  openEngine: (options: OpenEngineOptions) => Promise<MattingEngine>
  resolveModel: (id: string) => Promise<ResolvedModelRef>
  onStatus?: (status: EngineStatusInfo) => void
  /** A problem the user should read (e.g. "fell back to the built-in model"). */
  onProblem?: (message: string, error: ErrorInfo) => void
  log?: (line: string) => void
  fallbackModelId?: string
}

export type EngineSettings = Pick<Settings, 'modelId' | 'provider' | 'downsampleRatio' | 'camera'>

export class EngineController {
  readonly relay: FrameLinkEngine
  readonly #options: EngineControllerOptions
  readonly #listeners = new Set<(r: MatteResult) => void>()
  #engine: MattingEngine | null = null
  #unsubscribe: (() => void) | null = null
  #state: EngineState = 'idle'
  #model: ResolvedModelRef | null = null
  #error: ErrorInfo | null = null
  #applied: EngineSettings | null = null
  #queue: Promise<unknown> = Promise.resolve()
  #isClosed = false

  constructor(options: EngineControllerOptions) {
    this.#options = options
    this.relay = {
      submit: (frame: Frame) => this.#submit(frame),
      onResult: (listener) => {
        this.#listeners.add(listener)
        return () => void this.#listeners.delete(listener)
      },
    }
  }

  get engine(): MattingEngine | null {
    return this.#engine
  }

  /** Brings the engine in line with the settings; serialised, so rapid changes apply in order. */
  apply(settings: EngineSettings): Promise<EngineStatusInfo> {
    return this.#enqueue(async () => {
      const prev = this.#applied
      this.#applied = { modelId: settings.modelId, provider: settings.provider, downsampleRatio: settings.downsampleRatio, camera: { ...settings.camera } }
      const needsOpen = this.#engine === null || prev === null || prev.modelId !== settings.modelId || prev.provider !== settings.provider
      if (needsOpen) {
        await this.#open(this.#applied)
        return this.status()
      }
      if (prev.downsampleRatio !== settings.downsampleRatio) this.#engine?.setDownsampleRatio(settings.downsampleRatio)
      if (prev.camera.deviceId !== settings.camera.deviceId) this.resetState('source-changed')
      return this.status()
    })
  }

  /** Closes and reopens with the last applied settings. */
  restart(): Promise<EngineStatusInfo> {
    return this.#enqueue(async () => {
      if (this.#applied !== null) await this.#open(this.#applied)
      return this.status()
    })
  }

  /** Stops inference; frames submitted meanwhile come back 'dropped: closed' (the output fails closed). */
  stop(): Promise<void> {
    return this.#enqueue(async () => {
      await this.#closeEngine()
      this.#setState('stopped')
    })
  }

  resetState(reason: ResetReason): void {
    this.#log(`engine: state reset (${reason})`)
    this.#engine?.resetState(reason)
  }

  status(): EngineStatusInfo {
    const s = this.#engine?.status() ?? null
    return {
      state: this.#state,
      modelId: this.#model?.id ?? null,
      modelName: this.#model?.name ?? null,
      modelInterface: this.#engine?.modelInterface.kind ?? null,
      providerPreference: this.#applied?.provider ?? 'auto',
      provider: this.#engine?.provider ?? null,
      downsampleRatio: s?.downsampleRatio ?? null,
      framesSubmitted: s?.framesSubmitted ?? 0,
      framesProcessed: s?.framesProcessed ?? 0,
      framesDropped: s?.framesDropped ?? 0,
      framesFailed: s?.framesFailed ?? 0,
      lastInferenceMs: s?.lastInferenceMs ?? null,
      lastTotalMs: s?.lastTotalMs ?? null,
      lastReset: s?.lastReset ?? null,
      error: this.#error === null ? null : { ...this.#error, hints: this.#error.hints ?? [] },
    }
  }

  /** Idempotent. */
  async close(): Promise<void> {
    if (this.#isClosed) return
    this.#isClosed = true
    await this.#queue.catch(() => undefined)
    await this.#closeEngine()
    this.#setState('stopped')
    this.#listeners.clear()
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => {
      if (this.#isClosed) return this.status() as T
      return task()
    })
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #open(settings: EngineSettings): Promise<void> {
    await this.#closeEngine()
    this.#error = null
    this.#setState('starting')
    const fallbackId = this.#options.fallbackModelId ?? DEFAULT_MODEL_ID
    try {
      await this.#openModel(settings.modelId, settings)
    } catch (e) {
      const info = toErrorInfo(e)
      this.#log(`engine: could not open model ${settings.modelId}: ${info.message}`)
      if (settings.modelId === fallbackId) {
        this.#error = info
        this.#setState('failed')
        this.#options.onProblem?.(`The matting engine could not start: ${info.message}`, info)
        return
      }
      try {
        await this.#openModel(fallbackId, settings)
        this.#error = { code: info.code, message: `Could not open model "${settings.modelId}" (${info.message}); using the built-in model "${fallbackId}" instead.`, hints: info.hints ?? [] }
        this.#options.onProblem?.(this.#error.message, this.#error)
      } catch (e2) {
        this.#error = toErrorInfo(e2)
        this.#setState('failed')
        this.#options.onProblem?.(`The matting engine could not start: ${this.#error.message}`, this.#error)
        return
      }
    }
    this.#setState('running')
  }

  async #openModel(modelId: string, settings: EngineSettings): Promise<void> {
    const model = await this.#options.resolveModel(modelId)
    const engine = await this.#options.openEngine({
      modelPath: model.path,
      workerPath: this.#options.workerPath,
      provider: settings.provider,
      downsampleRatio: settings.downsampleRatio,
      // RVM's foreground colour lets the compositor avoid background fringes at the edges
      foreground: true,
    })
    if (this.#isClosed) {
      await engine.close()
      return
    }
    this.#engine = engine
    this.#model = model
    this.#unsubscribe = engine.onResult((r) => {
      for (const l of this.#listeners) l(r)
    })
    const tried = engine.provider.attempts.map((a) => `${a.provider}: ${a.ok ? 'ok' : a.reason}`).join('; ')
    this.#log(`engine: opened ${model.id ?? model.path} on ${engine.provider.selected} (${tried})`)
  }

  async #closeEngine(): Promise<void> {
    const engine = this.#engine
    this.#engine = null
    this.#unsubscribe?.()
    this.#unsubscribe = null
    if (engine !== null) {
      try {
        await engine.close()
      } catch (e) {
        this.#log(`engine: close failed: ${(e as Error).message}`)
      }
    }
  }

  #submit(frame: Frame): void {
    if (this.#engine !== null) {
      this.#engine.submit(frame)
      return
    }
    // every frame gets exactly one answer, even with no engine: the compositor fails closed
    const result: MatteResult = { status: 'dropped', seq: frame.seq, reason: 'closed' }
    queueMicrotask(() => {
      for (const l of this.#listeners) l(result)
    })
  }

  #setState(state: EngineState): void {
    this.#state = state
    this.#options.onStatus?.(this.status())
  }

  #log(line: string): void {
    this.#options.log?.(line)
  }
}
