/**
 * End-to-end latency (camera capture → output frame handed to main's frame link, i.e. to the
 * virtual camera) and frame rate at 1280x720 on the CPU, measured in Chromium with the real
 * engine: the default model, then RVM (converted from ../shared's official TF.js release).
 * Numbers are printed for the closing note; the assertions only bound them loosely, because a
 * shared 2-core CI machine is not a benchmark (`portseg bench` is).
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { HAS_CHROMIUM, RESULTS_DIR, make720pClip, startAppHarness, type AppHarness } from '../support/browser.js'
import { HAS_SHARED } from '../support/paths.js'
import { rvmModelPath } from '../support/rvm-model.js'

const WARMUP_MS = 6000
const MEASURE_MS = 10_000

async function measure(label: string, modelPath?: string): Promise<{ e2eMs: number; p95Ms: number; fps: number; inferenceMs: number }> {
  const clip = make720pClip(4)
  if (!clip) throw new Error('ffmpeg is needed to make the 1280x720 clip (scripts/test.sh installs it with apt)')
  mkdirSync(RESULTS_DIR, { recursive: true })
  app = await startAppHarness({ clip, ...(modelPath ? { modelPath } : {}), settings: { background: { kind: 'blur' }, blurStrength: 50, output: '720p30' } })
  const start = Date.now()
  while (!app.outputs.some((o) => !o.isFallback) && Date.now() - start < 120_000) await new Promise((r) => setTimeout(r, 200))
  await new Promise((r) => setTimeout(r, WARMUP_MS))
  const from = app.linkStats.length
  const t0 = app.nowUs()
  await new Promise((r) => setTimeout(r, MEASURE_MS))
  const t1 = app.nowUs()
  // fresh outputs that arrived during the window, with the latency main measured for each
  const fresh = app.outputs.filter((o) => !o.isFallback && o.captureTimeUs >= t0 && o.captureTimeUs < t1)
  const stats = app.linkStats.slice(from).filter((s) => s.endToEndMs !== null)
  const e2eMs = stats.length ? stats.reduce((a, s) => a + s.endToEndMs!, 0) / stats.length : NaN
  const p95Ms = stats.length ? Math.max(...stats.map((s) => s.endToEndP95Ms ?? 0)) : NaN
  const infs = stats.filter((s) => s.inferenceMs !== null)
  const inferenceMs = infs.length ? infs.reduce((a, s) => a + s.inferenceMs!, 0) / infs.length : NaN
  const fps = fresh.length / (MEASURE_MS / 1000)
  const status = await app.page.getByTestId('status-line').evaluate((el) => ({ latencyMs: (el as HTMLElement).dataset.latencyMs, composeMs: (el as HTMLElement).dataset.composeMs, text: el.textContent }))
  await app.page.screenshot({ path: path.join(RESULTS_DIR, `latency-${label}.png`) })
  console.log(
    `[e2e latency] ${label} @1280x720 CPU: end-to-end ${e2eMs.toFixed(0)} ms (p95 ${p95Ms.toFixed(0)} ms), ${fps.toFixed(1)} fresh fps, inference ${inferenceMs.toFixed(1)} ms; ` +
      `renderer: latency ${status.latencyMs} ms, compose ${status.composeMs} ms, status "${status.text}"`,
  )
  return { e2eMs, p95Ms, fps, inferenceMs }
}

let app: AppHarness | null = null
afterEach(async () => {
  await app?.close()
  app = null
})

describe.skipIf(!HAS_CHROMIUM || !HAS_SHARED)('end-to-end latency and fps at 1280x720 (CPU)', () => {
  it('default model', async () => {
    const r = await measure('default-model')
    expect(r.fps).toBeGreaterThan(0.5)
    expect(r.e2eMs).toBeGreaterThan(0)
    expect(r.e2eMs).toBeLessThan(5000)
  })

  it('RVM MobileNetV3', async () => {
    const r = await measure('rvm', await rvmModelPath('fp32'))
    expect(r.fps).toBeGreaterThan(0.2)
    expect(r.e2eMs).toBeLessThan(10_000)
  })
})
