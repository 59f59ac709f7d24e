/**
 * The Electron app shell: wires settings, engine, virtual camera, IPC, the window, the tray and
 * the shortcut together. Each piece lives in its own module; most are Electron-free and tested
 * on their own. Nothing here runs in the CLI or the engine.
 */
import os from 'node:os'
import path from 'node:path'
import {
  app,
  BrowserWindow,
  dialog,
  globalShortcut,
  ipcMain,
  MessageChannelMain,
  powerSaveBlocker,
  protocol,
  session,
  type MessageBoxOptions,
  type MessageBoxReturnValue,
  type OpenDialogOptions,
  type OpenDialogReturnValue,
  type WebContents,
} from 'electron'
import { toErrorInfo } from '../../shared/errors.js'
import { FRAMES, type Notice } from '../../shared/ipc.js'
import type { Settings } from '../../shared/settings.js'
import { openEngine } from '../engine/index.js'
import { createFrameLink, type FrameLink } from '../engine/frame-link.js'
import { appPaths } from './app-paths.js'
import { BackgroundsService, IMAGE_EXTENSIONS, VIDEO_EXTENSIONS } from './backgrounds.js'
import { EngineController } from './engine-controller.js'
import { wrapPortMain } from './frame-port.js'
import { bindIpc, createEmitter, onCheckedSend } from './ipc.js'
import { createIpcHandlers } from './ipc-handlers.js'
import { HIDDEN_ARG, setStartAtLogin } from './login-item.js'
import { MEDIA_SCHEME_PRIVILEGES, serveMedia } from './media-protocol.js'
import { ModelsService } from './models-service.js'
import { guardAllWebContents, hardenSession } from './security.js'
import { MEDIA_SCHEME } from './security-policy.js'
import { makeNotice, SettingsStore } from './settings-store.js'
import { createFileSinkBackend, fileSinkPath } from './test-sink.js'
import { AppTray } from './tray.js'
import { trayActionPatch, type TrayAction } from './tray-menu.js'
import { loadVcamBackend } from './vcam-backend.js'
import { VcamService } from './vcam-service.js'
import { createMainWindow } from './windows.js'

const MAX_NOTICES = 20

function log(line: string): void {
  console.log(`[portseg] ${line}`)
}

export function startApp(): void {
  if (!app.requestSingleInstanceLock()) {
    // a second launch just shows the running app's window (handled in 'second-instance')
    app.quit()
    return
  }
  protocol.registerSchemesAsPrivileged([MEDIA_SCHEME_PRIVILEGES])
  app.enableSandbox()
  // the pipeline runs in the page: keep its timers and frames going while hidden or covered
  app.commandLine.appendSwitch('disable-renderer-backgrounding')
  app.commandLine.appendSwitch('disable-background-timer-throttling')
  app.commandLine.appendSwitch('disable-backgrounding-occluded-windows')

  const paths = appPaths({ appPath: app.getAppPath(), isPackaged: app.isPackaged, resourcesPath: process.resourcesPath, devServerUrl: process.env.ELECTRON_RENDERER_URL })
  guardAllWebContents(app, paths.page, log)

  let showSettings = (): void => undefined
  app.on('second-instance', () => showSettings())
  // closing the window keeps the app (and the virtual camera) running in the tray
  app.on('window-all-closed', () => undefined)

  app
    .whenReady()
    .then(async () => {
      const shell = await boot(paths)
      showSettings = shell.showSettings
    })
    .catch((e: unknown) => {
      const info = toErrorInfo(e)
      log(`could not start: ${info.message}`)
      dialog.showErrorBox('PortSeg Camera could not start', info.message)
      app.exit(1)
    })
}

async function boot(paths: ReturnType<typeof appPaths>): Promise<{ showSettings: () => void }> {
  const startHidden = process.argv.includes(HIDDEN_ARG)
  const userData = app.getPath('userData')
  let win: BrowserWindow | null = null
  let isQuitting = false

  hardenSession(session.defaultSession, paths.page, log)

  const windows = (): WebContents[] => (win !== null && !win.isDestroyed() ? [win.webContents] : [])
  const emit = createEmitter(windows, log)

  const notices: Notice[] = []
  const pushNotice = (n: Notice): void => {
    log(`notice (${n.level}): ${n.message}`)
    notices.push(n)
    if (notices.length > MAX_NOTICES) notices.shift()
    emit('notice', n)
  }

  const store = await SettingsStore.open({ dir: userData, onNotice: pushNotice })
  const modelStore = { home: userData, builtInDir: paths.builtInModels, onWarning: (m: string) => pushNotice(makeNotice('warning', null, m)) }

  const models = new ModelsService({
    store: modelStore,
    settings: store,
    onProgress: (p) => emit('models.downloadProgress', p),
    pickModelFile: async () => {
      const r = await openFileDialog(win, { title: 'Import a model', properties: ['openFile'], filters: [{ name: 'ONNX models, TF.js model.json', extensions: ['onnx', 'json'] }] })
      return r.canceled ? null : (r.filePaths[0] ?? null)
    },
    confirmLicense: async (what) => {
      const r = await messageBox(win, {
        type: 'question',
        title: `License: ${what.license}`,
        message: `${path.basename(what.name)} is licensed under ${what.license}.`,
        detail: `${what.notice}${what.url ? `\n\n${what.url}` : ''}`,
        buttons: ['Accept and import', 'Cancel'],
        defaultId: 1,
        cancelId: 1,
      })
      return r.response === 0
    },
    log,
  })
  const backgrounds = new BackgroundsService({ dir: path.join(userData, 'backgrounds'), store })
  protocol.handle(MEDIA_SCHEME, (request) => serveMedia(request, (id) => backgrounds.fileFor(id)))

  const engine = new EngineController({
    workerPath: paths.worker,
    openEngine,
    resolveModel: (id) => models.resolve(id),
    onStatus: (s) => {
      emit('engine.statusChanged', s)
      refreshTray()
    },
    onProblem: (message, error) => pushNotice(makeNotice('error', error.code, message)),
    log,
  })

  let link: FrameLink | null = null
  let powerBlocker: number | null = null
  const testSink = fileSinkPath(process.env.PORTSEG_VCAM_SINK)
  const backend = testSink !== null ? { backend: createFileSinkBackend(testSink) } : await loadVcamBackend(log)
  const vcam = new VcamService({
    ...backend,
    onStatus: (s) => {
      emit('vcam.statusChanged', s)
      refreshTray()
      // feeding a camera is like playing media: don't let the system suspend the app
      if (s.state === 'running' && powerBlocker === null) powerBlocker = powerSaveBlocker.start('prevent-app-suspension')
      if (s.state !== 'running' && powerBlocker !== null) {
        powerSaveBlocker.stop(powerBlocker)
        powerBlocker = null
      }
    },
    onSink: (sink) => link?.setSink(sink),
    log,
  })

  // ---- shortcut, tray, login item ----
  let registeredShortcut: string | null = null
  const registerShortcut = (accelerator: string): void => {
    if (registeredShortcut !== null) globalShortcut.unregister(registeredShortcut)
    registeredShortcut = null
    if (accelerator === '') return
    let ok = false
    try {
      ok = globalShortcut.register(accelerator, () => applyPatch({ effectsEnabled: !store.get().effectsEnabled }, 'shortcut'))
    } catch (e) {
      log(`shortcut ${accelerator}: ${(e as Error).message}`)
    }
    if (ok) registeredShortcut = accelerator
    else pushNotice(makeNotice('warning', null, `The shortcut ${accelerator} could not be registered (another app may use it, or the desktop doesn't allow global shortcuts). Choose another in Settings → General.`))
  }

  let effectsSource: 'tray' | 'shortcut' | 'settings' = 'settings'
  const applyPatch = (patch: Parameters<SettingsStore['update']>[0], source: 'tray' | 'shortcut'): void => {
    effectsSource = source
    try {
      store.update(patch)
    } catch (e) {
      pushNotice(makeNotice('error', toErrorInfo(e).code, toErrorInfo(e).message))
    } finally {
      effectsSource = 'settings'
    }
  }

  let tray: AppTray | null = null
  function refreshTray(): void {
    tray?.update(store.get(), { vcam: vcam.status(), engine: engine.status(), shortcut: registeredShortcut })
  }
  const onTrayAction = (action: TrayAction): void => {
    if (action.kind === 'open-settings') return show()
    if (action.kind === 'quit') return void app.quit()
    const patch = trayActionPatch(action, store.get())
    if (patch !== null) applyPatch(patch, 'tray')
  }

  const loginTarget = {
    platform: process.platform,
    execPath: process.execPath,
    args: app.isPackaged ? [] : [app.getAppPath()],
    configHome: process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'),
    setLoginItemSettings: (s: { openAtLogin: boolean; args?: string[] }) => app.setLoginItemSettings(s),
  }
  const applyLoginItem = (enabled: boolean): void => {
    setStartAtLogin(enabled, loginTarget).catch((e: unknown) => pushNotice(makeNotice('warning', null, `Could not ${enabled ? 'set' : 'remove'} start at login: ${(e as Error).message}`)))
  }

  // ---- settings drive everything ----
  store.onChange((next: Settings, prev: Settings) => {
    emit('settings.changed', next)
    void engine.apply(next)
    void vcam.apply(next)
    if (next.effectsEnabled !== prev.effectsEnabled) emit('effects.toggled', { enabled: next.effectsEnabled, source: effectsSource })
    if (next.shortcut !== prev.shortcut) registerShortcut(next.shortcut)
    if (next.startAtLogin !== prev.startAtLogin) applyLoginItem(next.startAtLogin)
    refreshTray()
  })

  // ---- IPC ----
  const isOwnWebContents = (c: WebContents): boolean => win !== null && !win.isDestroyed() && c.id === win.webContents.id
  const handlers = createIpcHandlers(
    {
      app: {
        info: () => ({ version: app.getVersion(), platform: process.platform, arch: process.arch, isPackaged: app.isPackaged, electronVersion: process.versions.electron ?? null }),
        openSettings: () => show(),
        quit: () => void app.quit(),
      },
      notices: {
        list: () => [...notices],
        dismiss: (id) => {
          const i = notices.findIndex((n) => n.id === id)
          if (i >= 0) notices.splice(i, 1)
        },
      },
      settings: store,
      models,
      backgrounds,
      pickBackgroundFile: async () => {
        const r = await openFileDialog(win, { title: 'Add a background', properties: ['openFile'], filters: [{ name: 'Images and videos', extensions: [...IMAGE_EXTENSIONS, ...VIDEO_EXTENSIONS] }] })
        return r.canceled ? null : (r.filePaths[0] ?? null)
      },
      vcam,
      engine,
    },
    { onInternalError: (name, e) => log(`internal error in ${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`) },
  )
  const ipcOptions = { ipcMain, page: paths.page, isOwnWebContents, log }
  bindIpc({ ...ipcOptions, handlers })

  // frame port: a fresh channel per connect(); the previous link (an old page) is closed
  onCheckedSend(ipcOptions, FRAMES.connect, (event) => {
    link?.close()
    const { port1, port2 } = new MessageChannelMain()
    link = createFrameLink({
      port: wrapPortMain(port1),
      engine: engine.relay,
      sink: vcam.sink,
      onStats: (s) => emit('pipeline.statsUpdated', s),
      onRejected: (reason) => log(reason),
    })
    event.sender.postMessage(FRAMES.port, null, [port2])
    log('frames: renderer connected')
  })

  // ---- window ----
  const show = (): void => {
    if (win === null || win.isDestroyed()) win = openWindow(true)
    if (win.isMinimized()) win.restore()
    win.show()
    win.focus()
  }
  const openWindow = (visible: boolean): BrowserWindow => {
    const w = createMainWindow(paths, { isPackaged: app.isPackaged, show: visible })
    w.on('close', (e) => {
      if (isQuitting) return
      // hide to the tray; the page keeps capturing and feeding the virtual camera
      e.preventDefault()
      w.hide()
    })
    w.webContents.on('render-process-gone', (_e, details) => {
      log(`renderer gone (${details.reason}); reloading so the virtual camera keeps a feed`)
      link?.close()
      link = null
      if (!w.isDestroyed() && details.reason !== 'clean-exit') setTimeout(() => !w.isDestroyed() && w.webContents.reload(), 1000)
    })
    return w
  }
  win = openWindow(!startHidden)

  try {
    tray = new AppTray(paths.icon, onTrayAction, show)
  } catch (e) {
    // some Linux desktops have no tray; the window stays reachable by launching again
    log(`no tray: ${(e as Error).message}`)
  }
  registerShortcut(store.get().shortcut)
  if (store.get().startAtLogin) applyLoginItem(true)

  await Promise.all([engine.apply(store.get()), vcam.apply(store.get())])
  refreshTray()

  app.on('activate', show)
  app.on('before-quit', (e) => {
    if (isQuitting) return
    isQuitting = true
    e.preventDefault()
    void (async () => {
      globalShortcut.unregisterAll()
      link?.close()
      tray?.destroy()
      await Promise.allSettled([store.close(), engine.close(), vcam.close()])
      app.quit()
    })()
  })
  return { showSettings: show }
}

/** Dialogs are modal to the window when it is there (it may be hidden in the tray). */
function openFileDialog(win: BrowserWindow | null, options: OpenDialogOptions): Promise<OpenDialogReturnValue> {
  return win !== null && !win.isDestroyed() && win.isVisible() ? dialog.showOpenDialog(win, options) : dialog.showOpenDialog(options)
}

function messageBox(win: BrowserWindow | null, options: MessageBoxOptions): Promise<MessageBoxReturnValue> {
  return win !== null && !win.isDestroyed() && win.isVisible() ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options)
}
