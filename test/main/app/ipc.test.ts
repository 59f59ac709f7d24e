import { describe, expect, it, vi } from 'vitest'
import { PortsegError } from '../../../src/shared/errors.js'
import { INVOKE_NAMES, invokeChannel } from '../../../src/shared/ipc.js'
import { bindIpc, onCheckedSend } from '../../../src/main/app/ipc.js'
import { createIpcHandlers, type AppServices } from '../../../src/main/app/ipc-handlers.js'
import { DEFAULT_SETTINGS, applySettingsPatch, type Settings } from '../../../src/shared/settings.js'
import type { AppPage } from '../../../src/main/app/security-policy.js'

// ipc.ts only needs ipcMain's shape; the module 'electron' is mocked so nothing real loads.
vi.mock('electron', () => ({}))

const page: AppPage = { fileUrl: 'file:///opt/PortSeg/resources/app.asar/out/renderer/index.html', devServerUrl: null }

function fakeIpcMain() {
  const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>()
  const listeners = new Map<string, (event: unknown) => void>()
  return {
    handlers,
    listeners,
    handle: (channel: string, fn: (event: unknown, ...args: unknown[]) => unknown) => void handlers.set(channel, fn),
    removeHandler: (channel: string) => void handlers.delete(channel),
    on: (channel: string, fn: (event: unknown) => void) => listeners.set(channel, fn),
    removeListener: (channel: string) => listeners.delete(channel),
  }
}

function services(): AppServices & { settingsNow: () => Settings } {
  let s: Settings = DEFAULT_SETTINGS
  const reject = () => Promise.reject(new Error('not used in this test'))
  return {
    settingsNow: () => s,
    app: { info: () => ({ version: '1', platform: 'linux', arch: 'x64', isPackaged: true, electronVersion: '45' }), openSettings: () => undefined, quit: () => undefined },
    notices: { list: () => [], dismiss: () => undefined },
    settings: { get: () => s, update: (p) => (s = applySettingsPatch(s, p)), replace: (n) => (s = n) },
    models: { list: reject, download: reject, cancelDownload: () => undefined, importFromDialog: reject, remove: reject },
    backgrounds: { list: () => [], add: reject, remove: reject },
    pickBackgroundFile: () => Promise.resolve(null),
    vcam: { refresh: reject, fix: reject },
    engine: { status: () => { throw new Error('not used') }, restart: reject },
  }
}

const ownContents = { id: 1 }
const event = (url: string | null, opts: { isTop?: boolean; contents?: { id: number } } = {}) => ({
  sender: opts.contents ?? ownContents,
  senderFrame: url === null ? null : { url, parent: opts.isTop === false ? {} : null },
})

function setup() {
  const ipcMain = fakeIpcMain()
  const svc = services()
  const log: string[] = []
  bindIpc({ ipcMain: ipcMain as never, handlers: createIpcHandlers(svc), page, isOwnWebContents: (c) => c.id === ownContents.id, log: (l) => log.push(l) })
  const call = (name: string, ev: unknown, ...args: unknown[]) => ipcMain.handlers.get(invokeChannel(name as never))!(ev, ...args)
  return { ipcMain, svc, log, call }
}

describe('bindIpc', () => {
  it('registers exactly the contract channels, all with the portseg: prefix', () => {
    const { ipcMain } = setup()
    expect([...ipcMain.handlers.keys()].sort()).toEqual(INVOKE_NAMES.map((n) => `portseg:${n}`).sort())
  })

  it('answers the app\'s own top frame', async () => {
    const { call, svc } = setup()
    expect(await call('settings.update', event(`${page.fileUrl}#/settings`), { blurStrength: 70 })).toMatchObject({ ok: true, value: { blurStrength: 70 } })
    expect(svc.settingsNow().blurStrength).toBe(70)
  })

  it('refuses a foreign page, a sub-frame, a gone frame and another webContents before parsing', async () => {
    const { call, svc, log } = setup()
    const cases: [unknown, string][] = [
      [event('https://evil.example/'), "the sender's page https://evil.example/ is not the app's own page"],
      [event('file:///tmp/other.html'), "the sender's page file:///tmp/other.html is not the app's own page"],
      [event(page.fileUrl, { isTop: false }), `the sender is a sub-frame (${page.fileUrl})`],
      [event(null), 'the sending frame is gone'],
      [event(page.fileUrl, { contents: { id: 2 } }), "the sender is not one of the app's windows"],
    ]
    for (const [ev, why] of cases) {
      expect(await call('settings.update', ev, { blurStrength: 1 })).toEqual({ ok: false, code: 'IPC_REFUSED', message: `refused settings.update: ${why}` })
    }
    expect(svc.settingsNow().blurStrength).toBe(DEFAULT_SETTINGS.blurStrength)
    expect(log[0]).toBe("refused portseg:settings.update: the sender's page https://evil.example/ is not the app's own page")
  })

  it('refuses bad payloads with BAD_ARGUMENT and logs them', async () => {
    const { call, log } = setup()
    const r = await call('settings.update', event(page.fileUrl), { shortcut: 'Ctrl+Alt+Delete; rm -rf' })
    expect(r).toMatchObject({ ok: false, code: 'BAD_ARGUMENT' })
    expect((r as { message: string }).message).toMatch(/^settings\.update: args\[0\]\.shortcut: an accelerator like CommandOrControl\+Shift\+E \(got "Ctrl\+Alt\+Delete; rm -rf"\)$/)
    expect(log.at(-1)).toMatch(/^refused portseg:settings\.update: settings\.update: args\[0\]\.shortcut/)
    expect(await call('settings.get', event(page.fileUrl), 'extra')).toMatchObject({ ok: false, code: 'BAD_ARGUMENT' })
  })

  it('checks the sender of the frame-port request too', () => {
    const ipcMain = fakeIpcMain()
    const log: string[] = []
    const got: unknown[] = []
    onCheckedSend({ ipcMain: ipcMain as never, page, isOwnWebContents: (c) => c.id === 1, log: (l) => log.push(l) }, 'portseg:frames.connect', (e) => got.push(e))
    ipcMain.listeners.get('portseg:frames.connect')!(event('https://evil.example/'))
    ipcMain.listeners.get('portseg:frames.connect')!(event(page.fileUrl))
    expect(got).toHaveLength(1)
    expect(log).toEqual(["refused portseg:frames.connect: the sender's page https://evil.example/ is not the app's own page"])
  })
})

describe('createIpcHandlers', () => {
  it('returns results that match the contract, stripped of anything else', async () => {
    const svc = services()
    svc.app.info = () => ({ version: '1', platform: 'linux', arch: 'x64', isPackaged: true, electronVersion: null, secret: '/home/me' }) as never
    const r = await createIpcHandlers(svc)['app.info']([])
    expect(r).toEqual({ ok: true, value: { version: '1', platform: 'linux', arch: 'x64', isPackaged: true, electronVersion: null } })
  })

  it('turns thrown errors into values: PortsegError keeps code and hints, bugs become INTERNAL', async () => {
    const svc = services()
    const seen: string[] = []
    const h = createIpcHandlers(svc, { onInternalError: (name) => seen.push(name) })
    svc.settings.update = () => {
      throw new PortsegError('SETTINGS_INVALID', 'Settings were not changed: x.', { hints: ['do y'] })
    }
    expect(await h['settings.update']([{}])).toEqual({ ok: false, code: 'SETTINGS_INVALID', message: 'Settings were not changed: x.', hints: ['do y'] })
    expect(await h['models.list']([])).toEqual({ ok: false, code: 'INTERNAL', message: 'not used in this test' })
    expect(seen).toEqual(['models.list'])
  })
})
