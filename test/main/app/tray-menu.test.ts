import { describe, expect, it } from 'vitest'
import { buildTrayMenu, findTrayItem, statusLine, trayActionPatch, type TrayItem } from '../../../src/main/app/tray-menu.js'
import { applySettingsPatch, DEFAULT_SETTINGS, type Settings } from '../../../src/shared/settings.js'

const withSaved: Settings = {
  ...DEFAULT_SETTINGS,
  savedBackgrounds: [
    { id: 'image-1', kind: 'image', name: 'Beach', path: '/u/backgrounds/image-1.jpeg' },
    { id: 'video-2', kind: 'video', name: 'Rain', path: '/u/backgrounds/video-2.mp4' },
  ],
}
const item = (items: TrayItem[], id: string) => findTrayItem(items, id) as Extract<TrayItem, { type: 'radio' | 'checkbox' }>

describe('tray menu', () => {
  it('has effects, backgrounds (None, Blur, each saved one), blur presets, settings and quit', () => {
    const menu = buildTrayMenu(withSaved)
    expect(menu.map((i) => i.id)).toEqual(['status', 'sep-0', 'effects', 'background', 'blur', 'sep-1', 'open-settings', 'quit'])
    const bg = findTrayItem(menu, 'background') as Extract<TrayItem, { type: 'submenu' }>
    expect(bg.items.map((i) => (i.type === 'separator' ? '-' : i.label))).toEqual(['None', 'Blur', 'Colour (#1e7a4f)', '-', 'Image: Beach', 'Video: Rain'])
    const blur = findTrayItem(menu, 'blur') as Extract<TrayItem, { type: 'submenu' }>
    expect(blur.items.map((i) => (i.type === 'separator' ? '-' : i.label))).toEqual(['Light (25)', 'Medium (50)', 'Strong (85)'])
    expect(item(menu, 'effects')).toMatchObject({ checked: true, accelerator: 'CommandOrControl+Shift+E' })
  })

  it('checks what the settings say', () => {
    const s = applySettingsPatch(withSaved, { background: { kind: 'video', videoId: 'video-2' }, effectsEnabled: false, blurStrength: 85 })
    const menu = buildTrayMenu(s)
    expect(item(menu, 'effects').checked).toBe(false)
    expect(item(menu, 'bg-saved-video-2').checked).toBe(true)
    expect(item(menu, 'bg-blur').checked).toBe(false)
    // a preset is only "on" while blur is the background
    expect(item(menu, 'blur-strong').checked).toBe(false)
    expect(item(buildTrayMenu(applySettingsPatch(s, { background: { kind: 'blur' } })), 'blur-strong').checked).toBe(true)
  })

  it('turns clicks into settings patches', () => {
    expect(trayActionPatch({ kind: 'toggle-effects' }, withSaved)).toEqual({ effectsEnabled: false })
    expect(trayActionPatch({ kind: 'saved-background', id: 'image-1' }, withSaved)).toEqual({ background: { kind: 'image', imageId: 'image-1' }, effectsEnabled: true })
    expect(trayActionPatch({ kind: 'saved-background', id: 'gone' }, withSaved)).toBeNull()
    expect(trayActionPatch({ kind: 'blur-preset', preset: 'light' }, withSaved)).toEqual({ blurStrength: 25, background: { kind: 'blur' }, effectsEnabled: true })
    expect(trayActionPatch({ kind: 'background', background: 'none' }, withSaved)).toEqual({ background: { kind: 'none' }, effectsEnabled: true })
    expect(trayActionPatch({ kind: 'quit' }, withSaved)).toBeNull()
  })

  it('shows engine and camera state in its status line', () => {
    expect(statusLine({})).toBe('Matting: starting · Camera output: starting')
    expect(
      statusLine({
        engine: { state: 'running', modelName: 'MediaPipe landscape', provider: { selected: 'cpu', attempts: [] } } as never,
        vcam: { state: 'module-missing' } as never,
      }),
    ).toBe('Matting: MediaPipe landscape on CPU · Camera output: module missing')
  })
})
