import { useCallback, useEffect, useRef, useState } from 'react'
import type {
  BackgroundInfo,
  DownloadProgress,
  EngineStatusInfo,
  IpcResult,
  ModelInfo,
  Notice,
  PipelineStats as MainPipelineStats,
  VcamStatus,
} from '../../../shared/ipc.js'
import type { Settings, SettingsPatch } from '../../../shared/settings.js'
import { toUiError, type UiError } from '../error-text.js'

export interface AppState {
  settings: Settings | null
  models: ModelInfo[]
  backgrounds: BackgroundInfo[]
  engine: EngineStatusInfo | null
  vcam: VcamStatus | null
  mainStats: MainPipelineStats | null
  downloads: Record<string, DownloadProgress>
  notices: (Notice | (UiError & { id: string; level: 'error' }))[]
}

export interface AppActions {
  update(patch: SettingsPatch): Promise<void>
  /** Runs an invoke; a failure becomes a notice and the call resolves to null. */
  run<T>(call: () => Promise<IpcResult<T>>): Promise<T | null>
  refreshModels(): Promise<void>
  refreshBackgrounds(): Promise<void>
  setVcam(status: VcamStatus): void
  dismiss(id: string): void
  addError(e: UiError): void
}

let noticeCounter = 0

/** Settings and live status from main through window.portseg, kept in React state. */
export function useAppState(): [AppState, AppActions] {
  const bridge = window.portseg
  const [state, setState] = useState<AppState>({ settings: null, models: [], backgrounds: [], engine: null, vcam: null, mainStats: null, downloads: {}, notices: [] })
  const patchQueue = useRef<Promise<unknown>>(Promise.resolve())

  const addError = useCallback((e: UiError) => {
    const id = `ui-${++noticeCounter}`
    setState((s) => ({ ...s, notices: [...s.notices.filter((n) => n.message !== e.message), { ...e, id, level: 'error' as const }] }))
  }, [])

  const run = useCallback(
    async <T,>(call: () => Promise<IpcResult<T>>): Promise<T | null> => {
      try {
        const r = await call()
        if (r.ok) return r.value
        addError(toUiError(r))
      } catch (e) {
        addError(toUiError({ code: 'INTERNAL', message: `The main process did not answer (${e instanceof Error ? e.message : String(e)}). Restart PortSeg Camera.` }))
      }
      return null
    },
    [addError],
  )

  const refreshModels = useCallback(async () => {
    const models = await run(() => bridge.models.list())
    if (models) setState((s) => ({ ...s, models }))
  }, [bridge, run])

  const refreshBackgrounds = useCallback(async () => {
    const backgrounds = await run(() => bridge.backgrounds.list())
    if (backgrounds) setState((s) => ({ ...s, backgrounds }))
  }, [bridge, run])

  useEffect(() => {
    const offs = [
      bridge.on('settings.changed', (settings) => setState((s) => ({ ...s, settings }))),
      bridge.on('engine.statusChanged', (engine) => setState((s) => ({ ...s, engine }))),
      bridge.on('pipeline.statsUpdated', (mainStats) => setState((s) => ({ ...s, mainStats }))),
      bridge.on('vcam.statusChanged', (vcam) => setState((s) => ({ ...s, vcam }))),
      bridge.on('models.downloadProgress', (p) => setState((s) => ({ ...s, downloads: { ...s.downloads, [p.id]: p } }))),
      bridge.on('notice', (n) => setState((s) => ({ ...s, notices: [...s.notices.filter((x) => x.id !== n.id), n] }))),
      bridge.on('effects.toggled', (t) => setState((s) => (s.settings ? { ...s, settings: { ...s.settings, effectsEnabled: t.enabled } } : s))),
    ]
    void (async () => {
      const [settings, engine, vcam, notices] = await Promise.all([
        run(() => bridge.settings.get()),
        run(() => bridge.engine.status()),
        run(() => bridge.vcam.status()),
        run(() => bridge.notices.list()),
      ])
      setState((s) => ({
        ...s,
        settings: settings ?? s.settings,
        engine: engine ?? s.engine,
        vcam: vcam ?? s.vcam,
        // notices raised before the window opened (e.g. a corrupt settings file that was replaced)
        notices: [...(notices ?? []).filter((n) => !s.notices.some((x) => x.id === n.id)), ...s.notices],
      }))
      await Promise.all([refreshModels(), refreshBackgrounds()])
    })()
    return () => offs.forEach((off) => off())
  }, [bridge, run, refreshModels, refreshBackgrounds])

  const update = useCallback(
    async (patch: SettingsPatch) => {
      // optimistic: the slider moves now; main's answer (or settings.changed) is the truth
      setState((s) => (s.settings ? { ...s, settings: mergePatch(s.settings, patch) } : s))
      const next = patchQueue.current.then(() => run(() => bridge.settings.update(patch)))
      patchQueue.current = next
      const saved = await next
      if (saved) setState((s) => ({ ...s, settings: saved }))
      else {
        const fresh = await run(() => bridge.settings.get())
        if (fresh) setState((s) => ({ ...s, settings: fresh }))
      }
    },
    [bridge, run],
  )

  const actions: AppActions = {
    update,
    run,
    refreshModels,
    refreshBackgrounds,
    setVcam: (vcam) => setState((s) => ({ ...s, vcam })),
    dismiss: (id) => {
      setState((s) => ({ ...s, notices: s.notices.filter((n) => n.id !== id) }))
      // main keeps its notices until dismissed; ours (ui-…) live only here
      if (!id.startsWith('ui-')) void bridge.notices.dismiss(id).catch(() => undefined)
    },
    addError,
  }
  return [state, actions]
}

function mergePatch(s: Settings, p: SettingsPatch): Settings {
  const next = { ...s } as Record<string, unknown>
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined) continue
    const cur = next[k]
    next[k] = cur && typeof cur === 'object' && !Array.isArray(cur) && typeof v === 'object' ? { ...cur, ...v } : v
  }
  return next as Settings
}
