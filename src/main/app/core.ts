/**
 * The app's core wiring without Electron: settings drive the engine and the virtual camera,
 * the IPC handlers run on the real services, and a frame port gets a frame link. index.ts adds
 * the Electron parts (windows, tray, dialogs, ipcMain); the browser tests use this directly, so
 * they exercise the same code the app runs.
 */
import path from 'node:path'
import { toErrorInfo } from '../../shared/errors.js'
import type { AppInfo, EventName, EventPayload, Notice } from '../../shared/ipc.js'
import type { Settings, SettingsPatch } from '../../shared/settings.js'
import { createFrameLink, type FrameLink, type FrameLinkPort } from '../engine/frame-link.js'
import { openEngine as realOpenEngine, type MattingEngine, type OpenEngineOptions } from '../engine/index.js'
import { BackgroundsService } from './backgrounds.js'
import { EngineController } from './engine-controller.js'
import { createIpcHandlers, type IpcHandlers } from './ipc-handlers.js'
import { ModelsService } from './models-service.js'
import { makeNotice, SettingsStore } from './settings-store.js'
import { VcamService, type VcamBackend } from './vcam-service.js'

const MAX_NOTICES = 20

export type Emit = <E extends EventName>(event: E, payload: EventPayload<E>) => void
export type ChangeSource = 'tray' | 'shortcut' | 'settings'

export interface AppCoreOptions {
  /** app.getPath('userData'): settings.json, backgrounds/, models/ */
  userDataDir: string
  builtInModelsDir: string
  workerPath: string
  vcamBackend: VcamBackend | null
  vcamBackendProblem?: string
  emit: Emit
  log?: (line: string) => void
  info?: () => AppInfo
  openSettings?: () => void
  quit?: () => void
  /** Dialogs live in main (Electron); tests pass fixed answers. null = cancelled. */
  pickBackgroundFile?: () => Promise<string | null>
  pickModelFile?: () => Promise<string | null>
  confirmLicense?: (what: { name: string; license: string; notice: string; url: string | null }) => Promise<boolean>
  /** URL the renderer loads a saved background from (default portseg-media://backgrounds/<id>). */
  backgroundUrl?: (id: string) => string
  openEngine?: (options: OpenEngineOptions) => Promise<MattingEngine>
  settingsDebounceMs?: number
  /** Extra reactions to a settings change (tray, shortcut, login item in the app). */
  onSettingsChanged?: (next: Settings, prev: Settings, source: ChangeSource) => void
}

export interface AppCore {
  store: SettingsStore
  engine: EngineController
  vcam: VcamService
  models: ModelsService
  backgrounds: BackgroundsService
  handlers: IpcHandlers
  notices(): Notice[]
  pushNotice(notice: Notice): void
  /** Applies a change from outside the page (tray, shortcut), reporting problems as notices. */
  applyPatch(patch: SettingsPatch, source: ChangeSource): void
  /** A new frame port from the page: closes the previous link and links this one. */
  connectFrames(port: FrameLinkPort): FrameLink
  /** The current link, if a page is connected. */
  frameLink(): FrameLink | null
  /** Opens the engine and the virtual camera with the stored settings. */
  start(): Promise<void>
  /** Flushes settings, closes the link, the engine and the camera. Idempotent. */
  close(): Promise<void>
}

export async function createAppCore(o: AppCoreOptions): Promise<AppCore> {
  const log = o.log ?? (() => undefined)
  const notices: Notice[] = []
  const pushNotice = (n: Notice): void => {
    log(`notice (${n.level}): ${n.message}`)
    notices.push(n)
    if (notices.length > MAX_NOTICES) notices.shift()
    o.emit('notice', n)
  }

  const store = await SettingsStore.open({ dir: o.userDataDir, onNotice: pushNotice, ...(o.settingsDebounceMs !== undefined ? { debounceMs: o.settingsDebounceMs } : {}) })
  const models = new ModelsService({
    store: { home: o.userDataDir, builtInDir: o.builtInModelsDir, onWarning: (m) => pushNotice(makeNotice('warning', null, m)) },
    settings: store,
    onProgress: (p) => o.emit('models.downloadProgress', p),
    ...(o.pickModelFile ? { pickModelFile: o.pickModelFile } : {}),
    ...(o.confirmLicense ? { confirmLicense: o.confirmLicense } : {}),
    log,
  })
  const backgrounds = new BackgroundsService({ dir: path.join(o.userDataDir, 'backgrounds'), store, ...(o.backgroundUrl ? { urlFor: o.backgroundUrl } : {}) })

  let link: FrameLink | null = null
  const engine = new EngineController({
    workerPath: o.workerPath,
    openEngine: o.openEngine ?? realOpenEngine,
    resolveModel: (id) => models.resolve(id),
    onStatus: (s) => o.emit('engine.statusChanged', s),
    onProblem: (message, error) => pushNotice(makeNotice('error', error.code, message)),
    log,
  })
  const vcam = new VcamService({
    backend: o.vcamBackend,
    ...(o.vcamBackendProblem !== undefined ? { backendProblem: o.vcamBackendProblem } : {}),
    onStatus: (s) => o.emit('vcam.statusChanged', s),
    onSink: (sink) => link?.setSink(sink),
    log,
  })

  let source: ChangeSource = 'settings'
  store.onChange((next, prev) => {
    o.emit('settings.changed', next)
    void engine.apply(next)
    void vcam.apply(next)
    if (next.effectsEnabled !== prev.effectsEnabled) o.emit('effects.toggled', { enabled: next.effectsEnabled, source })
    o.onSettingsChanged?.(next, prev, source)
  })

  const handlers = createIpcHandlers(
    {
      app: {
        info: o.info ?? (() => ({ version: '0.0.0', platform: process.platform, arch: process.arch, isPackaged: false, electronVersion: null })),
        openSettings: o.openSettings ?? (() => undefined),
        quit: o.quit ?? (() => undefined),
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
      pickBackgroundFile: o.pickBackgroundFile ?? (() => Promise.resolve(null)),
      vcam,
      engine,
    },
    { onInternalError: (name, e) => log(`internal error in ${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`) },
  )

  let isClosed = false
  return {
    store,
    engine,
    vcam,
    models,
    backgrounds,
    handlers,
    notices: () => [...notices],
    pushNotice,
    applyPatch(patch, from) {
      source = from
      try {
        store.update(patch)
      } catch (e) {
        const info = toErrorInfo(e)
        pushNotice(makeNotice('error', info.code, info.message))
      } finally {
        source = 'settings'
      }
    },
    connectFrames(port) {
      link?.close()
      link = createFrameLink({
        port,
        engine: engine.relay,
        sink: vcam.sink,
        onStats: (s) => o.emit('pipeline.statsUpdated', s),
        onRejected: (reason) => log(reason),
      })
      return link
    },
    frameLink: () => link,
    async start() {
      await Promise.all([engine.apply(store.get()), vcam.apply(store.get())])
    },
    async close() {
      if (isClosed) return
      isClosed = true
      link?.close()
      link = null
      await Promise.allSettled([store.close(), engine.close(), vcam.close()])
    },
  }
}
