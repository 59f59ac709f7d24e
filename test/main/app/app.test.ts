import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { EventEmitter } from 'node:events'
import type { MessagePort } from 'node:worker_threads'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { FRAMES, INVOKE_NAMES, invokeChannel } from '../../../src/shared/ipc.js'
import type { FileSinkReport } from '../../../src/main/app/test-sink.js'
import { ROOT, WORKER_PATH } from '../../support/paths.js'

// The whole shell (startApp) with the `electron` module mocked and everything else real: the
// settings file, the registry, the engine and its worker, the frame link, a file test sink.
const h = vi.hoisted(() => ({
  appPath: '',
  userData: '',
  windows: [] as FakeWindowT[],
  trays: [] as { menus: unknown[][] }[],
  handlers: new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>(),
  listeners: new Map<string, (event: unknown) => void>(),
  shortcuts: new Map<string, () => void>(),
  ready: null as null | (() => void),
  csp: null as null | ((d: unknown, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void),
  permission: null as null | ((c: unknown, p: string, cb: (ok: boolean) => void, d: unknown) => void),
}))
interface FakeWindowT {
  opts: { webPreferences: Record<string, unknown> }
  loaded: string
  visible: boolean
  webContents: { id: number; sent: { channel: string; payload: unknown }[]; posted: { channel: string; ports: MessagePort[] }[] }
  emit(event: string, ...args: unknown[]): boolean
}

vi.mock('electron', async () => {
  const { EventEmitter: EE } = await import('node:events')
  const { MessageChannel: MC } = await import('node:worker_threads')
  let nextId = 1
  class BrowserWindow extends EE {
    static getAllWindows = () => h.windows
    opts: unknown
    loaded = ''
    visible = false
    destroyed = false
    webContents: Record<string, unknown>
    constructor(opts: unknown) {
      super()
      this.opts = opts
      const wc = new EE() as EventEmitter & Record<string, unknown>
      Object.assign(wc, { id: nextId++, sent: [], posted: [], isDestroyed: () => false, reload: () => undefined })
      wc.send = (channel: string, payload: unknown) => (wc.sent as unknown[]).push({ channel, payload })
      wc.postMessage = (channel: string, _m: unknown, ports: unknown[]) => (wc.posted as unknown[]).push({ channel, ports })
      this.webContents = wc
      h.windows.push(this as unknown as FakeWindowT)
      setTimeout(() => this.emit('ready-to-show'), 0)
    }
    loadURL(u: string) { this.loaded = u; return Promise.resolve() }
    loadFile(f: string) { this.loaded = f; return Promise.resolve() }
    isDestroyed() { return this.destroyed }
    isMinimized() { return false }
    isVisible() { return this.visible }
    restore() {}
    show() { this.visible = true }
    focus() {}
    hide() { this.visible = false }
    close() {
      const e = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true } }
      this.emit('close', e)
      if (!e.defaultPrevented) this.destroyed = true
    }
  }
  class MessageChannelMain {
    port1: unknown
    port2: unknown
    constructor() {
      const { port1, port2 } = new MC()
      // MessagePortMain emits { data }; Node's port emits the value
      const main = new EE() as EventEmitter & Record<string, unknown>
      port1.on('message', (data: unknown) => main.emit('message', { data }))
      Object.assign(main, { postMessage: (m: unknown) => port1.postMessage(m), start: () => undefined, close: () => port1.close() })
      this.port1 = main
      this.port2 = port2
    }
  }
  const app = Object.assign(new EE(), {
    isPackaged: false,
    requestSingleInstanceLock: () => true,
    enableSandbox: () => undefined,
    commandLine: { appendSwitch: () => undefined },
    getAppPath: () => h.appPath,
    getPath: () => h.userData,
    getVersion: () => '0.1.0',
    whenReady: () => new Promise<void>((r) => (h.ready = r)),
    setLoginItemSettings: () => undefined,
    quit: () => undefined,
    exit: () => undefined,
  })
  return {
    app,
    BrowserWindow,
    MessageChannelMain,
    protocol: { registerSchemesAsPrivileged: () => undefined, handle: () => undefined },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (fn: typeof h.csp) => void (h.csp = fn) },
        setPermissionRequestHandler: (fn: typeof h.permission) => void (h.permission = fn),
        setPermissionCheckHandler: () => undefined,
        on: () => undefined,
      },
    },
    ipcMain: {
      handle: (c: string, fn: (e: unknown, ...a: unknown[]) => Promise<unknown>) => void h.handlers.set(c, fn),
      removeHandler: (c: string) => void h.handlers.delete(c),
      on: (c: string, fn: (e: unknown) => void) => void h.listeners.set(c, fn),
      removeListener: () => undefined,
    },
    globalShortcut: { register: (a: string, fn: () => void) => (h.shortcuts.set(a, fn), true), unregister: (a: string) => void h.shortcuts.delete(a), unregisterAll: () => h.shortcuts.clear() },
    powerSaveBlocker: { start: () => 1, stop: () => undefined },
    dialog: { showOpenDialog: () => Promise.resolve({ canceled: true, filePaths: [] }), showMessageBox: () => Promise.resolve({ response: 1 }), showErrorBox: () => undefined },
    Menu: { buildFromTemplate: (t: unknown[]) => t },
    Tray: class { menus: unknown[][] = []; constructor() { h.trays.push(this) } setToolTip() {} on() {} setContextMenu(m: unknown[]) { this.menus.push(m) } isDestroyed() { return false } destroy() {} },
    nativeImage: { createFromPath: () => ({}) },
  }
})

let dir: string
let report: string
const win = (): FakeWindowT => h.windows[0]!
const fromPage = () => ({ sender: win().webContents, senderFrame: { url: `file://${path.join(h.appPath, 'out', 'renderer', 'index.html')}`, parent: null } })

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'portseg-app-'))
  // an app folder laid out like the electron-vite build, using the worker the test setup built
  h.appPath = path.join(dir, 'app')
  h.userData = path.join(dir, 'user')
  await mkdir(path.join(h.appPath, 'out', 'main'), { recursive: true })
  await symlink(WORKER_PATH, path.join(h.appPath, 'out', 'main', 'inference.worker.js'))
  await symlink(path.join(ROOT, 'models'), path.join(h.appPath, 'models'))
  report = path.join(dir, 'vcam.json')
  process.env.PORTSEG_VCAM_SINK = `file:${report}`
  const { startApp } = await import('../../../src/main/app/index.js')
  startApp()
  h.ready!()
  await vi.waitFor(() => expect(h.trays[0]?.menus.length ?? 0).toBeGreaterThan(0), { timeout: 60_000 })
  await vi.waitFor(() => expect(win().webContents.sent.some((s) => s.channel === 'portseg:engine.statusChanged' && (s.payload as { state: string }).state === 'running')).toBe(true), { timeout: 60_000 })
})

afterAll(async () => {
  delete process.env.PORTSEG_VCAM_SINK
  // quitting closes the engine worker, flushes settings and closes the sink
  const { app } = await import('electron')
  app.emit('before-quit', { preventDefault: () => undefined })
  await vi.waitFor(async () => expect((JSON.parse(await readFile(report, 'utf8')) as FileSinkReport).isClosed).toBe(true), { timeout: 10_000 })
  await rm(dir, { recursive: true, force: true })
})

describe('startApp (electron mocked, everything else real)', () => {
  it('creates one secure window on the built page and registers every contract channel', () => {
    expect(h.windows).toHaveLength(1)
    expect(win().opts.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, backgroundThrottling: false, webviewTag: false, preload: path.join(h.appPath, 'out', 'preload', 'index.cjs') })
    expect(win().loaded).toBe(path.join(h.appPath, 'out', 'renderer', 'index.html'))
    expect([...h.handlers.keys()].sort()).toEqual(INVOKE_NAMES.map((n) => invokeChannel(n)).sort())
    expect([...h.shortcuts.keys()]).toEqual(['CommandOrControl+Shift+E'])
  })

  it('sends the CSP header and grants the camera only to its page', () => {
    let headers: Record<string, string[]> = {}
    h.csp!({ responseHeaders: {} }, (r) => (headers = r.responseHeaders))
    expect(headers['Content-Security-Policy']?.[0]).toMatch(/^default-src 'none'; script-src 'self';/)
    const grant = (url: string, types: string[]) => new Promise<boolean>((r) => h.permission!({ getURL: () => url }, 'media', r, { requestingUrl: url, isMainFrame: true, mediaTypes: types }))
    return Promise.all([
      expect(grant(fromPage().senderFrame.url, ['video'])).resolves.toBe(true),
      expect(grant(fromPage().senderFrame.url, ['audio'])).resolves.toBe(false),
      expect(grant('https://evil.example/', ['video'])).resolves.toBe(false),
    ])
  })

  it('answers the page over IPC and refuses others', async () => {
    const invoke = h.handlers.get('portseg:settings.update')!
    expect(await invoke(fromPage(), { blurStrength: 66 })).toMatchObject({ ok: true, value: { blurStrength: 66 } })
    expect(await invoke({ ...fromPage(), senderFrame: { url: 'https://evil.example/', parent: null } }, { blurStrength: 1 })).toMatchObject({ ok: false, code: 'IPC_REFUSED' })
    await vi.waitFor(async () => expect(JSON.parse(await readFile(path.join(h.userData, 'settings.json'), 'utf8')).blurStrength).toBe(66))
  })

  it('hands the page a frame port; frames get mattes and outputs reach the virtual camera', async () => {
    h.listeners.get(FRAMES.connect)!(fromPage())
    const posted = win().webContents.posted.at(-1)!
    expect(posted.channel).toBe(FRAMES.port)
    const port = posted.ports[0]!
    const reply = new Promise<{ type: string; seq: number }>((r) => port.once('message', r))
    port.postMessage({ type: 'frame', seq: 7, width: 64, height: 48, captureTimeUs: 1, format: 'RGBA', data: new ArrayBuffer(64 * 48 * 4) })
    expect(await reply).toMatchObject({ type: 'matte', seq: 7 })
    port.postMessage({ type: 'output', seq: 7, width: 1280, height: 720, captureTimeUs: 1, format: 'RGBA', isFallback: false, data: new Uint8Array(1280 * 720 * 4).fill(128).buffer })
    await vi.waitFor(async () => expect((JSON.parse(await readFile(report, 'utf8')) as FileSinkReport).framesWritten).toBe(1), { timeout: 10_000 })
    port.close()
  })

  it('closing the window hides it to the tray; the tray and the shortcut toggle effects', async () => {
    ;(win() as unknown as { close(): void }).close()
    expect(win().visible).toBe(false)
    expect((win() as unknown as { isDestroyed(): boolean }).isDestroyed()).toBe(false)
    h.shortcuts.get('CommandOrControl+Shift+E')!()
    const toggled = () => win().webContents.sent.filter((s) => s.channel === 'portseg:effects.toggled').map((s) => s.payload)
    expect(toggled().at(-1)).toEqual({ enabled: false, source: 'shortcut' })
    const menu = h.trays[0]!.menus.at(-1) as { id: string; checked?: boolean; click?: () => void; submenu?: { id: string; click?: () => void }[] }[]
    const effects = menu.find((m) => m.id === 'effects')!
    expect(effects.checked).toBe(false)
    effects.click!()
    expect(toggled().at(-1)).toEqual({ enabled: true, source: 'tray' })
    menu.find((m) => m.id === 'blur')!.submenu!.find((m) => m.id === 'blur-strong')!.click!()
    const last = win().webContents.sent.filter((s) => s.channel === 'portseg:settings.changed').at(-1)!.payload as { blurStrength: number }
    expect(last.blurStrength).toBe(85)
    menu.find((m) => m.id === 'open-settings')!.click!()
    expect(win().visible).toBe(true)
  })
})
