import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { _electron, type ElectronApplication, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FileSinkReport } from '../../src/main/app/test-sink.js'
import { HAS_SHARED, ROOT, sharedFile } from '../support/paths.js'

// The real app in the real Electron: launch the electron-vite build, open settings, and check that
// composited frames reach the virtual-camera sink (a file-counting test sink: PORTSEG_VCAM_SINK).
// Electron's binary can't be downloaded on every machine (not on our CI): then this reports a skip.
const ELECTRON_DIST = path.join(ROOT, 'node_modules', 'electron', 'dist')
const hasElectron = existsSync(ELECTRON_DIST)
const why = hasElectron ? '' : `Electron's binary is not installed (${ELECTRON_DIST} is missing; run \`npx install-electron\` where the network allows)`
if (!hasElectron) console.warn(`test/electron/app.smoke.test.ts skipped: ${why}`)

describe.skipIf(!hasElectron || !HAS_SHARED)(`the app in Electron${why ? ` (skipped: ${why})` : ''}`, () => {
  let app: ElectronApplication
  let page: Page
  let dir: string
  let report: string

  const sink = async (): Promise<FileSinkReport | null> => {
    try {
      return JSON.parse(await readFile(report, 'utf8')) as FileSinkReport
    } catch {
      return null
    }
  }

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'out', 'main', 'index.js'))) execFileSync('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: 'inherit' })
    dir = await mkdtemp(path.join(os.tmpdir(), 'portseg-electron-'))
    report = path.join(dir, 'vcam.json')
    const executablePath = (await import('electron')).default as unknown as string
    app = await _electron.launch({
      executablePath,
      cwd: ROOT,
      args: [
        ROOT,
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${sharedFile('media', 'video', 's18_640x360_15fps_4s.y4m')}`,
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      ],
      env: { ...process.env, PORTSEG_VCAM_SINK: `file:${report}`, XDG_CONFIG_HOME: path.join(dir, 'config'), ELECTRON_ENABLE_LOGGING: '1' },
      timeout: 120_000,
    })
    page = await app.firstWindow()
    await page.waitForLoadState('domcontentloaded')
  })

  afterAll(async () => {
    await app?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('opens the settings window with a sandboxed page that sees only window.portseg', async () => {
    expect(await page.title()).toBe('PortSeg Camera')
    const surface = await page.evaluate(() => ({
      bridge: typeof (window as unknown as { portseg?: { settings?: { get?: unknown } } }).portseg?.settings?.get,
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
    }))
    expect(surface).toEqual({ bridge: 'function', require: 'undefined', process: 'undefined' })
    const settings = await page.evaluate(() => window.portseg.settings.get())
    expect(settings).toMatchObject({ ok: true, value: { output: '720p30' } })
    await page.evaluate(() => window.portseg.app.openSettings())
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.isVisible())).toBe(true)
    await page.screenshot({ path: path.join(ROOT, 'test-results', 'electron-settings.png') })
  })

  it('feeds the virtual-camera sink, and keeps feeding it with the window closed to the tray', async () => {
    await expect.poll(async () => (await sink())?.framesWritten ?? 0, { timeout: 120_000, interval: 500 }).toBeGreaterThan(15)
    const before = await sink()
    expect(before).toMatchObject({ width: 1280, height: 720, fps: 30 })
    expect(before?.lastFrameMean).toBeGreaterThan(5)
    await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.close())
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().map((w) => w.isVisible()))).toEqual([false])
    const hiddenAt = before?.framesWritten ?? 0
    await expect.poll(async () => (await sink())?.framesWritten ?? 0, { timeout: 30_000, interval: 500 }).toBeGreaterThan(hiddenAt + 30)
  })

  it('refuses navigation away from the app page', async () => {
    await page.evaluate(() => void (window.location.href = 'https://example.com/'))
    await new Promise((r) => setTimeout(r, 500))
    expect(page.url()).toMatch(/out\/renderer\/index\.html/)
  })
})
