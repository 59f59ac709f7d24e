// The virtual camera end to end, against a real v4l2loopback "PortSeg Camera" in the vcam VM
// (../shared/vcam-vm). ONE guest boot runs test/e2e/vcam/guest.sh, which drives
// `portseg vcam --pattern`/`--input` against v4l2-ctl and headless Chromium and leaves JSON
// reports in test-results/vcam-e2e; the tests below assert on them. Each consumer starts after
// the producer's "first-frame" event, never on the placeholder.
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { build } from 'esbuild'
import { beforeAll, describe, expect, it } from 'vitest'
import { ROOT, SHARED } from '../support/paths.js'

const RUN_SH = path.join(SHARED, 'vcam-vm', 'run.sh')
const CACHE = process.env.VCAM_VM_CACHE ?? path.join(os.homedir(), '.cache', 'vcam-vm')
const ADDON = path.join(ROOT, 'native', 'vcam', 'build', 'Release', 'vcam.node')
const OUT = path.join(ROOT, 'test-results', 'vcam-e2e')
const HAS_CHROMIUM = existsSync('/usr/bin/chromium')
const CLIP = path.join(SHARED, 'media', 'video', 's18_640x360_15fps_4s.y4m')

function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'the vcam VM runs on Linux hosts only'
  if (!existsSync(RUN_SH)) return `${RUN_SH} not found (../shared/vcam-vm beside the checkout)`
  if (!existsSync(path.join(CACHE, 'current', 'initrd.img'))) return `the vcam VM is not set up (${CACHE}): run VCAM_VM_CHROMIUM=1 ../shared/vcam-vm/setup.sh`
  if (!existsSync(ADDON)) return `${ADDON} is not built: run npm run build:native`
  return undefined
}

const skip = skipReason()
if (skip) console.warn(`SKIP virtual camera e2e: ${skip}`)

function readJson<T = Record<string, unknown>>(name: string): T {
  const file = path.join(OUT, name)
  if (!existsSync(file)) throw new Error(`${name} was not written by the guest; see ${path.join(OUT, 'guest.log')}`)
  return JSON.parse(readFileSync(file, 'utf8')) as T
}
function readText(name: string): string {
  const file = path.join(OUT, name)
  return existsSync(file) ? readFileSync(file, 'utf8') : ''
}

/** `portseg vcam --json`'s "first-frame" event, as the guest recorded it in each step's JSON. */
interface FirstFrame {
  event: 'first-frame'
  seq: number
  source: 'clip' | 'pattern'
  width: number
  height: number
  format: string
  device: string
  deviceWrites: number
  ms: number
  monotonicUs: number
}

function expectFirstFrame(first: FirstFrame | null | undefined, source: FirstFrame['source'], width: number, height: number, why: string): void {
  // null: the guest waited for the event in vain (guest.log says why)
  expect(first, why).toMatchObject({ event: 'first-frame', seq: 1, source, width, height, format: 'YUYV', device: '/dev/video10' })
  // the placeholder is written at open, before any frame from the input
  expect(first!.deviceWrites).toBeGreaterThanOrEqual(2)
  expect(first!.monotonicUs).toBeGreaterThan(0)
}

interface FramesReport {
  frames: number
  placeholderFrames: number
  counters: number[]
  maxBlockError: number
  maxBarError: number
  /** frames whose band and bars come from two writes (a lagging reader's buffer overwritten) */
  tornFrames: { frame: number; counter: number; barsOfCounter: number }[]
  isNonDecreasing: boolean
  distinct: number
}

describe.skipIf(skip !== undefined)('virtual camera on v4l2loopback (vcam VM)', () => {
  let guestLog = ''
  beforeAll(async () => {
    rmSync(OUT, { recursive: true, force: true })
    mkdirSync(OUT, { recursive: true })
    await build({
      absWorkingDir: ROOT,
      entryPoints: ['test/e2e/vcam/vcam-cli.ts'],
      outfile: path.join(OUT, 'portseg-vcam.mjs'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      packages: 'external',
      logLevel: 'warning',
    })
    const args = ['--timeout', '1080', '--', 'bash', 'test/e2e/vcam/guest.sh', path.relative(ROOT, OUT), ...(HAS_CHROMIUM ? [] : ['--no-chromium'])]
    guestLog = await new Promise<string>((resolve) => {
      const env = { ...process.env, ...(existsSync(CLIP) ? { VCAM_E2E_CLIP: CLIP } : {}) }
      execFile(RUN_SH, args, { cwd: ROOT, env, maxBuffer: 64 << 20, timeout: 1_110_000 }, (error, stdout, stderr) => {
        resolve(`${stdout}\n${stderr}\nexit: ${error ? String(error.code ?? error.message) : 0}`)
      })
    })
    mkdirSync(OUT, { recursive: true })
    const { writeFileSync } = await import('node:fs')
    writeFileSync(path.join(OUT, 'guest.log'), guestLog)
  }, 1_140_000)

  it('the guest saw the "PortSeg Camera" device and --status called it ready', () => {
    const status = readJson<{ isReady: boolean; device?: { path: string; label: string } }>('status.json')
    expect(status.device?.label, guestLog).toBe('PortSeg Camera')
    expect(status.isReady).toBe(true)
    expect(readJson<{ outputOnlyAtStart: boolean }>('start.json').outputOnlyAtStart).toBe(true)
  })

  it('(1) a V4L2 consumer reads `portseg vcam --pattern` back: exact counters in order, exact colours', () => {
    const step = readJson<{ streaming: boolean; firstFrame: FirstFrame | null; producerExit: number; outputOnlyAfterClose: boolean }>('step1.json')
    expect(step.streaming, readText('producer1.err')).toBe(true)
    // the full CLI (bin/portseg.js) announces its first pattern frame; the consumer started after it
    expectFirstFrame(step.firstFrame, 'pattern', 640, 480, `${readText('producer1.err')}\n${guestLog}`)
    const fmt = readText('fmt1.txt')
    expect(fmt).toMatch(/Width\/Height\s*:\s*640\/480/)
    expect(fmt).toMatch(/'YUYV'/)
    expect(fmt).toMatch(/Frames per second:\s*30\.000/)
    const r = readJson<FramesReport>('v4l2.json')
    expect(r.frames).toBe(90)
    expect(r.placeholderFrames).toBe(0)
    expect(r.isNonDecreasing).toBe(true)
    // the producer writes each counter once; the pacer may repeat one when the guest is slow
    expect(r.distinct).toBeGreaterThanOrEqual(30)
    // Y of the counter blocks is exactly 235/16 and the bars match BT.601 limited range to ±1
    expect(r.maxBlockError).toBeLessThanOrEqual(1)
    expect(r.maxBarError).toBeLessThanOrEqual(1)
    // every other frame is exact; at most 2 torn by the loopback ring under emulation
    expect(r.tornFrames?.length ?? 0, JSON.stringify(r.tornFrames)).toBeLessThanOrEqual(2)
    expect(step.producerExit).toBe(0)
  })

  it('a second producer on the busy device fails with VCAM_BUSY', () => {
    expect(readText('busy.rc').trim()).toBe('2')
    expect(readText('busy.err')).toContain('the device is busy (another program is writing to it)')
  })

  it('(3) closing leaves the device usable: back to Video Output, and a restart at another size streams', () => {
    expect(readJson<{ outputOnlyAfterClose: boolean }>('step1.json').outputOnlyAfterClose).toBe(true)
    const step = readJson<{ streaming: boolean; firstFrame: FirstFrame | null; producerExit: number; outputOnlyAfterClose: boolean }>('step3.json')
    expect(step.streaming, readText('producer2.err')).toBe(true)
    expectFirstFrame(step.firstFrame, 'pattern', 320, 240, `${readText('producer2.err')}\n${guestLog}`)
    expect(readText('fmt2.txt')).toMatch(/Width\/Height\s*:\s*320\/240/)
    const r = readJson<FramesReport>('v4l2-restart.json')
    expect(r.frames).toBe(20)
    expect(r.placeholderFrames).toBe(0)
    expect(r.isNonDecreasing).toBe(true)
    expect(r.distinct).toBeGreaterThan(10)
    expect(r.maxBarError).toBeLessThanOrEqual(1)
    // every other frame is exact; at most 2 torn by the loopback ring under emulation
    expect(r.tornFrames?.length ?? 0, JSON.stringify(r.tornFrames)).toBeLessThanOrEqual(2)
    expect(step.outputOnlyAfterClose).toBe(true)
  })

  it('(4) a stalled producer keeps the consumer fed: the last frame repeats at the negotiated rate', () => {
    const step = readJson<{ streaming: boolean; stalled: boolean; captureSeconds: number; frames: number }>('step4.json')
    expect(step.streaming).toBe(true)
    expect(step.stalled, readText('producer3.jsonl')).toBe(true)
    const r = readJson<FramesReport>('v4l2-stall.json')
    expect(r.frames).toBe(60)
    expect(r.placeholderFrames).toBe(0)
    // every frame after the stall is frame 19 (the 20th), intact
    expect(new Set(r.counters)).toEqual(new Set([19]))
    expect(r.maxBarError).toBeLessThanOrEqual(1)
    // every other frame is exact; at most 2 torn by the loopback ring under emulation
    expect(r.tornFrames?.length ?? 0, JSON.stringify(r.tornFrames)).toBeLessThanOrEqual(2)
    // 60 frames at 30 fps = 2 s on hardware. Under TCG emulation on a loaded 2-core host the
    // guest delivered 10 fps (the pacer managed 12.8 writes/s); a frozen output delivers nothing
    // and v4l2-ctl gives up after 60 s. So: at least 5 fps.
    expect(step.captureSeconds).toBeLessThan(12)
    const stopped = readText('producer3.jsonl').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.event === 'stopped')
    expect(Number(stopped?.framesRepeated)).toBeGreaterThanOrEqual(60)
  })

  it.skipIf(!HAS_CHROMIUM)('(2) headless Chromium lists "PortSeg Camera" and receives its frames through getUserMedia', () => {
    const r = readJson<{
      error?: string
      label?: string
      devices?: string[]
      settings?: { width: number; height: number; frameRate: number }
      frames?: { counter: number }[]
      isNonDecreasing?: boolean
      distinct?: number
      maxBarError?: number
      maxBitError?: number
      counterRate?: number
    }>('chromium.json')
    expect(r.error, readText('chromium.log')).toBeUndefined()
    expect(r.devices).toContain('PortSeg Camera')
    expect(r.label).toBe('PortSeg Camera')
    expect(r.settings?.width).toBe(640)
    expect(r.settings?.height).toBe(480)
    expect(r.settings?.frameRate).toBe(30)
    expect(r.frames?.length).toBe(8)
    // live and in order: counters never go back and keep advancing. A counter may repeat: the
    // pacer re-sends the last frame while the emulated producer lags (2107 of 3966 writes in one
    // run on a loaded host), as in the V4L2 checks above.
    expect(r.isNonDecreasing, JSON.stringify(r.frames)).toBe(true)
    expect(r.distinct).toBeGreaterThanOrEqual(4)
    expect(r.maxBarError).toBeLessThanOrEqual(40)
    expect(r.maxBitError).toBeLessThanOrEqual(40)
    expect(readJson<{ outputOnlyAfterClose: boolean }>('step2.json').outputOnlyAfterClose).toBe(true)
  })

  it('(5) a size change while an app holds the old size keeps its stream intact (letterboxed)', () => {
    const step = readJson<{ streaming: boolean; firstFrame: FirstFrame | null; producerExit: number; outputOnlyAfterClose: boolean }>('step5.json')
    expect(step.streaming).toBe(true)
    expectFirstFrame(step.firstFrame, 'pattern', 640, 480, `${readText('producer6.err')}\n${guestLog}`)
    const r = readJson<FramesReport & { first: number; last: number }>('v4l2-resize.json')
    // a 320x240 pattern fitted into 640x480 is the same picture at 2x: it decodes the same way
    expect(r.frames).toBe(240)
    // the dark placeholder may lead when the consumer starts with the producer; never later
    expect(r.placeholderFrames).toBeLessThanOrEqual(3)
    expect(r.isNonDecreasing).toBe(true)
    expect(r.first).toBeLessThan(120)
    expect(r.last).toBeGreaterThan(120)
    expect(r.maxBlockError).toBeLessThanOrEqual(1)
    expect(r.maxBarError).toBeLessThanOrEqual(1)
    // every other frame is exact; at most 2 torn by the loopback ring under emulation
    expect(r.tornFrames?.length ?? 0, JSON.stringify(r.tornFrames)).toBeLessThanOrEqual(2)
    const stopped = readText('producer6.jsonl').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.event === 'stopped')
    expect(stopped).toMatchObject({ reopens: 1, sizeMode: 'fit' })
    expect(step.producerExit).toBe(0)
    expect(step.outputOnlyAfterClose).toBe(true)
  })

  it.skipIf(!existsSync(CLIP))('`portseg vcam --input clip.y4m` delivers the clip at its size and rate', () => {
    const step = readJson<{ streaming: boolean; firstFrame: FirstFrame | null; producerExit: number }>('step-clip.json')
    expect(step.streaming, readText('producer5.err')).toBe(true)
    // the consumer started only once the CLI said the clip's first frame was on the device
    expectFirstFrame(step.firstFrame, 'clip', 640, 360, `${readText('producer5.err')}\n${guestLog}`)
    expect(step.producerExit).toBe(0)
    const fmt = readText('fmt5.txt')
    expect(fmt).toMatch(/Width\/Height\s*:\s*640\/360/)
    expect(fmt).toMatch(/Frames per second:\s*15\.000/)
    const r = readJson<{ error?: string; captured: number; skippedBeforeFirstFrame: number; frames: number; maxMeanAbsDiff: number; matchedClipFrame: number[] }>('clip.json')
    expect(r.error).toBeUndefined()
    expect(r.captured).toBe(17)
    // buffers stamped before the event (v4l2loopback 0.12 hands a reader that starts within the
    // first 3 writes the ring from its start): at most the placeholder and the first clip frame
    expect(r.skippedBeforeFirstFrame).toBeLessThanOrEqual(2)
    // every one of the 15 checked frames was stamped after the first clip frame was written
    expect(r.frames).toBe(15)
    // YUV → RGB (reader) → YUV (vcam) round trip: within a few levels of the clip's own luma
    expect(r.maxMeanAbsDiff).toBeLessThan(3)
    expect(new Set(r.matchedClipFrame).size).toBeGreaterThan(3)
  })

  it('every format (YUYV, NV12, I420) opens and takes frames on the real device (--bench)', () => {
    const bench = readJson<{ rows: { format: string; convertWriteMeanMs?: number; writeSkipped?: string }[] }>('bench.json')
    expect(bench.rows.map((r) => r.format)).toEqual(['YUYV', 'NV12', 'I420'])
    for (const row of bench.rows) expect(row.convertWriteMeanMs, row.writeSkipped).toBeGreaterThan(0)
  })

  it('without the kernel module, --pattern fails with VCAM_MODULE_MISSING and the exact fix', () => {
    if (!existsSync(path.join(OUT, 'nomodule.rc'))) return expect.fail(`the guest did not run the no-module check: ${readText('rmmod.err')}`)
    expect(readText('nomodule.rc').trim()).toBe('2')
    const err = readText('nomodule.err')
    expect(err).toContain('the v4l2loopback kernel module is not loaded')
    expect(err).toContain('pkexec modprobe v4l2loopback devices=1 exclusive_caps=1 max_buffers=8 card_label="PortSeg Camera"')
    const status = readJson<{ isModuleLoaded: boolean; isReady: boolean }>('status-nomodule.json')
    expect(status.isModuleLoaded).toBe(false)
    expect(status.isReady).toBe(false)
  })
})
