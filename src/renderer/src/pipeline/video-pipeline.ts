/**
 * The renderer's real-time pipeline: camera → (frame port) → engine in main → matte n →
 * composite frame n with matte n → preview + read-back → 'output' to main for the virtual camera.
 *
 * Fail closed: the output shows a fresh composite, the last good composite (for at most
 * STALE_MS), or the privacy frame (the whole camera frame blurred). It shows the raw camera only
 * when the user turned effects off.
 */
import { ToRendererMessage, type MatteMessage, type MatteMissingMessage } from '../../../shared/frame-protocol.js'
import type { PortsegBridge } from '../../../shared/ipc.js'
import { outputModeSize, type Settings } from '../../../shared/settings.js'
import { FrameReader, openCamera, type OpenCamera } from './camera.js'
import { Compositor, type CameraTexture, type CompositeMode, type CompositeParams } from './compositor.js'
import { connectFramePort } from './frame-port.js'

/** Frames sent to main and not yet answered; beyond this the camera frame is skipped here. */
export const MAX_IN_FLIGHT = 2
/**
 * How long the last good composite may stand in for fresh ones before the privacy frame, at
 * least. A slow engine (RVM on a weak CPU) stretches it to a few of its own frame intervals, up
 * to MAX_STALE_MS: holding a composite is as private as the privacy frame, and flipping to
 * privacy between two on-time mattes would only cost a render the fresh frames need.
 */
export const STALE_MS = 1000
export const MAX_STALE_MS = 3000
const RING_SIZE = MAX_IN_FLIGHT + 3
/** The status says 'holding' once the last composite is this old (a slow engine, not a stall). */
const HOLDING_AFTER_MS = 250
/** How often an unchanged fallback frame is re-sent so main knows the window is alive. */
const KEEPALIVE_MS = 1000
const STATS_WINDOW_MS = 2000

export type PipelineState = 'starting' | 'live' | 'holding' | 'privacy' | 'passthrough' | 'no-camera'

export interface PipelineStats {
  state: PipelineState
  cameraWidth: number | null
  cameraHeight: number | null
  cameraFps: number
  /** fresh composites (frame n ⋈ matte n) per second */
  compositeFps: number
  /** fresh output frames handed to the frame port per second */
  outputFps: number
  /** camera capture → output handed to the port, mean and p95 over the last 2 s, ms */
  latencyMs: number | null
  latencyP95Ms: number | null
  inferenceMs: number | null
  /** GPU composite + read-back of one output frame, mean over the last 2 s, ms */
  composeMs: number | null
  /** camera frames not sent because MAX_IN_FLIGHT were already waiting */
  skippedAtSource: number
  /** frames main answered with matte-missing (flow limiter drops, failures) */
  mattesMissing: number
  /** output frames that repeated the last good composite or were the privacy frame */
  fallbackFrames: number
  /** mattes not composited because compositing could not keep up (slow GPU) */
  compositesSkipped: number
  /** the image/video background: 'none' when the background is not media */
  backgroundMedia: 'none' | 'loading' | 'ready' | 'failed'
  /** why the output is not live, in words */
  problem: string | null
}

export type PipelineSettings = Pick<Settings, 'camera' | 'output' | 'outputFit' | 'effectsEnabled' | 'background' | 'blurStrength' | 'edge' | 'mirrorPreview'>

export interface BackgroundMedia {
  kind: 'image' | 'video'
  url: string
}

interface RingEntry {
  slot: CameraTexture
  captureTimeUs: number
}

interface Sample {
  atMs: number
  kind: 'cam' | 'composite' | 'out' | 'privacy'
  latencyMs?: number
  inferenceMs?: number
  composeMs?: number
}

/** Wall-clock µs; main stamps the same clock, so latency can be measured on either side. */
export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000)
}

export class VideoPipeline {
  readonly #bridge: Pick<PortsegBridge, 'frames'>
  readonly #compositor: Compositor
  readonly #canvas: HTMLCanvasElement
  #resizeObserver: ResizeObserver | null = null
  readonly #reader = new FrameReader()
  readonly #onStats: (s: PipelineStats) => void
  readonly #onCameraChange: (cam: { deviceId: string | null; label: string } | null, error: string | null) => void
  #settings: PipelineSettings | null = null
  #camera: OpenCamera | null = null
  #cameraKey = ''
  #port: MessagePort | null = null
  #seq = 0
  readonly #ring = new Map<number, RingEntry>()
  #pool: CameraTexture[] = []
  #latest: RingEntry | null = null
  readonly #inFlight = new Set<number>()
  #privacy: { data: Uint8Array; captureTimeUs: number } | null = null
  #lastGood: { data: Uint8Array; seq: number; captureTimeUs: number; atMs: number } | null = null
  #lastSendMs = 0
  #isEngineDown = false
  #engineProblem: string | null = null
  #background: BackgroundMedia | null = null
  #backgroundError: string | null = null
  #videoEl: HTMLVideoElement | null = null
  #outputTimer: ReturnType<typeof setInterval> | null = null
  #statsTimer: ReturnType<typeof setInterval> | null = null
  #frameCallback: number | null = null
  #samples: Sample[] = []
  #counters = { skippedAtSource: 0, mattesMissing: 0, fallbackFrames: 0, compositesSkipped: 0 }
  #lastComposeMs = 0
  #lastComposeEndMs = 0
  /** the same for fresh composites only: a privacy render must never cost a fresh matte its turn */
  #lastFreshComposeMs = 0
  #lastFreshComposeEndMs = 0
  /** smoothed engine time per frame (worker's pre + inference + post), ms */
  #engineMs: number | null = null
  /** smoothed time between fresh composites, ms */
  #freshIntervalMs: number | null = null
  #frameIntervalMs = 1000 / 30
  #state: PipelineState = 'starting'
  #cameraError: string | null = null
  #isStopped = false
  #reopenGeneration = 0

  constructor(
    canvas: HTMLCanvasElement,
    bridge: Pick<PortsegBridge, 'frames'>,
    hooks: {
      onStats: (s: PipelineStats) => void
      onCameraChange?: (cam: { deviceId: string | null; label: string } | null, error: string | null) => void
    },
  ) {
    this.#bridge = bridge
    this.#canvas = canvas
    this.#compositor = new Compositor(canvas, 1280, 720)
    this.#onStats = hooks.onStats
    this.#onCameraChange = hooks.onCameraChange ?? (() => undefined)
  }

  async start(settings: PipelineSettings): Promise<void> {
    this.#port = await connectFramePort(this.#bridge)
    this.#port.onmessage = (e: MessageEvent) => this.#onPortMessage(e.data)
    this.#port.start()
    this.#statsTimer = setInterval(() => this.#onStats(this.stats()), 500)
    this.#resizeObserver = new ResizeObserver(() => this.#fitPreview())
    this.#resizeObserver.observe(this.#canvas)
    document.addEventListener('visibilitychange', this.#onVisibility)
    navigator.mediaDevices?.addEventListener?.('devicechange', this.#onDeviceChange)
    await this.apply(settings)
  }

  /** Applies new settings; reopens the camera only when the camera or resolution changed. */
  async apply(settings: PipelineSettings): Promise<void> {
    const prev = this.#settings
    this.#settings = settings
    const out = outputModeSize(settings.output)
    this.#compositor.setOutputSize(out.width, out.height)
    this.#fitPreview()
    this.#compositor.setMirror(settings.mirrorPreview)
    if (!prev || prev.output !== settings.output) this.#restartOutputClock(out.fps)
    this.#frameIntervalMs = 1000 / out.fps
    const key = `${settings.camera.deviceId ?? ''}|${out.width}x${out.height}@${out.fps}`
    if (key !== this.#cameraKey || !this.#camera) {
      this.#cameraKey = key
      await this.#reopenCamera()
    }
  }

  /** The media for image/video backgrounds (main serves the user's files by URL). */
  async setBackgroundMedia(media: BackgroundMedia | null): Promise<void> {
    if (media?.url === this.#background?.url && media?.kind === this.#background?.kind) return
    this.#background = media
    this.#backgroundError = null
    this.#videoEl?.pause()
    this.#videoEl = null
    if (!media) {
      this.#compositor.setBackgroundSource(null)
      return
    }
    try {
      if (media.kind === 'image') {
        const img = new Image()
        // portseg-media: is another origin than the file:// page; WebGL refuses tainted pixels
        img.crossOrigin = 'anonymous'
        img.src = media.url
        await img.decode()
        if (this.#background !== media) return
        this.#compositor.setBackgroundSource(img)
      } else {
        const v = document.createElement('video')
        v.muted = true
        v.loop = true
        v.playsInline = true
        v.crossOrigin = 'anonymous'
        v.src = media.url
        await v.play()
        if (this.#background !== media) {
          v.pause()
          return
        }
        this.#videoEl = v
        this.#compositor.setBackgroundSource(v)
      }
    } catch (e) {
      this.#compositor.setBackgroundSource(null)
      // never the raw camera: without its media the background is blurred instead
      this.#backgroundError = `The background ${media.kind} could not be loaded (${e instanceof Error ? e.message : String(e)}); showing blur instead. Choose it again or remove it.`
    }
  }

  get backgroundError(): string | null {
    return this.#backgroundError
  }

  stats(): PipelineStats {
    const now = performance.now()
    while (this.#samples.length > 0 && now - this.#samples[0]!.atMs > STATS_WINDOW_MS) this.#samples.shift()
    const span = STATS_WINDOW_MS / 1000
    const count = (k: Sample['kind']): number => this.#samples.filter((s) => s.kind === k).length
    const lat = this.#samples.flatMap((s) => (s.latencyMs === undefined ? [] : [s.latencyMs])).sort((a, b) => a - b)
    const inf = this.#samples.flatMap((s) => (s.inferenceMs === undefined ? [] : [s.inferenceMs]))
    const comp = this.#samples.flatMap((s) => (s.composeMs === undefined ? [] : [s.composeMs]))
    const video = this.#camera?.video
    return {
      state: this.#state,
      cameraWidth: video?.videoWidth || null,
      cameraHeight: video?.videoHeight || null,
      cameraFps: round1(count('cam') / span),
      compositeFps: round1(count('composite') / span),
      outputFps: round1(count('out') / span),
      latencyMs: lat.length ? round1(lat.reduce((a, b) => a + b, 0) / lat.length) : null,
      latencyP95Ms: lat.length ? round1(lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.95))]!) : null,
      inferenceMs: inf.length ? round1(inf.reduce((a, b) => a + b, 0) / inf.length) : null,
      composeMs: comp.length ? round1(comp.reduce((a, b) => a + b, 0) / comp.length) : null,
      ...this.#counters,
      backgroundMedia: this.#background === null ? 'none' : this.#backgroundError !== null ? 'failed' : this.#compositor.hasBackgroundSource ? 'ready' : 'loading',
      problem: this.#cameraError ?? (this.#state === 'privacy' ? (this.#engineProblem ?? 'No fresh matte: the output is blurred for privacy.') : this.#backgroundError),
    }
  }

  stop(): void {
    if (this.#isStopped) return
    this.#isStopped = true
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.#onDeviceChange)
    document.removeEventListener('visibilitychange', this.#onVisibility)
    this.#resizeObserver?.disconnect()
    if (this.#outputTimer) clearInterval(this.#outputTimer)
    if (this.#statsTimer) clearInterval(this.#statsTimer)
    this.#cancelFrameCallback()
    this.#camera?.stop()
    this.#videoEl?.pause()
    this.#port?.close()
    for (const s of this.#pool) s.texture.dispose()
    this.#compositor.dispose()
  }

  readonly #onVisibility = (): void => this.#compositor.setPreviewVisible(document.visibilityState !== 'hidden')

  #fitPreview(): void {
    const out = this.#compositor
    const dpr = window.devicePixelRatio || 1
    const w = Math.max(2, Math.round(this.#canvas.clientWidth * dpr))
    this.#compositor.setPreviewSize(w, Math.round((w * out.outputHeight) / Math.max(1, out.outputWidth)))
  }

  // ---- camera ------------------------------------------------------------------------

  readonly #onDeviceChange = (): void => {
    // a camera that vanished ends its track; one that came back is picked up by reopening
    if (!this.#camera || this.#camera.stream.getVideoTracks().every((t) => t.readyState === 'ended')) void this.#reopenCamera()
  }

  async #reopenCamera(): Promise<void> {
    const settings = this.#settings
    if (!settings || this.#isStopped) return
    const generation = ++this.#reopenGeneration
    this.#cancelFrameCallback()
    this.#camera?.stop()
    this.#camera = null
    const out = outputModeSize(settings.output)
    try {
      const cam = await openCamera({ deviceId: settings.camera.deviceId, width: out.width, height: out.height, fps: out.fps })
      if (generation !== this.#reopenGeneration || this.#isStopped) {
        cam.stop()
        return
      }
      this.#camera = cam
      this.#cameraError = null
      for (const t of cam.stream.getVideoTracks()) t.addEventListener('ended', () => this.#onCameraEnded(cam))
      this.#onCameraChange({ deviceId: cam.deviceId, label: cam.label }, null)
      this.#scheduleFrame()
    } catch (e) {
      if (generation !== this.#reopenGeneration) return
      this.#cameraError = e instanceof Error ? e.message : String(e)
      this.#state = 'no-camera'
      this.#onCameraChange(null, this.#cameraError)
    }
  }

  #onCameraEnded(cam: OpenCamera): void {
    if (cam !== this.#camera) return
    this.#cameraError = `The camera "${cam.label || 'camera'}" stopped (unplugged or taken by another program). Reconnect it or choose another camera.`
    this.#state = 'no-camera'
    this.#onCameraChange(null, this.#cameraError)
  }

  #scheduleFrame(): void {
    const video = this.#camera?.video
    if (!video || this.#isStopped) return
    if ('requestVideoFrameCallback' in video) this.#frameCallback = video.requestVideoFrameCallback(() => this.#onCameraFrame())
    else this.#frameCallback = window.setTimeout(() => this.#onCameraFrame(), 1000 / 30)
  }

  #cancelFrameCallback(): void {
    const video = this.#camera?.video
    if (this.#frameCallback === null) return
    if (video && 'cancelVideoFrameCallback' in video) video.cancelVideoFrameCallback(this.#frameCallback)
    else clearTimeout(this.#frameCallback)
    this.#frameCallback = null
  }

  #onCameraFrame(): void {
    this.#frameCallback = null
    try {
      this.#captureFrame()
    } finally {
      this.#scheduleFrame()
    }
  }

  #captureFrame(): void {
    const cam = this.#camera
    const settings = this.#settings
    if (!cam || !settings) return
    const isPassthrough = compositeMode(settings, this.#compositor.hasBackgroundSource) === 'passthrough'
    this.#expireInFlight()
    if (!isPassthrough && !this.#isSendDue()) {
      this.#counters.skippedAtSource++
      return
    }
    const captureTimeUs = nowMicros()
    const image = this.#reader.read(cam.video)
    if (!image) return
    const seq = ++this.#seq
    const slot = this.#acquireSlot(image.width, image.height)
    slot.data.set(image.data)
    this.#compositor.markCameraUpdated(slot)
    const entry = { slot, captureTimeUs }
    this.#latest = entry
    this.#samples.push({ atMs: performance.now(), kind: 'cam' })
    if (isPassthrough) {
      this.#state = 'passthrough'
      this.#compose(seq, entry, null, 'passthrough')
      return
    }
    this.#ring.set(seq, entry)
    this.#inFlight.add(seq)
    const buffer = image.data.buffer as ArrayBuffer
    this.#port?.postMessage(
      { type: 'frame', seq, width: image.width, height: image.height, captureTimeUs, format: 'RGBA', sourceId: cam.sourceId, data: buffer },
      [buffer],
    )
  }

  /**
   * Bounded (never more than MAX_IN_FLIGHT frames waiting for main) and paced for latency: while
   * the engine works on one frame, the next is sent only once it would wait there for at most
   * about one camera frame. Sending it earlier would not raise the frame rate, only make every
   * frame older by up to a whole inference when it is composited.
   */
  #isSendDue(): boolean {
    if (this.#inFlight.size >= MAX_IN_FLIGHT) return false
    if (this.#inFlight.size === 0) return true
    if (this.#engineMs === null) return false
    // frames are posted the moment they are captured, so the capture time is the send time
    let sentUs = 0
    for (const seq of this.#inFlight) sentUs = Math.max(sentUs, this.#ring.get(seq)?.captureTimeUs ?? 0)
    return (nowMicros() - sentUs) / 1000 >= this.#engineMs - this.#frameIntervalMs
  }

  /** Frames main never answered (port gone, engine hung) stop counting as in flight after a while. */
  #expireInFlight(): void {
    const limitUs = nowMicros() - STALE_MS * 2000
    for (const seq of this.#inFlight) {
      const entry = this.#ring.get(seq)
      if (!entry || entry.captureTimeUs < limitUs) {
        this.#inFlight.delete(seq)
        this.#ring.delete(seq)
      }
    }
  }

  /** How long the last good composite may stand in; see STALE_MS. */
  #staleMs(): number {
    return Math.min(MAX_STALE_MS, Math.max(STALE_MS, 2.5 * (this.#freshIntervalMs ?? 0)))
  }

  /** A texture for a new frame: a free one, or the oldest frame's (whose matte will be ignored). */
  #acquireSlot(width: number, height: number): CameraTexture {
    if (this.#pool.some((s) => s.width !== width || s.height !== height)) {
      // resolution changed: start a fresh ring
      for (const s of this.#pool) s.texture.dispose()
      this.#pool = []
      this.#ring.clear()
      this.#latest = null
    }
    const used = new Set<CameraTexture>([...this.#ring.values()].map((e) => e.slot))
    if (this.#latest) used.add(this.#latest.slot)
    const free = this.#pool.find((s) => !used.has(s))
    if (free) return free
    if (this.#pool.length < RING_SIZE) {
      const slot = this.#compositor.createCameraTexture(width, height)
      this.#pool.push(slot)
      return slot
    }
    const oldest = Math.min(...this.#ring.keys())
    const slot = this.#ring.get(oldest)!.slot
    this.#ring.delete(oldest)
    return slot
  }

  // ---- mattes ------------------------------------------------------------------------

  #onPortMessage(raw: unknown): void {
    const parsed = ToRendererMessage.safeParse(raw)
    if (!parsed.success) return
    const m = parsed.data
    this.#inFlight.delete(m.seq)
    if (m.type === 'matte') this.#onMatte(m)
    else this.#onMatteMissing(m)
  }

  #onMatte(m: MatteMessage): void {
    const entry = this.#ring.get(m.seq)
    // older frames will never get their matte now (results come in order)
    for (const seq of this.#ring.keys()) if (seq <= m.seq) this.#ring.delete(seq)
    this.#isEngineDown = false
    this.#engineProblem = null
    this.#samples.push({ atMs: performance.now(), kind: 'composite', inferenceMs: m.timings.inferenceMs })
    this.#engineMs = this.#engineMs === null ? m.timings.totalMs : 0.8 * this.#engineMs + 0.2 * m.timings.totalMs
    const settings = this.#settings
    if (!entry || !settings) return
    if (m.width !== entry.slot.width || m.height !== entry.slot.height || m.alpha.byteLength !== m.width * m.height) return
    const mode = compositeMode(settings, this.#compositor.hasBackgroundSource)
    if (mode === 'passthrough') return
    if (this.#isFreshOverBudget()) {
      this.#counters.compositesSkipped++
      return
    }
    this.#state = 'live'
    this.#compose(m.seq, entry, m, mode)
  }

  #onMatteMissing(m: MatteMissingMessage): void {
    this.#ring.delete(m.seq)
    this.#counters.mattesMissing++
    if (m.reason === 'closed' || m.reason === 'failed') {
      // privacy frame first, report second
      this.#isEngineDown = true
      this.#engineProblem =
        m.reason === 'closed' ? 'The matting engine is not running: the output is blurred for privacy.' : `Matting failed (${m.message ?? 'no detail'}): the output is blurred for privacy.`
      this.#sendFallback()
    }
  }

  /**
   * On a GPU too slow for the frame rate (software rendering, an overloaded machine) compositing
   * every matte would starve the window itself; keep its share of the main thread under ~2/3.
   */
  #isOverBudget(): boolean {
    return performance.now() - this.#lastComposeEndMs < this.#lastComposeMs * 0.5
  }

  /** The same budget counting fresh composites only (privacy renders give way to fresh ones). */
  #isFreshOverBudget(): boolean {
    return performance.now() - this.#lastFreshComposeEndMs < this.#lastFreshComposeMs * 0.5
  }

  #compose(seq: number, entry: RingEntry, matte: MatteMessage | null, mode: CompositeMode): void {
    const settings = this.#settings!
    const t0 = performance.now()
    this.#compositor.render(
      entry.slot,
      matte
        ? {
            alpha: new Uint8Array(matte.alpha),
            width: matte.width,
            height: matte.height,
            ...(matte.foreground && matte.foreground.byteLength === matte.width * matte.height * 3 ? { foreground: new Uint8Array(matte.foreground) } : {}),
          }
        : null,
      paramsFor(settings, mode),
    )
    // hand fresh frames over at once (lowest latency); the output clock only fills the gaps
    if (!this.#port) return
    const data = this.#compositor.readOutput()
    const atMs = performance.now()
    this.#lastComposeMs = atMs - t0
    this.#lastComposeEndMs = atMs
    this.#lastFreshComposeMs = this.#lastComposeMs
    this.#lastFreshComposeEndMs = atMs
    if (this.#lastGood && mode !== 'passthrough') {
      const gap = Math.min(atMs - this.#lastGood.atMs, MAX_STALE_MS)
      this.#freshIntervalMs = this.#freshIntervalMs === null ? gap : 0.8 * this.#freshIntervalMs + 0.2 * gap
    }
    this.#lastGood = { data: data.slice(), seq, captureTimeUs: entry.captureTimeUs, atMs }
    this.#privacy = null
    this.#post(seq, entry.captureTimeUs, data, false)
    this.#samples.push({ atMs, kind: 'out', latencyMs: (nowMicros() - entry.captureTimeUs) / 1000, composeMs: atMs - t0 })
    this.#state = mode === 'passthrough' ? 'passthrough' : 'live'
  }

  // ---- output ------------------------------------------------------------------------

  #restartOutputClock(fps: number): void {
    if (this.#outputTimer) clearInterval(this.#outputTimer)
    const intervalMs = 1000 / fps
    this.#outputTimer = setInterval(() => {
      if (performance.now() - this.#lastSendMs >= intervalMs * 0.9) this.#sendFallback()
    }, intervalMs)
  }

  /**
   * No fresh frame this tick. The virtual camera repeats the last frame it got by itself, so a
   * recent good composite is only re-sent as a keep-alive; once it is stale (or the engine is
   * down) the privacy frame replaces it, re-rendered when the camera has a new frame.
   */
  #sendFallback(): void {
    const settings = this.#settings
    if (!settings || !this.#port) return
    const mode = compositeMode(settings, this.#compositor.hasBackgroundSource)
    const now = performance.now()
    const isKeepAliveDue = now - this.#lastSendMs >= KEEPALIVE_MS
    const good = this.#lastGood
    const ageMs = good === null ? Infinity : now - good.atMs
    if (good && (mode === 'passthrough' || (ageMs < this.#staleMs() && !this.#isEngineDown))) {
      if (mode !== 'passthrough' && ageMs > Math.max(HOLDING_AFTER_MS, 1.5 * (this.#freshIntervalMs ?? 0))) this.#state = 'holding'
      if (isKeepAliveDue) {
        this.#post(good.seq, good.captureTimeUs, good.data.slice(), true)
        this.#counters.fallbackFrames++
      }
      return
    }
    const latest = this.#latest
    if (!latest || mode === 'passthrough') return
    this.#state = 'privacy'
    this.#lastGood = null
    // the whole frame blurred, re-rendered only when the camera has a new frame
    if (this.#privacy?.captureTimeUs !== latest.captureTimeUs && (!this.#privacy || !this.#isOverBudget())) {
      const t0 = performance.now()
      this.#compositor.render(latest.slot, null, paramsFor(settings, 'privacy'))
      this.#privacy = { data: this.#compositor.readOutput(), captureTimeUs: latest.captureTimeUs }
      this.#lastComposeEndMs = performance.now()
      this.#lastComposeMs = this.#lastComposeEndMs - t0
    } else if (!isKeepAliveDue) return
    this.#post(this.#seq, latest.captureTimeUs, this.#privacy.data.slice(), true)
    this.#counters.fallbackFrames++
  }

  #post(seq: number, captureTimeUs: number, data: Uint8Array, isFallback: boolean): void {
    const buffer = data.buffer as ArrayBuffer
    this.#port!.postMessage(
      { type: 'output', seq, width: this.#compositor.outputWidth, height: this.#compositor.outputHeight, captureTimeUs, format: 'RGBA', isFallback, data: buffer },
      [buffer],
    )
    this.#lastSendMs = performance.now()
  }
}

/** What the compositor does for these settings; 'texture' without loaded media falls back to blur. */
export function compositeMode(s: PipelineSettings, hasMedia: boolean): CompositeMode {
  if (!s.effectsEnabled || s.background.kind === 'none') return 'passthrough'
  switch (s.background.kind) {
    case 'blur':
      return 'blur'
    case 'color':
      return 'color'
    case 'image':
    case 'video':
      return hasMedia ? 'texture' : 'blur'
  }
}

function paramsFor(s: PipelineSettings, mode: CompositeMode): CompositeParams {
  return {
    mode,
    blurStrength: s.blurStrength,
    color: s.background.color,
    feather: s.edge.feather,
    contrast: s.edge.contrast,
    lightWrap: s.edge.lightWrap,
    fit: s.outputFit,
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10
}
