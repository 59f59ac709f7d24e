import type { Command } from 'commander'
import { performance } from 'node:perf_hooks'
import { ErrorCodes, PortsegError, badArgument, type ErrorCode } from '../../../shared/errors.js'
// y4m.js directly: io/index.js also exports the image reader, which loads sharp (slow to start)
import { readY4m, readY4mHeader } from '../../engine/io/y4m.js'
import {
  convertRgba,
  diagnose,
  drawTestPattern,
  formatDiagnosis,
  frameBytes,
  isVcamError,
  listDevices,
  openVirtualCamera,
  persistentConfig,
  runFix,
  VCAM_COLOR_SPACES,
  VCAM_FORMATS,
  type VcamColorSpace,
  type VcamFormat,
  type VirtualCamera,
} from '../../../../native/vcam/lib/index.js'

interface VcamOptions {
  status?: boolean
  list?: boolean
  setup?: boolean
  persistent?: boolean
  pattern?: boolean
  input?: string
  loop?: boolean
  bench?: boolean
  frames?: string
  size?: string
  fps?: string
  seconds?: string
  stallAfter?: string
  switchSize?: string
  device?: string
  label: string
  format: string
  colorSpace: string
  json?: boolean
}

const WHERE = 'portseg vcam'

/** VcamError (native/vcam is a leaf with its own class) → PortsegError, same code and hints. */
function toPortsegError(e: unknown): unknown {
  if (!isVcamError(e)) return e
  const code = (ErrorCodes as readonly string[]).includes(e.code) ? (e.code as ErrorCode) : 'VCAM_IO'
  return new PortsegError(code, e.message, { hints: e.hints, cause: e })
}

function parseSize(text: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/.exec(text)
  if (!m) throw badArgument(WHERE, '--size', 'WIDTHxHEIGHT, e.g. 1280x720', text)
  return { width: Number(m[1]), height: Number(m[2]) }
}

/** --switch-size N:WxH */
function parseSwitch(text: string): { atFrame: number; width: number; height: number } {
  const m = /^(\d+):(\d+x\d+)$/.exec(text)
  if (!m) throw badArgument(WHERE, '--switch-size', 'FRAME:WIDTHxHEIGHT, e.g. 150:320x240', text)
  return { atFrame: Number(m[1]), ...parseSize(m[2]!) }
}

function parsePositive(name: string, text: string | undefined, fallback: number, isInteger = true): number {
  if (text === undefined) return fallback
  const n = Number(text)
  if (!Number.isFinite(n) || n <= 0 || (isInteger && !Number.isInteger(n))) throw badArgument(WHERE, name, isInteger ? 'a positive integer' : 'a positive number', text)
  return n
}

function parseFormat(text: string): VcamFormat {
  const f = text.toUpperCase()
  if (!(VCAM_FORMATS as readonly string[]).includes(f)) throw badArgument(WHERE, '--format', VCAM_FORMATS.join(' | '), text)
  return f as VcamFormat
}

function parseColorSpace(text: string): VcamColorSpace {
  const c = text.toLowerCase()
  if (!(VCAM_COLOR_SPACES as readonly string[]).includes(c)) throw badArgument(WHERE, '--color-space', VCAM_COLOR_SPACES.join(' | '), text)
  return c as VcamColorSpace
}

function emit(json: boolean | undefined, event: Record<string, unknown>, text: string): void {
  if (json) process.stdout.write(`${JSON.stringify(event)}\n`)
  else process.stderr.write(`${text}\n`)
}

/** Like emit(), but resolves once the line is handed to the OS (stdout to a pipe is asynchronous on POSIX). */
function emitFlushed(json: boolean | undefined, event: Record<string, unknown>, text: string): Promise<void> {
  const stream = json ? process.stdout : process.stderr
  return new Promise((resolve) => {
    // an error (EPIPE: the reader left) is handled by the stream's own listeners; do not hang on it
    stream.write(`${json ? JSON.stringify(event) : text}\n`, () => resolve())
  })
}

/**
 * The "first-frame" event: the first frame from the input (not the placeholder) is on the device,
 * its write() has returned. Scripts start their consumer on it. `monotonicUs` is CLOCK_MONOTONIC
 * (the clock v4l2loopback stamps buffers with) just after that write: every buffer stamped later
 * carries the input, never the placeholder.
 */
function firstFrameEvent(camera: VirtualCamera, source: 'clip' | 'pattern', seq: number, startedMs: number): { event: Record<string, unknown>; text: string } {
  const monotonicUs = Number(process.hrtime.bigint() / 1000n)
  const { width, height } = camera.deviceSize
  const ms = Math.round(performance.now() - startedMs)
  const deviceWrites = camera.stats().framesWritten
  return {
    event: { event: 'first-frame', seq, source, width, height, format: camera.format, device: camera.devicePath, deviceWrites, ms, monotonicUs },
    text: `portseg vcam: first ${source} frame written to ${camera.devicePath} after ${ms} ms (the placeholder is no longer shown)`,
  }
}

/** Resolves on SIGINT/SIGTERM or after `seconds`; the camera is closed by the caller either way. */
function stopSignal(seconds: number | undefined): { promise: Promise<string>; dispose: () => void } {
  let resolveStop: (why: string) => void = () => undefined
  const promise = new Promise<string>((resolve) => (resolveStop = resolve))
  const onSignal = (sig: NodeJS.Signals): void => resolveStop(sig)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const timer = seconds === undefined ? undefined : setTimeout(() => resolveStop('time'), seconds * 1000)
  return {
    promise,
    dispose: () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      if (timer) clearTimeout(timer)
    },
  }
}

function openCamera(o: VcamOptions, width: number, height: number, fps: number): VirtualCamera {
  try {
    return openVirtualCamera({
      width,
      height,
      fps,
      format: parseFormat(o.format),
      colorSpace: parseColorSpace(o.colorSpace),
      label: o.label,
      ...(o.device !== undefined ? { device: o.device } : {}),
    })
  } catch (e) {
    throw toPortsegError(e)
  }
}

function summary(camera: VirtualCamera, startedMs: number, why: string): Record<string, unknown> {
  return { event: 'stopped', why, seconds: Number(((performance.now() - startedMs) / 1000).toFixed(2)), ...camera.stats() }
}

/** --pattern: a moving test pattern whose top band encodes the frame counter (see native/vcam/lib/test-pattern.ts). */
async function sendPattern(o: VcamOptions): Promise<void> {
  const { width, height } = parseSize(o.size ?? '1280x720')
  const fps = parsePositive('--fps', o.fps, 30)
  const seconds = o.seconds === undefined ? undefined : parsePositive('--seconds', o.seconds, 0, false)
  const stallAfter = o.stallAfter === undefined ? undefined : parsePositive('--stall-after', o.stallAfter, 0)
  const switchSize = o.switchSize === undefined ? undefined : parseSwitch(o.switchSize)
  const camera = openCamera(o, width, height, fps)
  const stop = stopSignal(seconds)
  const started = performance.now()
  emit(o.json, { event: 'started', device: camera.devicePath, label: camera.label, width, height, fps, format: camera.format, colorSpace: camera.colorSpace, isStreamOn: camera.stats().isStreamOn, isFpsSet: camera.stats().isFpsSet, isRingTrimmed: camera.stats().isRingTrimmed },
    `portseg vcam: sending a test pattern to ${camera.devicePath} ("${camera.label}") ${width}x${height} ${camera.format} @ ${fps} fps${seconds ? ` for ${seconds} s` : '; Ctrl+C stops'}`)
  let size = { width, height }
  let buffer = new Uint8Array(width * height * 4)
  let counter = 0
  let isFirstFrameAnnounced = false
  let timer: NodeJS.Timeout | undefined
  let failure: unknown
  const periodMs = 1000 / fps
  // converts on a worker thread (writeAsync), as the app does, so the clock here stays steady
  const tick = async (): Promise<void> => {
    if (stallAfter !== undefined && counter >= stallAfter) {
      emit(o.json, { event: 'stalled', frames: counter }, `portseg vcam: stalled after ${counter} frames on purpose; the pacer keeps repeating the last one`)
      return
    }
    if (switchSize && counter === switchSize.atFrame) {
      size = { width: switchSize.width, height: switchSize.height }
      buffer = new Uint8Array(size.width * size.height * 4)
    }
    try {
      await camera.writeAsync(drawTestPattern(size.width, size.height, counter, buffer))
    } catch (e) {
      failure = e
      timerDone()
      return
    }
    if (!camera.isOpen) return
    // writeAsync returns without writing when the camera closed meanwhile: announce only a real write
    if (!isFirstFrameAnnounced && camera.stats().framesSubmitted > 0) {
      isFirstFrameAnnounced = true
      const first = firstFrameEvent(camera, 'pattern', counter + 1, started)
      await emitFlushed(o.json, first.event, first.text)
      if (!camera.isOpen) return
    }
    counter++
    const due = started + counter * periodMs
    timer = setTimeout(() => void tick(), Math.max(0, due - performance.now()))
  }
  let timerDone: () => void = () => undefined
  const failed = new Promise<string>((resolve) => (timerDone = () => resolve('error')))
  void tick()
  const why = await Promise.race([stop.promise, failed])
  stop.dispose()
  if (timer) clearTimeout(timer)
  const end = summary(camera, started, why)
  camera.close()
  if (failure !== undefined) throw toPortsegError(failure)
  emit(o.json, { ...end, patternFrames: counter }, `portseg vcam: stopped (${why}): ${counter} pattern frames, ${String(end.framesWritten)} device writes (${String(end.framesRepeated)} repeats) in ${String(end.seconds)} s`)
}

/** --input clip.y4m: sends a clip at its own frame rate (or --fps), looping with --loop. */
async function sendClip(o: VcamOptions, file: string): Promise<void> {
  const header = await readY4mHeader(file)
  const fps = parsePositive('--fps', o.fps, Math.max(1, Math.round(header.fps)))
  const seconds = o.seconds === undefined ? undefined : parsePositive('--seconds', o.seconds, 0, false)
  const size = o.size ? parseSize(o.size) : { width: header.width - (header.width % 2), height: header.height - (header.height % 2) }
  const camera = openCamera(o, size.width, size.height, fps)
  const stop = stopSignal(seconds)
  let why: string | undefined
  void stop.promise.then((w) => (why = w))
  const started = performance.now()
  emit(o.json, { event: 'started', device: camera.devicePath, label: camera.label, width: size.width, height: size.height, fps, format: camera.format, input: file },
    `portseg vcam: sending ${file} to ${camera.devicePath} ("${camera.label}") ${size.width}x${size.height} ${camera.format} @ ${fps} fps${o.loop ? ', looping' : ''}`)
  let sent = 0
  const periodMs = 1000 / fps
  try {
    do {
      for await (const frame of readY4m(file, { format: 'RGBA' })) {
        if (why) break
        camera.write(frame)
        sent++
        if (sent === 1) {
          const first = firstFrameEvent(camera, 'clip', 1, started)
          await emitFlushed(o.json, first.event, first.text)
        }
        const waitMs = started + sent * periodMs - performance.now()
        if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs))
      }
    } while (o.loop && !why)
  } catch (e) {
    stop.dispose()
    camera.close()
    throw toPortsegError(e)
  }
  stop.dispose()
  const end = summary(camera, started, why ?? 'end of clip')
  camera.close()
  emit(o.json, { ...end, clipFrames: sent }, `portseg vcam: stopped (${String(end.why)}): ${sent} clip frames, ${String(end.framesWritten)} device writes in ${String(end.seconds)} s`)
}

/** --bench: conversion (C++) and conversion + device write, per frame, at 720p and 1080p. */
async function bench(o: VcamOptions): Promise<void> {
  const frames = parsePositive('--frames', o.frames, 200)
  const colorSpace = parseColorSpace(o.colorSpace)
  const sizes = o.size ? [parseSize(o.size)] : [{ width: 1280, height: 720 }, { width: 1920, height: 1080 }]
  const formats: VcamFormat[] = o.format && o.format !== 'YUYV' ? [parseFormat(o.format)] : [...VCAM_FORMATS]
  const ready = diagnose(o.label).isReady
  const rows: Record<string, unknown>[] = []
  for (const { width, height } of sizes) {
    // two different frames so nothing is cached between iterations
    const inputs = [drawTestPattern(width, height, 1), drawTestPattern(width, height, 2)]
    for (const format of formats) {
      const out = new Uint8Array(frameBytes(format, width, height))
      for (let i = 0; i < 10; i++) convertRgba(inputs[i % 2]!, format, colorSpace, out)
      const times: number[] = []
      for (let i = 0; i < frames; i++) {
        const t = performance.now()
        convertRgba(inputs[i % 2]!, format, colorSpace, out)
        times.push(performance.now() - t)
      }
      const row: Record<string, unknown> = { size: `${width}x${height}`, format, colorSpace, frames, ...stats(times, 'convert') }
      if (ready) {
        let camera: VirtualCamera | undefined
        try {
          camera = openVirtualCamera({ width, height, fps: 30, format, colorSpace, label: o.label, isPaced: false, ...(o.device ? { device: o.device } : {}) })
          const wt: number[] = []
          for (let i = 0; i < frames; i++) {
            const t = performance.now()
            camera.write(inputs[i % 2]!)
            wt.push(performance.now() - t)
          }
          Object.assign(row, stats(wt, 'convertWrite'), { device: camera.devicePath })
        } catch (e) {
          row.writeSkipped = e instanceof Error ? e.message : String(e)
        } finally {
          camera?.close()
        }
      } else {
        row.writeSkipped = 'no usable virtual camera here (see portseg vcam --status)'
      }
      rows.push(row)
    }
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ event: 'bench', rows })}\n`)
    return
  }
  process.stdout.write(`portseg vcam --bench: ms per frame (mean / p95 / min), ${frames} frames, ${colorSpace}\n`)
  for (const r of rows) {
    const write = r.convertWriteMeanMs !== undefined ? `convert+write ${String(r.convertWriteMeanMs)} / ${String(r.convertWriteP95Ms)} / ${String(r.convertWriteMinMs)} ms` : `write skipped: ${String(r.writeSkipped)}`
    process.stdout.write(`  ${String(r.size).padEnd(10)} ${String(r.format).padEnd(5)} convert ${String(r.convertMeanMs)} / ${String(r.convertP95Ms)} / ${String(r.convertMinMs)} ms   ${write}\n`)
  }
}

function stats(times: number[], prefix: string): Record<string, number> {
  const sorted = [...times].sort((a, b) => a - b)
  const mean = times.reduce((a, b) => a + b, 0) / times.length
  const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0
  return { [`${prefix}MeanMs`]: Number(mean.toFixed(3)), [`${prefix}P95Ms`]: Number(p95.toFixed(3)), [`${prefix}MinMs`]: Number((sorted[0] ?? 0).toFixed(3)) }
}

export function registerVcam(program: Command): void {
  program
    .command('vcam')
    .description('The virtual camera ("PortSeg Camera"): setup diagnosis, a test pattern, a clip, a benchmark.')
    .option('--status', 'print the setup diagnosis (module, device, permissions) and the fix')
    .option('--list', 'list video devices')
    .option('--setup', 'load v4l2loopback with our options through pkexec (asks for a password)')
    .option('--persistent', 'with --setup: also load it at every boot (/etc/modprobe.d, /etc/modules-load.d)')
    .option('--pattern', 'send a moving test pattern that encodes a frame counter')
    .option('--input <clip.y4m>', 'send a YUV4MPEG2 clip')
    .option('--loop', 'with --input: loop the clip')
    .option('--bench', 'measure conversion (and device write, when a device is usable) at 1280x720 and 1920x1080')
    .option('--frames <n>', 'with --bench: frames per measurement (default 200)')
    .option('--size <WxH>', 'frame size (default 1280x720; the clip size with --input)')
    .option('--fps <n>', 'frame rate (default 30; the clip rate with --input)')
    .option('--seconds <n>', 'stop after this many seconds (default: until Ctrl+C)')
    .option('--stall-after <n>', 'with --pattern: stop feeding after n frames but keep the device open (the camera repeats the last frame)')
    .option('--switch-size <n:WxH>', 'with --pattern: switch to another frame size after n frames (the camera reopens, or letterboxes while an app holds the old size)')
    .option('--device <path>', 'output device, e.g. /dev/video10 (default: the one labelled --label)')
    .option('--label <name>', 'card label of the device to use', 'PortSeg Camera')
    .option('--format <fourcc>', `pixel format: ${VCAM_FORMATS.join(' | ')}`, 'YUYV')
    .option('--color-space <cs>', `${VCAM_COLOR_SPACES.join(' | ')}`, 'bt601')
    .option('--json', 'machine-readable output: one JSON object per line (with --pattern/--input, events "started", "first-frame", "stalled", "stopped")')
    .addHelpText(
      'after',
      `
Examples:
  portseg vcam --status
  portseg vcam --pattern --size 1280x720 --fps 30 --seconds 60
  portseg vcam --input ../shared/media/clip.y4m --loop
  portseg vcam --bench

With --pattern or --input, "first-frame" says that the first frame from the input (not the dark
placeholder) has been written to the device: start a consumer after it. With --json it is one
line on stdout, flushed at once:
  {"event":"first-frame","seq":1,"source":"clip","width":640,"height":360,"format":"YUYV",
   "device":"/dev/video10","deviceWrites":3,"ms":412,"monotonicUs":5123456789}
deviceWrites counts this write and the placeholder writes before it; monotonicUs is
CLOCK_MONOTONIC just after the write, the clock of V4L2 buffer timestamps (buffers stamped
later never show the placeholder). Without --json a line on stderr says the same.`,
    )
    .action(async (o: VcamOptions) => {
      const modes = [o.status, o.list, o.setup, o.pattern, o.input !== undefined, o.bench].filter(Boolean).length
      if (modes !== 1) throw badArgument(WHERE, 'mode', 'exactly one of --status, --list, --setup, --pattern, --input, --bench', modes === 0 ? 'none' : 'several')
      if (o.status) {
        const d = diagnose(o.label)
        if (o.json) process.stdout.write(`${JSON.stringify({ ...d, persistentConfig: persistentConfig(o.label) })}\n`)
        else process.stdout.write(`${formatDiagnosis(d, o.label)}\n`)
        if (!d.isReady) process.exitCode = 1
        return
      }
      try {
        if (o.list) {
          const devices = listDevices()
          if (o.json) process.stdout.write(`${JSON.stringify(devices)}\n`)
          else for (const d of devices) process.stdout.write(`${d.path}\t"${d.label}"\t${d.driver}${d.isCapturing ? '\tstreaming' : d.acceptsOutput ? '\tidle' : ''}\n`)
          return
        }
        if (o.setup) {
          await runFix({ label: o.label, isPersistent: o.persistent === true })
          process.stdout.write(`v4l2loopback loaded${o.persistent ? ' (and configured to load at boot)' : ''}.\n${formatDiagnosis(diagnose(o.label), o.label)}\n`)
          return
        }
        if (o.bench) return await bench(o)
        if (o.pattern) return await sendPattern(o)
        if (o.input !== undefined) return await sendClip(o, o.input)
      } catch (e) {
        throw toPortsegError(e)
      }
    })
}
