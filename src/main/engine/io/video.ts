/**
 * Video files decoded by ffmpeg (when it is on PATH): ffprobe for size and frame rate, then
 * `ffmpeg … -f rawvideo -pix_fmt rgb24|rgba -` streamed one frame at a time (constant memory).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { PortsegError } from '../../../shared/errors.js'
import type { Frame, PixelFormat } from '../types.js'
import { notFound } from './errors.js'

export const VIDEO_EXTENSIONS = ['.mp4', '.m4v', '.mov', '.mkv', '.webm', '.avi', '.mpg', '.mpeg', '.ts', '.264', '.h264', '.265', '.hevc', '.gif', '.ogv', '.flv', '.wmv'] as const

export interface VideoInfo {
  width: number
  height: number
  fps: number
  /** From the container when it says; null when unknown. */
  frameCount: number | null
}

export interface ReadVideoOptions {
  format?: PixelFormat
  firstSeq?: number
  maxFrames?: number
  sourceId?: string
  /** ffmpeg/ffprobe executables (default: from PATH, or PORTSEG_FFMPEG / PORTSEG_FFPROBE). */
  ffmpeg?: string
  ffprobe?: string
}

function ffmpegMissing(tool: string, e: unknown): PortsegError {
  return new PortsegError('FFMPEG_MISSING', `Cannot decode video: ${tool} was not found on PATH (it decodes formats other than images and .y4m)`, {
    cause: e,
    hints: [
      'Debian/Ubuntu: sudo apt install ffmpeg',
      'macOS: brew install ffmpeg',
      'Windows: winget install Gyan.FFmpeg (then open a new terminal)',
      'Or convert the video first: ffmpeg -i in.mp4 -pix_fmt yuv420p -f yuv4mpegpipe in.y4m',
    ],
  })
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

function parseRate(r: unknown): number {
  if (typeof r !== 'string') return 0
  const [n, d] = r.split('/').map(Number)
  return n !== undefined && d !== undefined && n > 0 && d > 0 ? n / d : 0
}

/** Size (after the rotation ffmpeg applies), frame rate and frame count of the first video stream. */
export async function probeVideo(file: string, options: Pick<ReadVideoOptions, 'ffprobe'> = {}): Promise<VideoInfo> {
  try {
    await stat(file)
  } catch (e) {
    throw notFound(file, e)
  }
  const ffprobe = options.ffprobe ?? process.env.PORTSEG_FFPROBE ?? 'ffprobe'
  let res
  try {
    res = await run(ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,r_frame_rate,avg_frame_rate,nb_frames:stream_side_data=rotation', '-of', 'json', file])
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw ffmpegMissing('ffprobe', e)
    throw e
  }
  interface ProbeStream {
    width?: number
    height?: number
    r_frame_rate?: string
    avg_frame_rate?: string
    nb_frames?: string
    side_data_list?: { rotation?: number }[]
  }
  let stream: ProbeStream | undefined
  try {
    stream = (JSON.parse(res.stdout) as { streams?: ProbeStream[] }).streams?.[0]
  } catch {
    stream = undefined
  }
  if (res.code !== 0 || stream === undefined || !(Number(stream.width) > 0) || !(Number(stream.height) > 0)) {
    const why = res.stderr.trim().split('\n').pop() ?? 'no video stream'
    throw new PortsegError('INPUT_CORRUPT', `Cannot decode ${file}: ffprobe found no readable video stream (${why || 'no video stream'})`, {
      hints: ['Check that the file is a complete video; try playing it, or re-encode it with ffmpeg.'],
    })
  }
  let width = Number(stream.width)
  let height = Number(stream.height)
  const rotation = Math.abs(Number(stream.side_data_list?.find((s) => s.rotation !== undefined)?.rotation ?? 0)) % 180
  if (rotation === 90) [width, height] = [height, width]
  const fps = parseRate(stream.avg_frame_rate) || parseRate(stream.r_frame_rate) || 30
  const nb = Number(stream.nb_frames)
  return { width, height, fps, frameCount: Number.isInteger(nb) && nb > 0 ? nb : null }
}

/** Decodes a video to Frames in order. Stops (and kills ffmpeg) when the consumer stops early. */
export async function* readVideo(file: string, options: ReadVideoOptions = {}): AsyncGenerator<Frame, void, undefined> {
  const info = await probeVideo(file, options)
  const format = options.format ?? 'RGB'
  const bpp = format === 'RGBA' ? 4 : 3
  const frameBytes = info.width * info.height * bpp
  const ffmpeg = options.ffmpeg ?? process.env.PORTSEG_FFMPEG ?? 'ffmpeg'
  const args = ['-v', 'error', '-nostdin', '-i', file, '-map', '0:v:0', '-an', '-sn', '-vsync', 'passthrough']
  if (options.maxFrames !== undefined) args.push('-frames:v', String(options.maxFrames))
  args.push('-f', 'rawvideo', '-pix_fmt', format === 'RGBA' ? 'rgba' : 'rgb24', '-')
  const child: ChildProcessWithoutNullStreams = spawn(ffmpeg, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let spawnError: unknown = null
  child.on('error', (e) => (spawnError = e))
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  const firstSeq = options.firstSeq ?? 0
  let i = 0
  let buf = new Uint8Array(frameBytes)
  let fill = 0
  let finished = false
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let off = 0
      while (off < chunk.length) {
        const n = Math.min(frameBytes - fill, chunk.length - off)
        buf.set(chunk.subarray(off, off + n), fill)
        fill += n
        off += n
        if (fill === frameBytes) {
          const frame: Frame = {
            seq: firstSeq + i,
            captureTimeUs: Math.round((i * 1e6) / info.fps),
            width: info.width,
            height: info.height,
            format,
            data: buf,
          }
          if (options.sourceId !== undefined) frame.sourceId = options.sourceId
          i++
          buf = new Uint8Array(frameBytes)
          fill = 0
          yield frame
        }
      }
    }
    const code = await exited
    if (spawnError !== null) {
      if ((spawnError as NodeJS.ErrnoException).code === 'ENOENT') throw ffmpegMissing('ffmpeg', spawnError)
      throw spawnError
    }
    if (code !== 0) {
      throw new PortsegError('INPUT_CORRUPT', `Cannot decode ${file}: ffmpeg stopped with exit code ${String(code)} after ${i} frames (${stderr.trim().split('\n').pop() ?? ''})`, {
        hints: ['Check that the file is a complete video; re-encode it with ffmpeg if it plays elsewhere.'],
      })
    }
    if (fill !== 0) {
      throw new PortsegError('INPUT_CORRUPT', `Cannot decode ${file}: the last frame was cut short (${fill} of ${frameBytes} bytes)`)
    }
    finished = true
  } finally {
    if (!finished && child.exitCode === null) child.kill('SIGKILL')
  }
}
