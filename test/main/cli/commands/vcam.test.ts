// `portseg vcam` as users run it (the bundled CLI). Streaming to a real device is covered in the
// vcam VM (test/e2e/vcam.test.ts); here: the parts that need no device, and the "first-frame"
// event against a stand-in for the kernel device (see FAKE_ADDON below).
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_PATH, ROOT } from '../../../support/paths.js'

function portseg(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI_PATH, 'vcam', ...args], { encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

// The addon with only the kernel replaced: PORTSEG_VCAM_ADDON (binding.ts) loads this instead of
// vcam.node. It lists one v4l2loopback "PortSeg Camera", accepts open(), and logs every device
// write() on fd 1 (synchronously, before returning) as {"fake":"write",...} with the first row's
// Y at pixels 0 and 63 and whether the frame is flat (the placeholder is flat grey). Conversion is
// the real addon's. FAKE_VCAM_FAIL_FRAME=1 makes the first non-flat write fail with EIO.
const FAKE_ADDON = `
const fs = require('node:fs')
const real = require(process.env.FAKE_VCAM_REAL_ADDON)
let writes = 0
let isFailed = false
module.exports = {
  platformSupported: true,
  listDevices: () => [{ path: '/dev/video10', card: 'PortSeg Camera', driver: 'v4l2 loopback', bus: 'platform:v4l2loopback-000', capabilities: 0x84200002, deviceCaps: 0x04200002, openErrno: 0 }],
  open: (p, width, height, fourcc) => ({ fd: 42, width, height, fourcc, bytesPerLine: width * 2, sizeImage: width * height * 2, deviceCaps: 0x04200002, fpsSet: true, streamOn: true, buffersTrimmed: true }),
  write: (fd, data) => {
    let flat = true
    for (let i = 2; i < data.length; i += 2) if (data[i] !== data[0]) { flat = false; break }
    if (!flat && process.env.FAKE_VCAM_FAIL_FRAME === '1' && !isFailed) {
      isFailed = true
      throw Object.assign(new Error('Input/output error'), { code: 'EIO', syscall: 'write' })
    }
    writes++
    fs.writeSync(1, JSON.stringify({ fake: 'write', n: writes, flat, y: [data[0], data[126]] }) + '\\n')
  },
  close: () => undefined,
  convert: real.convert,
  convertAsync: real.convertAsync,
  scaleFit: real.scaleFit,
}
`
const REAL_ADDON = path.join(ROOT, 'native', 'vcam', 'build', 'Release', 'vcam.node')

/** A 64x48 15 fps clip: frame k (1-based) has Y = 40 + 30k + (x mod 64), neutral chroma. */
function writeClip(file: string, frames: number): void {
  const w = 64
  const h = 48
  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${w} H${h} F15:1 Ip A1:1 C420jpeg\n`)]
  for (let k = 1; k <= frames; k++) {
    const y = Buffer.alloc(w * h)
    for (let i = 0; i < y.length; i++) y[i] = 40 + 30 * k + (i % w)
    parts.push(Buffer.from('FRAME\n'), y, Buffer.alloc((w / 2) * (h / 2) * 2, 128))
  }
  writeFileSync(file, Buffer.concat(parts))
}

type Line = Record<string, unknown>
function lines(text: string): Line[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line)
}

const HAS_MODULE = existsSync('/sys/module/v4l2loopback')

describe('portseg vcam', () => {
  it('--bench --json measures the conversion of every format', () => {
    const r = portseg('--bench', '--size', '320x240', '--frames', '5', '--json')
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as { rows: { size: string; format: string; convertMeanMs: number; writeSkipped?: string }[] }
    expect(out.rows.map((row) => row.format)).toEqual(['YUYV', 'NV12', 'I420'])
    for (const row of out.rows) {
      expect(row.size).toBe('320x240')
      expect(row.convertMeanMs).toBeGreaterThan(0)
    }
  })

  it.skipIf(HAS_MODULE)('--status says NOT ready, gives the modprobe line and exits 1 without the module', () => {
    const r = portseg('--status')
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('Virtual camera "PortSeg Camera": NOT ready')
    expect(r.stdout).toContain('pkexec modprobe v4l2loopback devices=1 exclusive_caps=1 max_buffers=8 card_label="PortSeg Camera"')
  })

  it.skipIf(HAS_MODULE)('--pattern without the module fails with the fix, exit 2', () => {
    const r = portseg('--pattern', '--seconds', '1')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('portseg: No "PortSeg Camera" virtual camera: the v4l2loopback kernel module is not loaded.')
  })

  it('rejects bad arguments with the usual message shape', () => {
    expect(portseg('--pattern', '--size', '1280by720').stderr).toContain('portseg vcam: --size must be WIDTHxHEIGHT, e.g. 1280x720 (got "1280by720")')
    expect(portseg('--pattern', '--format', 'MJPG').stderr).toContain('portseg vcam: --format must be YUYV | NV12 | I420 (got "MJPG")')
    expect(portseg('--pattern', '--fps', '0').stderr).toContain('portseg vcam: --fps must be a positive integer (got "0")')
    const none = portseg()
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('portseg vcam: mode must be exactly one of --status, --list, --setup, --pattern, --input, --bench (got "none")')
  })
})

describe('portseg vcam: the "first-frame" event', () => {
  let dir = ''
  let clip = ''
  let env: NodeJS.ProcessEnv = {}
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'portseg-vcam-'))
    clip = path.join(dir, 'clip.y4m')
    writeClip(clip, 3)
    writeFileSync(path.join(dir, 'fake-vcam.cjs'), FAKE_ADDON)
    env = { ...process.env, PORTSEG_VCAM_ADDON: path.join(dir, 'fake-vcam.cjs'), FAKE_VCAM_REAL_ADDON: REAL_ADDON }
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  /** Runs the CLI with stdout on a file, which it shares with the fake device's write log: one order. */
  function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): { code: number | null; out: Line[]; stderr: string } {
    const outFile = path.join(dir, 'stdout.jsonl')
    const fd = openSync(outFile, 'w')
    try {
      const r = spawnSync(process.execPath, [CLI_PATH, 'vcam', ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 60_000 })
      return { code: r.status, out: lines(readFileSync(outFile, 'utf8')), stderr: r.stderr }
    } finally {
      closeSync(fd)
    }
  }

  it('--input --json: printed once, right after the write() of the clip\'s first frame returned', () => {
    const r = run(['--input', clip, '--loop', '--seconds', '1', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const events = r.out.filter((l) => l.event === 'first-frame')
    expect(events).toHaveLength(1) // once, though --loop sends the clip again and again
    const at = r.out.indexOf(events[0]!)
    const before = r.out.slice(0, at).filter((l) => l.fake === 'write')
    // before it: the placeholder (flat grey, Y 50), then the clip's frame 1 as the last write
    expect(before.length).toBeGreaterThanOrEqual(2)
    for (const w of before.slice(0, -1)) expect(w).toMatchObject({ flat: true, y: [50, 50] })
    const frame1 = before.at(-1)!
    expect(frame1.flat).toBe(false)
    const [y0, y63] = frame1.y as number[]
    expect(Math.abs(y0! - 70)).toBeLessThanOrEqual(1)
    expect(Math.abs(y63! - 133)).toBeLessThanOrEqual(1)
    expect(events[0]).toMatchObject({ seq: 1, source: 'clip', width: 64, height: 48, format: 'YUYV', device: '/dev/video10', deviceWrites: before.length })
    expect(events[0]!.ms).toEqual(expect.any(Number))
    expect(events[0]!.monotonicUs).toEqual(expect.any(Number))
    // the order of a run: started, first-frame, stopped, and every clip frame is written
    expect(r.out.filter((l) => l.event).map((l) => l.event)).toEqual(['started', 'first-frame', 'stopped'])
    expect(r.out.at(-1)!.clipFrames).toBeGreaterThanOrEqual(3)
  })

  it('monotonicUs is the V4L2 buffer clock (CLOCK_MONOTONIC) just after that write', () => {
    const before = process.hrtime.bigint() / 1000n
    const r = run(['--input', clip, '--seconds', '0.5', '--json'])
    const after = process.hrtime.bigint() / 1000n
    expect(r.code, r.stderr).toBe(0)
    const t = BigInt(r.out.find((l) => l.event === 'first-frame')!.monotonicUs as number)
    expect(t > before && t < after).toBe(true)
  })

  it('is not printed when the first frame\'s write fails', () => {
    const r = run(['--input', clip, '--seconds', '1', '--json'], { FAKE_VCAM_FAIL_FRAME: '1' })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('portseg: Virtual camera /dev/video10: Input/output error.')
    expect(r.out.filter((l) => l.event === 'first-frame')).toEqual([])
  })

  it('--pattern --json: the first pattern frame (counter 0) is announced the same way', () => {
    const r = run(['--pattern', '--size', '64x48', '--fps', '30', '--seconds', '0.5', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const at = r.out.findIndex((l) => l.event === 'first-frame')
    expect(at).toBeGreaterThan(0)
    const before = r.out.slice(0, at).filter((l) => l.fake === 'write')
    for (const w of before.slice(0, -1)) expect(w.flat).toBe(true)
    expect(before.at(-1)?.flat).toBe(false)
    expect(r.out[at]).toMatchObject({ seq: 1, source: 'pattern', width: 64, height: 48, deviceWrites: before.length })
    expect(r.out.filter((l) => l.event === 'first-frame')).toHaveLength(1)
  })

  it('without --json: one line on stderr, nothing on stdout but the device log', () => {
    const r = run(['--input', clip, '--seconds', '0.5'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/^portseg vcam: first clip frame written to \/dev\/video10 after \d+ ms \(the placeholder is no longer shown\)$/m)
    expect(r.out.filter((l) => l.fake === undefined)).toEqual([])
  })

  it('reaches a script through a pipe while the camera keeps running (not held until exit)', async () => {
    const child = spawn(process.execPath, [CLI_PATH, 'vcam', '--input', clip, '--loop', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const first = await new Promise<Line | undefined>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString()
        const line = stdout.split('\n').find((l) => l.includes('"event":"first-frame"'))
        if (line) resolve(JSON.parse(line) as Line)
      })
      void exited.then(() => resolve(undefined))
    })
    expect(first, stderr).toMatchObject({ event: 'first-frame', source: 'clip', seq: 1 })
    expect(child.exitCode).toBeNull() // still sending: the line did not wait for the end
    child.kill('SIGTERM')
    expect(await exited, stderr).toBe(0)
    expect(lines(stdout).find((l) => l.event === 'stopped')).toMatchObject({ why: 'SIGTERM' })
  })
})
