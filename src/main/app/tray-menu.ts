/**
 * The tray menu as plain data, built from the settings (pure, so tests check it without Electron).
 * tray.ts turns it into an Electron Menu and routes clicks back through trayActionPatch().
 */
import type { EngineStatusInfo, VcamStatus } from '../../shared/ipc.js'
import { BLUR_PRESETS, type BlurPreset, type Settings, type SettingsPatch } from '../../shared/settings.js'

export type TrayAction =
  | { kind: 'toggle-effects' }
  | { kind: 'background'; background: 'none' | 'blur' | 'color' }
  | { kind: 'saved-background'; id: string }
  | { kind: 'blur-preset'; preset: BlurPreset }
  | { kind: 'open-settings' }
  | { kind: 'quit' }

export type TrayItem =
  | { type: 'normal'; id: string; label: string; enabled: boolean; action: TrayAction | null; accelerator?: string }
  | { type: 'checkbox' | 'radio'; id: string; label: string; checked: boolean; enabled: boolean; action: TrayAction; accelerator?: string }
  | { type: 'separator'; id: string }
  | { type: 'submenu'; id: string; label: string; items: TrayItem[] }

export interface TrayContext {
  vcam?: VcamStatus | null
  engine?: EngineStatusInfo | null
  /** the shortcut actually registered (may differ from settings when it was taken) */
  shortcut?: string | null
}

const PRESET_LABEL: Record<BlurPreset, string> = { light: 'Light', medium: 'Medium', strong: 'Strong' }

export function statusLine(ctx: TrayContext): string {
  const engine = ctx.engine
  const vcam = ctx.vcam
  const e = engine == null ? 'starting' : engine.state === 'running' ? `${engine.modelName ?? 'model'} on ${engine.provider?.selected.toUpperCase() ?? '?'}` : engine.state
  const v = vcam == null ? 'starting' : vcam.state === 'running' ? `on (${vcam.width}x${vcam.height})` : vcam.state.replace('-', ' ')
  return `Matting: ${e} · Camera output: ${v}`
}

export function buildTrayMenu(settings: Settings, ctx: TrayContext = {}): TrayItem[] {
  const bg = settings.background
  const on = settings.effectsEnabled
  const accelerator = ctx.shortcut ?? (settings.shortcut === '' ? undefined : settings.shortcut)
  const saved: TrayItem[] = settings.savedBackgrounds.map((b) => ({
    type: 'radio',
    id: `bg-saved-${b.id}`,
    label: `${b.kind === 'image' ? 'Image' : 'Video'}: ${b.name}`,
    checked: (bg.kind === 'image' && bg.imageId === b.id) || (bg.kind === 'video' && bg.videoId === b.id),
    enabled: true,
    action: { kind: 'saved-background', id: b.id },
  }))
  const backgroundItems: TrayItem[] = [
    { type: 'radio', id: 'bg-none', label: 'None', checked: bg.kind === 'none', enabled: true, action: { kind: 'background', background: 'none' } },
    { type: 'radio', id: 'bg-blur', label: 'Blur', checked: bg.kind === 'blur', enabled: true, action: { kind: 'background', background: 'blur' } },
    { type: 'radio', id: 'bg-color', label: `Colour (${bg.color})`, checked: bg.kind === 'color', enabled: true, action: { kind: 'background', background: 'color' } },
    ...(saved.length > 0 ? [{ type: 'separator', id: 'bg-sep' } as TrayItem, ...saved] : []),
  ]
  const presetItems: TrayItem[] = (Object.keys(BLUR_PRESETS) as BlurPreset[]).map((p) => ({
    type: 'radio',
    id: `blur-${p}`,
    label: `${PRESET_LABEL[p]} (${BLUR_PRESETS[p]})`,
    checked: bg.kind === 'blur' && settings.blurStrength === BLUR_PRESETS[p],
    enabled: true,
    action: { kind: 'blur-preset', preset: p },
  }))
  return [
    { type: 'normal', id: 'status', label: statusLine(ctx), enabled: false, action: null },
    { type: 'separator', id: 'sep-0' },
    { type: 'checkbox', id: 'effects', label: 'Effects on', checked: on, enabled: true, action: { kind: 'toggle-effects' }, ...(accelerator ? { accelerator } : {}) },
    { type: 'submenu', id: 'background', label: 'Background', items: backgroundItems },
    { type: 'submenu', id: 'blur', label: 'Blur strength', items: presetItems },
    { type: 'separator', id: 'sep-1' },
    { type: 'normal', id: 'open-settings', label: 'Open settings…', enabled: true, action: { kind: 'open-settings' } },
    { type: 'normal', id: 'quit', label: 'Quit PortSeg Camera', enabled: true, action: { kind: 'quit' } },
  ]
}

/** The settings change a tray click makes; null for actions that aren't settings (open, quit). */
export function trayActionPatch(action: TrayAction, settings: Settings): SettingsPatch | null {
  switch (action.kind) {
    case 'toggle-effects':
      return { effectsEnabled: !settings.effectsEnabled }
    case 'background':
      // picking a background means the user wants to see it: effects come on
      return { background: { kind: action.background }, effectsEnabled: true }
    case 'saved-background': {
      const b = settings.savedBackgrounds.find((x) => x.id === action.id)
      if (b === undefined) return null
      return { background: b.kind === 'image' ? { kind: 'image', imageId: b.id } : { kind: 'video', videoId: b.id }, effectsEnabled: true }
    }
    case 'blur-preset':
      return { blurStrength: BLUR_PRESETS[action.preset], background: { kind: 'blur' }, effectsEnabled: true }
    default:
      return null
  }
}

/** Finds an item by id (tests, and tray.ts for click routing). */
export function findTrayItem(items: TrayItem[], id: string): TrayItem | null {
  for (const item of items) {
    if (item.id === id) return item
    if (item.type === 'submenu') {
      const found = findTrayItem(item.items, id)
      if (found) return found
    }
  }
  return null
}
