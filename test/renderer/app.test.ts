/**
 * The settings window and the real engine together, in Debian's Chromium: camera from a real
 * clip, invokes through the app's real IPC handlers, frames through the real frame link and
 * engine. Assertions are on composited output pixels (what the virtual camera gets).
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HAS_CHROMIUM, RESULTS_DIR, startAppHarness, type AppHarness, type RecordedOutput } from '../support/browser.js'
import { HAS_SHARED, sharedFile } from '../support/paths.js'
import { count, decodePng, detailEnergy, flipX, hfEnergy, meanAbsDiff, meanDiffFromColor, region, resizeRgba, savePng, type Rgba } from './pixels.js'

const canRun = HAS_CHROMIUM && HAS_SHARED
if (!HAS_CHROMIUM) console.warn('test/renderer: skipped: /usr/bin/chromium is missing (scripts/test.sh installs it with apt: chromium).')

async function waitFor<T>(what: string, get: () => T | null | undefined | false, timeoutMs = 90_000): Promise<T> {
  const start = Date.now()
  for (;;) {
    const v = get()
    if (v) return v
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

interface Analysed {
  out: Rgba
  cam: Rgba
  person: Uint8Array
  background: Uint8Array
  output: RecordedOutput
}

describe.skipIf(!canRun)('settings window + real engine in Chromium (640x360 clip → 720p output)', () => {
  let app: AppHarness

  beforeAll(async () => {
    mkdirSync(RESULTS_DIR, { recursive: true })
    app = await startAppHarness({
      clip: sharedFile('media', 'video', 's18_640x360_15fps_4s.y4m'),
      settings: { background: { kind: 'blur' }, blurStrength: 60, mirrorPreview: true },
    })
  })
  afterAll(async () => {
    if (app && app.pageErrors.length > 0) console.warn('page errors:', app.pageErrors)
    await app?.close()
  })

  /** The next n fresh outputs whose camera frame was captured after `afterUs`, each with its frame and matte. */
  async function freshOutputs(afterUs: number, n: number): Promise<Analysed[]> {
    const picked = await waitFor(`${n} fresh composited outputs`, () => {
      const ok = app.outputs.filter((o) => !o.isFallback && o.captureTimeUs > afterUs && app.frames.has(o.seq) && app.mattes.has(o.seq))
      return ok.length >= n ? ok.slice(0, n) : null
    })
    return Promise.all(picked.map((o) => analyse(o)))
  }

  async function analyse(o: RecordedOutput): Promise<Analysed> {
    const f = app.frames.get(o.seq)!
    const m = app.mattes.get(o.seq)!
    const cam = { width: f.width, height: f.height, data: f.data }
    const out = await resizeRgba({ width: o.width, height: o.height, data: o.data }, f.width, f.height)
    // well inside the person / well outside, from the model's own matte for this very frame
    const person = region(m.alpha, m.width, m.height, (a) => a > 230, 6)
    const background = region(m.alpha, m.width, m.height, (a) => a < 20, 10)
    return { out, cam, person, background, output: o }
  }

  /** Sets a slider; resolves once main's settings store holds the value (a loaded machine can take a while). */
  async function setRange(testId: string, value: number, stored: (s: ReturnType<typeof app.store.get>) => boolean): Promise<number> {
    await app.page.getByTestId(testId).evaluate((el, v) => {
      const input = el as HTMLInputElement
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, String(v))
      input.dispatchEvent(new Event('input', { bubbles: true }))
    }, value)
    await waitFor(`${testId} = ${value} in the settings store`, () => stored(app.store.get()))
    return app.nowUs()
  }

  it('shows the settings window and joins every output frame with the matte of the same frame', async () => {
    const frames = await freshOutputs(0, 3)
    // the window as a user sees it once frames flow (it starts on the privacy frame until the first matte)
    for (const start = Date.now(); (await app.page.getByTestId('status-line').getAttribute('data-state')) !== 'live' && Date.now() - start < 30_000; ) await new Promise((r) => setTimeout(r, 100))
    await app.page.screenshot({ path: path.join(RESULTS_DIR, 'settings-window.png'), timeout: 120_000 })
    for (const a of frames) {
      expect(app.mattes.get(a.output.seq)).toBeDefined()
      expect([a.output.width, a.output.height]).toEqual([1280, 720])
    }
    expect(app.sinkWrites).toBeGreaterThan(0)
    expect(await app.page.getByRole('heading', { name: 'Background' }).isVisible()).toBe(true)
    expect(await app.page.getByTestId('blur-strength').inputValue()).toBe('60')
    expect(app.pageErrors).toEqual([])
  })

  it('keeps the person as the camera sees them and blurs only the background', async () => {
    const [a] = await freshOutputs(app.nowUs(), 1)
    const { out, cam, person, background } = a!
    await savePng(out, path.join(RESULTS_DIR, 'output-blur-60.png'))
    expect(count(person)).toBeGreaterThan(5000)
    expect(count(background)).toBeGreaterThan(5000)
    const personDiff = meanAbsDiff(out, cam, person)
    const camHf = hfEnergy(cam, background)
    const outHf = hfEnergy(out, background)
    console.log(`blur 60: person |Δ| ${personDiff.toFixed(1)}, background HF ${camHf.toFixed(2)} → ${outHf.toFixed(2)}`)
    expect(personDiff).toBeLessThan(12)
    expect(outHf).toBeLessThan(camHf * 0.5)
  })

  it('blur strength changes the background monotonically', async () => {
    const hf: number[] = []
    for (const strength of [0, 30, 60, 100]) {
      const t = await setRange('blur-strength', strength, (s) => s.blurStrength === strength)
      const [a] = await freshOutputs(t + 300_000, 1)
      hf.push(detailEnergy(a!.out, a!.background))
      if (strength === 100) await savePng(a!.out, path.join(RESULTS_DIR, 'output-blur-100.png'))
    }
    const cams = await freshOutputs(app.nowUs(), 1)
    console.log(`background detail (r=8) camera ${detailEnergy(cams[0]!.cam, cams[0]!.background).toFixed(2)}, by strength 0/30/60/100: ${hf.map((x) => x.toFixed(2)).join(' / ')}`)
    for (let i = 1; i < hf.length; i++) expect(hf[i]!).toBeLessThan(hf[i - 1]!)
  })

  it('switches to a solid colour and to the user’s own image, and back to blur', async () => {
    await app.page.getByTestId('bg-color').check()
    await app.page.getByTestId('bg-color-value').evaluate((el) => {
      const input = el as HTMLInputElement
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, '#2050c0')
      input.dispatchEvent(new Event('input', { bubbles: true }))
    })
    await waitFor('the colour background in the settings store', () => app.store.get().background.kind === 'color' && app.store.get().background.color.toLowerCase() === '#2050c0')
    const t = app.nowUs()
    const [c] = await freshOutputs(t + 300_000, 1)
    await savePng(c!.out, path.join(RESULTS_DIR, 'output-colour.png'))
    const colourDiff = meanDiffFromColor(c!.out, [0x20, 0x50, 0xc0], c!.background)
    console.log(`colour background |Δ| from #2050c0: ${colourDiff.toFixed(1)}`)
    expect(colourDiff).toBeLessThan(6)
    expect(meanAbsDiff(c!.out, c!.cam, c!.person)).toBeLessThan(12)

    // the user's image through the main process's file dialog (the dialog "picks" pose.jpg)
    const image = sharedFile('media', 'portrait', 'pose.jpg')
    app.nextPickedFile = image
    await app.page.getByRole('button', { name: '+ Image or video…' }).click()
    await waitFor('the image background to be selected', () => app.store.get().background.kind === 'image')
    for (const start = Date.now(); (await app.page.getByTestId('status-line').getAttribute('data-background-media')) !== 'ready'; ) {
      if (Date.now() - start > 60_000) throw new Error('the image background never loaded in the page')
      await new Promise((r) => setTimeout(r, 200))
    }
    const [im] = await freshOutputs(app.nowUs() + 300_000, 1)
    await savePng(im!.out, path.join(RESULTS_DIR, 'output-image.png'))
    // cover-fit to the output's 16:9, then to the compared size
    const expected = await sharp(image).resize(im!.out.width, im!.out.height, { fit: 'cover' }).ensureAlpha().raw().toBuffer()
    const imageDiff = meanAbsDiff(im!.out, { width: im!.out.width, height: im!.out.height, data: new Uint8Array(expected) }, im!.background)
    console.log(`image background |Δ| from the cover-fit image: ${imageDiff.toFixed(1)}`)
    expect(imageDiff).toBeLessThan(14)

    const t3 = app.nowUs()
    await app.page.getByTestId('bg-blur').check()
    const [b] = await freshOutputs(t3 + 300_000, 1)
    expect(hfEnergy(b!.out, b!.background)).toBeLessThan(hfEnergy(b!.cam, b!.background) * 0.5)
    expect(meanDiffFromColor(b!.out, [0x20, 0x50, 0xc0], b!.background)).toBeGreaterThan(30)
  })

  it('mirrors the preview but never the output', async () => {
    const check = async (isMirrored: boolean): Promise<void> => {
      await app.page.getByTestId('mirror').setChecked(isMirrored)
      const [a] = await freshOutputs(app.nowUs() + 300_000, 1)
      const shot = await decodePng(await app.page.getByTestId('preview').screenshot({ timeout: 120_000 }))
      const preview = await resizeRgba(shot, a!.out.width, a!.out.height)
      const all = new Uint8Array(a!.out.width * a!.out.height).fill(1)
      const straight = meanAbsDiff(preview, a!.out, all)
      const flipped = meanAbsDiff(preview, flipX(a!.out), all)
      console.log(`mirror ${isMirrored}: preview vs output ${straight.toFixed(1)}, vs flipped output ${flipped.toFixed(1)}`)
      if (isMirrored) expect(flipped).toBeLessThan(straight)
      else expect(straight).toBeLessThan(flipped)
      // the output itself always matches the (unmirrored) camera where the person is
      expect(meanAbsDiff(a!.out, a!.cam, a!.person)).toBeLessThan(12)
    }
    await check(true)
    await check(false)
  })

  /** Outputs after t are fallbacks, and none of them is the raw camera (whole frame blurred). */
  async function expectFailClosed(afterUs: number, label: string): Promise<void> {
    const outs = await waitFor('privacy frames', () => {
      const o = app.outputs.filter((x) => x.captureTimeUs > afterUs)
      return o.length >= 2 ? o : null
    })
    for (const o of outs) expect(o.isFallback).toBe(true)
    const last = outs.at(-1)!
    const out = await resizeRgba({ width: last.width, height: last.height, data: last.data }, 640, 360)
    await savePng(out, path.join(RESULTS_DIR, `output-fail-closed-${label}.png`))
    // against every raw frame captured around then: much less detail everywhere, person included
    const all = new Uint8Array(640 * 360).fill(1)
    const raws = [...app.frames.values()].filter((f) => f.captureTimeUs > afterUs - 2_000_000)
    expect(raws.length).toBeGreaterThan(0)
    for (const f of raws) {
      const cam = { width: f.width, height: f.height, data: f.data }
      expect(hfEnergy(out, all)).toBeLessThan(hfEnergy(cam, all) * 0.35)
      expect(meanAbsDiff(out, cam, all)).toBeGreaterThan(4)
    }
  }

  it('fails closed when mattes stop coming: the output never shows the raw camera', async () => {
    app.dropMattes = true
    const t = app.nowUs()
    await waitFor('privacy state', () => app.outputs.some((o) => o.isFallback && o.captureTimeUs > t + 1_500_000), 60_000)
    await app.page.screenshot({ path: path.join(RESULTS_DIR, 'settings-window-privacy.png'), timeout: 120_000 })
    await expectFailClosed(t + 1_500_000, 'mattes-dropped')
    app.dropMattes = false
    await freshOutputs(app.nowUs(), 1)
  })

  it('fails closed at once when the engine stops, and recovers when it restarts', async () => {
    await app.engine.stop()
    const t = app.nowUs()
    await expectFailClosed(t, 'engine-stopped')
    expect(await app.page.getByTestId('pipeline-problem').textContent()).toMatch(/not running.*privacy/)
    await app.engine.restart()
    await freshOutputs(app.nowUs(), 1)
  })
})
