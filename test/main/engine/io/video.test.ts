import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openInput, probeVideo, readVideo } from '../../../../src/main/engine/io/index.js'
import { sharedFile } from '../../../support/paths.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'portseg-video-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function hasFfmpeg(): boolean {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' })
    execFileSync('ffprobe', ['-version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
const FFMPEG = hasFfmpeg()

describe.skipIf(!FFMPEG)('readVideo with ffmpeg', () => {
  it('probes size, frame rate and frame count', async () => {
    expect(await probeVideo(sharedFile('media', 'video', 's18.mp4'))).toEqual({ width: 1280, height: 720, fps: 30, frameCount: 282 })
    // portrait-orientation clip
    expect(await probeVideo(sharedFile('media', 'video', 'd13.mp4'))).toMatchObject({ width: 720, height: 1280 })
  })

  it('streams frames in order with timestamps, and stops early when asked', async () => {
    const frames = []
    for await (const f of readVideo(sharedFile('media', 'video', 's18.mp4'), { maxFrames: 5, format: 'RGBA', firstSeq: 10 })) frames.push(f)
    expect(frames.map((f) => f.seq)).toEqual([10, 11, 12, 13, 14])
    expect(frames[4]!.captureTimeUs).toBe(Math.round((4 * 1e6) / 30))
    expect(frames[0]!.data.length).toBe(1280 * 720 * 4)
    expect(frames[0]!.data[3]).toBe(255)
    let n = 0
    for await (const _f of readVideo(sharedFile('media', 'video', 'd9.mp4'))) if (++n === 3) break
    expect(n).toBe(3)
  })

  it('a damaged video is INPUT_CORRUPT', async () => {
    const f = path.join(tmp, 'broken.mp4')
    writeFileSync(f, Buffer.alloc(5000, 7))
    await expect(probeVideo(f)).rejects.toMatchObject({ code: 'INPUT_CORRUPT', message: expect.stringContaining('no readable video stream') })
  })

  it('openInput picks the video path for .mp4', async () => {
    const input = await openInput(sharedFile('media', 'video', 'd0.mp4'), { maxFrames: 2 })
    expect(input).toMatchObject({ kind: 'video', frameCount: 2, fps: 25 })
  })
})

describe('without ffmpeg', () => {
  it('FFMPEG_MISSING names what to install', async () => {
    const gen = readVideo(sharedFile('media', 'video', 's18.mp4'), { ffprobe: path.join(tmp, 'no-ffprobe') })
    try {
      await gen.next()
      expect.unreachable()
    } catch (e) {
      expect(e).toMatchObject({ code: 'FFMPEG_MISSING', message: expect.stringContaining('ffprobe was not found on PATH') })
      expect((e as { hints: string[] }).hints.join('\n')).toMatch(/apt install ffmpeg[\s\S]*brew install ffmpeg/)
    }
  })
})
