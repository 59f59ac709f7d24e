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
import { FRAMES, type EventPayload } from '../../shared/ipc.js'
import { appPaths } from './app-paths.js'
import { IMAGE_EXTENSIONS, VIDEO_EXTENSIONS } from './backgrounds.js'
import { createAppCore } from './core.js'
import { wrapPortMain } from './frame-port.js'
import { bindIpc, createEmitter, onCheckedSend } from './ipc.js'
import { HIDDEN_ARG, setStartAtLogin } from './login-item.js'
import { MEDIA_SCHEME_PRIVILEGES, serveMedia } from './media-protocol.js'
import { guardAllWebContents, hardenSession } from './security.js'
import { MEDIA_SCHEME } from './security-policy.js'
import { makeNotice } from './settings-store.js'
import { createFileSinkBackend, fileSinkPath } from './test-sink.js'
import { AppTray } from './tray.js'
import { trayActionPatch, type TrayAction } from './tray-menu.js'
import { loadVcamBackend } from './vcam-backend.js'
import { createMainWindow } from './windows.js'

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

  let powerBlocker: number | null = null
  const keepAwake = (isRunning: boolean): void => {
    // feeding a camera is like playing media: don't let the system suspend the app
    if (isRunning && powerBlocker === null) powerBlocker = powerSaveBlocker.start('prevent-app-suspension')
    if (!isRunning && powerBlocker !== null) {
      powerSaveBlocker.stop(powerBlocker)
      powerBlocker = null
    }
  }

  const testSink = fileSinkPath(process.env.PORTSEG_VCAM_SINK)
  const backend = testSink !== null ? { backend: createFileSinkBackend(testSink) } : await loadVcamBackend(log)
  let tray: AppTray | null = null
  let registeredShortcut: string | null = null

  const core = await createAppCore({
    userDataDir: userData,
    builtInModelsDir: paths.builtInModels,
    workerPath: paths.worker,
    vcamBackend: backend.backend,
    ...(backend.backendProblem !== undefined ? { vcamBackendProblem: backend.backendProblem } : {}),
    emit: (event, payload) => {
      emit(event, payload)
      if (event === 'vcam.statusChanged') keepAwake((payload as EventPayload<'vcam.statusChanged'>).state === 'running')
      if (event === 'engine.statusChanged' || event === 'vcam.statusChanged') refreshTray()
    },
    log,
    info: () => ({ version: app.getVersion(), platform: process.platform, arch: process.arch, isPackaged: app.isPackaged, electronVersion: process.versions.electron ?? null }),
    openSettings: () => show(),
    quit: () => void app.quit(),
    pickBackgroundFile: async () => {
      const r = await openFileDialog(win, { title: 'Add a background', properties: ['openFile'], filters: [{ name: 'Images and videos', extensions: [...IMAGE_EXTENSIONS, ...VIDEO_EXTENSIONS] }] })
      return r.canceled ? null : (r.filePaths[0] ?? null)
    },
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
    onSettingsChanged: (next, prev) => {
      if (next.shortcut !== prev.shortcut) registerShortcut(next.shortcut)
      if (next.startAtLogin !== prev.startAtLogin) applyLoginItem(next.startAtLogin)
      refreshTray()
    },
  })
  protocol.handle(MEDIA_SCHEME, (request) => serveMedia(request, (id) => core.backgrounds.fileFor(id)))

  // ---- shortcut, tray, login item ----
  function registerShortcut(accelerator: string): void {
    if (registeredShortcut !== null) globalShortcut.unregister(registeredShortcut)
    registeredShortcut = null
    if (accelerator === '') return
    let ok = false
    try {
      ok = globalShortcut.register(accelerator, () => core.applyPatch({ effectsEnabled: !core.store.get().effectsEnabled }, 'shortcut'))
    } catch (e) {
      log(`shortcut ${accelerator}: ${(e as Error).message}`)
    }
    if (ok) registeredShortcut = accelerator
    else core.pushNotice(makeNotice('warning', null, `The shortcut ${accelerator} could not be registered (another app may use it, or the desktop doesn't allow global shortcuts). Choose another in Settings.`))
  }
  function refreshTray(): void {
    tray?.update(core.store.get(), { vcam: core.vcam.status(), engine: core.engine.status(), shortcut: registeredShortcut })
  }
  const onTrayAction = (action: TrayAction): void => {
    if (action.kind === 'open-settings') return show()
    if (action.kind === 'quit') return void app.quit()
    const patch = trayActionPatch(action, core.store.get())
    if (patch !== null) core.applyPatch(patch, 'tray')
  }
  const loginTarget = {
    platform: process.platform,
    execPath: process.execPath,
    args: app.isPackaged ? [] : [app.getAppPath()],
    configHome: process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'),
    setLoginItemSettings: (s: { openAtLogin: boolean; args?: string[] }) => app.setLoginItemSettings(s),
  }
  function applyLoginItem(enabled: boolean): void {
    setStartAtLogin(enabled, loginTarget).catch((e: unknown) => core.pushNotice(makeNotice('warning', null, `Could not ${enabled ? 'set' : 'remove'} start at login: ${(e as Error).message}`)))
  }

  // ---- IPC ----
  const isOwnWebContents = (c: WebContents): boolean => win !== null && !win.isDestroyed() && c.id === win.webContents.id
  const ipcOptions = { ipcMain, page: paths.page, isOwnWebContents, log }
  bindIpc({ ...ipcOptions, handlers: core.handlers })
  // frame port: a fresh channel per connect(); the previous link (an old page) is closed
  onCheckedSend(ipcOptions, FRAMES.connect, (event) => {
    const { port1, port2 } = new MessageChannelMain()
    core.connectFrames(wrapPortMain(port1))
    event.sender.postMessage(FRAMES.port, null, [port2])
    log('frames: renderer connected')
  })

  // ---- window ----
  function show(): void {
    if (win === null || win.isDestroyed()) win = openWindow(true)
    if (win.isMinimized()) win.restore()
    win.show()
    win.focus()
  }
  function openWindow(visible: boolean): BrowserWindow {
    const w = createMainWindow(paths, { isPackaged: app.isPackaged, show: visible })
    w.on('close', (e) => {
      if (isQuitting) return
      // hide to the tray; the page keeps capturing and feeding the virtual camera
      e.preventDefault()
      w.hide()
    })
    w.webContents.on('render-process-gone', (_e, details) => {
      log(`renderer gone (${details.reason}); reloading so the virtual camera keeps a feed`)
      core.frameLink()?.close()
      if (details.reason !== 'clean-exit') setTimeout(() => !w.isDestroyed() && w.webContents.reload(), 1000)
    })
    return w
  }
  win = openWindow(!startHidden)

  try {
    tray = new AppTray(paths.trayIcon, onTrayAction, show)
  } catch (e) {
    // some Linux desktops have no tray; launching the app again shows the window
    log(`no tray: ${(e as Error).message}`)
  }
  registerShortcut(core.store.get().shortcut)
  if (core.store.get().startAtLogin) applyLoginItem(true)
  await core.start()
  refreshTray()

  app.on('activate', show)
  app.on('before-quit', (e) => {
    if (isQuitting) return
    isQuitting = true
    e.preventDefault()
    void (async () => {
      globalShortcut.unregisterAll()
      tray?.destroy()
      keepAwake(false)
      await core.close()
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
