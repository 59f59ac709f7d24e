// Guest side: headless Chromium opens "PortSeg Camera" through getUserMedia (as Meet does) while
// `portseg vcam --pattern` runs, decodes the frame counters and colours, and writes a JSON report.
//   node gum.mjs WIDTH HEIGHT NFRAMES OUT.json
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const [width, height, nFrames] = process.argv.slice(2, 5).map(Number)
const out = process.argv[5]
const here = path.dirname(fileURLToPath(import.meta.url))
const BARS = [[255, 255, 255], [255, 255, 0], [0, 255, 255], [0, 255, 0], [255, 0, 255], [255, 0, 0], [0, 0, 255], [0, 0, 0]]
const t0 = Date.now()
const report = { startedAt: new Date().toISOString() }
const save = () => writeFileSync(out, JSON.stringify(report, null, 1))
try {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    timeout: 300_000, // 20-60 s to start under TCG
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream'],
  })
  report.chromium = browser.version()
  report.launchSeconds = (Date.now() - t0) / 1000
  const page = await browser.newPage()
  page.setDefaultTimeout(300_000)
  await page.goto('file://' + path.join(here, 'gum.html'))
  const r = await page.evaluate(([w, h, n]) => globalThis.sampleCamera('PortSeg Camera', w, h, n), [width, height, nFrames])
  await browser.close()
  Object.assign(report, { label: r.label, devices: r.devices, settings: r.settings, error: r.error })
  const frames = (r.frames ?? []).map((f) => {
    const counter = f.bits.reduce((n, [R, G, B]) => n * 2 + ((R + G + B) / 3 > 128 ? 1 : 0), 0)
    const bitError = Math.max(...f.bits.flatMap((p) => { const one = (p[0] + p[1] + p[2]) / 3 > 128; return p.map((v) => Math.abs(v - (one ? 255 : 0))) }))
    const barError = Math.max(...f.bars.flatMap((p, i) => p.map((v, k) => Math.abs(v - BARS[(i + counter) % 8][k]))))
    return { counter, timestampUs: f.timestampUs, bitError, barError }
  })
  report.frames = frames
  if (frames.length >= 2) {
    const a = frames[0], b = frames[frames.length - 1]
    const seconds = (b.timestampUs - a.timestampUs) / 1e6
    // the pattern's counter advances once per producer frame: counters per second of capture time = delivered rate
    report.counterRate = seconds > 0 ? (b.counter - a.counter) / seconds : null
    report.maxBarError = Math.max(...frames.map((f) => f.barError))
    report.maxBitError = Math.max(...frames.map((f) => f.bitError))
    report.isIncreasing = frames.every((f, i) => i === 0 || f.counter > frames[i - 1].counter)
    // when the emulated producer lags, the camera's pacer repeats its last frame (by design: the
    // camera never freezes), and Chromium may sample the same counter twice
    report.isNonDecreasing = frames.every((f, i) => i === 0 || f.counter >= frames[i - 1].counter)
    report.distinct = new Set(frames.map((f) => f.counter)).size
  }
} catch (e) {
  report.error = String(e && e.stack ? e.stack : e)
}
report.seconds = (Date.now() - t0) / 1000
save()
console.log(`gum: ${JSON.stringify({ ...report, frames: undefined })}`)
