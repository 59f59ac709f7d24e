/**
 * The main-process end of the renderer's frame port (src/shared/frame-protocol.ts), in plain Node.
 * Camera frames go to the engine (flow-limited there: 1 in flight, newest 1 queued); every frame
 * gets exactly one answer, 'matte' or 'matte-missing', so the compositor can join frame n with
 * matte n and fail closed for the rest. Composited 'output' frames go to the FrameSink.
 */
import { PortsegError } from '../../shared/errors.js'
import {
  ToMainMessage,
  frameBufferProblem,
  type CameraFrameMessage,
  type MatteMessage,
  type MatteMissingMessage,
  type OutputFrameMessage,
  type ToRendererMessage,
} from '../../shared/frame-protocol.js'
import type { MattingEngine } from './index.js'
import type { FrameSink } from './ports.js'
import type { MatteResult } from './types.js'

/** The least a MessagePort (Electron's MessagePortMain, a WebSocket bridge in tests) must offer. */
export interface FrameLinkPort {
  postMessage(message: ToRendererMessage, transfer?: ArrayBuffer[]): void
  onMessage(listener: (message: unknown) => void): void
  close(): void
}

export type FrameLinkEngine = Pick<MattingEngine, 'submit' | 'onResult'>

export interface FrameLinkStats {
  /** Camera frames received per second (last window). */
  inputFps: number
  /** Mattes sent back per second. */
  matteFps: number
  /** Fresh (non-fallback) output frames per second. */
  outputFps: number
  /** Mean inference time (session.run) of the mattes in the window, ms. */
  inferenceMs: number | null
  /** Mean engine round trip (submit → result), ms. */
  roundTripMs: number | null
  /** Camera capture → output frame received here (just before the sink), mean and p95, ms. */
  endToEndMs: number | null
  endToEndP95Ms: number | null
  /** Totals since the link opened. */
  framesReceived: number
  mattesSent: number
  framesDropped: number
  framesFailed: number
  framesRejected: number
  outputsWritten: number
  outputsFallback: number
  outputsRejected: number
  /** The last problem with a message from the renderer, for logs and the status line. */
  lastRejection: string | null
}

export interface FrameLinkOptions {
  port: FrameLinkPort
  engine: FrameLinkEngine
  sink?: FrameSink | null
  onStats?: (stats: FrameLinkStats) => void
  statsIntervalMs?: number
  /** Called with every rejected message, for the app's log ("refused …: …"). */
  onRejected?: (reason: string) => void
}

export interface FrameLink {
  stats(): FrameLinkStats
  /** Swap the sink (virtual camera started/stopped); null = outputs are counted, not written. */
  setSink(sink: FrameSink | null): void
  /** Idempotent; closes the port, never the engine or the sink (their owners do). */
  close(): void
}

/**
 * Wall-clock microseconds with sub-millisecond resolution. The renderer stamps captureTimeUs
 * with the same clock (performance.timeOrigin + performance.now()), so the two processes agree.
 */
export function epochMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000)
}

interface WindowSample {
  atMs: number
  kind: 'in' | 'matte' | 'out'
  inferenceMs?: number
  roundTripMs?: number
  endToEndMs?: number
}

const WINDOW_MS = 2000

export function createFrameLink(options: FrameLinkOptions): FrameLink {
  const { port, engine } = options
  let sink = options.sink ?? null
  let isClosed = false
  const samples: WindowSample[] = []
  const totals = {
    framesReceived: 0,
    mattesSent: 0,
    framesDropped: 0,
    framesFailed: 0,
    framesRejected: 0,
    outputsWritten: 0,
    outputsFallback: 0,
    outputsRejected: 0,
  }
  let lastRejection: string | null = null

  const post = (message: ToRendererMessage, transfer?: ArrayBuffer[]): void => {
    if (isClosed) return
    try {
      port.postMessage(message, transfer)
    } catch (e) {
      // a closed port (window gone) must not take the engine's result listener down with it
      lastRejection = `could not post ${message.type} for frame ${message.seq}: ${(e as Error).message}`
    }
  }

  const reject = (what: string, why: string, seq: number | null): void => {
    const reason = `refused ${what}: ${why}`
    lastRejection = reason
    options.onRejected?.(reason)
    if (seq !== null) post({ type: 'matte-missing', seq, reason: 'failed', message: new PortsegError('FRAME_INVALID', reason).message })
  }

  const onResult = (result: MatteResult): void => {
    if (result.status === 'ok') {
      const m = result.matte
      const alpha = ownBuffer(m.alpha)
      const message: MatteMessage = {
        type: 'matte',
        seq: m.seq,
        width: m.width,
        height: m.height,
        captureTimeUs: m.captureTimeUs,
        alpha,
        timings: m.timings,
        ...(m.stateReset ? { stateReset: m.stateReset } : {}),
      }
      const transfer = [alpha]
      if (m.foreground) {
        message.foreground = ownBuffer(m.foreground)
        transfer.push(message.foreground)
      }
      totals.mattesSent++
      samples.push({ atMs: performance.now(), kind: 'matte', inferenceMs: m.timings.inferenceMs, roundTripMs: m.timings.roundTripMs })
      post(message, transfer)
      return
    }
    const missing: MatteMissingMessage =
      result.status === 'dropped'
        ? { type: 'matte-missing', seq: result.seq, reason: result.reason }
        : { type: 'matte-missing', seq: result.seq, reason: 'failed', message: `${result.error.code}: ${result.error.message}` }
    if (result.status === 'dropped') totals.framesDropped++
    else totals.framesFailed++
    post(missing)
  }
  const unsubscribe = engine.onResult(onResult)

  const onFrame = (m: CameraFrameMessage): void => {
    const problem = frameBufferProblem(m, 4)
    if (problem) {
      totals.framesRejected++
      reject(`camera frame ${m.seq}`, problem, m.seq)
      return
    }
    totals.framesReceived++
    samples.push({ atMs: performance.now(), kind: 'in' })
    engine.submit({
      seq: m.seq,
      captureTimeUs: m.captureTimeUs,
      width: m.width,
      height: m.height,
      format: 'RGBA',
      data: new Uint8Array(m.data),
      ...(m.sourceId !== undefined ? { sourceId: m.sourceId } : {}),
    })
  }

  const onOutput = (m: OutputFrameMessage): void => {
    const problem = frameBufferProblem(m, 4)
    if (problem) {
      totals.outputsRejected++
      reject(`output frame ${m.seq}`, problem, null)
      return
    }
    const endToEndMs = (epochMicros() - m.captureTimeUs) / 1000
    if (m.isFallback) totals.outputsFallback++
    else samples.push({ atMs: performance.now(), kind: 'out', endToEndMs })
    if (!sink) return
    if (sink.width !== m.width || sink.height !== m.height) {
      totals.outputsRejected++
      reject(`output frame ${m.seq}`, `it is ${m.width}x${m.height} but the virtual camera expects ${sink.width}x${sink.height}`, null)
      return
    }
    try {
      sink.write({ width: m.width, height: m.height, data: new Uint8Array(m.data) })
      totals.outputsWritten++
    } catch (e) {
      totals.outputsRejected++
      reject(`output frame ${m.seq}`, `the virtual camera failed to take it (${(e as Error).message})`, null)
    }
  }

  port.onMessage((raw) => {
    if (isClosed) return
    const parsed = ToMainMessage.safeParse(raw)
    if (!parsed.success) {
      totals.framesRejected++
      const seq = seqOf(raw)
      const issue = parsed.error.issues[0]
      reject(`message${seq === null ? '' : ` for frame ${seq}`}`, `${issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'it does not match the frame protocol'}`, isFrameLike(raw) ? seq : null)
      return
    }
    if (parsed.data.type === 'frame') onFrame(parsed.data)
    else onOutput(parsed.data)
  })

  const stats = (): FrameLinkStats => {
    const nowMs = performance.now()
    while (samples.length > 0 && nowMs - samples[0]!.atMs > WINDOW_MS) samples.shift()
    const spanS = WINDOW_MS / 1000
    const of = (k: WindowSample['kind']): WindowSample[] => samples.filter((s) => s.kind === k)
    const mattes = of('matte')
    const outs = of('out')
    const e2e = outs.map((s) => s.endToEndMs!).sort((a, b) => a - b)
    return {
      inputFps: round1(of('in').length / spanS),
      matteFps: round1(mattes.length / spanS),
      outputFps: round1(outs.length / spanS),
      inferenceMs: mean(mattes.map((s) => s.inferenceMs!)),
      roundTripMs: mean(mattes.flatMap((s) => (s.roundTripMs === undefined ? [] : [s.roundTripMs]))),
      endToEndMs: mean(e2e),
      endToEndP95Ms: e2e.length === 0 ? null : round1(e2e[Math.min(e2e.length - 1, Math.floor(e2e.length * 0.95))]!),
      ...totals,
      lastRejection,
    }
  }

  const timer = options.onStats ? setInterval(() => options.onStats!(stats()), options.statsIntervalMs ?? 1000) : null
  timer?.unref?.()

  return {
    stats,
    setSink(next) {
      sink = next
    },
    close() {
      if (isClosed) return
      isClosed = true
      if (timer) clearInterval(timer)
      unsubscribe()
      port.close()
    },
  }
}

/** A buffer that can be transferred without detaching someone else's larger one. */
function ownBuffer(view: Uint8Array): ArrayBuffer {
  if (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength && view.buffer instanceof ArrayBuffer) return view.buffer
  return view.slice().buffer as ArrayBuffer
}

function seqOf(raw: unknown): number | null {
  if (typeof raw !== 'object' || raw === null) return null
  const seq = (raw as { seq?: unknown }).seq
  return typeof seq === 'number' && Number.isInteger(seq) && seq >= 0 ? seq : null
}

function isFrameLike(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as { type?: unknown }).type === 'frame'
}

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : round1(xs.reduce((a, b) => a + b, 0) / xs.length)
}

function round1(x: number): number {
  return Math.round(x * 10) / 10
}
